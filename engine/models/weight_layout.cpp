#include "engine/models/weight_layout.h"

#include "engine/core/error.h"

#include <map>

namespace embedlab {
namespace {

using nlohmann::json;

// Token ids: absent, null, an id in [0, vocab) or (eos) a list of such ids.
void checkTokenId(const json& c, const std::string& key, int64_t vocab, bool listOk) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return;
    auto one = [&](const json& v) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= vocab)
            throw Error::badInput("config: '" + key + "' must be a token id in [0, " + std::to_string(vocab) + ")");
    };
    if (listOk && it->is_array()) {
        for (const auto& v : *it) one(v);
    } else {
        one(*it);
    }
}

}  // namespace

std::string modelFamily(const json& c) {
    if (!c.is_object()) throw Error::badInput("config: not a JSON object");
    std::string mt;
    if (auto it = c.find("model_type"); it != c.end() && it->is_string()) mt = it->get<std::string>();
    if (mt == "gemma3_text") return "gemma3";
    if (mt == "gpt2") return "gpt2";
    if (mt == "bert") return "bert";
    if (mt == "xlm-roberta") return "xlm-roberta";
    if (mt == "gemma3")
        throw Error::badInput("config: model_type 'gemma3' is the multimodal Gemma 3; only text models "
                              "(model_type 'gemma3_text') are supported");
    if (mt.empty()) {
        if (auto it = c.find("architectures"); it != c.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
            const std::string a = (*it)[0].get<std::string>();
            if (a == "Gemma3ForCausalLM") return "gemma3";
            if (a.rfind("GPT2", 0) == 0) return "gpt2";
            if (a.rfind("XLMRoberta", 0) == 0) return "xlm-roberta";
            if (a.rfind("Bert", 0) == 0) return "bert";
        }
        throw Error::badInput("config: no model_type (and no recognised architectures)");
    }
    throw Error::badInput("config: model_type '" + mt + "' is not supported (gemma3_text, gpt2, bert, xlm-roberta)");
}

ModelConfig parseWritableConfig(const json& config) {
    const std::string fam = modelFamily(config);
    json c = config;
    const auto mt = c.find("model_type");
    if (mt == c.end() || !mt->is_string() || mt->get<std::string>().empty()) {  // known by `architectures`
        static const std::map<std::string, std::string> kModelType = {
            {"gemma3", "gemma3_text"}, {"gpt2", "gpt2"}, {"bert", "bert"}, {"xlm-roberta", "xlm-roberta"}};
        c["model_type"] = kModelType.at(fam);
    }
    const ModelConfig mc = parseModelConfig(c.dump(), "config");  // the models' own validation
    if (mc.arch == Architecture::Gpt2 && !mc.tieWordEmbeddings)
        throw Error::badInput("config: GPT-2 with untied embeddings (tie_word_embeddings false) is not supported");
    checkTokenId(c, "bos_token_id", mc.vocabSize, false);
    checkTokenId(c, "pad_token_id", mc.vocabSize, false);
    checkTokenId(c, "eos_token_id", mc.vocabSize, true);
    return mc;
}

std::string weightDtypeName(const std::string& d) {
    if (d == "f32" || d == "float32" || d == "F32" || d == "fp32") return "F32";
    if (d == "bf16" || d == "bfloat16" || d == "BF16") return "BF16";
    if (d == "f16" || d == "float16" || d == "F16" || d == "fp16") return "F16";
    throw Error::badInput("unsupported weight dtype '" + d + "' (use f32 or bf16)");
}

