#include "engine/models/model_loader.h"

#include "engine/models/cpu_kernels.h"

#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/models/bert_model.h"
#include "engine/models/cpu_kernels.h"
#include "engine/models/gemma3_model.h"
#include "engine/models/gpt2_model.h"

#include <ATen/ATen.h>

#include <cstring>

#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <set>

namespace embedlab {

namespace {

std::string shapeStr(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
    return r + "]";
}

bool endsWith(const std::string& s, const std::string& suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

bool ignorable(const std::string& name, const ModelConfig& c) {
    if (endsWith(name, "embeddings.position_ids") || endsWith(name, "attn.bias") || endsWith(name, "attn.masked_bias"))
        return !(c.arch == Architecture::Gpt2 && endsWith(name, "c_attn.bias"));
    if (c.conditionalGeneration && (startsWith(name, "vision_tower.") || startsWith(name, "multi_modal_projector.") ||
                                    startsWith(name, "model.vision_tower.") ||
                                    startsWith(name, "model.multi_modal_projector.")))
        return true;
    return false;
}

std::string joinNames(const std::vector<std::string>& v, size_t maxN = 8) {
    std::string r;
    for (size_t i = 0; i < v.size() && i < maxN; ++i) r += (i ? ", " : "") + v[i];
    if (v.size() > maxN) r += ", … (" + std::to_string(v.size()) + " in all)";
    return r;
}

// Checks names/shapes; fills `out` with canonical → tensor. `stored` maps stored name → (tensor, shape).
struct Stored {
    std::string name;
    std::vector<int64_t> shape;
    std::function<at::Tensor()> get;
};

std::map<std::string, at::Tensor> canonicalise(const ModelConfig& c, const std::vector<Stored>& stored,
                                               const std::string& where, std::vector<std::string>& warnings) {
    // 1. Aliases of Gemma3ForConditionalGeneration.
    std::map<std::string, const Stored*> byName;
    std::vector<std::string> ignored;
    for (const auto& s : stored) {
        std::string n = s.name;
        if (c.arch == Architecture::Gemma3) {
            if (startsWith(n, "language_model.")) n = n.substr(15);
            else if (startsWith(n, "model.language_model.")) n = "model." + n.substr(21);
        }
        if (ignorable(n, c)) {
            ignored.push_back(s.name);
            continue;
        }
        if (!byName.emplace(n, &s).second) throw Error::badInput(where + ": tensor '" + n + "' appears twice");
    }
    // 2. The body prefix, found from an anchor tensor.
    std::vector<std::string> prefixes;
    std::string anchor;
    switch (c.arch) {
    case Architecture::Gemma3: prefixes = {"model.", ""}; anchor = "embed_tokens.weight"; break;
    case Architecture::Gpt2: prefixes = {"transformer.", ""}; anchor = "wte.weight"; break;
    case Architecture::Bert: prefixes = {"bert.", ""}; anchor = "embeddings.word_embeddings.weight"; break;
    case Architecture::XlmRoberta: prefixes = {"roberta.", ""}; anchor = "embeddings.word_embeddings.weight"; break;
    }
    std::string prefix;
    bool found = false;
    for (const auto& p : prefixes)
        if (byName.count(p + anchor)) {
            prefix = p;
            found = true;
            break;
        }
    if (!found)
        throw Error::badInput(where + ": missing tensor '" + prefixes.front() + anchor + "' (is this a " +
                              architectureName(c.arch) + " checkpoint?)");
    std::map<std::string, const Stored*> canon;
    for (const auto& [n, s] : byName) {
        std::string cn = (!prefix.empty() && startsWith(n, prefix)) ? n.substr(prefix.size()) : n;
        // BertForMaskedLM / BertForPreTraining keep their MLM head under cls.predictions.*: the same
        // tensors as XLM-R's lm_head.* (the canonical names).
        if (c.arch == Architecture::Bert && startsWith(cn, "cls.predictions.")) {
            for (const auto& [hf, canonical] : BertModel::bertHeadPrefixes())
                if (startsWith(cn, hf)) {
                    cn = canonical + cn.substr(hf.size());
                    break;
                }
        }
        canon[cn] = s;
    }
    // A BERT checkpoint whose cls.predictions head is incomplete (an odd export): the head is ignored,
    // as the other pre-training heads are, rather than refused.
    std::vector<std::string> bertHeads;
    if (c.arch == Architecture::Bert) {
        const char* head[] = {"lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight", "lm_head.layer_norm.bias"};
        size_t have = 0;
        for (const char* n : head) have += canon.count(n);
        const bool bias = canon.count("lm_head.bias") || canon.count("lm_head.decoder.bias");
        if ((have > 0 || bias) && (have < 4 || !bias)) {
            for (auto it = canon.begin(); it != canon.end();) {
                if (startsWith(it->first, "lm_head.")) {
                    bertHeads.push_back(it->second->name);
                    it = canon.erase(it);
                } else {
                    ++it;
                }
            }
        }
    }
    // 3. Compare with the expectation.
    std::map<std::string, std::vector<int64_t>> optional;
    auto required = expectedTensorShapes(c, &optional);
    // Tied heads that were stored anyway are accepted and dropped; so is the MLM decoder's bias when
    // the head's own bias is there too (Hugging Face ties the two: one tensor, trained and written once).
    std::set<std::string> dropTied;
    if (canon.count("lm_head.bias") && canon.count("lm_head.decoder.bias")) dropTied.insert("lm_head.decoder.bias");
    if (c.tieWordEmbeddings) {
        for (const char* k : {"lm_head.weight", "lm_head.decoder.weight"})
            if (canon.count(k) && !required.count(k)) dropTied.insert(k);
    }
    std::vector<std::string> missing, unexpected, misshaped;
    for (const auto& [n, shape] : required) {
        auto it = canon.find(n);
        if (it == canon.end()) missing.push_back(prefix + n);
        else if (it->second->shape != shape)
            misshaped.push_back(it->second->name + " is " + shapeStr(it->second->shape) + ", expected " + shapeStr(shape));
    }
    for (const auto& [n, s] : canon) {
        if (required.count(n) || dropTied.count(n)) continue;
        auto it = optional.find(n);
        if (it != optional.end()) {
            if (s->shape != it->second)
                misshaped.push_back(s->name + " is " + shapeStr(s->shape) + ", expected " + shapeStr(it->second));
            continue;
        }
        if (c.arch == Architecture::Bert && startsWith(n, "cls.")) {
            bertHeads.push_back(s->name);  // pre-training heads of BertForPreTraining/MaskedLM: not used
            continue;
        }
        unexpected.push_back(s->name);
    }
    // Optional groups are all-or-nothing.
    auto group = [&](const std::vector<std::string>& names, const char* what) {
        size_t have = 0;
        for (const auto& n : names) have += canon.count(n);
        if (have != 0 && have != names.size())
            for (const auto& n : names)
                if (!canon.count(n)) missing.push_back(prefix + n + " (" + what + ")");
    };
    if (c.arch == Architecture::Bert || c.arch == Architecture::XlmRoberta)
        group({"pooler.dense.weight", "pooler.dense.bias"}, "pooler");
    if (c.arch == Architecture::XlmRoberta || c.arch == Architecture::Bert) {
        std::vector<std::string> head = {"lm_head.dense.weight", "lm_head.dense.bias", "lm_head.layer_norm.weight",
                                         "lm_head.layer_norm.bias"};
        head.push_back(canon.count("lm_head.bias") ? "lm_head.bias" : "lm_head.decoder.bias");
        if (!c.tieWordEmbeddings) head.push_back("lm_head.decoder.weight");
        group(head, "MLM head");
    }
    if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
        std::string msg = where + ": the weights do not match config.json (" + architectureName(c.arch) + ")";
        if (!missing.empty()) msg += "; missing: " + joinNames(missing);
        if (!unexpected.empty()) msg += "; unexpected: " + joinNames(unexpected);
        if (!misshaped.empty()) msg += "; wrong shape: " + joinNames(misshaped);
        throw Error::badInput(msg);
    }
    if (!bertHeads.empty()) warnings.push_back("ignored " + std::to_string(bertHeads.size()) + " pre-training head tensors (" + joinNames(bertHeads, 3) + ")");
    if (!ignored.empty()) warnings.push_back("ignored " + std::to_string(ignored.size()) + " buffers/tensors (" + joinNames(ignored, 3) + ")");
    std::map<std::string, at::Tensor> out;
    for (const auto& [n, s] : canon)
        if ((required.count(n) || optional.count(n)) && !dropTied.count(n)) out[n] = s->get();
    return out;
}

void checkDevice(c10::Device device, c10::ScalarType dtype) {
    if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kDouble)
        throw Error::badInput("unsupported compute dtype (use f32 or bf16)");
    if (device.is_cpu() && dtype == at::kHalf)
        throw Error::badInput("f16 is not supported on the CPU (LibTorch has no CPU f16 matmul); use bf16 or f32");
}

std::unique_ptr<Model> construct(const ModelConfig& c, std::map<std::string, at::Tensor> weights, c10::Device device,
                                 c10::ScalarType dtype, std::vector<std::string> warnings) {
    std::unique_ptr<Model> m;
    try {
        for (auto& [n, t] : weights) {
            if (t.is_floating_point()) {
                if (t.device() != device || t.scalar_type() != dtype) t = t.to(device, dtype);
            } else if (t.device() != device) {
                t = t.to(device);
            }
        }
    } catch (const c10::Error& e) {
        throw Error::runtime(std::string("could not place the weights on ") + device.str() + ": " + e.what_without_backtrace());
    }
    // NaN check: a warning, not an error.
    std::vector<std::string> nan;
    {
        at::InferenceMode guard;
        for (const auto& [n, t] : weights)
            if (kernels::hasNaN(t)) nan.push_back(n);
    }
    if (!nan.empty()) warnings.push_back("NaN values in " + std::to_string(nan.size()) + " weight tensor(s): " + joinNames(nan, 5));
    switch (c.arch) {
    case Architecture::Gemma3: m = std::make_unique<Gemma3Model>(c, std::move(weights), device, dtype); break;
    case Architecture::Gpt2: m = std::make_unique<Gpt2Model>(c, std::move(weights), device, dtype); break;
    case Architecture::Bert:
    case Architecture::XlmRoberta: m = std::make_unique<BertModel>(c, std::move(weights), device, dtype); break;
    }
    for (auto& w : warnings) m->addWarning(std::move(w));
    return m;
}

}  // namespace

