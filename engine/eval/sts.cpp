#include "engine/eval/sts.h"

#include "engine/core/error.h"
#include "engine/eval/correlation.h"
#include "engine/eval/tsv.h"

#include <sstream>

namespace embedlab::eval {

StsData readStsData(const std::string& path, double minScore, double maxScore) {
    const auto rows = readTsv(path, 3, 3, "s1, s2, score");
    StsData d;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        double v = 0;
        if (!parseNumber(r.fields[2], v)) {
            if (i == 0) continue;  // a header line
            throw Error::badInput(path + ":" + std::to_string(r.line) + ": the score '" + r.fields[2] +
                                  "' is not a number");
        }
        if (v < minScore || v > maxScore) {
            std::ostringstream os;
            os << path << ":" << r.line << ": gold score " << v << " is outside the range [" << minScore << ", "
               << maxScore << "]";
            throw Error::badInput(os.str());
        }
        d.s1.push_back(r.fields[0]);
        d.s2.push_back(r.fields[1]);
        d.gold.push_back(v);
    }
    if (d.gold.size() < 2) throw Error::badInput(path + ": an STS file needs at least 2 scored pairs");
    return d;
}

StsResult evaluateSts(const Matrix& e1, const Matrix& e2, const std::vector<double>& gold) {
    if (e1.rows != static_cast<int64_t>(gold.size()) || e2.rows != e1.rows)
        throw Error::badInput("STS: " + std::to_string(gold.size()) + " gold scores but " + std::to_string(e1.rows) +
                              " and " + std::to_string(e2.rows) + " vectors");
    StsResult r;
    r.cosine = pairedCosine(e1, e2);
    r.pairs = e1.rows;
    r.spearman = spearman(gold, r.cosine);
    r.pearson = pearson(gold, r.cosine);
    return r;
}

}  // namespace embedlab::eval
