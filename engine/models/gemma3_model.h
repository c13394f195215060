// embedlab engine — Gemma 3 text decoder (Gemma3ForCausalLM, and the text part of
// Gemma3ForConditionalGeneration). Canonical weight names: embed_tokens.weight, layers.N.*, norm.weight,
// lm_head.weight (only when untied).
#pragma once

#include "engine/models/model.h"

namespace embedlab {

class Gemma3Model final : public CausalLm {
public:
    Gemma3Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device, c10::ScalarType dtype);

    // name → shape of every tensor this config needs (lm_head.weight only when untied).
    static std::map<std::string, std::vector<int64_t>> expectedShapes(const ModelConfig& c);

    at::Tensor readout(const at::Tensor& hidden) override;

protected:
    void bind() override;
    std::string embeddingKey() const override { return "embed_tokens.weight"; }
    std::string lmHeadKey() const override { return "lm_head.weight"; }
    bool isEmbeddingTable(const std::string& name) const override { return name == "embed_tokens.weight"; }

    ForwardOutput run(const at::Tensor& ids, const at::Tensor& mask, KVCache* cache, const ForwardOptions& o) override;

private:
    struct Layer {
        at::Tensor q, k, v, o, qNorm, kNorm, inNorm, postAttnNorm, preFfNorm, postFfNorm, gate, up, down;
    };
    std::vector<Layer> layers_;
    at::Tensor embed_, head_, norm_, invFreqLocal_, invFreqGlobal_;
};

}  // namespace embedlab
