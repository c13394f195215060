// embedlab engine — L2-regularised logistic regression trained with L-BFGS, with the objective of
// sklearn.linear_model.LogisticRegression(C=1, solver="lbfgs", max_iter=100, tol=1e-4):
//   mean_i loss_i + ||W||² / (2·C·n)     (the intercept is not penalised)
// binary problems use one weight vector (sigmoid, as sklearn's 2-class case), more classes a
// multinomial softmax with one weight vector per class. Stops when max|gradient| ≤ tol, when the
// relative decrease of the objective falls below 64·eps (scipy's ftol), or after maxIter iterations.
#pragma once

#include "engine/eval/matrix.h"

#include <cstdint>
#include <vector>

namespace embedlab::eval {

struct LogisticRegressionOptions {
    double C = 1.0;
    int64_t maxIter = 100;
    double tol = 1e-4;
    int64_t history = 10;  // L-BFGS memory (scipy's default maxcor)
};

class LogisticRegression {
public:
    explicit LogisticRegression(LogisticRegressionOptions options = {}) : o_(options) {}
    // labels in 0..numClasses-1 (numClasses ≥ 2).
    void fit(const Matrix& x, const std::vector<int64_t>& labels, int64_t numClasses, Progress& progress = nullProgress());
    std::vector<int64_t> predict(const Matrix& x) const;
    // Decision scores [n, K] (binary: [n, 1], the logit of class 1).
    Matrix decisionFunction(const Matrix& x) const;

    int64_t iterations() const { return iterations_; }
    double finalLoss() const { return loss_; }
    bool converged() const { return converged_; }

private:
    LogisticRegressionOptions o_;
    int64_t classes_ = 0, dim_ = 0;
    std::vector<double> w_;  // [rows, dim+1], rows = 1 (binary) or K; last column = intercept
    int64_t iterations_ = 0;
    double loss_ = 0;
    bool converged_ = false;
};

}  // namespace embedlab::eval
