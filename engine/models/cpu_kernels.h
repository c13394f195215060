// embedlab engine — fused CPU kernels for the hot paths of the model families.
//
// Why: a decode step of gemma3-270m is ~1,000 small ATen ops and 127 matrix–vector products. On
// 2 cores the ops cost more in dispatch, thread wake-ups and extra memory passes than in arithmetic,
// and LibTorch 1.13 has no fast bf16 matrix–vector product on CPU (oneDNN's brgemm with one row
// reaches about a third of the memory bandwidth; Debian's OpenBLAS is built without its bf16
// kernels). These kernels read f32 or bf16, compute in f32 and round exactly where the ATen
// composition they replace rounds, so results match that composition (tests/engine/models).
//
// Every function takes CPU tensors of float or bfloat16 only; callers check `applies()` first and
// fall back to plain ATen ops (CUDA, MPS, other dtypes).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace embedlab::kernels {

// True when `t` is a CPU tensor of float or bfloat16.
bool applies(const at::Tensor& t);

// A few input rows (decoding one or a batch of sequences): x [.., K] with numel ≤ kGemvMaxRows·K,
// w [N, K] (f32 or bf16, any strides in memory order rows), optional bias b [N]. Returns x·wᵀ + b
// shaped [.., N] in x's dtype; sums in f32, split over the intra-op threads by rows of w, each block
// of w used for every input row while it is in cache. Memory-bound: reads w once.
constexpr int64_t kGemvMaxRows = 16;
at::Tensor gemv(const at::Tensor& x, const at::Tensor& w, const at::Tensor& b = at::Tensor());

// True when gemv/gemvMany run the kernel for x and w (else they fall back to at::linear).
bool gemvApplies(const at::Tensor& x, const at::Tensor& w);

// x·wᵢᵀ for several matrices that share the one input row (Q/K/V, gate/up), in one parallel region;
// each result shaped [.., Nᵢ] in x's dtype.
std::vector<at::Tensor> gemvMany(const at::Tensor& x, const std::vector<at::Tensor>& ws);

// RMSNorm over the last dimension: x · rsqrt(mean(x²) + eps) · (w + offset), computed in f32 and
// rounded once to x's dtype. offset = 1 is Gemma's (1 + w) form.
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& w, double eps, float offset);

// residual + rmsNorm(x) in one pass (Gemma's post-attention and post-feed-forward norms); rounds
// the normalised value to the dtype before the add, as the two-op composition does.
at::Tensor addRmsNorm(const at::Tensor& residual, const at::Tensor& x, const at::Tensor& w, double eps, float offset);

// In place on x [B, L, heads, D] (contiguous): per-head RMSNorm with (w + offset), then split-half
// rotary embedding with cos/sin tables [L, D/2] (f32, the angles of positions p0..p0+L-1), then a
// multiplication by `scale` (skipped when 1). Each stage rounds to x's dtype like the ATen ops.
void headNormRopeInPlace(at::Tensor& x, const at::Tensor& w, double eps, float offset, const at::Tensor& cos,
                         const at::Tensor& sin, float scale);

// x [M, K] · b [K, N] (+ bias [N]) with the rows of x split over the intra-op threads, each part one
// BLAS call on its own thread. For use while SingleThreadedBlas is alive (device/device.h); f32 CPU.
at::Tensor rowParallelMatmul(const at::Tensor& x, const at::Tensor& b, const at::Tensor& bias = at::Tensor());

// bf16 x [M, K] · w [N, K]ᵀ (+ bias [N]) computed as f32 SGEMMs: blocks of w's rows are widened to
// f32 on the thread that uses them (a block stays in L2) and multiplied with single-threaded BLAS;
// the f32 sums are rounded once to bf16. On CPUs without native bf16 matrix units oneDNN's bf16
// GEMM reaches ~60% of the f32 one here; the result equals its f32 accumulation up to the order of
// the sums. For use while SingleThreadedBlas is alive, with M large enough to amortise the widening.
// `out` kFloat returns the f32 sums unrounded (for a caller that continues in f32).
// From this many rows on, the whole of w is widened at once and multiplied as in the f32 path —
// unless its f32 copy would exceed kWidenWholeWeightBytes (an LM head: 671 MB for gemma3-270m).
constexpr int64_t kWidenWholeWeightRows = 128;
constexpr int64_t kWidenWholeWeightBytes = int64_t(64) << 20;
at::Tensor linearBf16ViaF32(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias = at::Tensor(),
                            at::ScalarType out = at::kBFloat16);

// out[i] = a[i] · b[i] for 3-D batches, the batch split over the intra-op threads (as above).
at::Tensor batchParallelBmm(const at::Tensor& a, const at::Tensor& b);

// Attention for one query position per sequence (decoding), in one parallel region over
// batch × heads: q [B, H, 1, D] (already scaled), k/v [B, Hkv, T, D] whose rows are contiguous
// (KV-cache views), allowed bool [B|1, 1, 1, T] or undefined, optional tanh soft-cap. Rounds as
// nn::attention's ATen composition does. Returns [B, 1, H*D]; probs [B, H, 1, T] when asked.
bool decodeAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
at::Tensor decodeAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                           std::optional<double> softcap, at::Tensor* probs);

// Whether a tensor holds a NaN: one parallel, vectorised pass over the bits of a contiguous CPU f32,
// bf16 or f16 tensor, without the bool tensor of at::isnan (268 MB for gemma3-270m's embedding);
// ATen's isnan(t).any() elsewhere. Non-floating tensors hold none.
bool hasNaN(const at::Tensor& t);

// g ← gelu_tanh(g) · u in one vectorised pass (Gemma's gated feed-forward), f32 contiguous tensors of
// one shape on CPU; within a few float ulps of ATen's gelu(g, "tanh") · u; NaN stays NaN.
void geluTanhMulInPlace(at::Tensor& g, const at::Tensor& u);

// Attention for many query positions (prefill, encoders) in f32 on CPU, without the [B, H, L, T]
// score tensor: the queries are cut into blocks, and each block's scores are computed only over the
// keys from the first to the last one that `allowed` lets any of its rows see (a causal prompt skips
// almost half the products; padded keys at the end are skipped), then masked, soft-capped, softmaxed
// and multiplied with V in place; the blocks run in parallel with single-threaded BLAS.
// q [B, H, L, D] (already scaled), k/v [B, Hkv, T, D], each with unit stride in D; allowed bool
// [B|1, 1, L|1, T] or undefined. Equals nn::attention's composition up to the order of the sums
// (a row that sees no key averages all of them, as the composition does). Returns [B, L, H*D].
bool blockedAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                             const at::Tensor& allowed = at::Tensor());
// nn::attention routes here when keys × head size reach this (e.g. 256 keys of Gemma's 256 dimensions).
constexpr int64_t kBlockedAttentionMinKeyElems = 65536;
at::Tensor blockedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                            std::optional<double> softcap);

}  // namespace embedlab::kernels
