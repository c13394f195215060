#include "engine/models/nn_ops.h"

#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/models/cpu_kernels.h"

#include <ATen/ATen.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>

#include <limits>
#include <string>

namespace embedlab::nn {

bool fastPathsAllowed() {
    // Under autocast ATen's products return bf16 from f32 inputs, which the fused kernels (one dtype
    // throughout) do not take; autocast is a training-time setting, so it shares the predicate.
    return !at::GradMode::is_enabled() && !at::autocast::is_cpu_enabled() && !at::autocast::is_enabled();
}

at::Tensor atLeastF32(const at::Tensor& x) {
    const auto t = x.scalar_type();
    return t == at::kFloat || t == at::kDouble ? x : x.to(at::kFloat);
}

at::Tensor checkedInputIds(const at::Tensor& idsIn, int64_t vocabSize, c10::Device device) {
    if (idsIn.dim() != 2) throw Error::badInput("input_ids must be [batch, length]");
    at::Tensor ids = idsIn.to(device, at::kLong);
    if (ids.size(1) == 0) throw Error::badInput("empty input");
    if (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= vocabSize)
        throw Error::badInput("token id outside the vocabulary (0.." + std::to_string(vocabSize - 1) + ")");
    return ids;
}

namespace {
// Several f32 rows on CPU while OpenBLAS is single-threaded: the product's rows are split over the
// OpenMP threads (kernels::rowParallelMatmul).
bool splitRows(const at::Tensor& x) {
    return fastPathsAllowed() && blasSingleThreaded() && x.scalar_type() == at::kFloat && x.device().is_cpu() && x.numel() >= 32 * x.size(-1);
}
// bf16 products of at least 32 rows on CPU (prefill, encoders) as f32 SGEMMs (kernels::linearBf16ViaF32);
// fewer rows would spend more on widening the weights than the product gains.
bool bf16ViaF32(const at::Tensor& x) {
    return fastPathsAllowed() && blasSingleThreaded() && x.scalar_type() == at::kBFloat16 && x.device().is_cpu() && x.numel() >= 32 * x.size(-1);
}
}  // namespace

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
    // One row (decoding) on CPU: a memory-bound matrix-vector product. OpenBLAS's 1-row gemm and
    // oneDNN's bf16 path are far from the memory bandwidth; kernels::gemv reaches it.
    if (fastPathsAllowed() && kernels::gemvApplies(x, w)) return kernels::gemv(x, w, b);
    if (splitRows(x) && w.scalar_type() == at::kFloat) {
        auto sizes = x.sizes().vec();
        sizes.back() = w.size(0);
        return kernels::rowParallelMatmul(x.reshape({-1, x.size(-1)}), w.t(), b).view(sizes);
    }
    if (bf16ViaF32(x) && w.scalar_type() == at::kBFloat16) {
        auto sizes = x.sizes().vec();
        sizes.back() = w.size(0);
        return kernels::linearBf16ViaF32(x.reshape({-1, x.size(-1)}), w, b).view(sizes);
    }
    return at::linear(x, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
}

at::Tensor conv1d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b) {
    auto sizes = x.sizes().vec();
    at::Tensor out = splitRows(x) && w.scalar_type() == at::kFloat
                         ? kernels::rowParallelMatmul(x.reshape({-1, x.size(-1)}), w, b)
                         : at::addmm(b, x.reshape({-1, x.size(-1)}), w);
    sizes.back() = w.size(1);
    return out.view(sizes);
}

at::Tensor gemmaRmsNorm(const at::Tensor& x, const at::Tensor& w, double eps) {
    const at::Tensor xf = atLeastF32(x);
    const at::Tensor r = at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
    const at::Tensor out = (xf * r) * (w.to(xf.scalar_type()) + 1.0);
    return out.scalar_type() == x.scalar_type() ? out : out.to(x.scalar_type());
}

