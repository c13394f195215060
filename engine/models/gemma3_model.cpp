#include "engine/models/gemma3_model.h"

#include "engine/core/error.h"
#include "engine/jobs/progress.h"
#include "engine/device/device.h"
#include "engine/models/cpu_kernels.h"
#include "engine/models/kv_cache.h"
#include "engine/models/nn_ops.h"

#include <ATen/ATen.h>

#include <optional>

#include <cmath>

namespace embedlab {

Gemma3Model::Gemma3Model(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device,
                         c10::ScalarType dtype)
    : CausalLm(std::move(config), std::move(weights), device, dtype) {
    bind();
}

std::map<std::string, std::vector<int64_t>> Gemma3Model::expectedShapes(const ModelConfig& c) {
    std::map<std::string, std::vector<int64_t>> s;
    const int64_t H = c.hiddenSize, D = c.headDim, I = c.intermediateSize;
    s["embed_tokens.weight"] = {c.vocabSize, H};
    s["norm.weight"] = {H};
    if (!c.tieWordEmbeddings) s["lm_head.weight"] = {c.vocabSize, H};
    for (int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        s[p + "self_attn.q_proj.weight"] = {c.numHeads * D, H};
        s[p + "self_attn.k_proj.weight"] = {c.numKvHeads * D, H};
        s[p + "self_attn.v_proj.weight"] = {c.numKvHeads * D, H};
        s[p + "self_attn.o_proj.weight"] = {H, c.numHeads * D};
        s[p + "self_attn.q_norm.weight"] = {D};
        s[p + "self_attn.k_norm.weight"] = {D};
        for (const char* n : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                              "post_feedforward_layernorm"})
            s[p + n + ".weight"] = {H};
        s[p + "mlp.gate_proj.weight"] = {I, H};
        s[p + "mlp.up_proj.weight"] = {I, H};
        s[p + "mlp.down_proj.weight"] = {H, I};
    }
    return s;
}

void Gemma3Model::bind() {
    const auto& c = config_;
    layers_.clear();
    for (int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        Layer l;
        l.q = w(p + "self_attn.q_proj.weight");
        l.k = w(p + "self_attn.k_proj.weight");
        l.v = w(p + "self_attn.v_proj.weight");
        l.o = w(p + "self_attn.o_proj.weight");
        l.qNorm = w(p + "self_attn.q_norm.weight");
        l.kNorm = w(p + "self_attn.k_norm.weight");
        l.inNorm = w(p + "input_layernorm.weight");
        l.postAttnNorm = w(p + "post_attention_layernorm.weight");
        l.preFfNorm = w(p + "pre_feedforward_layernorm.weight");
        l.postFfNorm = w(p + "post_feedforward_layernorm.weight");
        l.gate = w(p + "mlp.gate_proj.weight");
        l.up = w(p + "mlp.up_proj.weight");
        l.down = w(p + "mlp.down_proj.weight");
        layers_.push_back(std::move(l));
    }
    embed_ = w("embed_tokens.weight");
    norm_ = w("norm.weight");
    head_ = lmHead();
    invFreqLocal_ = nn::ropeInvFreq(c.headDim, c.ropeLocalBase, 1.0, embed_);
    invFreqGlobal_ = nn::ropeInvFreq(c.headDim, c.ropeTheta, c.ropeScalingFactor, embed_);
}

