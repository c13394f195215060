// embedlab engine — t-SNE (Barnes-Hut, quadtree in 2-D / octree in 3-D), as scikit-learn's TSNE.
//
// P: perplexity-calibrated Gaussian conditionals on the 3·perplexity+1 nearest neighbours (binary
// search on the precision, tolerance 1e-5, 100 steps; squared euclidean distances, or cosine
// distances), symmetrised and normalised. Initialisation: PCA scaled to std 1e-4 (sklearn's 'pca') or
// N(0, 1e-4²). Optimisation: gradient descent with momentum 0.5 and early exaggeration for the first
// `exaggerationIterations`, then momentum 0.8, sklearn's gains (+0.2 / ×0.8, min 0.01), learning rate
// 'auto' = max(N / early_exaggeration / 4, 50), Student-t with max(dims − 1, 1) degrees of freedom.
// The tree is rebuilt every iteration from Morton-sorted points; forces are computed in parallel
// (at::get_num_threads()) over a fixed chunking, so results do not depend on the thread count.
// Every point is embedded; seeded and reproducible; cancellable within one iteration.
#pragma once

#include "engine/analysis/analysis_common.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace embedlab {

struct TsneOptions {
    int dims = 2;                   // 2 or 3
    double perplexity = 30.0;
    double learningRate = 0.0;      // ≤ 0 → 'auto'
    int iterations = 1000;
    double earlyExaggeration = 12.0;
    int exaggerationIterations = 250;
    double theta = 0.5;             // Barnes-Hut angle
    Metric metric = Metric::Euclidean;  // euclidean or cosine
    uint64_t seed = 0;
    enum class Init { Pca, Random } init = Init::Pca;
    int previewEvery = 0;           // call `preview` every K iterations (0 → never)
    PreviewCallback preview;
    int64_t knnExactLimit = 200000;
};

struct TsneResult {
    at::Tensor embedding;      // [N, dims] float32
    double perplexity = 0;     // the perplexity used (lowered when N is small)
    int64_t neighbors = 0;     // neighbours per point in P
    int iterations = 0;
    bool exactKnn = true;
};

TsneResult tsne(const at::Tensor& x, const TsneOptions& options = {}, Progress& progress = nullProgress());

namespace detail {
// Row-stochastic conditional probabilities from neighbour distances [N, k] (sklearn's
// _binary_search_perplexity). Exposed for tests.
at::Tensor binarySearchPerplexity(const at::Tensor& distances, double perplexity, Progress& progress = nullProgress());
}  // namespace detail

}  // namespace embedlab