at::Tensor layerNorm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, double eps) {
    const at::Tensor xf = atLeastF32(x);
    if (xf.scalar_type() == x.scalar_type()) return at::layer_norm(x, {x.size(-1)}, w, b, eps);
    return at::layer_norm(xf, {x.size(-1)}, w.to(xf.scalar_type()), b.to(xf.scalar_type()), eps).to(x.scalar_type());
}

at::Tensor geluTanh(const at::Tensor& x) { return at::gelu(x, "tanh"); }
at::Tensor geluErf(const at::Tensor& x) { return at::gelu(x); }

at::Tensor gatedGeluTanh(const at::Tensor& x, const at::Tensor& gate, const at::Tensor& up) {
    if (bf16ViaF32(x) && gate.scalar_type() == at::kBFloat16 && up.scalar_type() == at::kBFloat16) {
        auto sizes = x.sizes().vec();
        sizes.back() = gate.size(0);
        const at::Tensor x2 = x.reshape({-1, x.size(-1)});
        at::Tensor g = kernels::linearBf16ViaF32(x2, gate, at::Tensor(), at::kFloat);
        kernels::geluTanhMulInPlace(g, kernels::linearBf16ViaF32(x2, up, at::Tensor(), at::kFloat));
        return g.to(x.scalar_type()).view(sizes);
    }
    return geluTanhMul(nn::linear(x, gate), nn::linear(x, up));
}

at::Tensor geluTanhMul(at::Tensor g, const at::Tensor& u) {
    if (!fastPathsAllowed()) return geluTanh(g) * u;
    if (g.scalar_type() == at::kFloat && u.scalar_type() == at::kFloat && g.device().is_cpu() && u.device().is_cpu() &&
        g.is_contiguous() && u.is_contiguous() && g.sizes() == u.sizes()) {
        kernels::geluTanhMulInPlace(g, u);  // one pass instead of ATen's gelu and product
        return g;
    }
    return geluTanh(g).mul_(u);
}

at::Tensor activation(const at::Tensor& x, const std::string& name) {
    if (name == "gelu") return geluErf(x);
    if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast" || name == "gelu_tanh") return geluTanh(x);
    if (name == "relu") return at::relu(x);
    throw Error::badInput("activation '" + name + "' is not supported");
}

at::Tensor ropeInvFreq(int64_t headDim, double base, double scaling, const at::Tensor& like) {
    auto opts = like.options().dtype(at::kFloat);
    at::Tensor exponent = at::arange(0, headDim, 2, opts).slice(0, 0, headDim / 2) / static_cast<double>(headDim);
    at::Tensor inv = at::pow(at::scalar_tensor(base, opts), exponent).reciprocal();
    if (scaling != 1.0) inv = inv / scaling;
    return inv;
}

at::Tensor applyRope(const at::Tensor& x, const at::Tensor& invFreq, int64_t p0) {
    const int64_t L = x.size(2);
    const int64_t half = x.size(3) / 2;
    at::Tensor t = at::arange(p0, p0 + L, invFreq.options());
    at::Tensor ang = at::outer(t, invFreq);  // [L, D/2]
    at::Tensor c = ang.cos(), s = ang.sin();
    at::Tensor xf = atLeastF32(x);
    at::Tensor x1 = xf.narrow(-1, 0, half), x2 = xf.narrow(-1, half, half);
    at::Tensor o1 = x1 * c - x2 * s;
    at::Tensor o2 = x2 * c + x1 * s;
    at::Tensor out = at::cat({o1, o2}, -1);
    return out.scalar_type() == x.scalar_type() ? out : out.to(x.scalar_type());
}

