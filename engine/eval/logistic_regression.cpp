#include "engine/eval/logistic_regression.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>

namespace embedlab::eval {
namespace {

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

// log(1 + exp(z)) without overflow
double log1pexp(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

}  // namespace

void LogisticRegression::fit(const Matrix& x, const std::vector<int64_t>& labels, int64_t numClasses, Progress& progress) {
    const int64_t n = x.rows, d = x.cols;
    if (n == 0) throw Error::badInput("logistic regression: no training samples");
    if (static_cast<int64_t>(labels.size()) != n) throw Error::runtime("logistic regression: labels/rows mismatch");
    if (numClasses < 2) throw Error::badInput("logistic regression needs at least 2 classes in the training split");
    classes_ = numClasses;
    dim_ = d;
    const int64_t rows = numClasses == 2 ? 1 : numClasses;
    const int64_t stride = d + 1;
    const size_t P = static_cast<size_t>(rows * stride);
    const double l2 = 1.0 / (o_.C * static_cast<double>(n));
    std::vector<double> xd(static_cast<size_t>(n * d));
    for (int64_t i = 0; i < n * d; ++i) xd[static_cast<size_t>(i)] = x.data[static_cast<size_t>(i)];

    std::vector<double> z(static_cast<size_t>(rows));
    auto objective = [&](const std::vector<double>& w, std::vector<double>& g) {
        std::fill(g.begin(), g.end(), 0.0);
        double loss = 0;
        for (int64_t i = 0; i < n; ++i) {
            const double* xi = xd.data() + i * d;
            for (int64_t r = 0; r < rows; ++r) {
                const double* wr = w.data() + r * stride;
                double s = wr[d];
                for (int64_t j = 0; j < d; ++j) s += wr[j] * xi[j];
                z[static_cast<size_t>(r)] = s;
            }
            const int64_t y = labels[static_cast<size_t>(i)];
            if (rows == 1) {
                const double zz = z[0];
                loss += log1pexp(zz) - (y == 1 ? zz : 0.0);
                const double p = zz >= 0 ? 1.0 / (1.0 + std::exp(-zz)) : std::exp(zz) / (1.0 + std::exp(zz));
                const double e = p - (y == 1 ? 1.0 : 0.0);
                for (int64_t j = 0; j < d; ++j) g[static_cast<size_t>(j)] += e * xi[j];
                g[static_cast<size_t>(d)] += e;
            } else {
                const double mx = *std::max_element(z.begin(), z.end());
                double se = 0;
                for (double v : z) se += std::exp(v - mx);
                const double lse = mx + std::log(se);
                loss += lse - z[static_cast<size_t>(y)];
                for (int64_t r = 0; r < rows; ++r) {
                    const double e = std::exp(z[static_cast<size_t>(r)] - lse) - (r == y ? 1.0 : 0.0);
                    double* gr = g.data() + r * stride;
                    for (int64_t j = 0; j < d; ++j) gr[j] += e * xi[j];
                    gr[d] += e;
                }
            }
        }
        loss /= static_cast<double>(n);
        for (auto& v : g) v /= static_cast<double>(n);
        double reg = 0;
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < d; ++j) {
                const size_t k = static_cast<size_t>(r * stride + j);
                reg += w[k] * w[k];
                g[k] += l2 * w[k];
            }
        return loss + 0.5 * l2 * reg;
    };
    auto maxAbs = [](const std::vector<double>& v) {
        double m = 0;
        for (double t : v) m = std::max(m, std::abs(t));
        return m;
    };

