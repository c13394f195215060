// embedlab engine — a model's config.json, parsed and validated (no LibTorch here).
//
// Supported `model_type`s: gemma3_text, gemma3 (the text part of Gemma3ForConditionalGeneration, read
// from `text_config`), gpt2, bert, xlm-roberta and roberta. Every problem throws Error(BadInput)
// naming the file and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace embedlab {

enum class Architecture { Gemma3, Gpt2, Bert, XlmRoberta };
const char* architectureName(Architecture a);  // "gemma3", "gpt2", "bert", "xlm-roberta"

struct ModelConfig {
    Architecture arch = Architecture::Gemma3;
    std::string modelType;                   // as in the file ("gemma3_text", "xlm-roberta", ...)
    std::vector<std::string> architectures;  // config `architectures`
    bool conditionalGeneration = false;      // Gemma3ForConditionalGeneration (nested text_config)

    int64_t vocabSize = 0;
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;   // = numHeads except for Gemma's GQA
    int64_t headDim = 0;
    int64_t intermediateSize = 0;
    int64_t maxPositions = 0;  // position-table size (GPT-2/BERT/XLM-R); Gemma: informative
    double normEps = 1e-6;
    std::string activation;    // "gelu_pytorch_tanh", "gelu_new", "gelu", ...
    bool tieWordEmbeddings = true;

    // Gemma 3
    std::vector<bool> slidingLayers;  // per layer: true = sliding_attention
    int64_t slidingWindow = 0;
    double ropeTheta = 1e6;            // full-attention layers
    double ropeLocalBase = 1e4;        // sliding layers
    double ropeScalingFactor = 1.0;    // linear rope scaling of the global layers (1 = none)
    double queryPreAttnScalar = 0;
    std::optional<double> finalLogitSoftcap;
    std::optional<double> attnLogitSoftcap;

    // BERT / XLM-R
    int64_t typeVocabSize = 0;
    int64_t padTokenId = -1;     // also Gemma's (0 by default); -1 = none (GPT-2)
    int64_t positionOffset = 0;  // XLM-R/RoBERTa: padding_idx + 1 (positions start after the pad)

    std::optional<int64_t> bosTokenId;
    std::vector<int64_t> eosTokenIds;
    std::string torchDtype;  // "float32", "bfloat16", ... ("" when absent)
    double initializerRange = 0.02;  // the std of the normal weights a new model is drawn with
    bool attentionBias = false;      // Gemma 3: biases on q/k/v/o (written by weight_layout.h; not run)

    // The embedding row that receives no gradient (HF's nn.Embedding padding_idx), -1 for none.
    int64_t paddingIdx() const { return arch != Architecture::Gpt2 && padTokenId >= 0 && padTokenId < vocabSize ? padTokenId : -1; }
    bool isCausalLM() const { return arch == Architecture::Gemma3 || arch == Architecture::Gpt2; }
    bool isEncoder() const { return !isCausalLM(); }
    bool hasFinalNorm() const { return isCausalLM(); }
    // Sliding window of layer i (0 = full attention).
    int64_t windowOf(int64_t layer) const {
        return arch == Architecture::Gemma3 && slidingLayers.at(static_cast<size_t>(layer)) ? slidingWindow : 0;
    }
};

// Parses config.json text. `source` names the file in error messages.
ModelConfig parseModelConfig(const std::string& jsonText, const std::string& source = "config.json");
// Reads DIR/config.json.
ModelConfig loadModelConfig(const std::string& dir);
// Re-checks the invariants (positive sizes, heads dividing, layer pattern length); throws BadInput.
void validateModelConfig(const ModelConfig& c, const std::string& source = "config");

// EOS ids for generation: generation_config.json's eos_token_id when present, else the config's.
std::vector<int64_t> loadEosTokenIds(const std::string& dir, const ModelConfig& c);

}  // namespace embedlab
