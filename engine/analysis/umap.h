// embedlab engine — UMAP, following umap-learn (McInnes, Healy & Melville).
//
// Fuzzy simplicial set from the n_neighbors nearest (the point itself included, as umap-learn):
// rho = distance to the nearest other point, sigma by binary search (64 steps) so that
// Σ exp(−(d − rho)/sigma) = log2(k); symmetrised as A + Aᵀ − A∘Aᵀ; edges below max/n_epochs pruned.
// Initialisation: spectral (the normalised Laplacian's smallest nontrivial eigenvectors: dense eigh
// for small graphs, deflated subspace iteration beyond), PCA when the graph is disconnected (or on
// request), scaled to [0, 10]. Optimisation: SGD with negative sampling (5 per positive sample),
// a/b fitted from min_dist and spread, learning rate decaying linearly, gradients clipped at 4.
// Epochs: 500 up to 10,000 points, 200 beyond. The SGD runs in parallel over a fixed split of the
// edges with per-chunk random streams; each chunk reads other points as they were at the start of the
// epoch, so the result depends only on the seed, not on the thread count.
#pragma once

#include "engine/analysis/analysis_common.h"
#include "engine/analysis/knn.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>

namespace embedlab {

struct UmapOptions {
    int dims = 2;  // 2 or 3
    int nNeighbors = 15;
    double minDist = 0.1;
    double spread = 1.0;
    Metric metric = Metric::Euclidean;  // euclidean or cosine
    int epochs = 0;                     // 0 → 500 (N ≤ 10,000) or 200
    double learningRate = 1.0;
    int negativeSampleRate = 5;
    double repulsionStrength = 1.0;
    uint64_t seed = 0;
    enum class Init { Spectral, Pca, Random } init = Init::Spectral;
    int previewEvery = 0;  // call `preview` every K epochs (0 → never)
    PreviewCallback preview;
    int64_t knnExactLimit = 200000;
    // Neighbours of x already computed (UmapResult::knn of an earlier run on the same data and metric,
    // when only the layout parameters change): N rows, at least nNeighbors − 1 columns. Empty → computed.
    KnnGraph knn;
};

struct UmapResult {
    at::Tensor embedding;  // [N, dims] float32
    double a = 0, b = 0;
    int epochs = 0;
    int64_t neighbors = 0;   // n_neighbors used (lowered when N is small)
    std::string init;        // "spectral", "pca" or "random"
    int64_t components = 1;  // connected components of the kNN graph
    bool exactKnn = true;
    KnnGraph knn;            // the neighbours used (reusable through UmapOptions::knn)
};

UmapResult umap(const at::Tensor& x, const UmapOptions& options = {}, Progress& progress = nullProgress());

// umap-learn's find_ab_params: least squares fit of 1/(1 + a·x^(2b)) to the min_dist/spread curve.
std::pair<double, double> umapFindAB(double spread, double minDist);

}  // namespace embedlab