ForwardOutput Gemma3Model::run(const at::Tensor& idsIn, const at::Tensor& maskIn, KVCache* cache, const ForwardOptions& o) {
    // A training forward records a graph (plain ATen ops, OpenBLAS threaded); otherwise inference:
    // InferenceMode, and one pool of threads on CPU (OpenBLAS single-threaded, products split over
    // OpenMP in nn_ops).
    const bool grad = recordsGradients();
    std::optional<at::InferenceMode> inference;
    if (!grad) inference.emplace();
    SingleThreadedBlas oneBlasPool(device_.is_cpu() && !grad);
    const auto& c = config_;
    at::Tensor ids = nn::checkedInputIds(idsIn, c.vocabSize, device_);
    const int64_t B = ids.size(0), L = ids.size(1), D = c.headDim;
    const at::Tensor mask = effectiveMask(maskIn);
    const int64_t p0 = cache ? cache->length() : 0;
    if (cache) cache->checkPaddingRows(B);
    const int64_t last = layersToRun(o);

    ForwardOutput out;
    at::Tensor x = at::embedding(embed_, ids, c.paddingIdx());
    x = x * at::scalar_tensor(std::sqrt(static_cast<double>(c.hiddenSize)), x.options());
    x = applyResidualPatches(x, o.interventions, 0, p0);
    if (o.hiddenStates) out.hiddenStates.push_back(x);
    const double scaling = 1.0 / std::sqrt(c.queryPreAttnScalar);

    // Masks depend only on the window kind when there is no cache (same key range for every layer).
    at::Tensor maskFull, maskSliding;
    // On CPU in f32/bf16 the norms and RoPE run as fused kernels (models/cpu_kernels.h) with RoPE
    // tables computed once per call for each base; elsewhere as ATen compositions.
    const bool fused = nn::fastPathsAllowed() && kernels::applies(x) && kernels::applies(norm_);
    at::Tensor cosLocal, sinLocal, cosGlobal, sinGlobal;
    if (fused) {
        auto tables = [&](const at::Tensor& inv, at::Tensor& cs, at::Tensor& sn) {
            at::Tensor ang = at::outer(at::arange(p0, p0 + L, inv.options()), inv);
            cs = ang.cos().contiguous();
            sn = ang.sin().contiguous();
        };
        tables(invFreqLocal_, cosLocal, sinLocal);
        tables(invFreqGlobal_, cosGlobal, sinGlobal);
    }
    auto norm = [&](const at::Tensor& t, const at::Tensor& w) {
        return fused ? kernels::rmsNorm(t, w, c.normEps, 1.f) : nn::gemmaRmsNorm(t, w, c.normEps);
    };
    auto addNorm = [&](const at::Tensor& residual, const at::Tensor& t, const at::Tensor& w) {
        return fused ? kernels::addRmsNorm(residual, t, w, c.normEps, 1.f) : residual + nn::gemmaRmsNorm(t, w, c.normEps);
    };
    for (int64_t i = 0; i < last; ++i) {
        if (o.cancel) o.cancel->checkCancelled();
        if (o.interventions.skips(i)) {  // the identity: the residual stream passes unchanged
            x = applyResidualPatches(x, o.interventions, i + 1, p0);
            if (o.hiddenStates && i + 1 < c.numLayers) out.hiddenStates.push_back(x);
            if (o.attentions) out.attentions.emplace_back();  // undefined: the layer attended to nothing
            continue;
        }
        const Layer& l = layers_[static_cast<size_t>(i)];
        const int64_t window = c.windowOf(i);
        at::Tensor h = norm(x, l.inNorm);
        at::Tensor q, k, v;
        if (fused && kernels::gemvApplies(h, l.q)) {  // one row (decoding): Q, K and V in one pass
            auto qkv = kernels::gemvMany(h, {l.q, l.k, l.v});
            q = qkv[0], k = qkv[1], v = qkv[2];
        } else {
            q = nn::linear(h, l.q), k = nn::linear(h, l.k), v = nn::linear(h, l.v);
        }
        q = q.view({B, L, c.numHeads, D});
        k = k.view({B, L, c.numKvHeads, D});
        v = v.view({B, L, c.numKvHeads, D}).transpose(1, 2);
        if (fused) {
            const at::Tensor& cs = window > 0 ? cosLocal : cosGlobal;
            const at::Tensor& sn = window > 0 ? sinLocal : sinGlobal;
            q = q.contiguous();
            k = k.contiguous();
            kernels::headNormRopeInPlace(q, l.qNorm, c.normEps, 1.f, cs, sn, static_cast<float>(scaling));
            kernels::headNormRopeInPlace(k, l.kNorm, c.normEps, 1.f, cs, sn, 1.f);
            q = q.transpose(1, 2);
            k = k.transpose(1, 2);
        } else {
            q = nn::gemmaRmsNorm(q, l.qNorm, c.normEps).transpose(1, 2);
            k = nn::gemmaRmsNorm(k, l.kNorm, c.normEps).transpose(1, 2);
            const at::Tensor& inv = window > 0 ? invFreqLocal_ : invFreqGlobal_;
            q = nn::applyRope(q, inv, p0);
            k = nn::applyRope(k, inv, p0);
            q = q * scaling;
        }
        at::Tensor keys = k, values = v, allowed;
        if (cache) {
            KVCache::View view = cache->append(i, k, v);
            keys = view.keys;
            values = view.values;
            // Left-padded rows (batched generation): their padding keys are masked. RoPE makes scores
            // depend on relative positions only, so a row shifted by its padding computes what it would alone.
            allowed = nn::allowedMask(L, p0, keys.size(2), view.firstPosition, true, window,
                                      cache->validKeys(view.firstPosition, keys.size(2), ids), ids);
        } else {
            at::Tensor& m = window > 0 ? maskSliding : maskFull;
            if (!m.defined()) m = nn::allowedMask(L, 0, L, 0, true, window, mask, ids);
            allowed = m;
        }
        at::Tensor probs;
        at::Tensor a = nn::attention(q, keys, values, allowed, c.attnLogitSoftcap, o.attentions, &probs);
        if (o.attentions) out.attentions.push_back(probs);
        a = applyHeadInterventions(a, o.interventions, i, c.numHeads, D, mask);
        a = nn::linear(a, l.o);
        x = addNorm(x, a, l.postAttnNorm);
        h = norm(x, l.preFfNorm);
        at::Tensor g;
        if (fused && kernels::gemvApplies(h, l.gate)) {
            auto gu = kernels::gemvMany(h, {l.gate, l.up});
            g = nn::geluTanhMul(gu[0], gu[1]);
        } else {
            g = nn::gatedGeluTanh(h, l.gate, l.up);
        }
        x = addNorm(x, nn::linear(g, l.down), l.postFfNorm);
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
    x = norm(x, norm_);
    out.hiddenStates.push_back(x);
    if (!o.hiddenStates) out.hiddenStates = {x};
    out.lastHidden = x;
    if (o.logits) {
        at::Tensor h = o.lastPositionOnly ? x.narrow(1, L - 1, 1) : x;
        at::Tensor logits = nn::linear(h, head_);
        if (c.finalLogitSoftcap) logits = at::tanh(logits / *c.finalLogitSoftcap) * *c.finalLogitSoftcap;
        out.logits = logits;
    }
    return out;
}

at::Tensor Gemma3Model::readout(const at::Tensor& hidden) {
    const auto& c = config_;
    std::optional<at::InferenceMode> inference;
    if (!recordsGradients()) inference.emplace();
    at::Tensor logits = nn::linear(nn::gemmaRmsNorm(hidden.to(device_, dtype_), norm_, c.normEps), head_);
    if (c.finalLogitSoftcap) logits = at::tanh(logits / *c.finalLogitSoftcap) * *c.finalLogitSoftcap;
    return logits;
}

}  // namespace embedlab
