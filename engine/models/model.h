// embedlab engine — the common interface of a loaded transformer (Gemma 3 text, GPT-2, BERT, XLM-R).
//
// Weights live in a name → tensor map (canonical names: the checkpoint's, minus the optional
// `model.`/`transformer.`/`bert.`/`roberta.`/`language_model.` prefix of the body). forward() follows
// the Hugging Face conventions (see ../shared/fixtures/README.md): hidden_states[0] is the
// embedding output, hidden_states[k] the output of layer k-1, and for Gemma / GPT-2 the last one is
// after the final norm. Inputs are right-padded batches with an attention mask.
#pragma once

#include "engine/models/interventions.h"
#include "engine/models/model_config.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

class KVCache;
class Progress;

struct ForwardOptions {
    bool hiddenStates = true;  // return every hidden state (else only the last computed one)
    bool attentions = false;   // return attention probabilities [B, heads, L, T] per layer
    bool logits = true;        // causal LMs: LM logits; XLM-R: MLM logits; BERT: pooler output
    bool lastPositionOnly = false;  // logits of the last position only ([B, 1, vocab]); for decoding
    // Stop after hidden state `upToHiddenState` (0 = embeddings … numLayers); -1 = run every layer.
    // Logits are not computed when the model stops early.
    int64_t upToHiddenState = -1;
    // The caller never reads hidden states at padded positions (mask 0), e.g. masked pooling. Encoders
    // then run their dense layers on the real tokens only ("unpadded" execution) and return zeros there.
    bool padPositionsUnused = false;
    // Zeroed heads and skipped layers (engine/models/interventions.h); checked against the model.
    Interventions interventions;
    // Checked before every layer: a cancel stops a long forward (a 1,024-token window of a large
    // model) within one layer's time, throwing Error::cancelled().
    const Progress* cancel = nullptr;
};

struct ForwardOutput {
    std::vector<at::Tensor> hiddenStates;  // [B, L, hidden] each, compute dtype; index as in HF
    std::vector<at::Tensor> attentions;    // per layer, when asked (undefined for a skipped layer)
    at::Tensor lastHidden;                 // the last computed hidden state (= hiddenStates.back())
    at::Tensor preNormLast;                // Gemma / GPT-2: last layer's raw output before the final norm
    at::Tensor logits;                     // [B, L, vocab] (causal LM, XLM-R MLM head) when asked
    at::Tensor pooler;                     // BERT: tanh(dense(h[:,0])) [B, hidden] when asked
};

struct ParameterCounts {
    int64_t embedding = 0;  // token (+ position + token-type) embedding tables
    int64_t body = 0;       // everything else that is stored, incl. an untied LM head and MLM head
    int64_t lmHead = 0;     // an untied LM head (part of body); 0 when tied
    int64_t total() const { return embedding + body; }
};

class Model {
public:
    virtual ~Model() = default;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const ModelConfig& config() const { return config_; }
    c10::Device device() const { return device_; }
    c10::ScalarType dtype() const { return dtype_; }
    // Warnings from loading (e.g. NaN weights, ignored head tensors).
    const std::vector<std::string>& warnings() const { return warnings_; }
    void addWarning(std::string w) { warnings_.push_back(std::move(w)); }

    ParameterCounts parameterCounts() const;
    int64_t weightBytes() const;

    // Converts every weight in memory (never rereads the disk). Float16 on CPU is rejected; f64 exists
    // for gradient checks. Trainable weights stay trainable leaves.
    void to(c10::Device device, c10::ScalarType dtype);

    // input_ids / attention_mask / token_type_ids: [B, L] int64 (any device; moved as needed).
    // attention_mask undefined = all ones.
    virtual ForwardOutput forward(const at::Tensor& inputIds, const at::Tensor& attentionMask,
                                  const at::Tensor& tokenTypeIds = at::Tensor(),
                                  const ForwardOptions& options = ForwardOptions()) = 0;

    // Causal LMs: processes inputIds [B, n] (no padding) at positions cache.length()…, appends to
    // the cache and advances it. Encoders throw Error(BadInput).
    virtual ForwardOutput forwardCached(const at::Tensor& inputIds, KVCache& cache,
                                        const ForwardOptions& options = ForwardOptions());
    // A cache laid out for this model.
    KVCache makeCache() const;

    // The input embedding matrix [vocab, hidden] and the LM head [vocab, hidden] (the same tensor
    // when tied; XLM-R's MLM decoder; undefined for BERT).
    at::Tensor inputEmbeddings() const;
    at::Tensor lmHead() const;
    bool tiedLmHead() const;

    const std::map<std::string, at::Tensor>& weights() const { return weights_; }

    // ---- Training (engine/train) --------------------------------------------------------------
    // Makes every floating weight a private, trainable leaf tensor (a copy: never the memory-mapped
    // file, never an inference tensor) with requires_grad on. Idempotent.
    void makeTrainable();
    bool isTrainable() const { return trainable_; }
    // True while a forward records a gradient graph: grad mode is on and some weight requires a
    // gradient. Otherwise forward runs as inference (InferenceMode, the fast paths of nn_ops.h).
    bool recordsGradients() const;
    // Adds or replaces weights (e.g. a new MLM head before masked-LM training) and rebinds; shapes are
    // checked against the architecture's tables. Throws Error(BadInput).
    void setWeights(const std::map<std::string, at::Tensor>& changed);

protected:
    Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device, c10::ScalarType dtype);
    // Called after the weights changed (construction, to()); rebuild cached per-layer pointers.
    virtual void bind() = 0;
    virtual std::string embeddingKey() const = 0;
    virtual std::string lmHeadKey() const = 0;  // "" when none
    virtual bool isEmbeddingTable(const std::string& name) const = 0;

    const at::Tensor& w(const std::string& name) const;
    // The attention mask on the model's device, or undefined when it masks nothing (all ones / none).
    at::Tensor effectiveMask(const at::Tensor& attentionMask) const;
    // How many layers a forward runs for these options (upToHiddenState, else all). Every family's
    // forward calls it first, so it also checks the interventions (Error(BadInput) for a layer or head
    // beyond the model's).
    int64_t layersToRun(const ForwardOptions& o) const;

    ModelConfig config_;
    std::map<std::string, at::Tensor> weights_;
    c10::Device device_;
    c10::ScalarType dtype_;
    std::vector<std::string> warnings_;
    bool trainable_ = false;
};

// A causal LM: forward (optionally masked, no cache) and forwardCached (no mask, with a cache) are one
// `run` with either argument.
class CausalLm : public Model {
public:
    ForwardOutput forward(const at::Tensor& inputIds, const at::Tensor& attentionMask, const at::Tensor& tokenTypeIds,
                          const ForwardOptions& options) final;
    ForwardOutput forwardCached(const at::Tensor& inputIds, KVCache& cache, const ForwardOptions& options) final;

    // The readout of a hidden state [.., hidden] taken before the final norm (hidden_states.l for
    // l < numLayers): final norm, LM head and the final soft-cap → logits [.., vocab] (the logit lens).
    virtual at::Tensor readout(const at::Tensor& hidden) = 0;

protected:
    using Model::Model;
    virtual ForwardOutput run(const at::Tensor& ids, const at::Tensor& mask, KVCache* cache, const ForwardOptions& o) = 0;
};

}  // namespace embedlab
