#include "engine/models/gpt2_model.h"

#include "engine/core/error.h"
#include "engine/jobs/progress.h"
#include "engine/device/device.h"
#include "engine/models/kv_cache.h"
#include "engine/models/nn_ops.h"

#include <ATen/ATen.h>

#include <optional>

#include <algorithm>

#include <cmath>

namespace embedlab {

Gpt2Model::Gpt2Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device,
                     c10::ScalarType dtype)
    : CausalLm(std::move(config), std::move(weights), device, dtype) {
    bind();
}

std::map<std::string, std::vector<int64_t>> Gpt2Model::expectedShapes(const ModelConfig& c) {
    std::map<std::string, std::vector<int64_t>> s;
    const int64_t H = c.hiddenSize, I = c.intermediateSize;
    s["wte.weight"] = {c.vocabSize, H};
    s["wpe.weight"] = {c.maxPositions, H};
    s["ln_f.weight"] = {H};
    s["ln_f.bias"] = {H};
    if (!c.tieWordEmbeddings) s["lm_head.weight"] = {c.vocabSize, H};
    for (int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "h." + std::to_string(i) + ".";
        for (const char* n : {"ln_1", "ln_2"}) {
            s[p + n + ".weight"] = {H};
            s[p + n + ".bias"] = {H};
        }
        s[p + "attn.c_attn.weight"] = {H, 3 * H};
        s[p + "attn.c_attn.bias"] = {3 * H};
        s[p + "attn.c_proj.weight"] = {H, H};
        s[p + "attn.c_proj.bias"] = {H};
        s[p + "mlp.c_fc.weight"] = {H, I};
        s[p + "mlp.c_fc.bias"] = {I};
        s[p + "mlp.c_proj.weight"] = {I, H};
        s[p + "mlp.c_proj.bias"] = {H};
    }
    return s;
}

void Gpt2Model::bind() {
    layers_.clear();
    for (int64_t i = 0; i < config_.numLayers; ++i) {
        const std::string p = "h." + std::to_string(i) + ".";
        Layer l;
        l.ln1w = w(p + "ln_1.weight");
        l.ln1b = w(p + "ln_1.bias");
        l.ln2w = w(p + "ln_2.weight");
        l.ln2b = w(p + "ln_2.bias");
        l.attnW = w(p + "attn.c_attn.weight");
        l.attnB = w(p + "attn.c_attn.bias");
        l.projW = w(p + "attn.c_proj.weight");
        l.projB = w(p + "attn.c_proj.bias");
        l.fcW = w(p + "mlp.c_fc.weight");
        l.fcB = w(p + "mlp.c_fc.bias");
        l.fcProjW = w(p + "mlp.c_proj.weight");
        l.fcProjB = w(p + "mlp.c_proj.bias");
        layers_.push_back(std::move(l));
    }
    wte_ = w("wte.weight");
    wpe_ = w("wpe.weight");
    lnfW_ = w("ln_f.weight");
    lnfB_ = w("ln_f.bias");
    head_ = lmHead();
}

