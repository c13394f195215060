#include "engine/models/presets.h"

#include "engine/core/error.h"

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

}  // namespace

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

}  // namespace embedlab
