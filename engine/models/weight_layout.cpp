#include "engine/models/weight_layout.h"

#include "engine/core/error.h"

namespace embedlab {
namespace {

using nlohmann::json;

// ---- config access with clear errors ----

std::string family(const json& c) { return modelFamily(c); }

int64_t posInt(const json& c, const std::string& key) {
    auto it = c.find(key);
    if (it == c.end()) throw Error::badInput("config: '" + key + "' is missing");
    if (!it->is_number_integer()) throw Error::badInput("config: '" + key + "' must be an integer");
    const int64_t v = it->get<int64_t>();
    if (v <= 0) throw Error::badInput("config: '" + key + "' must be positive (it is " + std::to_string(v) + ")");
    return v;
}

int64_t posIntOr(const json& c, const std::string& key, int64_t def) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return def;
    return posInt(c, key);
}

double numberOr(const json& c, const std::string& key, double def) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return def;
    if (!it->is_number()) throw Error::badInput("config: '" + key + "' must be a number");
    return it->get<double>();
}

bool boolOr(const json& c, const std::string& key, bool def) {
    auto it = c.find(key);
    if (it == c.end() || it->is_null()) return def;
    if (!it->is_boolean()) throw Error::badInput("config: '" + key + "' must be true or false");
    return it->get<bool>();
}

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