    std::vector<double> w(P, 0.0), g(P), gNew(P), wNew(P), dir(P);
    double f = objective(w, g);
    std::deque<std::vector<double>> S, Y;
    std::deque<double> rho;
    const double ftol = 64 * std::numeric_limits<double>::epsilon();
    converged_ = false;
    iterations_ = 0;
    for (int64_t it = 0; it < o_.maxIter; ++it) {
        progress.report(static_cast<double>(it) / static_cast<double>(o_.maxIter), "logistic regression");
        if (maxAbs(g) <= o_.tol) {
            converged_ = true;
            break;
        }
        // two-loop recursion
        dir = g;
        std::vector<double> alpha(S.size());
        for (size_t k = S.size(); k-- > 0;) {
            alpha[k] = rho[k] * dot(S[k], dir);
            for (size_t t = 0; t < P; ++t) dir[t] -= alpha[k] * Y[k][t];
        }
        double gamma = 1.0;
        if (!S.empty()) gamma = dot(S.back(), Y.back()) / dot(Y.back(), Y.back());
        for (auto& v : dir) v *= gamma;
        for (size_t k = 0; k < S.size(); ++k) {
            const double beta = rho[k] * dot(Y[k], dir);
            for (size_t t = 0; t < P; ++t) dir[t] += S[k][t] * (alpha[k] - beta);
        }
        for (auto& v : dir) v = -v;
        double gd = dot(g, dir);
        if (gd >= 0) {  // not a descent direction: restart with steepest descent
            S.clear();
            Y.clear();
            rho.clear();
            for (size_t t = 0; t < P; ++t) dir[t] = -g[t];
            gd = dot(g, dir);
        }
        double step = S.empty() ? std::min(1.0, 1.0 / std::sqrt(dot(g, g))) : 1.0;
        // backtracking line search with the Armijo condition (and a curvature check for the update)
        double fNew = 0;
        bool ok = false;
        for (int ls = 0; ls < 50; ++ls) {
            for (size_t t = 0; t < P; ++t) wNew[t] = w[t] + step * dir[t];
            fNew = objective(wNew, gNew);
            if (fNew <= f + 1e-4 * step * gd) {
                ok = true;
                break;
            }
            step *= 0.5;
        }
        iterations_ = it + 1;
        if (!ok) break;  // no progress possible
        std::vector<double> s(P), y(P);
        for (size_t t = 0; t < P; ++t) {
            s[t] = wNew[t] - w[t];
            y[t] = gNew[t] - g[t];
        }
        const double sy = dot(s, y);
        if (sy > 1e-12 * dot(y, y)) {
            S.push_back(std::move(s));
            Y.push_back(std::move(y));
            rho.push_back(1.0 / sy);
            if (static_cast<int64_t>(S.size()) > o_.history) {
                S.pop_front();
                Y.pop_front();
                rho.pop_front();
            }
        }
        const double fOld = f;
        w.swap(wNew);
        g.swap(gNew);
        f = fNew;
        if ((fOld - f) / std::max({std::abs(fOld), std::abs(f), 1.0}) <= ftol) {
            converged_ = true;
            break;
        }
    }
    if (!converged_ && maxAbs(g) <= o_.tol) converged_ = true;
    w_ = std::move(w);
    loss_ = f;
}

Matrix LogisticRegression::decisionFunction(const Matrix& x) const {
    if (w_.empty()) throw Error::runtime("logistic regression: predict before fit");
    if (x.cols != dim_)
        throw Error::badInput("logistic regression: vectors have dimension " + std::to_string(x.cols) + ", the model " +
                              std::to_string(dim_));
    const int64_t rows = classes_ == 2 ? 1 : classes_;
    const int64_t stride = dim_ + 1;
    Matrix out(x.rows, rows);
    for (int64_t i = 0; i < x.rows; ++i) {
        const float* xi = x.row(i);
        for (int64_t r = 0; r < rows; ++r) {
            const double* wr = w_.data() + r * stride;
            double s = wr[dim_];
            for (int64_t j = 0; j < dim_; ++j) s += wr[j] * xi[j];
            out.row(i)[r] = static_cast<float>(s);
        }
    }
    return out;
}

std::vector<int64_t> LogisticRegression::predict(const Matrix& x) const {
    const Matrix s = decisionFunction(x);
    std::vector<int64_t> out(static_cast<size_t>(x.rows));
    for (int64_t i = 0; i < x.rows; ++i) {
        if (s.cols == 1) {
            out[static_cast<size_t>(i)] = s.row(i)[0] > 0 ? 1 : 0;
        } else {
            out[static_cast<size_t>(i)] = std::max_element(s.row(i), s.row(i) + s.cols) - s.row(i);
        }
    }
    return out;
}

}  // namespace embedlab::eval