ForwardOutput Gpt2Model::run(const at::Tensor& idsIn, const at::Tensor& maskIn, KVCache* cache, const ForwardOptions& o) {
    // A training forward records a graph (plain ATen ops, OpenBLAS threaded); otherwise inference:
    // InferenceMode, and one pool of threads on CPU (OpenBLAS single-threaded, products split over
    // OpenMP in nn_ops).
    const bool grad = recordsGradients();
    std::optional<at::InferenceMode> inference;
    if (!grad) inference.emplace();
    SingleThreadedBlas oneBlasPool(device_.is_cpu() && !grad);
    const auto& c = config_;
    at::Tensor ids = nn::checkedInputIds(idsIn, c.vocabSize, device_);
    const int64_t B = ids.size(0), L = ids.size(1), nh = c.numHeads, hd = c.headDim;
    const int64_t p0 = cache ? cache->length() : 0;
    // Left-padded rows (batched generation) count positions from their first real token; the error
    // is for a call where even the most padded row runs past the last position.
    const std::vector<int64_t> noPads;
    const std::vector<int64_t>& pads = cache ? cache->leftPadding() : noPads;
    if (cache) cache->checkPaddingRows(B);
    const int64_t maxPad = pads.empty() ? 0 : *std::max_element(pads.begin(), pads.end());
    if (p0 + L - maxPad > c.maxPositions)
        throw Error::badInput("sequence of " + std::to_string(p0 + L - maxPad) + " tokens exceeds GPT-2's " +
                              std::to_string(c.maxPositions) + " positions");
    const at::Tensor mask = effectiveMask(maskIn);
    const int64_t last = layersToRun(o);

    ForwardOutput out;
    at::Tensor posEmb;
    if (maxPad == 0) {
        posEmb = wpe_.narrow(0, p0, L).unsqueeze(0);
    } else {  // rows past their own limit (finished in a batch) are clamped to the last position
        at::Tensor pos = at::arange(p0, p0 + L, ids.options()).unsqueeze(0) -
                         at::tensor(pads, at::TensorOptions().dtype(at::kLong)).to(ids.device()).unsqueeze(1);
        posEmb = at::embedding(wpe_, pos.clamp(0, c.maxPositions - 1));
    }
    at::Tensor x = at::embedding(wte_, ids) + posEmb;
    x = applyResidualPatches(x, o.interventions, 0, p0);
    if (o.hiddenStates) out.hiddenStates.push_back(x);
    const double scaling = 1.0 / std::sqrt(static_cast<double>(hd));
    at::Tensor fullMask;
    for (int64_t i = 0; i < last; ++i) {
        if (o.cancel) o.cancel->checkCancelled();
        if (o.interventions.skips(i)) {  // the identity
            x = applyResidualPatches(x, o.interventions, i + 1, p0);
            if (o.hiddenStates && i + 1 < c.numLayers) out.hiddenStates.push_back(x);
            if (o.attentions) out.attentions.emplace_back();  // undefined: the layer attended to nothing
            continue;
        }
        const Layer& l = layers_[static_cast<size_t>(i)];
        at::Tensor h = nn::layerNorm(x, l.ln1w, l.ln1b, c.normEps);
        at::Tensor qkv = nn::conv1d(h, l.attnW, l.attnB).view({B, L, 3, nh, hd});
        at::Tensor q = qkv.select(2, 0).transpose(1, 2).mul(scaling);
        at::Tensor k = qkv.select(2, 1).transpose(1, 2);
        at::Tensor v = qkv.select(2, 2).transpose(1, 2);
        at::Tensor allowed;
        if (cache) {
            KVCache::View view = cache->append(i, k, v);
            k = view.keys;
            v = view.values;
            allowed = nn::allowedMask(L, p0, k.size(2), view.firstPosition, true, 0,
                                      cache->validKeys(view.firstPosition, k.size(2), ids), ids);
        } else {
            if (!fullMask.defined()) fullMask = nn::allowedMask(L, 0, L, 0, true, 0, mask, ids);
            allowed = fullMask;
        }
        at::Tensor probs;
        at::Tensor a = nn::attention(q, k, v, allowed, std::nullopt, o.attentions, &probs);
        if (o.attentions) out.attentions.push_back(probs);
        a = applyHeadInterventions(a, o.interventions, i, nh, hd, mask);
        x = x + nn::conv1d(a, l.projW, l.projB);
        h = nn::layerNorm(x, l.ln2w, l.ln2b, c.normEps);
        h = nn::activation(nn::conv1d(h, l.fcW, l.fcB), c.activation);
        x = x + nn::conv1d(h, l.fcProjW, l.fcProjB);
        x = applyResidualPatches(x, o.interventions, i + 1, p0);
        if (o.hiddenStates && i + 1 < c.numLayers) out.hiddenStates.push_back(x);
    }
    if (cache) cache->advance(L);
    if (last < c.numLayers) {
        out.lastHidden = x;
        if (!o.hiddenStates) out.hiddenStates.push_back(x);
        return out;
    }
    out.preNormLast = x;
    x = nn::layerNorm(x, lnfW_, lnfB_, c.normEps);
    out.hiddenStates.push_back(x);
    if (!o.hiddenStates) out.hiddenStates = {x};
    out.lastHidden = x;
    if (o.logits) out.logits = nn::linear(o.lastPositionOnly ? x.narrow(1, L - 1, 1) : x, head_);
    return out;
}

at::Tensor Gpt2Model::readout(const at::Tensor& hidden) {
    std::optional<at::InferenceMode> inference;
    if (!recordsGradients()) inference.emplace();
    return nn::linear(nn::layerNorm(hidden.to(device_, dtype_), lnfW_, lnfB_, config_.normEps), head_);
}

}  // namespace embedlab
