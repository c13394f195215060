// embedlab engine — clustering (MTEB Clustering, the bootstrapped "ClusteringFast" form): k-means
// with k = the number of gold labels, scored by V-measure.
//
// What is done (documented in docs/evaluation.md):
// 1. k-means++ initialisation (sklearn's greedy variant: 2 + ln k candidate centres per step, the one
//    that lowers the potential most is kept), seeded, on a random subset of min(n, 3·batch) points;
// 2. mini-batch k-means (Sculley 2010, as sklearn.cluster.MiniBatchKMeans: per-centre counts, each
//    centre moves to the running mean of the points assigned to it), batch size 512, at most
//    100 epochs, stopped early when no centre moves more than tol (relative to the data variance)
//    or the smoothed batch inertia has not improved for 10 batches; every point is then assigned to
//    its nearest centre (Euclidean, on the vectors as given);
// 3. as MTEB's ClusteringFast: the V-measure of that labelling on `bootstraps` (10) samples of
//    min(n, maxDocuments = 16384) points drawn with replacement, averaged; the V-measure on all
//    points is reported too.
// V-measure follows sklearn.metrics.v_measure_score exactly (natural logs, beta = 1).
//
// Data: TSV `text<TAB>label` (labels are any strings).
#pragma once

#include "engine/eval/matrix.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct LabelledTexts {
    std::vector<std::string> texts;
    std::vector<int64_t> labels;            // indices into labelNames
    std::vector<std::string> labelNames;    // in order of first appearance
};

LabelledTexts readClusteringData(const std::string& path);

struct VMeasure {
    double homogeneity = 0, completeness = 0, v = 0;
};
// sklearn.metrics.homogeneity_completeness_v_measure(labelsTrue, labelsPred) (beta = 1).
VMeasure vMeasure(const std::vector<int64_t>& labelsTrue, const std::vector<int64_t>& labelsPred);
inline double vMeasureScore(const std::vector<int64_t>& t, const std::vector<int64_t>& p) { return vMeasure(t, p).v; }

struct KMeansOptions {
    int64_t k = 2;
    uint64_t seed = 42;
    int64_t batchSize = 512;
    int64_t maxEpochs = 100;
    double tol = 0.0;      // 0 = stop only by the inertia criterion
    int64_t maxNoImprovement = 10;
};

struct KMeansResult {
    std::vector<int64_t> labels;  // per point, 0..k-1
    Matrix centers;
    double inertia = 0;           // Σ squared distance to the assigned centre
    int64_t steps = 0;
};

// k-means++ seeding (sklearn's greedy variant); returns the indices of the chosen points.
std::vector<int64_t> kmeansPlusPlus(const Matrix& x, int64_t k, uint64_t seed);
// Mini-batch k-means as described above (full batch when n ≤ batchSize).
KMeansResult miniBatchKMeans(const Matrix& x, const KMeansOptions& options, Progress& progress = nullProgress());

struct ClusteringOptions {
    uint64_t seed = 42;
    int64_t bootstraps = 10;
    int64_t maxDocuments = 16384;
    int64_t batchSize = 512;
};

struct ClusteringResult {
    double vMeasure = 0;       // mean over the bootstrap samples (MTEB's main score)
    double vMeasureStd = 0;    // their standard deviation (ddof 0)
    double vMeasureFull = 0;   // on every point
    int64_t clusters = 0;      // k
    int64_t points = 0;
};

ClusteringResult evaluateClustering(const Matrix& x, const std::vector<int64_t>& labels,
                                    const ClusteringOptions& options = {}, Progress& progress = nullProgress());

}  // namespace embedlab::eval
