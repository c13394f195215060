#include "engine/eval/matrix.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>

namespace embedlab::eval {

Matrix Matrix::slice(int64_t begin, int64_t end) const {
    if (begin < 0 || end > rows || begin > end) throw Error::runtime("Matrix::slice out of range");
    Matrix m(end - begin, cols);
    std::copy(data.begin() + begin * cols, data.begin() + end * cols, m.data.begin());
    return m;
}

Matrix Matrix::gather(const std::vector<int64_t>& idx) const {
    Matrix m(static_cast<int64_t>(idx.size()), cols);
    for (size_t i = 0; i < idx.size(); ++i) {
        if (idx[i] < 0 || idx[i] >= rows) throw Error::runtime("Matrix::gather index out of range");
        std::copy(row(idx[i]), row(idx[i]) + cols, m.row(static_cast<int64_t>(i)));
    }
    return m;
}

Matrix l2Normalized(const Matrix& m) {
    Matrix out = m;
    for (int64_t i = 0; i < m.rows; ++i) {
        double s = 0;
        const float* r = m.row(i);
        for (int64_t j = 0; j < m.cols; ++j) s += static_cast<double>(r[j]) * r[j];
        const double n = std::sqrt(s);
        if (n == 0) continue;
        float* o = out.row(i);
        for (int64_t j = 0; j < m.cols; ++j) o[j] = static_cast<float>(r[j] / n);
    }
    return out;
}

std::vector<double> pairedCosine(const Matrix& a, const Matrix& b) {
    if (a.rows != b.rows || a.cols != b.cols) throw Error::badInput("pairedCosine: the two sets of vectors differ in shape");
    std::vector<double> out(static_cast<size_t>(a.rows));
    for (int64_t i = 0; i < a.rows; ++i) {
        const float* x = a.row(i);
        const float* y = b.row(i);
        double xy = 0, xx = 0, yy = 0;
        for (int64_t j = 0; j < a.cols; ++j) {
            xy += static_cast<double>(x[j]) * y[j];
            xx += static_cast<double>(x[j]) * x[j];
            yy += static_cast<double>(y[j]) * y[j];
        }
        const double d = std::sqrt(xx) * std::sqrt(yy);
        out[static_cast<size_t>(i)] = d > 0 ? xy / d : 0.0;
    }
    return out;
}

}  // namespace embedlab::eval
