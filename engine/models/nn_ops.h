// embedlab engine — internal building blocks shared by the model implementations (plain ATen ops).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <optional>

namespace embedlab::nn {

// The one predicate that decides whether a fast path may run: fused CPU kernels, products split by hand
// over threads, in-place arithmetic on intermediate results. They write through data_ptr / *_out,
// which autograd cannot see, so they run only while no gradient is recorded (grad mode off, as under
// the models' InferenceMode guard) and autocast is off. A training forward (engine/train) keeps grad mode on and gets the
// plain ATen compositions, which autograd differentiates.
bool fastPathsAllowed();

// x itself when it is f32 or f64, else x widened to f32: the precision norms, RoPE and attention
// scores are computed in (f64 stays f64 for gradient checks).
at::Tensor atLeastF32(const at::Tensor& x);

// x [.., in] · w[out,in]ᵀ + b.
// Validates input_ids ([batch, length] with length > 0, every id in 0..vocabSize-1) and returns them
// as int64 on `device`. Throws Error(BadInput).
at::Tensor checkedInputIds(const at::Tensor& ids, int64_t vocabSize, c10::Device device);

at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = at::Tensor());
// GPT-2 Conv1D: x [.., in] · w[in,out] + b.
at::Tensor conv1d(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b);
// Gemma RMSNorm: computed in f32 with (1 + w), cast back to x's dtype.
at::Tensor gemmaRmsNorm(const at::Tensor& x, const at::Tensor& w, double eps);
// LayerNorm over the last dim, computed in f32 for reduced-precision inputs.
at::Tensor layerNorm(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b, double eps);
at::Tensor geluTanh(const at::Tensor& x);
// Gemma's gated feed-forward input: gelu_tanh(x·gateᵀ) ∘ (x·upᵀ), in x's dtype. bf16 on CPU with 32+
// rows: products, GELU and product in f32, rounded once (fewer roundings than the op-by-op bf16 form).
at::Tensor gatedGeluTanh(const at::Tensor& x, const at::Tensor& gate, const at::Tensor& up);
// gelu_tanh(g) ∘ u, in place in g when it can (f32 on CPU: one fused pass, kernels::geluTanhMulInPlace).
at::Tensor geluTanhMul(at::Tensor g, const at::Tensor& u);
at::Tensor geluErf(const at::Tensor& x);
// "gelu" → exact, "gelu_new"/"gelu_pytorch_tanh"/"gelu_fast"/"gelu_tanh" → tanh approximation; "relu".
at::Tensor activation(const at::Tensor& x, const std::string& name);

// Inverse RoPE frequencies (f32, on `like`'s device): 1 / base^(2i/dim) / scaling.
at::Tensor ropeInvFreq(int64_t headDim, double base, double scaling, const at::Tensor& like);
// Applies split-half RoPE to x [B, H, L, D] at positions [p0, p0+L), in f32, cast back.
at::Tensor applyRope(const at::Tensor& x, const at::Tensor& invFreq, int64_t p0);

// Which keys each query may see: bool [B|1, 1, L, T], or undefined when all are visible.
// Queries have absolute positions [q0, q0+L), keys [k0, k0+T). keyMask: [B, T] (1 = real token) or undefined.
at::Tensor allowedMask(int64_t L, int64_t q0, int64_t T, int64_t k0, bool causal, int64_t window,
                       const at::Tensor& keyMask, const at::Tensor& like);

// Scaled dot-product attention with grouped KV heads.
// q [B, H, L, D] (already scaled), k/v [B, Hkv, T, D]; allowed as from allowedMask.
// Returns [B, L, H*D]; probs [B, H, L, T] when wantProbs.
at::Tensor attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                     std::optional<double> softcap, bool wantProbs, at::Tensor* probs);

}  // namespace embedlab::nn
