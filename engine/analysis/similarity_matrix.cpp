// The cosine similarity of every pair of a few vectors. See similarity_matrix.h.
#include "engine/analysis/similarity_matrix.h"

#include <algorithm>
#include <cmath>

namespace embedlab {

std::vector<float> cosineSimilarityMatrix(const std::vector<const float*>& rows, int64_t dim, Progress& progress) {
    const size_t n = rows.size(), d = static_cast<size_t>(dim);
    std::vector<double> u(n * d);  // unit vectors in double precision
    for (size_t i = 0; i < n; ++i) {
        const float* p = rows[i];
        double norm = 0;
        for (size_t k = 0; k < d; ++k) norm += double(p[k]) * double(p[k]);
        norm = std::sqrt(norm);
        for (size_t k = 0; k < d; ++k) u[i * d + k] = norm > 0 ? double(p[k]) / norm : 0.0;
    }
    std::vector<float> sim(n * n);
    for (size_t i = 0; i < n; ++i) {
        if ((i & 15) == 0) progress.report(double(i) / double(std::max<size_t>(1, n)), "cosine similarities");
        const double* a = &u[i * d];
        for (size_t j = i; j < n; ++j) {
            const double* b = &u[j * d];
            double s = 0;
            for (size_t k = 0; k < d; ++k) s += a[k] * b[k];
            sim[i * n + j] = sim[j * n + i] = static_cast<float>(s);
        }
    }
    progress.report(1.0, "cosine similarities");
    return sim;
}

}  // namespace embedlab
