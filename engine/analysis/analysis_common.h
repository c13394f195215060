// embedlab engine — pieces shared by the embedding-space analyses (kNN, PCA, t-SNE, UMAP, quality).
#pragma once

#include "engine/jobs/progress.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>

namespace embedlab {

// Distances used for neighbours. Scores: cosine similarity, dot product, euclidean distance.
enum class Metric { Cosine, Dot, Euclidean };

std::string metricName(Metric m);
// "cosine", "dot", "euclidean" (also "l2"). Throws Error(BadInput) otherwise.
Metric parseMetric(const std::string& name);

// Live previews while a projection iterates: the current coordinates [N, dims] (a copy the callee may
// keep), the iteration just finished and the total. Called on the worker thread.
using PreviewCallback = std::function<void(const at::Tensor& coords, int iteration, int total)>;

// A 2-D float32 contiguous CPU copy/view of `x`; throws Error(BadInput) for 1-D data, empty data or NaN/Inf.
at::Tensor checkedMatrix(const at::Tensor& x, const char* what);

// splitmix64: seeds per-chunk random streams from one user seed.
inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

}  // namespace embedlab
