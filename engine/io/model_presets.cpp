#include "engine/io/model_presets.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/jobs/progress.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>

namespace embedlab {
namespace {

using nlohmann::json;

json gemma3Body(int64_t vocab) {
    json layerTypes = json::array();
    for (int i = 0; i < 18; ++i) layerTypes.push_back((i + 1) % 6 == 0 ? "full_attention" : "sliding_attention");
    return json{
        {"_sliding_window_pattern", 6},
        {"architectures", {"Gemma3ForCausalLM"}},
        {"attention_bias", false},
        {"attention_dropout", 0.0},
        {"attn_logit_softcapping", nullptr},
        {"bos_token_id", 2},
        {"eos_token_id", 1},
        {"final_logit_softcapping", nullptr},
        {"head_dim", 256},
        {"hidden_activation", "gelu_pytorch_tanh"},
        {"hidden_size", 640},
        {"initializer_range", 0.02},
        {"intermediate_size", 2048},
        {"layer_types", layerTypes},
        {"max_position_embeddings", 32768},
        {"model_type", "gemma3_text"},
        {"num_attention_heads", 4},
        {"num_hidden_layers", 18},
        {"num_key_value_heads", 1},
        {"pad_token_id", 0},
        {"query_pre_attn_scalar", 256},
        {"rms_norm_eps", 1e-6},
        {"rope_local_base_freq", 10000.0},
        {"rope_scaling", nullptr},
        {"rope_theta", 1000000.0},
        {"sliding_window", 512},
        {"tie_word_embeddings", true},
        {"torch_dtype", "float32"},
        {"use_bidirectional_attention", false},
        {"use_cache", true},
        {"vocab_size", vocab},
    };
}

json encoderBody(const std::string& arch, const std::string& modelType, int64_t vocab, int64_t maxPos,
                 int64_t typeVocab, double eps) {
    return json{
        {"architectures", {arch}},
        {"attention_probs_dropout_prob", 0.1},
        {"classifier_dropout", nullptr},
        {"hidden_act", "gelu"},
        {"hidden_dropout_prob", 0.1},
        {"hidden_size", 768},
        {"initializer_range", 0.02},
        {"intermediate_size", 3072},
        {"layer_norm_eps", eps},
        {"max_position_embeddings", maxPos},
        {"model_type", modelType},
        {"num_attention_heads", 12},
        {"num_hidden_layers", 12},
        {"position_embedding_type", "absolute"},
        {"torch_dtype", "float32"},
        {"type_vocab_size", typeVocab},
        {"use_cache", true},
        {"vocab_size", vocab},
    };
}

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

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint64_t tensorSeed(uint64_t seed, const std::string& name) {
    uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char ch : name) h = (h ^ ch) * 1099511628211ull;
    return splitmix64(splitmix64(seed) ^ h);
}

enum class Init { Normal, Zeros, Ones };

struct WeightPlan {
    Init init = Init::Normal;
    double std = 0.02;
    int64_t zeroRow = -1;  // an embedding's padding row, zeroed as nn.Embedding(padding_idx) does
};

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

WeightPlan planFor(const json& c, const std::string& fam, const SafeTensorSpec& s) {
    WeightPlan p;
    p.std = numberOr(c, "initializer_range", 0.02);
    const std::string& n = s.name;
    if (fam == "gemma3") {
        if (endsWith(n, "norm.weight")) p.init = Init::Zeros;  // Gemma RMSNorm applies (1 + w)
        else if (endsWith(n, ".bias")) p.init = Init::Zeros;
        else if (n == "model.embed_tokens.weight") p.zeroRow = padId(c);
        return p;
    }
    if (fam == "gpt2") {
        if (n.find(".ln_") != std::string::npos) p.init = endsWith(n, ".weight") ? Init::Ones : Init::Zeros;
        else if (endsWith(n, ".bias")) p.init = Init::Zeros;
        else if (endsWith(n, "c_proj.weight"))  // GPT-2's scaled residual projections
            p.std = p.std / std::sqrt(2.0 * static_cast<double>(posInt(c, "n_layer")));
        return p;
    }
    // bert / xlm-roberta
    if (n.find("LayerNorm") != std::string::npos || n.find("layer_norm") != std::string::npos)
        p.init = endsWith(n, ".weight") ? Init::Ones : Init::Zeros;
    else if (endsWith(n, ".bias")) p.init = Init::Zeros;
    else if (endsWith(n, "word_embeddings.weight")) p.zeroRow = padId(c);
    else if (fam == "xlm-roberta" && endsWith(n, "position_embeddings.weight")) p.zeroRow = padId(c);
    return p;
}

std::string normaliseDtype(const std::string& d) {
    if (d == "f32" || d == "float32" || d == "F32" || d == "fp32") return "F32";
    if (d == "bf16" || d == "bfloat16" || d == "BF16") return "BF16";
    if (d == "f16" || d == "float16" || d == "F16" || d == "fp16") return "F16";
    throw Error::badInput("unsupported weight dtype '" + d + "' (use f32 or bf16)");
}

std::string torchDtypeName(const std::string& st) {
    if (st == "BF16") return "bfloat16";
    if (st == "F16") return "float16";
    return "float32";
}

at::ScalarType scalarTypeOf(const std::string& st) {
    if (st == "BF16") return at::kBFloat16;
    if (st == "F16") return at::kHalf;
    return at::kFloat;
}

// Generates one tensor. Normal draws happen in f32 in fixed chunks of rows, written into the output
// dtype, so the peak extra memory is one chunk and a bf16 model is the rounded f32 model.
at::Tensor generate(const SafeTensorSpec& s, const WeightPlan& p, uint64_t seed) {
    const auto st = scalarTypeOf(s.dtype);
    const auto opts = at::TensorOptions().dtype(st);
    if (p.init == Init::Zeros) return at::zeros(s.shape, opts);
    if (p.init == Init::Ones) return at::ones(s.shape, opts);
    at::Tensor out = at::empty(s.shape, opts);
    if (out.numel() == 0) return out;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(tensorSeed(seed, s.name));
    at::Tensor flat = out.dim() == 0 ? out.view({1, 1}) : out.view({out.size(0), -1});
    const int64_t rowElems = std::max<int64_t>(1, flat.size(1));
    const int64_t rowsPerChunk = std::max<int64_t>(1, (int64_t(1) << 22) / rowElems);
    at::Tensor buf;
    for (int64_t r = 0; r < flat.size(0); r += rowsPerChunk) {
        const int64_t rows = std::min(rowsPerChunk, flat.size(0) - r);
        at::Tensor dst = flat.narrow(0, r, rows);
        if (st == at::kFloat) {
            dst.normal_(0.0, p.std, gen);
        } else {
            if (!buf.defined() || buf.size(0) != rows) buf = at::empty({rows, flat.size(1)}, at::kFloat);
            buf.normal_(0.0, p.std, gen);
            dst.copy_(buf);
        }
    }
    if (p.zeroRow >= 0 && p.zeroRow < out.size(0)) out[p.zeroRow].zero_();
    return out;
}

void makeDirs(const std::string& dir) {
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = dir.find('/', pos + 1);
        cur = dir.substr(0, pos);
        if (cur.empty() || isDirectory(cur)) continue;
        if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST)
            throw Error::runtime("cannot create folder " + cur + ": " + std::strerror(errno));
    }
    if (!isDirectory(dir)) throw Error::runtime("cannot create folder " + dir);
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

