#include "engine/core/error.h"
#include "engine/eval/matrix.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace embedlab::eval {

std::vector<std::vector<Neighbour>> cosineTopK(const Matrix& queries, const Matrix& docs, int64_t k,
                                               const std::vector<int64_t>& tieKey, Progress& progress) {
    if (queries.cols != docs.cols)
        throw Error::badInput("query vectors have dimension " + std::to_string(queries.cols) +
                              " but document vectors " + std::to_string(docs.cols));
    if (!tieKey.empty() && static_cast<int64_t>(tieKey.size()) != docs.rows)
        throw Error::runtime("cosineTopK: tieKey size differs from the number of documents");
    k = std::min<int64_t>(k, docs.rows);
    std::vector<std::vector<Neighbour>> result(static_cast<size_t>(queries.rows));
    if (queries.rows == 0 || docs.rows == 0 || k <= 0) return result;
    Matrix qn = l2Normalized(queries);
    Matrix dn = l2Normalized(docs);
    at::Tensor dT = at::from_blob(dn.data.data(), {dn.rows, dn.cols}, at::kFloat).t();
    // Blocks of queries so that a block of scores stays around 64 MiB.
    const int64_t block = std::max<int64_t>(1, std::min<int64_t>(1024, (16ll << 20) / std::max<int64_t>(1, docs.rows)));
    auto tieLess = [&](int64_t a, int64_t b) {
        if (tieKey.empty()) return a < b;
        return tieKey[static_cast<size_t>(a)] != tieKey[static_cast<size_t>(b)]
                   ? tieKey[static_cast<size_t>(a)] < tieKey[static_cast<size_t>(b)]
                   : a < b;
    };
    std::vector<int64_t> order(static_cast<size_t>(docs.rows));
    for (int64_t b0 = 0; b0 < qn.rows; b0 += block) {
        progress.report(static_cast<double>(b0) / static_cast<double>(qn.rows), "similarity search");
        const int64_t b1 = std::min(qn.rows, b0 + block);
        at::Tensor q = at::from_blob(qn.row(b0), {b1 - b0, qn.cols}, at::kFloat);
        at::Tensor s = at::mm(q, dT).contiguous();
        const float* sp = s.data_ptr<float>();
        for (int64_t i = b0; i < b1; ++i) {
            const float* row = sp + (i - b0) * docs.rows;
            for (int64_t j = 0; j < docs.rows; ++j) order[static_cast<size_t>(j)] = j;
            auto better = [&](int64_t a, int64_t b) {
                if (row[a] != row[b]) return row[a] > row[b];
                return tieLess(a, b);
            };
            std::partial_sort(order.begin(), order.begin() + k, order.end(), better);
            auto& out = result[static_cast<size_t>(i)];
            out.reserve(static_cast<size_t>(k));
            for (int64_t j = 0; j < k; ++j) out.push_back({order[static_cast<size_t>(j)], row[order[static_cast<size_t>(j)]]});
            if ((i & 63) == 0) progress.checkCancelled();
        }
    }
    progress.report(1.0, "similarity search");
    return result;
}

}  // namespace embedlab::eval
