#include "engine/models/model_config.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace embedlab {

const char* architectureName(Architecture a) {
    switch (a) {
    case Architecture::Gemma3: return "gemma3";
    case Architecture::Gpt2: return "gpt2";
    case Architecture::Bert: return "bert";
    case Architecture::XlmRoberta: return "xlm-roberta";
    }
    return "?";
}

namespace {

using nlohmann::json;

struct Reader {
    const json& j;
    std::string source;

    [[noreturn]] void fail(const std::string& what) const { throw Error::badInput(source + ": " + what); }

    bool present(const char* key) const { return j.contains(key) && !j.at(key).is_null(); }

    int64_t integer(const char* key) const {
        if (!present(key)) fail(std::string("missing field '") + key + "'");
        const json& v = j.at(key);
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_float()) {
            const double d = v.get<double>();
            if (std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
        }
        fail(std::string("field '") + key + "' must be a whole number");
    }
    int64_t integer(const char* key, int64_t def) const { return present(key) ? integer(key) : def; }

    double number(const char* key, double def) const {
        if (!present(key)) return def;
        const json& v = j.at(key);
        if (!v.is_number()) fail(std::string("field '") + key + "' must be a number");
        return v.get<double>();
    }
    std::optional<double> optNumber(const char* key) const {
        if (!present(key)) return std::nullopt;
        return number(key, 0.0);
    }
    std::string string(const char* key, const std::string& def) const {
        if (!present(key)) return def;
        if (!j.at(key).is_string()) fail(std::string("field '") + key + "' must be a string");
        return j.at(key).get<std::string>();
    }
    bool boolean(const char* key, bool def) const {
        if (!present(key)) return def;
        if (!j.at(key).is_boolean()) fail(std::string("field '") + key + "' must be true or false");
        return j.at(key).get<bool>();
    }
    std::vector<int64_t> ids(const char* key) const {
        std::vector<int64_t> out;
        if (!present(key)) return out;
        const json& v = j.at(key);
        if (v.is_number_integer()) out.push_back(v.get<int64_t>());
        else if (v.is_array()) {
            for (const auto& e : v) {
                if (!e.is_number_integer()) fail(std::string("field '") + key + "' must hold whole numbers");
                out.push_back(e.get<int64_t>());
            }
        } else fail(std::string("field '") + key + "' must be a number or a list of numbers");
        return out;
    }
};

void parseGemma(const Reader& r, ModelConfig& c, bool nestedDefaults) {
    // Gemma3TextConfig defaults apply inside a Gemma3ForConditionalGeneration's text_config.
    auto need = [&](const char* key, int64_t def) { return nestedDefaults ? r.integer(key, def) : r.integer(key); };
    c.vocabSize = need("vocab_size", 262208);
    c.hiddenSize = need("hidden_size", 2304);
    c.numLayers = need("num_hidden_layers", 26);
    c.numHeads = need("num_attention_heads", 8);
    c.intermediateSize = need("intermediate_size", 9216);
    c.numKvHeads = r.integer("num_key_value_heads", nestedDefaults ? 4 : c.numHeads);
    c.headDim = r.integer("head_dim", 256);
    c.maxPositions = r.integer("max_position_embeddings", 131072);
    c.normEps = r.number("rms_norm_eps", 1e-6);
    c.activation = r.string("hidden_activation", r.string("hidden_act", "gelu_pytorch_tanh"));
    c.slidingWindow = r.integer("sliding_window", 4096);
    c.ropeTheta = r.number("rope_theta", 1e6);
    c.ropeLocalBase = r.number("rope_local_base_freq", 1e4);
    c.queryPreAttnScalar = r.number("query_pre_attn_scalar", 256);
    c.attentionBias = r.boolean("attention_bias", false);
    c.finalLogitSoftcap = r.optNumber("final_logit_softcapping");
    c.attnLogitSoftcap = r.optNumber("attn_logit_softcapping");
    if (r.present("rope_scaling")) {
        const json& rs = r.j.at("rope_scaling");
        if (!rs.is_object()) r.fail("field 'rope_scaling' must be an object");
        const std::string type = rs.value("rope_type", rs.value("type", std::string("default")));
        if (type == "linear") {
            c.ropeScalingFactor = rs.value("factor", 1.0);
            if (!(c.ropeScalingFactor > 0)) r.fail("rope_scaling.factor must be positive");
        } else if (type != "default") {
            r.fail("rope_scaling type '" + type + "' is not supported (only linear)");
        }
    }
    // HF's embedding has padding_idx = pad_token_id (no gradient into that row); 0 when absent or null.
    c.padTokenId = r.present("pad_token_id") && r.j.at("pad_token_id").is_number_integer() ? r.integer("pad_token_id") : 0;
    if (r.present("layer_types")) {
        const json& lt = r.j.at("layer_types");
        if (!lt.is_array()) r.fail("field 'layer_types' must be a list");
        for (const auto& e : lt) {
            const std::string s = e.is_string() ? e.get<std::string>() : std::string();
            if (s == "sliding_attention") c.slidingLayers.push_back(true);
            else if (s == "full_attention") c.slidingLayers.push_back(false);
            else r.fail("layer_types holds '" + e.dump() + "': expected sliding_attention or full_attention");
        }
        if (static_cast<int64_t>(c.slidingLayers.size()) != c.numLayers)
            r.fail("layer_types has " + std::to_string(c.slidingLayers.size()) + " entries but num_hidden_layers is " +
                   std::to_string(c.numLayers));
    } else {
        int64_t pattern = 6;
        if (r.present("sliding_window_pattern")) pattern = r.integer("sliding_window_pattern");
        else if (r.present("_sliding_window_pattern")) pattern = r.integer("_sliding_window_pattern");
        if (pattern <= 0) r.fail("sliding_window_pattern must be positive");
        for (int64_t i = 0; i < std::max<int64_t>(c.numLayers, 0); ++i) c.slidingLayers.push_back((i + 1) % pattern != 0);
    }
}

void parseGpt2(const Reader& r, ModelConfig& c) {
    c.vocabSize = r.integer("vocab_size");
    c.hiddenSize = r.integer("n_embd");
    c.numLayers = r.integer("n_layer");
    c.numHeads = r.integer("n_head");
    c.numKvHeads = c.numHeads;
    c.maxPositions = r.integer("n_positions");
    c.intermediateSize = r.integer("n_inner", 4 * c.hiddenSize);
    c.normEps = r.number("layer_norm_epsilon", 1e-5);
    c.activation = r.string("activation_function", "gelu_new");
    if (r.boolean("scale_attn_by_inverse_layer_idx", false) || r.boolean("reorder_and_upcast_attn", false))
        r.fail("scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported");
    if (!r.boolean("scale_attn_weights", true)) r.fail("scale_attn_weights=false is not supported");
}

void parseBert(const Reader& r, ModelConfig& c, bool roberta) {
    c.vocabSize = r.integer("vocab_size");
    c.hiddenSize = r.integer("hidden_size");
    c.numLayers = r.integer("num_hidden_layers");
    c.numHeads = r.integer("num_attention_heads");
    c.numKvHeads = c.numHeads;
    c.intermediateSize = r.integer("intermediate_size");
    c.maxPositions = r.integer("max_position_embeddings");
    c.typeVocabSize = r.integer("type_vocab_size", roberta ? 1 : 2);
    c.normEps = r.number("layer_norm_eps", 1e-12);
    c.activation = r.string("hidden_act", "gelu");
    c.padTokenId = r.integer("pad_token_id", roberta ? 1 : 0);
    c.positionOffset = roberta ? c.padTokenId + 1 : 0;
    const std::string pet = r.string("position_embedding_type", "absolute");
    if (pet != "absolute") r.fail("position_embedding_type '" + pet + "' is not supported (only absolute)");
}

}  // namespace

