// embedlab engine — k nearest neighbours of embedding vectors.
//
// Exact: every distance, with a running k-best list per query (cosine, dot, euclidean), used up to
// `exactLimit` points (200,000 by default). With AVX-512 (core/cpu_isa.h) a fused kernel computes
// the distances in registers and selects in place; otherwise a BLAS product per L2-sized tile is
// scanned with AVX2 or a plain loop. Beyond that an HNSW index (hnswlib, M=16, efConstruction=200) is
// built in parallel and queried with ef = max(2k, 64); its recall is ≥ 0.95 on typical data.
// All calls take Progress&, report at least every 50 ms and are cancellable.
#pragma once

#include "engine/analysis/analysis_common.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace embedlab {

struct KnnOptions {
    int64_t k = 15;
    Metric metric = Metric::Euclidean;
    int64_t exactLimit = 200000;  // N above this → HNSW
    bool forceHnsw = false;       // use HNSW whatever N is (tests, benchmarks)
    int hnswM = 16;
    int hnswEfConstruction = 200;
    int hnswEf = 0;               // 0 → max(2k, 64)
    uint64_t seed = 100;          // HNSW level generator
};

// Neighbours of every row, itself excluded, nearest first.
struct KnnGraph {
    at::Tensor indices;    // [N, k] int64
    at::Tensor distances;  // [N, k] float32, ascending: cosine 1−cos, dot −x·y, euclidean ‖x−y‖
    bool exact = true;
};

// k is clamped to N−1. Throws Error(BadInput) for 1-D or empty data.
KnnGraph knnGraph(const at::Tensor& x, const KnnOptions& options, Progress& progress = nullProgress());

// Exact neighbours of the rows `queries` [Q, D] among the rows of `x` [N, D]. `selfRows` (optional,
// Q entries) names the row of x that each query is, to be excluded.
KnnGraph knnExact(const at::Tensor& x, const at::Tensor& queries, int64_t k, Metric metric,
                  const std::vector<int64_t>& selfRows = {}, Progress& progress = nullProgress());

struct Neighbor {
    int64_t row = 0;
    double score = 0;  // cosine similarity, dot product, or euclidean distance
};

// The k nearest rows to row `row` (itself excluded), best first.
std::vector<Neighbor> nearestToRow(const at::Tensor& x, int64_t row, int64_t k, Metric metric);
// The k nearest rows to an arbitrary vector `v` [D], skipping the rows in `exclude`.
std::vector<Neighbor> nearestToVector(const at::Tensor& x, const at::Tensor& v, int64_t k, Metric metric,
                                      const std::vector<int64_t>& exclude = {});
// Analogy a − b + c (e.g. kral − erkek + kadın → kraliçe): the k nearest to that vector, the three inputs
// excluded. For cosine the inputs are unit-normalised first (3CosAdd).
std::vector<Neighbor> analogy(const at::Tensor& x, int64_t a, int64_t b, int64_t c, int64_t k, Metric metric);

}  // namespace embedlab
