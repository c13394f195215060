#include "engine/tasks/model_surgery.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/tokenizers/tokenizer_pruning.h"

#include <ATen/ATen.h>

#include <chrono>
#include <numeric>
#include <filesystem>
#include <regex>
#include <sstream>

namespace embedlab::tasks {
namespace {

namespace fs = std::filesystem;

nlohmann::json& textConfig(nlohmann::json& j) {
    if (j.contains("text_config") && j["text_config"].is_object()) return j["text_config"];
    return j;
}

int64_t totalParams(const Model& m) {
    const ParameterCounts c = m.parameterCounts();
    return c.embedding + c.body;
}

}  // namespace

nlohmann::json SurgeryResult::toJson() const {
    return {{"params_before", paramsBefore},
            {"params_after", paramsAfter},
            {"bytes_before", bytesBefore},
            {"bytes_after", bytesAfter},
            {"vocab_before", vocabBefore},
            {"vocab_after", vocabAfter},
            {"layers_before", layersBefore},
            {"layers_after", layersAfter},
            {"kept_layers", keptLayers},
            {"embedding_params_before", embeddingParamsBefore},
            {"embedding_params_after", embeddingParamsAfter},
            {"corpus_tokens", corpusTokens},
            {"seconds", seconds}};
}

std::vector<int64_t> parseLayerList(const std::string& spec, int64_t numLayers) {
    std::vector<int64_t> out;
    std::stringstream s(spec);
    std::string item;
    auto num = [&](const std::string& t) -> int64_t {
        if (!isAsciiDigits(t) || t.empty() || t.size() > 6)
            throw Error::badInput("--keep-layers: '" + t + "' is not a layer number (use e.g. 0-3 or 0,2,5)");
        const int64_t v = std::stoll(t);
        if (v >= numLayers)
            throw Error::badInput("--keep-layers: layer " + t + " does not exist (the model has " +
                                  std::to_string(numLayers) + " layers, 0-" + std::to_string(numLayers - 1) + ")");
        return v;
    };
    while (std::getline(s, item, ',')) {
        item = trimSpaces(item);
        const size_t dash = item.find('-');
        if (dash == std::string::npos) {
            out.push_back(num(item));
        } else {
            const int64_t a = num(item.substr(0, dash)), b = num(item.substr(dash + 1));
            if (b < a) throw Error::badInput("--keep-layers: the range " + item + " is empty");
            for (int64_t l = a; l <= b; ++l) out.push_back(l);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    if (out.empty()) throw Error::badInput("--keep-layers: no layer given");
    return out;
}

SurgeryResult modelSurgery(const SurgeryOptions& o, Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (o.modelDir.empty()) throw Error::badInput("surgery: give the model folder (--model)");
    if (o.outDir.empty()) throw Error::badInput("surgery: give the output folder (--out)");
    if (o.minCount < 1) throw Error::badInput("--min-count must be at least 1");
    checkOutputFolder(o.outDir, o.force);
    {
        std::error_code ec;
        const bool same = fs::exists(o.outDir, ec) ? fs::equivalent(o.outDir, o.modelDir, ec)
                                                   : fs::weakly_canonical(o.outDir, ec) == fs::weakly_canonical(o.modelDir, ec);
        if (same) throw Error::badInput("--out must not be the model folder");
    }

    progress.report(0.0, "loading the model");
    const ModelConfig cfg0 = loadModelConfig(o.modelDir);
    const at::ScalarType dtype = cfg0.torchDtype == "bfloat16" ? at::kBFloat16 : at::kFloat;
    std::unique_ptr<Model> model = loadModel(o.modelDir, c10::Device(c10::kCPU), dtype);
    SurgeryResult r;
    r.paramsBefore = totalParams(*model);
    r.embeddingParamsBefore = model->parameterCounts().embedding;
    r.bytesBefore = model->weightBytes();
    r.layersBefore = cfg0.numLayers;
    const at::Tensor emb = model->inputEmbeddings();
    const int64_t rows = emb.size(0);
    r.vocabBefore = rows;
    nlohmann::json cfg = nlohmann::json::parse(readFile(joinPath(o.modelDir, "config.json")));
    nlohmann::json& tc = textConfig(cfg);

    // 1. Layers.
    std::vector<int64_t> layers(static_cast<size_t>(cfg0.numLayers));
    std::iota(layers.begin(), layers.end(), int64_t{0});
    if (!o.keepLayers.empty()) layers = parseLayerList(o.keepLayers, cfg0.numLayers);
    r.keptLayers = layers;
    r.layersAfter = static_cast<int64_t>(layers.size());
    std::map<int64_t, int64_t> newIndex;
    for (size_t i = 0; i < layers.size(); ++i) newIndex[layers[i]] = static_cast<int64_t>(i);
    static const std::regex layerName(R"(^(layers|h|encoder\.layer)\.(\d+)\.(.*)$)");
    std::map<std::string, at::Tensor> weights;
    for (const auto& [name, t] : model->weights()) {
        std::smatch m;
        if (std::regex_match(name, m, layerName)) {
            auto it = newIndex.find(std::stoll(m[2].str()));
            if (it == newIndex.end()) continue;
            weights[m[1].str() + "." + std::to_string(it->second) + "." + m[3].str()] = t;
        } else {
            weights[name] = t;
        }
    }
    tc[cfg0.arch == Architecture::Gpt2 ? (tc.contains("n_layer") ? "n_layer" : "num_hidden_layers") : "num_hidden_layers"] =
        r.layersAfter;
    if (cfg0.arch == Architecture::Gemma3) {
        nlohmann::json types = nlohmann::json::array();
        for (int64_t l : layers) types.push_back(cfg0.slidingLayers[static_cast<size_t>(l)] ? "sliding_attention" : "full_attention");
        tc["layer_types"] = types;
        tc.erase("sliding_window_pattern");
        tc.erase("_sliding_window_pattern");
    }
    progress.report(0.2, "layers");

    // 2. Vocabulary.
    std::vector<int64_t> keep;
    std::unique_ptr<Tokenizer> tok;
    if (!o.pruneCorpus.empty()) {
        tok = loadTokenizer(o.modelDir);
        std::vector<int64_t> counts(static_cast<size_t>(tok->vocabSize()), 0);
        Progress reading(progress, 0.2, 0.6, "counting tokens");
        streamCorpus(
            o.pruneCorpus, CorpusOptions{},
            [&](CorpusRecord&& rec) {
                for (int64_t id : tok->encode(rec.text, true).ids) {
                    if (id >= 0 && id < static_cast<int64_t>(counts.size())) ++counts[static_cast<size_t>(id)];
                    ++r.corpusTokens;
                }
            },
            reading);
        std::vector<int64_t> used;
        for (size_t i = 0; i < counts.size(); ++i)
            if (counts[i] >= o.minCount) used.push_back(static_cast<int64_t>(i));
        for (const char* k : {"bos_token_id", "eos_token_id", "pad_token_id"}) {
            if (!tc.contains(k)) continue;
            if (tc[k].is_number_integer()) used.push_back(tc[k].get<int64_t>());
            if (tc[k].is_array())
                for (const auto& v : tc[k])
                    if (v.is_number_integer()) used.push_back(v.get<int64_t>());
        }
        for (int64_t id : closeVocabulary(*tok, o.modelDir, used))
            if (id < rows) keep.push_back(id);
        const at::Tensor idx = at::tensor(keep, at::kLong);
        const at::Tensor head = model->lmHead();
        const bool untied = head.defined() && !model->tiedLmHead();
        for (auto& [name, t] : weights) {
            if (t.is_same(emb) || (untied && t.is_same(head))) t = t.index_select(0, idx).contiguous();
            else if ((name == "lm_head.bias" || name == "lm_head.decoder.bias") && t.dim() == 1 && t.size(0) == rows)
                t = t.index_select(0, idx).contiguous();
        }
        std::vector<int64_t> map(static_cast<size_t>(std::max<int64_t>(rows, tok->vocabSize())), -1);
        for (size_t i = 0; i < keep.size(); ++i) map[static_cast<size_t>(keep[i])] = static_cast<int64_t>(i);
        auto remap = [&](nlohmann::json& v) {
            if (v.is_number_integer()) {
                const int64_t id = v.get<int64_t>();
                v = id >= 0 && id < static_cast<int64_t>(map.size()) && map[static_cast<size_t>(id)] >= 0
                        ? nlohmann::json(map[static_cast<size_t>(id)])
                        : nlohmann::json(nullptr);
            }
        };
        for (nlohmann::json* c : {&cfg, &tc})
            for (const char* k : {"bos_token_id", "eos_token_id", "pad_token_id"}) {
                if (!c->contains(k)) continue;
                if ((*c)[k].is_array())
                    for (auto& v : (*c)[k]) remap(v);
                else
                    remap((*c)[k]);
            }
        tc["vocab_size"] = static_cast<int64_t>(keep.size());
        r.vocabAfter = static_cast<int64_t>(keep.size());
    } else {
        r.vocabAfter = rows;
    }
    progress.report(0.65, "building the model");
    const ModelConfig newCfg = parseModelConfig(cfg.dump(), "the new config");
    std::unique_ptr<Model> out = createModel(newCfg, std::move(weights), c10::Device(c10::kCPU), dtype);
    r.paramsAfter = totalParams(*out);
    r.embeddingParamsAfter = out->parameterCounts().embedding;
    r.bytesAfter = out->weightBytes();
    model.reset();

    // 3. Write beside the destination, then put in place.
    progress.report(0.7, "writing");
    writeFolderAtomic(o.outDir, o.force, [&](const std::string& tmp) {
        writeModelFolder(*out, cfg, tmp, dtype, [&progress] { progress.checkCancelled(); });
        if (tok) {
            writePrunedTokenizer(o.modelDir, keep, tmp);
            if (isRegularFile(joinPath(o.modelDir, "generation_config.json"))) {
                nlohmann::json g = nlohmann::json::parse(readFile(joinPath(o.modelDir, "generation_config.json")));
                for (const char* k : {"bos_token_id", "eos_token_id", "pad_token_id"})
                    if (g.contains(k) && tc.contains(k)) g[k] = tc[k];
                writeFileAtomic(joinPath(tmp, "generation_config.json"), g.dump(2) + "\n");
            }
        } else {
            copyTokenizerFiles(o.modelDir, tmp);
        }
        nlohmann::json rep = r.toJson();
        rep["source"] = o.modelDir;
        if (!keep.empty()) rep["kept_ids"] = keep;
        writeFileAtomic(joinPath(tmp, "surgery_report.json"), rep.dump(1) + "\n");
    });
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(1.0, "written");
    return r;
}

}  // namespace embedlab::tasks
