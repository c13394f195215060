#include "engine/eval/label_metrics.h"

#include "engine/core/error.h"

#include <map>

namespace embedlab::eval {
namespace {

void checkSizes(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
    if (a.size() != b.size()) throw Error::runtime("label metrics: y_true and y_pred differ in length");
    if (a.empty()) throw Error::badInput("label metrics: no samples");
}

template <typename F>
double weighted(const std::vector<PerLabel>& s, F f) {
    double num = 0, den = 0;
    for (const auto& p : s) {
        num += f(p) * static_cast<double>(p.support);
        den += static_cast<double>(p.support);
    }
    return den > 0 ? num / den : 0.0;
}

}  // namespace

double accuracy(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    checkSizes(yTrue, yPred);
    int64_t ok = 0;
    for (size_t i = 0; i < yTrue.size(); ++i) ok += yTrue[i] == yPred[i];
    return static_cast<double>(ok) / static_cast<double>(yTrue.size());
}

std::vector<PerLabel> perLabelScores(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    checkSizes(yTrue, yPred);
    struct C {
        int64_t tp = 0, pred = 0, truth = 0;
    };
    std::map<int64_t, C> c;
    for (size_t i = 0; i < yTrue.size(); ++i) {
        c[yTrue[i]].truth++;
        c[yPred[i]].pred++;
        if (yTrue[i] == yPred[i]) c[yTrue[i]].tp++;
    }
    std::vector<PerLabel> out;
    out.reserve(c.size());
    for (const auto& [label, v] : c) {
        PerLabel p{label, 0, 0, 0, v.truth};
        p.precision = v.pred > 0 ? static_cast<double>(v.tp) / static_cast<double>(v.pred) : 0.0;
        p.recall = v.truth > 0 ? static_cast<double>(v.tp) / static_cast<double>(v.truth) : 0.0;
        // sklearn: (1 + beta²)·P·R / (beta²·P + R), 0 when the denominator is 0
        const double den = p.precision + p.recall;
        p.f1 = den > 0 ? 2.0 * p.precision * p.recall / den : 0.0;
        out.push_back(p);
    }
    return out;
}

double f1Macro(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    const auto s = perLabelScores(yTrue, yPred);
    double sum = 0;
    for (const auto& p : s) sum += p.f1;
    return sum / static_cast<double>(s.size());
}

double f1Weighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    return weighted(perLabelScores(yTrue, yPred), [](const PerLabel& p) { return p.f1; });
}
double precisionWeighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    return weighted(perLabelScores(yTrue, yPred), [](const PerLabel& p) { return p.precision; });
}
double recallWeighted(const std::vector<int64_t>& yTrue, const std::vector<int64_t>& yPred) {
    return weighted(perLabelScores(yTrue, yPred), [](const PerLabel& p) { return p.recall; });
}

}  // namespace embedlab::eval
