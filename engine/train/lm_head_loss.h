// embedlab engine — the LM head and its cross-entropy in one differentiable operation that never
// materialises the full logits: rows are processed in chunks (logits of a chunk, their log-sum-exp and
// the target's logit); backward recomputes each chunk's logits. With a 32k+ vocabulary and short
// models the [tokens, vocab] logits and their gradient (two f32 tensors of tokens·vocab) dominate
// training memory; this keeps one chunk of them. Final logit soft-capping (Gemma) is included.
// Computed in f32 (or f64 for f64 inputs), also under bf16 autocast.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <optional>

namespace embedlab {

// Σ over rows with target ≥ 0 of cross-entropy(cap·tanh(h·wᵀ / cap) or h·wᵀ, target).
// hidden [N, H], weight [V, H], targets [N] int64 (-100 = ignored). Differentiable in hidden and weight.
at::Tensor lmHeadCrossEntropySum(const at::Tensor& hidden, const at::Tensor& weight, const at::Tensor& targets,
                                 std::optional<double> softcap = std::nullopt, int64_t chunkRows = 0);

}  // namespace embedlab
