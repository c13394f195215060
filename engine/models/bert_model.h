// embedlab engine — BERT and XLM-RoBERTa / RoBERTa encoders (one implementation; XLM-R differs by its
// position ids, which start after padding_idx, and by its MLM head).
// Canonical weight names: embeddings.*, encoder.layer.N.*, pooler.dense.* (optional),
// lm_head.{dense,layer_norm}.*, lm_head.bias (XLM-R MLM head, optional), lm_head.decoder.weight (untied only).
#pragma once

#include "engine/models/model.h"

namespace embedlab {

class BertModel final : public Model {
public:
    BertModel(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device, c10::ScalarType dtype);

    // options.logits: the pooler output (when the checkpoint has a pooler) and the MLM logits (when it
    // has an MLM head).
    ForwardOutput forward(const at::Tensor& inputIds, const at::Tensor& attentionMask, const at::Tensor& tokenTypeIds,
                          const ForwardOptions& options) override;

    bool hasPooler() const { return poolerW_.defined(); }
    bool hasMlmHead() const { return mlmDenseW_.defined(); }

    // Required tensors; optional groups are listed by optionalShapes().
    static std::map<std::string, std::vector<int64_t>> expectedShapes(const ModelConfig& c);
    static std::map<std::string, std::vector<int64_t>> optionalShapes(const ModelConfig& c);
    // BertForMaskedLM's MLM head keys (cls.predictions.*) ↔ the canonical lm_head.* names, as
    // prefix pairs {Hugging Face, canonical}: the loader reads with them, model_writer writes.
    static const std::vector<std::pair<std::string, std::string>>& bertHeadPrefixes();
    // HF position ids: arange for BERT; for XLM-R cumsum(ids != pad) * (ids != pad) + pad.
    static at::Tensor positionIds(const ModelConfig& c, const at::Tensor& ids);

protected:
    void bind() override;
    std::string embeddingKey() const override { return "embeddings.word_embeddings.weight"; }
    std::string lmHeadKey() const override;
    bool isEmbeddingTable(const std::string& name) const override;

private:
    struct Layer {
        at::Tensor qW, qB, kW, kB, vW, vB, oW, oB, ln1w, ln1b, iW, iB, outW, outB, ln2w, ln2b;
    };
    std::vector<Layer> layers_;
    at::Tensor word_, pos_, type_, embLnW_, embLnB_;
    at::Tensor poolerW_, poolerB_;
    at::Tensor mlmDenseW_, mlmDenseB_, mlmLnW_, mlmLnB_, mlmBias_, mlmDecoder_;
};

}  // namespace embedlab
