// embedlab engine — GPT-2 (GPT2LMHeadModel / GPT2Model). Canonical weight names: wte.weight, wpe.weight,
// h.N.{ln_1,ln_2,attn.c_attn,attn.c_proj,mlp.c_fc,mlp.c_proj}.*, ln_f.*, lm_head.weight (untied only).
// Conv1D weights are stored [in, out] and used as such (x · W + b), with no transposed copy.
#pragma once

#include "engine/models/model.h"

namespace embedlab {

class Gpt2Model final : public CausalLm {
public:
    Gpt2Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device, c10::ScalarType dtype);

    static std::map<std::string, std::vector<int64_t>> expectedShapes(const ModelConfig& c);

    at::Tensor readout(const at::Tensor& hidden) override;

protected:
    void bind() override;
    std::string embeddingKey() const override { return "wte.weight"; }
    std::string lmHeadKey() const override { return "lm_head.weight"; }
    bool isEmbeddingTable(const std::string& name) const override { return name == "wte.weight" || name == "wpe.weight"; }

    ForwardOutput run(const at::Tensor& ids, const at::Tensor& mask, KVCache* cache, const ForwardOptions& o) override;

private:
    struct Layer {
        at::Tensor ln1w, ln1b, attnW, attnB, projW, projB, ln2w, ln2b, fcW, fcB, fcProjW, fcProjB;
    };
    std::vector<Layer> layers_;
    at::Tensor wte_, wpe_, lnfW_, lnfB_, head_;
};

}  // namespace embedlab
