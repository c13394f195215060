#include "engine/eval/bitext.h"

#include "engine/core/error.h"
#include "engine/eval/label_metrics.h"
#include "engine/eval/tsv.h"

#include <numeric>

namespace embedlab::eval {

BitextData readBitextData(const std::string& path) {
    const auto rows = readTsv(path, 2, 2, "source sentence, target sentence");
    BitextData d;
    for (const auto& r : rows) {
        d.src.push_back(r.fields[0]);
        d.tgt.push_back(r.fields[1]);
    }
    if (d.src.size() < 2) throw Error::badInput(path + ": bitext mining needs at least 2 pairs");
    return d;
}

BitextResult bitextScores(const std::vector<int64_t>& predicted) {
    std::vector<int64_t> gold(predicted.size());
    std::iota(gold.begin(), gold.end(), int64_t{0});
    BitextResult r;
    r.pairs = static_cast<int64_t>(predicted.size());
    r.predicted = predicted;
    r.accuracy = accuracy(gold, predicted);
    r.f1 = f1Weighted(gold, predicted);
    r.precision = precisionWeighted(gold, predicted);
    r.recall = recallWeighted(gold, predicted);
    return r;
}

BitextResult evaluateBitext(const Matrix& src, const Matrix& tgt, Progress& progress) {
    if (src.rows != tgt.rows)
        throw Error::badInput("bitext: " + std::to_string(src.rows) + " source but " + std::to_string(tgt.rows) +
                              " target vectors");
    const auto nn = cosineTopK(src, tgt, 1, {}, progress);
    std::vector<int64_t> pred;
    pred.reserve(nn.size());
    for (const auto& v : nn) pred.push_back(v.empty() ? -1 : v[0].index);
    return bitextScores(pred);
}

}  // namespace embedlab::eval
