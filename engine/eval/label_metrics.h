// embedlab engine — accuracy and F1 over integer labels, exactly as scikit-learn computes them.
#pragma once

#include <cstdint>
#include <vector>

namespace embedlab::eval {

// sklearn.metrics.accuracy_score(yTrue, yPred).
double accuracy(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);

struct PerLabel {
    int64_t label;
    double precision, recall, f1;
    int64_t support;  // occurrences in yTrue
};

// Per-label precision/recall/F1 over the sorted union of labels in yTrue and yPred, with
// zero_division=0 (as sklearn.metrics.precision_recall_fscore_support(..., zero_division=0)).
std::vector<PerLabel> perLabelScores(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);

// sklearn.metrics.f1_score(yTrue, yPred, average="macro", zero_division=0).
double f1Macro(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);
// sklearn.metrics.f1_score(yTrue, yPred, average="weighted", zero_division=0).
double f1Weighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);
// average="weighted" precision and recall (MTEB's bitext mining reports them too).
double precisionWeighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);
double recallWeighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred);

}  // namespace embedlab::eval
