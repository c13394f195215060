// embedlab engine — classification (MTEB Classification, method "logReg"): a logistic regression
// (eval/logistic_regression.h, max_iter 100) is trained on the train split's vectors and scored on
// the test split: accuracy (sklearn accuracy_score) and f1 (sklearn f1_score average="macro"; also
// f1_weighted). The split is the one in the data. MTEB can also undersample the train split
// (n_experiments × samples_per_label per class, averaged): `samplesPerLabel` > 0 does that here.
//
// Data: TSV `text<TAB>label<TAB>split` with split `train` or `test` (`dev`/`validation` lines are
// ignored). Class ids are the sorted label strings (as numpy.unique).
#pragma once

#include "engine/eval/logistic_regression.h"
#include "engine/eval/matrix.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct ClassificationData {
    std::vector<std::string> trainTexts, testTexts;
    std::vector<int64_t> trainLabels, testLabels;
    std::vector<std::string> labelNames;  // sorted
};

ClassificationData readClassificationData(const std::string& path);

struct ClassificationOptions {
    LogisticRegressionOptions logreg;
    int64_t samplesPerLabel = 0;  // 0 = the whole train split
    int64_t experiments = 10;     // with samplesPerLabel > 0
    uint64_t seed = 42;
};

struct ClassificationResult {
    double accuracy = 0, f1 = 0, f1Weighted = 0;
    int64_t train = 0, test = 0, classes = 0;
    int64_t iterations = 0;                // L-BFGS iterations (of the last experiment)
    std::vector<int64_t> predicted;        // for the test split (of the last experiment)
};

ClassificationResult evaluateClassification(const Matrix& train, const std::vector<int64_t>& trainLabels,
                                            const Matrix& test, const std::vector<int64_t>& testLabels,
                                            int64_t numClasses, const ClassificationOptions& options = {},
                                            Progress& progress = nullProgress());

}  // namespace embedlab::eval
