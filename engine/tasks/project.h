// embedlab engine task — project vectors to 2-D or 3-D (PCA, t-SNE, UMAP) and measure the map's
// quality (trustworthiness, kNN recall).
//
// The single implementation behind `embedlab-cli project` and the app's map (ProjectJob): the method's
// options, PCA of cosine geometry on unit-normalised rows, live previews, and the quality figures of
// docs/projection.md. Stages report as children of `progress` ("projecting", "quality").
#pragma once

#include "engine/analysis/analysis_common.h"
#include "engine/analysis/projection_quality.h"
#include "engine/jobs/progress.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <string>

namespace embedlab::tasks {

struct ProjectOptions {
    std::string method = "pca";  // pca, tsne, umap
    int dims = 2;
    uint64_t seed = 0;
    Metric metric = Metric::Euclidean;  // the original space's geometry (PCA: cosine = unit rows)
    double perplexity = 30.0, learningRate = 0.0, earlyExaggeration = 12.0;  // t-SNE (rate ≤ 0: auto)
    int iterations = 1000;                                                   // t-SNE
    int neighbors = 15;                                                      // UMAP
    double minDist = 0.1;                                                    // UMAP
    int epochs = 0;                                                          // UMAP (0: auto)
    int64_t qualityK = 10, qualitySample = 10000;
    // Live previews (t-SNE, UMAP): every `previewEvery` iterations, on the calling thread.
    int previewEvery = 0;
    PreviewCallback preview;
};

struct ProjectResult {
    at::Tensor coords;                // [N, dims] float32
    double seconds = 0.0;             // the projection alone
    ProjectionQuality quality;
    double qualitySeconds = 0.0;
    nlohmann::json details = nlohmann::json::object();  // the method's own facts (explained variance, epochs …)
};

// Throws Error(BadInput) for an unknown method, dims other than 2/3, PCA to more dimensions than the
// vectors have, or bad data (analysis_common.h's checks); Error(Cancelled) on cancel.
ProjectResult project(const at::Tensor& vectors, const ProjectOptions& options, Progress& progress);

}  // namespace embedlab::tasks