std::vector<SafeTensorSpec> modelWeightSpecs(const json& config, const std::string& dtype) {
    const ModelConfig c = parseWritableConfig(config);
    const std::string dt = weightDtypeName(dtype);
    std::vector<SafeTensorSpec> s;
    auto add = [&](const std::string& n, std::vector<int64_t> shape) { s.push_back({n, dt, std::move(shape)}); };
    const int64_t V = c.vocabSize, H = c.hiddenSize, I = c.intermediateSize, L = c.numLayers;
    if (c.arch == Architecture::Gemma3) {
        const int64_t nH = c.numHeads, nKV = c.numKvHeads, hd = c.headDim;
        const bool bias = c.attentionBias;
        add("model.embed_tokens.weight", {V, H});
        for (int64_t l = 0; l < L; ++l) {
            const std::string p = "model.layers." + std::to_string(l) + ".";
            add(p + "self_attn.q_proj.weight", {nH * hd, H});
            add(p + "self_attn.k_proj.weight", {nKV * hd, H});
            add(p + "self_attn.v_proj.weight", {nKV * hd, H});
            add(p + "self_attn.o_proj.weight", {H, nH * hd});
            if (bias) {
                add(p + "self_attn.q_proj.bias", {nH * hd});
                add(p + "self_attn.k_proj.bias", {nKV * hd});
                add(p + "self_attn.v_proj.bias", {nKV * hd});
                add(p + "self_attn.o_proj.bias", {H});
            }
            add(p + "self_attn.q_norm.weight", {hd});
            add(p + "self_attn.k_norm.weight", {hd});
            for (const char* n : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                                  "post_feedforward_layernorm"})
                add(p + n + ".weight", {H});
            add(p + "mlp.gate_proj.weight", {I, H});
            add(p + "mlp.up_proj.weight", {I, H});
            add(p + "mlp.down_proj.weight", {H, I});
        }
        add("model.norm.weight", {H});
        if (!c.tieWordEmbeddings) add("lm_head.weight", {V, H});
    } else if (c.arch == Architecture::Gpt2) {
        const int64_t E = H, P = c.maxPositions, inner = I;
        add("transformer.wte.weight", {V, E});
        add("transformer.wpe.weight", {P, E});
        for (int64_t l = 0; l < L; ++l) {
            const std::string p = "transformer.h." + std::to_string(l) + ".";
            add(p + "ln_1.weight", {E});
            add(p + "ln_1.bias", {E});
            add(p + "attn.c_attn.weight", {E, 3 * E});  // Conv1D: [in, out]
            add(p + "attn.c_attn.bias", {3 * E});
            add(p + "attn.c_proj.weight", {E, E});
            add(p + "attn.c_proj.bias", {E});
            add(p + "ln_2.weight", {E});
            add(p + "ln_2.bias", {E});
            add(p + "mlp.c_fc.weight", {E, inner});
            add(p + "mlp.c_fc.bias", {inner});
            add(p + "mlp.c_proj.weight", {inner, E});
            add(p + "mlp.c_proj.bias", {E});
        }
        add("transformer.ln_f.weight", {E});
        add("transformer.ln_f.bias", {E});
    } else {
        const bool xlmr = c.arch == Architecture::XlmRoberta;
        const std::string pre = xlmr ? "roberta." : "";
        const int64_t P = c.maxPositions;
        // Without type_vocab_size, Hugging Face's default (2) for both; the engine's parser assumes 1
        // for XLM-R.
        const bool typesGiven = config.contains("type_vocab_size") && !config["type_vocab_size"].is_null();
        const int64_t T = typesGiven ? c.typeVocabSize : 2;
        add(pre + "embeddings.word_embeddings.weight", {V, H});
        add(pre + "embeddings.position_embeddings.weight", {P, H});
        add(pre + "embeddings.token_type_embeddings.weight", {T, H});
        add(pre + "embeddings.LayerNorm.weight", {H});
        add(pre + "embeddings.LayerNorm.bias", {H});
        for (int64_t l = 0; l < L; ++l) {
            const std::string p = pre + "encoder.layer." + std::to_string(l) + ".";
            for (const char* n : {"query", "key", "value"}) {
                add(p + "attention.self." + n + ".weight", {H, H});
                add(p + "attention.self." + n + ".bias", {H});
            }
            add(p + "attention.output.dense.weight", {H, H});
            add(p + "attention.output.dense.bias", {H});
            add(p + "attention.output.LayerNorm.weight", {H});
            add(p + "attention.output.LayerNorm.bias", {H});
            add(p + "intermediate.dense.weight", {I, H});
            add(p + "intermediate.dense.bias", {I});
            add(p + "output.dense.weight", {H, I});
            add(p + "output.dense.bias", {H});
            add(p + "output.LayerNorm.weight", {H});
            add(p + "output.LayerNorm.bias", {H});
        }
        if (xlmr) {
            add("lm_head.dense.weight", {H, H});
            add("lm_head.dense.bias", {H});
            add("lm_head.layer_norm.weight", {H});
            add("lm_head.layer_norm.bias", {H});
            add("lm_head.bias", {V});
        } else {
            add("pooler.dense.weight", {H, H});
            add("pooler.dense.bias", {H});
        }
    }
    return s;
}

json generationConfigFor(const json& c) {
    const std::string fam = modelFamily(c);
    auto val = [&](const char* k) { return c.contains(k) ? c[k] : json(nullptr); };
    if (fam == "gemma3")
        return json{{"_from_model_config", true}, {"bos_token_id", val("bos_token_id")},
                    {"cache_implementation", "hybrid"}, {"eos_token_id", val("eos_token_id")},
                    {"pad_token_id", val("pad_token_id")}};
    if (fam == "gpt2")
        return json{{"_from_model_config", true}, {"bos_token_id", val("bos_token_id")},
                    {"eos_token_id", val("eos_token_id")}};
    return json::object();
}

}  // namespace embedlab