void validateModelConfig(const ModelConfig& c, const std::string& source) {
    auto fail = [&](const std::string& w) { throw Error::badInput(source + ": " + w); };
    auto positive = [&](const char* name, int64_t v) {
        if (v <= 0) fail(std::string(name) + " must be positive (got " + std::to_string(v) + ")");
    };
    // The fields as config.json names them (GPT-2 has its own names).
    const bool gpt2 = c.arch == Architecture::Gpt2;
    const char* hiddenKey = gpt2 ? "n_embd" : "hidden_size";
    const char* headsKey = gpt2 ? "n_head" : "num_attention_heads";
    positive("vocab_size", c.vocabSize);
    positive(hiddenKey, c.hiddenSize);
    positive(gpt2 ? "n_layer" : "num_hidden_layers", c.numLayers);
    positive(headsKey, c.numHeads);
    positive("num_key_value_heads", c.numKvHeads);
    positive("head_dim", c.headDim);
    positive(gpt2 ? "n_inner" : "intermediate_size", c.intermediateSize);
    if (c.numLayers > 100000 || c.hiddenSize > (1 << 20) || c.vocabSize > (1 << 26)) fail("sizes are implausibly large");
    if (c.arch == Architecture::Gemma3) {
        if (c.numHeads % c.numKvHeads != 0)
            fail("num_attention_heads (" + std::to_string(c.numHeads) + ") is not a multiple of num_key_value_heads (" +
                 std::to_string(c.numKvHeads) + ")");
        if (c.headDim % 2 != 0) fail("head_dim must be even for RoPE");
        positive("sliding_window", c.slidingWindow);
        if (static_cast<int64_t>(c.slidingLayers.size()) != c.numLayers) fail("layer pattern length differs from num_hidden_layers");
        if (!(c.queryPreAttnScalar > 0)) fail("query_pre_attn_scalar must be positive");
        if (!(c.ropeTheta > 0) || !(c.ropeLocalBase > 0)) fail("RoPE bases must be positive");
    } else {
        if (c.hiddenSize % c.numHeads != 0)
            fail(std::string(hiddenKey) + " (" + std::to_string(c.hiddenSize) + ") is not divisible by " + headsKey +
                 " (" + std::to_string(c.numHeads) + ")");
        positive(gpt2 ? "n_positions" : "max_position_embeddings", c.maxPositions);
        if (c.arch != Architecture::Gpt2) positive("type_vocab_size", c.typeVocabSize);
        if (c.arch == Architecture::XlmRoberta && c.maxPositions <= c.positionOffset)
            fail("max_position_embeddings must exceed pad_token_id + 1");
    }
    if (!(c.normEps > 0)) fail("the norm epsilon must be positive");
}

