// embedlab engine — principal component analysis of every row.
//
// Exact: the covariance matrix accumulated over row blocks in float64, then eigh (chosen when
// N·D·min(N,D) is small). Randomized: Halko, Martinsson & Tropp with `oversamples` extra columns and
// `powerIterations` QR-normalised power iterations, seeded. Components are signed as scikit-learn's
// svd_flip does (the largest |projection| of each component is positive).
#pragma once

#include "engine/analysis/analysis_common.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace embedlab {

struct PcaOptions {
    int64_t components = 2;
    enum class Solver { Auto, Exact, Randomized } solver = Solver::Auto;
    uint64_t seed = 0;
    int powerIterations = 7;
    int oversamples = 10;
};

struct PcaResult {
    at::Tensor coords;                  // [N, components] float32
    at::Tensor components;              // [components, D] float32 (rows: unit principal axes)
    at::Tensor mean;                    // [D] float32
    at::Tensor explainedVariance;       // [components] float64 (σ²/(N−1), as sklearn)
    at::Tensor explainedVarianceRatio;  // [components] float64
    bool randomized = false;
};

// Throws Error(BadInput) when components > D or N < 2.
PcaResult pca(const at::Tensor& x, const PcaOptions& options = {}, Progress& progress = nullProgress());

}  // namespace embedlab
