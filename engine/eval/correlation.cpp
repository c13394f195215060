#include "engine/eval/correlation.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace embedlab::eval {

std::vector<double> averageRanks(const std::vector<double>& x) {
    const size_t n = x.size();
    std::vector<size_t> idx(n);
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
    std::vector<double> r(n);
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && x[idx[j]] == x[idx[i]]) ++j;
        // positions i..j-1 (0-based) share ranks i+1..j → average (i+1+j)/2
        const double avg = 0.5 * static_cast<double>(i + 1 + j);
        for (size_t t = i; t < j; ++t) r[idx[t]] = avg;
        i = j;
    }
    return r;
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) throw Error::runtime("pearson: inputs differ in length");
    const size_t n = x.size();
    if (n < 2) return std::numeric_limits<double>::quiet_NaN();
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxx = 0, syy = 0;
    for (size_t i = 0; i < n; ++i) {
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    const double nx = std::sqrt(sxx), ny = std::sqrt(syy);
    if (nx == 0 || ny == 0) return std::numeric_limits<double>::quiet_NaN();
    double r = 0;
    for (size_t i = 0; i < n; ++i) r += ((x[i] - mx) / nx) * ((y[i] - my) / ny);
    return std::max(-1.0, std::min(1.0, r));
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) throw Error::runtime("spearman: inputs differ in length");
    return pearson(averageRanks(x), averageRanks(y));
}

}  // namespace embedlab::eval