std::vector<std::string> modelPresetNames() {
    return {"gemma3-270m", "gemma3-270m-tr", "gpt2", "bert-base", "xlm-roberta-base"};
}

json modelPreset(const std::string& name) {
    if (name == "gemma3-270m") return gemma3Body(262144);
    if (name == "gemma3-270m-tr") {
        // The seed's Turkish tokenizer (kokler.json): <pad> = 5, <eos> = 6, and no BOS token at all,
        // so bos_token_id is null (nothing is prepended). Id 2 is a space in that vocabulary.
        json c = gemma3Body(32768);
        c["pad_token_id"] = 5;
        c["eos_token_id"] = 6;
        c["bos_token_id"] = nullptr;
        return c;
    }
    if (name == "gpt2") {
        return json{
            {"activation_function", "gelu_new"},
            {"architectures", {"GPT2LMHeadModel"}},
            {"attn_pdrop", 0.1},
            {"bos_token_id", 50256},
            {"embd_pdrop", 0.1},
            {"eos_token_id", 50256},
            {"initializer_range", 0.02},
            {"layer_norm_epsilon", 1e-5},
            {"model_type", "gpt2"},
            {"n_ctx", 1024},
            {"n_embd", 768},
            {"n_head", 12},
            {"n_inner", nullptr},
            {"n_layer", 12},
            {"n_positions", 1024},
            {"reorder_and_upcast_attn", false},
            {"resid_pdrop", 0.1},
            {"scale_attn_by_inverse_layer_idx", false},
            {"scale_attn_weights", true},
            {"summary_activation", nullptr},
            {"summary_first_dropout", 0.1},
            {"summary_proj_to_labels", true},
            {"summary_type", "cls_index"},
            {"summary_use_proj", true},
            {"tie_word_embeddings", true},
            {"torch_dtype", "float32"},
            {"use_cache", true},
            {"vocab_size", 50257},
        };
    }
    if (name == "bert-base") {
        json c = encoderBody("BertModel", "bert", 30522, 512, 2, 1e-12);
        c["pad_token_id"] = 0;
        return c;
    }
    if (name == "xlm-roberta-base") {
        json c = encoderBody("XLMRobertaForMaskedLM", "xlm-roberta", 250002, 514, 1, 1e-5);
        c["bos_token_id"] = 0;
        c["eos_token_id"] = 2;
        c["pad_token_id"] = 1;
        return c;
    }
    std::string known;
    for (const auto& n : modelPresetNames()) known += (known.empty() ? "" : ", ") + n;
    throw Error::badInput("unknown preset '" + name + "' (known: " + known + ")");
}

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

