#include "engine/models/model.h"

#include "engine/core/error.h"
#include "engine/models/kv_cache.h"

#include "engine/models/model_loader.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace embedlab {

Model::Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device, c10::ScalarType dtype)
    : config_(std::move(config)), weights_(std::move(weights)), device_(device), dtype_(dtype) {}

const at::Tensor& Model::w(const std::string& name) const {
    auto it = weights_.find(name);
    if (it == weights_.end()) throw Error::runtime("internal: weight '" + name + "' is not loaded");
    return it->second;
}

ParameterCounts Model::parameterCounts() const {
    ParameterCounts c;
    const std::string head = lmHeadKey();
    for (const auto& [name, t] : weights_) {
        if (isEmbeddingTable(name)) c.embedding += t.numel();
        else c.body += t.numel();
        if (!head.empty() && name == head) c.lmHead += t.numel();
    }
    return c;
}

int64_t Model::weightBytes() const {
    int64_t b = 0;
    for (const auto& kv : weights_) b += kv.second.numel() * static_cast<int64_t>(kv.second.element_size());
    return b;
}

void Model::to(c10::Device device, c10::ScalarType dtype) {
    if (dtype != at::kFloat && dtype != at::kBFloat16 && dtype != at::kHalf && dtype != at::kDouble)
        throw Error::badInput("unsupported compute dtype (use f32, bf16 or f16)");
    if (device.is_cpu() && dtype == at::kHalf)
        throw Error::badInput("f16 is not supported on the CPU (LibTorch has no CPU f16 matmul); use bf16 or f32");
    if (device == device_ && dtype == dtype_) return;
    std::map<std::string, at::Tensor> moved;
    try {
        for (const auto& [name, t] : weights_) {
            at::Tensor m = t.is_floating_point() ? t.to(device, dtype) : t.to(device);
            if (trainable_ && m.is_floating_point()) m = m.detach().requires_grad_(t.requires_grad());
            moved[name] = m;
        }
    } catch (const c10::Error& e) {
        throw Error::runtime(std::string("could not move the model: ") + e.what_without_backtrace());
    }
    weights_ = std::move(moved);
    device_ = device;
    dtype_ = dtype;
    bind();
}

void Model::makeTrainable() {
    if (trainable_) return;
    std::map<std::string, at::Tensor> own;
    {
        at::AutoGradMode noGrad(false);  // the copies are leaves; outside InferenceMode, so not inference tensors
        for (const auto& [name, t] : weights_) {
            at::Tensor c = t.clone(at::MemoryFormat::Contiguous);
            if (c.is_floating_point()) c.requires_grad_(true);
            own[name] = c;
        }
    }
    weights_ = std::move(own);
    trainable_ = true;
    bind();
}

bool Model::recordsGradients() const {
    if (!trainable_ || !at::GradMode::is_enabled()) return false;
    for (const auto& kv : weights_)
        if (kv.second.requires_grad()) return true;
    return false;
}

void Model::setWeights(const std::map<std::string, at::Tensor>& changed) {
    std::map<std::string, std::vector<int64_t>> optional;
    const auto required = expectedTensorShapes(config_, &optional);
    for (const auto& [name, t] : changed) {
        auto it = required.find(name);
        if (it == required.end()) {
            it = optional.find(name);
            if (it == optional.end())
                throw Error::badInput("'" + name + "' is not a weight of this " + architectureName(config_.arch) + " model");
        }
        if (t.sizes().vec() != it->second) throw Error::badInput("'" + name + "' has the wrong shape");
    }
    for (const auto& [name, t] : changed) {
        at::Tensor m = t.is_floating_point() ? t.to(device_, dtype_) : t.to(device_);
        if (trainable_ && m.is_floating_point()) {
            at::AutoGradMode noGrad(false);
            m = m.detach().clone().requires_grad_(true);
        }
        weights_[name] = m;
    }
    bind();
}

ForwardOutput Model::forwardCached(const at::Tensor&, KVCache&, const ForwardOptions&) {
    throw Error::badInput(std::string(architectureName(config_.arch)) + " is an encoder: it has no incremental decoding");
}

at::Tensor Model::effectiveMask(const at::Tensor& attentionMask) const {
    if (!attentionMask.defined() || attentionMask.to(at::kBool).all().item<bool>()) return at::Tensor();
    return attentionMask.to(device_);
}

int64_t Model::layersToRun(const ForwardOptions& o) const {
    if (!o.interventions.empty()) o.interventions.check(config_.numLayers, config_.numHeads);
    return o.upToHiddenState < 0 ? config_.numLayers : std::min(o.upToHiddenState, config_.numLayers);
}

ForwardOutput CausalLm::forward(const at::Tensor& inputIds, const at::Tensor& attentionMask, const at::Tensor&,
                                const ForwardOptions& options) {
    return run(inputIds, attentionMask, nullptr, options);
}

ForwardOutput CausalLm::forwardCached(const at::Tensor& inputIds, KVCache& cache, const ForwardOptions& options) {
    return run(inputIds, at::Tensor(), &cache, options);
}

KVCache Model::makeCache() const {
    std::vector<int64_t> windows;
    for (int64_t i = 0; i < config_.numLayers; ++i) windows.push_back(config_.windowOf(i));
    return KVCache(std::move(windows));
}

at::Tensor Model::inputEmbeddings() const { return w(embeddingKey()); }

at::Tensor Model::lmHead() const {
    const std::string k = lmHeadKey();
    if (k.empty()) return at::Tensor();
    auto it = weights_.find(k);
    return it == weights_.end() ? inputEmbeddings() : it->second;
}

bool Model::tiedLmHead() const {
    const std::string k = lmHeadKey();
    return !k.empty() && weights_.find(k) == weights_.end();
}

}  // namespace embedlab
