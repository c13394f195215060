// embedlab engine — optimizers over a model's trainable parameters: plain SGD and AdamW (decoupled
// weight decay), written with ATen ops in the order PyTorch's own single-tensor implementations use
// (torch.optim.SGD / AdamW, 1.13), so one step reproduces them; plus global-norm gradient clipping.
// The state (moments, step counts) is a name → tensor map, saved as safetensors in a checkpoint —
// never a pickle (torch::optim's serialisation is TorchScript archives).
#pragma once

#include "engine/train/parameters.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

struct OptimizerOptions {
    std::string kind = "adamw";  // "adamw" or "sgd"
    double weightDecay = 0.0;    // AdamW: decoupled; SGD: added to the gradient (PyTorch's SGD)
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // One update with learning rate `lr` from the parameters' current .grad() (parameters without a
    // gradient are skipped). Runs without recording a graph.
    virtual void step(double lr) = 0;
    // Moments etc., keyed "<parameter name>.<slot>"; restored by loadState (shapes checked).
    virtual std::map<std::string, at::Tensor> state() const = 0;
    virtual void loadState(const std::map<std::string, at::Tensor>& state) = 0;
    const std::vector<ParameterInfo>& parameters() const { return params_; }
    void zeroGrad();

protected:
    explicit Optimizer(std::vector<ParameterInfo> params) : params_(std::move(params)) {}
    std::vector<ParameterInfo> params_;
};

// Decay applies to ParameterInfo::decays() parameters only (no norms, biases or embedding tables).
std::unique_ptr<Optimizer> makeOptimizer(std::vector<ParameterInfo> params, const OptimizerOptions& options);

// The global L2 norm of the gradients (as torch.nn.utils.clip_grad_norm_: the norm of the per-tensor
// norms); when maxNorm > 0 the gradients are scaled by min(1, maxNorm / (norm + 1e-6)). Returns the
// norm before clipping.
double clipGradNorm(const std::vector<ParameterInfo>& params, double maxNorm);

}  // namespace embedlab