std::map<std::string, std::vector<int64_t>> expectedTensorShapes(const ModelConfig& c,
                                                                 std::map<std::string, std::vector<int64_t>>* optional) {
    if (optional) optional->clear();
    switch (c.arch) {
    case Architecture::Gemma3: return Gemma3Model::expectedShapes(c);
    case Architecture::Gpt2: return Gpt2Model::expectedShapes(c);
    case Architecture::Bert:
    case Architecture::XlmRoberta: {
        auto r = BertModel::expectedShapes(c);
        if (optional) {
            *optional = BertModel::optionalShapes(c);
            // A tied decoder is never stored; an untied one is checked with the MLM-head group.
            if (c.tieWordEmbeddings) optional->erase("lm_head.decoder.weight");
        }
        return r;
    }
    }
    return {};
}

std::unique_ptr<Model> loadModel(const std::string& dir, c10::Device device, c10::ScalarType dtype,
                                 std::vector<std::string>* warningsOut) {
    checkDevice(device, dtype);
    ModelConfig c = loadModelConfig(dir);
    SafeTensorsCollection files = SafeTensorsCollection::openFolder(dir);
    std::vector<Stored> stored;
    for (const auto& n : files.names()) {
        const SafeTensorInfo& info = files.info(n);
        stored.push_back(Stored{n, info.shape, [&files, n] { return files.tensor(n); }});
        if (info.dtype != "F32" && info.dtype != "BF16" && info.dtype != "F16" && info.dtype != "F64" &&
            !endsWith(n, "position_ids") && !endsWith(n, "attn.bias") && !endsWith(n, "masked_bias"))
            throw Error::badInput(dir + ": tensor '" + n + "' has dtype " + info.dtype + ", expected a float type");
    }
    std::vector<std::string> warnings;
    auto weights = canonicalise(c, stored, dir, warnings);
    auto m = construct(c, std::move(weights), device, dtype, warnings);
    if (warningsOut)
        for (const auto& w : m->warnings()) warningsOut->push_back(w);
    return m;
}