at::Tensor allowedMask(int64_t L, int64_t q0, int64_t T, int64_t k0, bool causal, int64_t window,
                       const at::Tensor& keyMask, const at::Tensor& like) {
    at::Tensor allowed;
    const bool needPos = (causal && k0 + T - 1 > q0) || (window > 0 && q0 + L - 1 - k0 >= window);
    if (needPos) {
        auto opts = like.options().dtype(at::kLong);
        at::Tensor qp = at::arange(q0, q0 + L, opts).unsqueeze(1);
        at::Tensor kp = at::arange(k0, k0 + T, opts).unsqueeze(0);
        allowed = causal ? kp.le(qp) : at::ones({L, T}, opts.dtype(at::kBool));
        if (window > 0) allowed = allowed.logical_and((qp - kp).lt(window));
        allowed = allowed.view({1, 1, L, T});
    }
    if (keyMask.defined()) {
        at::Tensor km = keyMask.to(like.device()).to(at::kBool).view({keyMask.size(0), 1, 1, T});
        allowed = allowed.defined() ? allowed.logical_and(km) : km;
    }
    return allowed;
}

at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                     std::optional<double> softcap, bool wantProbs, at::Tensor* probs) {
    const bool fast = fastPathsAllowed();
    if (fast && q.size(2) == 1 && kernels::decodeAttentionApplies(q, k, v))  // decoding on CPU: one fused pass
        return kernels::decodeAttention(q, k, v, allowed, softcap, wantProbs ? probs : nullptr);
    if (bf16ViaF32(q)) {
        // bf16 on CPU: the attention's products as f32 SGEMMs (see linear); one rounding at the end.
        at::Tensor pf;
        at::Tensor out = attention(q.to(at::kFloat), k.to(at::kFloat), v.to(at::kFloat), allowed, softcap, wantProbs,
                                   wantProbs ? &pf : nullptr);
        if (wantProbs && probs) *probs = pf.to(q.scalar_type());
        return out.to(q.scalar_type());
    }
    // Many queries over many keys in f32 on CPU: blocks of queries over the keys they may see, no
    // score tensor. Short sequences (BERT's ≤128 tokens) keep the batched products below: there the
    // per-block overhead outweighs the saving (BERT-base 36 → 29 sentences/s when routed here).
    if (fast && !wantProbs && blasSingleThreaded() && kernels::blockedAttentionApplies(q, k, v, allowed) &&
        k.size(2) * k.size(3) >= kernels::kBlockedAttentionMinKeyElems)
        return kernels::blockedAttention(q, k, v, allowed, softcap);
    const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3);
    const int64_t Hkv = k.size(1), T = k.size(2);
    const int64_t G = H / Hkv;
    at::Tensor qg = q.reshape({B, Hkv, G * L, D});
    // With OpenBLAS single-threaded, the (batch, head) products are split over the OpenMP threads.
    const bool split = fast && blasSingleThreaded() && q.scalar_type() == at::kFloat && q.device().is_cpu();
    at::Tensor scores =
        (split ? kernels::batchParallelBmm(qg.reshape({B * Hkv, G * L, D}), k.reshape({B * Hkv, T, D}).transpose(1, 2))
               : at::matmul(qg, k.transpose(-1, -2)))
            .view({B, H, L, T});
    scores = atLeastF32(scores);
    const double lowest = scores.scalar_type() == at::kDouble ? std::numeric_limits<double>::lowest()
                                                              : std::numeric_limits<float>::lowest();
    if (fast) {  // in place: nothing records what these values were
        if (softcap) scores.div_(*softcap).tanh_().mul_(*softcap);
        if (allowed.defined()) scores.masked_fill_(allowed.logical_not(), lowest);
    } else {  // tanh's backward needs its own output, untouched
        if (softcap) scores = at::tanh(scores / *softcap) * *softcap;
        if (allowed.defined()) scores = scores.masked_fill(allowed.logical_not(), lowest);
    }
    at::Tensor p = at::softmax(scores, -1);
    if (p.scalar_type() != q.scalar_type()) p = p.to(q.scalar_type());
    if (wantProbs && probs) *probs = p;
    at::Tensor out = split ? kernels::batchParallelBmm(p.reshape({B * Hkv, G * L, T}), v.reshape({B * Hkv, T, D}))
                           : at::matmul(p.view({B, Hkv, G * L, T}), v);  // [B, Hkv, G*L, D]
    return out.view({B, H, L, D}).transpose(1, 2).reshape({B, L, H * D});
}

}  // namespace embedlab::nn