int64_t padId(const json& c) {
    auto it = c.find("pad_token_id");
    return it != c.end() && it->is_number_integer() ? it->get<int64_t>() : -1;
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

void validateModelConfig(const json& c) {
    const std::string fam = family(c);
    if (fam == "gemma3") {
        const int64_t vocab = posInt(c, "vocab_size");
        posInt(c, "hidden_size");
        posInt(c, "intermediate_size");
        const int64_t layers = posInt(c, "num_hidden_layers");
        const int64_t heads = posInt(c, "num_attention_heads");
        const int64_t kv = posIntOr(c, "num_key_value_heads", heads);
        if (heads % kv != 0)
            throw Error::badInput("config: num_attention_heads (" + std::to_string(heads) +
                                  ") must be a multiple of num_key_value_heads (" + std::to_string(kv) + ")");
        posIntOr(c, "head_dim", 256);
        posIntOr(c, "max_position_embeddings", 1);
        posIntOr(c, "sliding_window", 1);
        if (numberOr(c, "rms_norm_eps", 1e-6) <= 0) throw Error::badInput("config: 'rms_norm_eps' must be positive");
        if (numberOr(c, "query_pre_attn_scalar", 1) <= 0)
            throw Error::badInput("config: 'query_pre_attn_scalar' must be positive");
        if (numberOr(c, "rope_theta", 1e6) <= 0 || numberOr(c, "rope_local_base_freq", 1e4) <= 0)
            throw Error::badInput("config: rope_theta and rope_local_base_freq must be positive");
        if (auto it = c.find("layer_types"); it != c.end() && !it->is_null()) {
            if (!it->is_array() || static_cast<int64_t>(it->size()) != layers)
                throw Error::badInput("config: 'layer_types' must list one entry per layer (" + std::to_string(layers) +
                                      ")");
            for (const auto& t : *it)
                if (!t.is_string() || (t != "sliding_attention" && t != "full_attention"))
                    throw Error::badInput("config: 'layer_types' entries must be \"sliding_attention\" or "
                                          "\"full_attention\"");
        } else {
            posIntOr(c, "sliding_window_pattern", 6);
        }
        boolOr(c, "tie_word_embeddings", true);
        boolOr(c, "attention_bias", false);
        checkTokenId(c, "bos_token_id", vocab, false);
        checkTokenId(c, "pad_token_id", vocab, false);
        checkTokenId(c, "eos_token_id", vocab, true);
        return;
    }
    if (fam == "gpt2") {
        const int64_t vocab = posInt(c, "vocab_size");
        const int64_t e = posInt(c, "n_embd");
        posInt(c, "n_layer");
        const int64_t h = posInt(c, "n_head");
        posInt(c, "n_positions");
        if (e % h != 0)
            throw Error::badInput("config: n_embd (" + std::to_string(e) + ") must be divisible by n_head (" +
                                  std::to_string(h) + ")");
        posIntOr(c, "n_inner", 4 * e);
        if (!boolOr(c, "tie_word_embeddings", true))
            throw Error::badInput("config: GPT-2 with untied embeddings (tie_word_embeddings false) is not supported");
        checkTokenId(c, "bos_token_id", vocab, false);
        checkTokenId(c, "eos_token_id", vocab, true);
        checkTokenId(c, "pad_token_id", vocab, false);
        return;
    }
    // bert / xlm-roberta
    const int64_t vocab = posInt(c, "vocab_size");
    const int64_t hidden = posInt(c, "hidden_size");
    posInt(c, "num_hidden_layers");
    const int64_t heads = posInt(c, "num_attention_heads");
    posInt(c, "intermediate_size");
    const int64_t maxPos = posInt(c, "max_position_embeddings");
    posIntOr(c, "type_vocab_size", 2);
    if (hidden % heads != 0)
        throw Error::badInput("config: hidden_size (" + std::to_string(hidden) +
                              ") must be divisible by num_attention_heads (" + std::to_string(heads) + ")");
    checkTokenId(c, "pad_token_id", vocab, false);
    checkTokenId(c, "bos_token_id", vocab, false);
    checkTokenId(c, "eos_token_id", vocab, true);
    if (fam == "xlm-roberta") {
        const int64_t pad = padId(c) < 0 ? 1 : padId(c);
        if (maxPos <= pad + 1)
            throw Error::badInput("config: max_position_embeddings must exceed pad_token_id + 1 for XLM-RoBERTa "
                                  "(positions start at pad_token_id + 1)");
    }
}

std::string weightDtypeName(const std::string& d) {
    if (d == "f32" || d == "float32" || d == "F32" || d == "fp32") return "F32";
    if (d == "bf16" || d == "bfloat16" || d == "BF16") return "BF16";
    if (d == "f16" || d == "float16" || d == "F16" || d == "fp16") return "F16";
    throw Error::badInput("unsupported weight dtype '" + d + "' (use f32 or bf16)");
}

std::vector<SafeTensorSpec> modelWeightSpecs(const json& c, const std::string& dtypeIn) {
    validateModelConfig(c);
    const std::string dt = weightDtypeName(dtypeIn);
    const std::string fam = family(c);
    std::vector<SafeTensorSpec> s;
    auto add = [&](const std::string& n, std::vector<int64_t> shape) { s.push_back({n, dt, std::move(shape)}); };
    if (fam == "gemma3") {
        const int64_t V = posInt(c, "vocab_size"), H = posInt(c, "hidden_size"), I = posInt(c, "intermediate_size");
        const int64_t L = posInt(c, "num_hidden_layers"), nH = posInt(c, "num_attention_heads");
        const int64_t nKV = posIntOr(c, "num_key_value_heads", nH), hd = posIntOr(c, "head_dim", 256);
        const bool bias = boolOr(c, "attention_bias", false);
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
        if (!boolOr(c, "tie_word_embeddings", true)) add("lm_head.weight", {V, H});
    } else if (fam == "gpt2") {
        const int64_t V = posInt(c, "vocab_size"), E = posInt(c, "n_embd"), L = posInt(c, "n_layer");
        const int64_t P = posInt(c, "n_positions"), inner = posIntOr(c, "n_inner", 4 * E);
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
        const bool xlmr = fam == "xlm-roberta";
        const std::string pre = xlmr ? "roberta." : "";
        const int64_t V = posInt(c, "vocab_size"), H = posInt(c, "hidden_size"), L = posInt(c, "num_hidden_layers");
        const int64_t I = posInt(c, "intermediate_size"), P = posInt(c, "max_position_embeddings");
        const int64_t T = posIntOr(c, "type_vocab_size", 2);
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
    const std::string fam = family(c);
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
