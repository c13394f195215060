// embedlab engine — how faithful a 2-D/3-D projection is to the original vectors.
//
// trustworthiness(): exactly sklearn.manifold.trustworthiness (n_neighbors = k, metric euclidean or
// cosine in the original space, euclidean in the embedding), computed in float64.
// projectionQuality(): trustworthiness and kNN recall at k (the share of each point's k nearest
// neighbours in the original space, by `metric`, that are among its k nearest in the embedding),
// on a seeded sample of `sampleLimit` rows when N is larger (trustworthiness of the sampled rows as a
// data set of their own; recall of the sampled rows against all N), reporting the sample size.
#pragma once

#include "engine/analysis/analysis_common.h"

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace embedlab {

// sklearn's definition; requires k < N/2 (throws Error(BadInput) otherwise).
double trustworthiness(const at::Tensor& x, const at::Tensor& embedding, int64_t k = 5,
                       Metric metric = Metric::Euclidean, Progress& progress = nullProgress());

struct QualityOptions {
    int64_t k = 10;
    Metric metric = Metric::Euclidean;  // the original space's (dot is treated as cosine for ranks)
    int64_t sampleLimit = 10000;        // N above this → a seeded sample of this many rows
    uint64_t seed = 0;
};

struct ProjectionQuality {
    double trustworthiness = 0;  // NaN when N is too small (k is clamped below N/2 first)
    double knnRecall = 0;
    int64_t k = 0;               // the k actually used
    int64_t sampleSize = 0;      // rows measured (N when not sampled)
    bool sampled = false;
};

ProjectionQuality projectionQuality(const at::Tensor& x, const at::Tensor& embedding, const QualityOptions& options = {},
                                    Progress& progress = nullProgress());

}  // namespace embedlab