std::unique_ptr<Model> createModel(const ModelConfig& c, std::map<std::string, at::Tensor> weights, c10::Device device,
                                   c10::ScalarType dtype) {
    checkDevice(device, dtype);
    validateModelConfig(c);
    std::vector<Stored> stored;
    for (const auto& [n, t] : weights) {
        at::Tensor tt = t;
        stored.push_back(Stored{n, t.sizes().vec(), [tt] { return tt; }});
    }
    std::vector<std::string> warnings;
    auto canon = canonicalise(c, stored, "weights", warnings);
    return construct(c, std::move(canon), device, dtype, warnings);
}

std::unique_ptr<Model> createRandomModel(const ModelConfig& c, uint64_t seed, c10::Device device, c10::ScalarType dtype,
                                         double stddev) {
    checkDevice(device, dtype);
    validateModelConfig(c);
    std::map<std::string, std::vector<int64_t>> optional;
    auto shapes = expectedTensorShapes(c, &optional);
    if (c.arch == Architecture::Bert) {
        shapes["pooler.dense.weight"] = optional["pooler.dense.weight"];
        shapes["pooler.dense.bias"] = optional["pooler.dense.bias"];
    } else if (c.arch == Architecture::XlmRoberta) {
        for (const auto& [n, s] : optional)
            if (n != "lm_head.decoder.bias" && (n != "lm_head.decoder.weight" || !c.tieWordEmbeddings)) shapes[n] = s;
    }
    at::Generator gen = at::detail::createCPUGenerator(seed);
    std::map<std::string, at::Tensor> weights;
    at::InferenceMode guard;
    for (const auto& [n, s] : shapes) {
        at::Tensor t;
        const bool norm = n.find("norm") != std::string::npos || n.find("LayerNorm") != std::string::npos ||
                          startsWith(n, "ln_") || n.find(".ln_") != std::string::npos;
        if (s.size() == 1) {
            // Gemma RMSNorm stores w with (1+w): zero means identity; LayerNorm weights are 1, biases 0.
            const bool ones = norm && endsWith(n, "weight") && c.arch != Architecture::Gemma3;
            t = ones ? at::ones(s, at::kFloat) : at::zeros(s, at::kFloat);
        } else {
            t = at::empty(s, at::kFloat);
            t.normal_(0.0, stddev, gen);
        }
        weights[n] = t.to(device, dtype);
    }
    return construct(c, std::move(weights), device, dtype, {});
}

}  // namespace embedlab
