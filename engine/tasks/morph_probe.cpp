#include "engine/tasks/morph_probe.h"

#include "engine/core/error.h"
#include "engine/io/turkish_text.h"
#include "engine/io/vectors.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <chrono>
#include <unordered_map>

namespace embedlab::tasks {

MorphProbeResult morphProbe(const MorphProbeOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.gold.empty()) throw Error::badInput("morph probe: give the treebank (--gold)");
    if (o.vectorsPath.empty() == o.modelDir.empty()) throw Error::badInput("morph probe: give either --vectors FILE or --model DIR");
    const eval::MorphFeature feature = eval::parseMorphFeature(o.feature);
    eval::Treebank tb;
    {
        Progress p(progress, 0.0, 0.1, "treebank");
        tb = eval::readTreebank(o.gold, p);
    }
    const std::vector<eval::ProbeWord> words = eval::probeWords(tb, feature);
    MorphProbeResult r;
    r.words = static_cast<int64_t>(words.size());
    std::unordered_map<std::string, std::vector<float>> table;
    if (!o.vectorsPath.empty()) {
        Progress p(progress, 0.1, 0.4, "vectors");
        const VectorSet v = readVectors(o.vectorsPath, {}, nullptr, p);
        if (v.labels.empty()) throw Error::badInput("morph probe: " + o.vectorsPath + " has no word labels");
        std::unordered_map<std::string, int64_t> exact, lower;
        for (int64_t i = 0; i < v.size(); ++i) {
            exact.emplace(v.labels[static_cast<size_t>(i)], i);
            lower.emplace(turkishLower(v.labels[static_cast<size_t>(i)]), i);
        }
        const at::Tensor data = v.data.contiguous();
        const float* base = data.data_ptr<float>();
        for (const eval::ProbeWord& w : words) {
            int64_t row = -1;
            if (auto it = exact.find(w.word); it != exact.end()) row = it->second;
            else if (auto jt = lower.find(w.word); jt != lower.end()) row = jt->second;
            if (row < 0) continue;
            table.emplace(w.word, std::vector<float>(base + row * v.dim(), base + (row + 1) * v.dim()));
        }
    } else {
        Progress p(progress, 0.1, 0.4, "model");
        auto tok = loadTokenizer(o.tokenizerPath.empty() ? o.modelDir : o.tokenizerPath);
        auto model = loadModel(o.modelDir, c10::Device(o.device), parseDtype(o.dtype));
        const int64_t vocab = model->config().vocabSize;
        EmbeddingOptions eo;
        eo.pooling = Pooling::Mean;
        eo.layer = o.layer;
        r.layer = resolveLayer(*model, o.layer);
        std::vector<std::vector<int64_t>> ids;
        std::vector<size_t> which;
        for (size_t i = 0; i < words.size(); ++i) {
            std::vector<int64_t> e = tok->encode(words[i].word, false).ids;
            if (e.empty()) continue;
            for (int64_t id : e)
                if (id < 0 || id >= vocab)
                    throw Error::badInput("morph probe: the tokenizer gives id " + std::to_string(id) + " for \"" + words[i].word +
                                          "\", beyond the model's vocabulary of " + std::to_string(vocab) + " (a tokenizer of another model?)");
            ids.push_back(std::move(e));
            which.push_back(i);
        }
        if (ids.empty()) throw Error::badInput("morph probe: the model's tokenizer encodes none of the treebank's words");
        const at::Tensor v = embedIds(*model, ids, eo, p).contiguous();
        const float* base = v.data_ptr<float>();
        const int64_t d = v.size(1);
        for (size_t k = 0; k < which.size(); ++k)
            table.emplace(words[which[k]].word, std::vector<float>(base + static_cast<int64_t>(k) * d, base + static_cast<int64_t>(k + 1) * d));
    }
    {
        Progress p(progress, 0.4, 1.0, "probe");
        r.probe = eval::runMorphProbe(
            words,
            [&](const std::string& w) -> std::optional<std::vector<float>> {
                auto it = table.find(w);
                if (it == table.end()) return std::nullopt;
                return it->second;
            },
            o.seed, p);
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace embedlab::tasks
