// embedlab engine — a plain row-major float matrix for the metric code, and cosine nearest neighbours.
//
// The metric code works on sentence vectors that are already computed (by engine/models/embedding.h or
// read from a .npy file); it needs no model. Only the similarity search uses LibTorch (blocked matmul).
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct Matrix {
    int64_t rows = 0;
    int64_t cols = 0;
    std::vector<float> data;  // rows * cols, row-major

    Matrix() = default;
    Matrix(int64_t r, int64_t c) : rows(r), cols(c), data(static_cast<size_t>(r * c), 0.0f) {}
    float* row(int64_t i) { return data.data() + i * cols; }
    const float* row(int64_t i) const { return data.data() + i * cols; }
    // Rows [begin, end) as a new matrix.
    Matrix slice(int64_t begin, int64_t end) const;
    // The rows listed in `idx`, in that order.
    Matrix gather(const std::vector<int64_t>& idx) const;
};

// A copy with every row scaled to unit L2 norm (zero rows stay zero).
Matrix l2Normalized(const Matrix& m);

// Cosine similarity of row i of a and row i of b (as MTEB: 1 - paired_cosine_distances). 0 for a zero row.
std::vector<double> pairedCosine(const Matrix& a, const Matrix& b);

struct Neighbour {
    int64_t index;
    float score;
};

// For each row of `queries`, the `k` rows of `docs` with the highest cosine similarity, best first.
// Ties in score are broken deterministically: the smaller tieKey[doc] first (tieKey empty = the
// smaller doc index first). Computed with blocked matrix products in float32; reports progress.
std::vector<std::vector<Neighbour>> cosineTopK(const Matrix& queries, const Matrix& docs, int64_t k,
                                               const std::vector<int64_t>& tieKey = {},
                                               Progress& progress = nullProgress());

}  // namespace embedlab::eval