ModelConfig parseModelConfig(const std::string& jsonText, const std::string& source) {
    json root;
    try {
        root = json::parse(jsonText);
    } catch (const std::exception& e) {
        throw Error::badInput(source + ": not valid JSON (" + e.what() + ")");
    }
    if (!root.is_object()) throw Error::badInput(source + ": expected a JSON object");
    Reader top{root, source};
    ModelConfig c;
    c.modelType = top.string("model_type", "");
    if (c.modelType.empty()) top.fail("missing field 'model_type'");
    if (root.contains("architectures") && root.at("architectures").is_array())
        for (const auto& a : root.at("architectures"))
            if (a.is_string()) c.architectures.push_back(a.get<std::string>());
    c.torchDtype = top.string("torch_dtype", top.string("dtype", ""));
    c.tieWordEmbeddings = top.boolean("tie_word_embeddings", true);
    c.initializerRange = top.number("initializer_range", 0.02);

    const std::string& mt = c.modelType;
    if (mt == "gemma3_text") {
        c.arch = Architecture::Gemma3;
        parseGemma(top, c, false);
    } else if (mt == "gemma3") {
        c.arch = Architecture::Gemma3;
        c.conditionalGeneration = true;
        if (!root.contains("text_config") || !root.at("text_config").is_object()) top.fail("missing field 'text_config'");
        Reader text{root.at("text_config"), source + " (text_config)"};
        parseGemma(text, c, true);
        if (c.torchDtype.empty()) c.torchDtype = text.string("torch_dtype", text.string("dtype", ""));
        if (text.present("tie_word_embeddings")) c.tieWordEmbeddings = text.boolean("tie_word_embeddings", true);
    } else if (mt == "gpt2") {
        c.arch = Architecture::Gpt2;
        parseGpt2(top, c);
    } else if (mt == "bert") {
        c.arch = Architecture::Bert;
        parseBert(top, c, false);
    } else if (mt == "xlm-roberta" || mt == "roberta") {
        c.arch = Architecture::XlmRoberta;
        parseBert(top, c, true);
    } else {
        top.fail("model_type '" + mt + "' is not supported (supported: gemma3_text, gemma3, gpt2, bert, xlm-roberta, roberta)");
    }
    if (c.arch != Architecture::Gemma3 && c.numHeads > 0) c.headDim = c.hiddenSize / c.numHeads;
    if (top.present("bos_token_id")) {
        auto b = top.ids("bos_token_id");
        if (!b.empty()) c.bosTokenId = b.front();
    }
    c.eosTokenIds = top.ids("eos_token_id");
    if (c.conditionalGeneration && c.eosTokenIds.empty() && root.at("text_config").contains("eos_token_id"))
        c.eosTokenIds = Reader{root.at("text_config"), source}.ids("eos_token_id");
    validateModelConfig(c, source);
    return c;
}

ModelConfig loadModelConfig(const std::string& dir) {
    const std::string path = joinPath(dir, "config.json");
    if (!isRegularFile(path)) throw Error::badInput(dir + ": no config.json (is this a Hugging Face model folder?)");
    return parseModelConfig(readFile(path, 64ull << 20), path);
}

std::vector<int64_t> loadEosTokenIds(const std::string& dir, const ModelConfig& c) {
    const std::string path = joinPath(dir, "generation_config.json");
    if (isRegularFile(path)) {
        try {
            json g = json::parse(readFile(path, 16ull << 20));
            Reader r{g, path};
            auto ids = r.ids("eos_token_id");
            if (!ids.empty()) return ids;
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            throw Error::badInput(path + ": not valid JSON (" + e.what() + ")");
        }
    }
    return c.eosTokenIds;
}

}  // namespace embedlab