std::vector<SafeTensorSpec> modelWeightSpecs(const json& c, const std::string& dtypeIn) {
    validateModelConfig(c);
    const std::string dt = normaliseDtype(dtypeIn);
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

RandomModelSummary writeRandomModel(const json& configIn, const std::string& outDir, uint64_t seed,
                                    const std::string& dtype, Progress* progress) {
    const std::string st = normaliseDtype(dtype);
    std::vector<SafeTensorSpec> specs = modelWeightSpecs(configIn, st);  // validates
    const std::string fam = family(configIn);

    json config = configIn;
    static const std::map<std::string, std::string> kArch = {{"gemma3", "Gemma3ForCausalLM"},
                                                             {"gpt2", "GPT2LMHeadModel"},
                                                             {"bert", "BertModel"},
                                                             {"xlm-roberta", "XLMRobertaForMaskedLM"}};
    config["architectures"] = json::array({kArch.at(fam)});  // the layout that is written
    config["torch_dtype"] = torchDtypeName(st);
    if (config.contains("dtype")) config["dtype"] = torchDtypeName(st);  // transformers >= 4.56 spelling
    if (fam == "gemma3" && !config.contains("head_dim")) config["head_dim"] = 256;

    uint64_t params = 0, dataBytes = 0;
    for (const auto& s : specs) {
        uint64_t n = 1;
        for (int64_t d : s.shape) n *= static_cast<uint64_t>(d);
        params += n;
    }
    dataBytes = params * (st == "F32" ? 4 : 2);

    makeDirs(outDir);
    struct statvfs vfs {};
    if (::statvfs(outDir.c_str(), &vfs) == 0) {
        const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        if (dataBytes > avail)
            throw Error::runtime("not enough disk space in " + outDir + ": the weights need " +
                                 std::to_string(dataBytes) + " bytes, " + std::to_string(avail) + " are free");
    }

    const std::string weights = joinPath(outDir, "model.safetensors");
    uint64_t done = 0;
    if (progress) progress->report(0.0, "writing " + weights);
    try {
        writeSafeTensorsStreaming(
            weights, specs,
            [&](const SafeTensorSpec& s) {
                at::Tensor t = generate(s, planFor(config, fam, s), seed);
                done += static_cast<uint64_t>(t.numel()) * t.element_size();
                if (progress) progress->report(dataBytes ? double(done) / double(dataBytes) : 1.0, s.name);
                return t;
            },
            {{"format", "pt"}});
    } catch (const std::bad_alloc&) {
        throw Error::runtime("out of memory while generating weights for " + outDir);
    } catch (const c10::Error& e) {
        throw Error::runtime(std::string("weight generation failed: ") + e.what_without_backtrace());
    }

    RandomModelSummary r;
    r.path = outDir;
    r.parameters = params;
    struct stat sb {};
    if (::stat(weights.c_str(), &sb) == 0) r.bytes = static_cast<uint64_t>(sb.st_size);
    writeFileAtomic(joinPath(outDir, "config.json"), config.dump(2) + "\n");
    r.files = {"config.json"};
    const json gen = generationConfigFor(config);
    if (!gen.empty()) {
        writeFileAtomic(joinPath(outDir, "generation_config.json"), gen.dump(2) + "\n");
        r.files.push_back("generation_config.json");
    }
    r.files.push_back("model.safetensors");
    if (progress) progress->report(1.0, "done");
    return r;
}

}  // namespace embedlab
