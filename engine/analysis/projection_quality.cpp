#include "engine/analysis/projection_quality.h"

#include "engine/analysis/knn.h"
#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace embedlab {

namespace {

// Pairwise distances of rows [b0,b1) of x to all rows, float64, as sklearn computes them
// (euclidean: sqrt(|a|² − 2a·b + |b|²) clipped at 0; cosine: 1 − a·b/(|a||b|)).
at::Tensor distanceBlock(const at::Tensor& x64, const at::Tensor& sq, int64_t b0, int64_t b1, Metric metric) {
    at::Tensor q = x64.slice(0, b0, b1);
    at::Tensor s = at::mm(q, x64.t());
    if (metric == Metric::Euclidean) {
        s.mul_(-2.0).add_(sq.unsqueeze(0)).add_(sq.slice(0, b0, b1).unsqueeze(1)).clamp_min_(0.0).sqrt_();
    } else {
        at::Tensor inv = 1.0 / sq.sqrt().clamp_min(1e-300);
        s.mul_(inv.slice(0, b0, b1).unsqueeze(1)).mul_(inv.unsqueeze(0)).neg_().add_(1.0);
    }
    return s;
}

}  // namespace

double trustworthiness(const at::Tensor& xIn, const at::Tensor& yIn, int64_t k, Metric metric, Progress& progress) {
    if (xIn.dim() != 2 || yIn.dim() != 2 || xIn.size(0) != yIn.size(0))
        throw Error::badInput("trustworthiness: X and the embedding must be 2-D with the same number of rows");
    const int64_t n = xIn.size(0);
    if (k < 1 || double(k) >= double(n) / 2.0)
        throw Error::badInput("trustworthiness: n_neighbors (" + std::to_string(k) + ") must be below n_samples / 2 (" +
                              std::to_string(n) + " / 2)");
    if (metric == Metric::Dot) metric = Metric::Cosine;
    at::Tensor x = xIn.to(at::kDouble).contiguous();
    at::Tensor y = yIn.to(at::kDouble).contiguous();
    at::Tensor sq = (x * x).sum(1);
    at::Tensor ysq = (y * y).sum(1);
    const int64_t bs = std::clamp<int64_t>((int64_t(1) << 22) / n, 8, 4096);
    double total = 0;
    for (int64_t b0 = 0; b0 < n; b0 += bs) {
        progress.report(double(b0) / double(n), "trustworthiness");
        const int64_t b1 = std::min(n, b0 + bs);
        at::Tensor dx = distanceBlock(x, sq, b0, b1, metric).contiguous();
        // Embedding neighbours (euclidean), the point itself excluded, as NearestNeighbors.kneighbors().
        at::Tensor yq = y.slice(0, b0, b1);
        at::Tensor dy = at::mm(yq, y.t()).mul_(-2.0).add_(ysq.unsqueeze(0)).add_(ysq.slice(0, b0, b1).unsqueeze(1));
        dy = dy.contiguous();
        for (int64_t r = b0; r < b1; ++r) dy.data_ptr<double>()[(r - b0) * n + r] = std::numeric_limits<double>::infinity();
        at::Tensor nbr = std::get<1>(at::topk(dy, k, 1, false, true)).contiguous();
        const double* dxp = dx.data_ptr<double>();
        const int64_t* np_ = nbr.data_ptr<int64_t>();
        std::vector<double> partial(static_cast<size_t>(b1 - b0), 0.0);
        at::parallel_for(b0, b1, 1, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) {
                const double* row = dxp + (i - b0) * n;
                double t = 0;
                for (int64_t c = 0; c < k; ++c) {
                    const int64_t j = np_[(i - b0) * k + c];
                    const double dj = row[j];
                    // rank of j among i's neighbours in X (1-based, i itself excluded as +inf)
                    int64_t less = 0;
                    for (int64_t l = 0; l < n; ++l) less += (row[l] < dj) & (l != i);
                    const int64_t rank = less + 1;
                    if (rank > k) t += double(rank - k);
                }
                partial[static_cast<size_t>(i - b0)] = t;
            }
        });
        for (double t : partial) total += t;
    }
    progress.report(1.0, "trustworthiness");
    const double nd = double(n), kd = double(k);
    return 1.0 - total * (2.0 / (nd * kd * (2.0 * nd - 3.0 * kd - 1.0)));
}

ProjectionQuality projectionQuality(const at::Tensor& xIn, const at::Tensor& yIn, const QualityOptions& o,
                                    Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "projection quality");
    if (yIn.dim() != 2 || yIn.size(0) != x.size(0))
        throw Error::badInput("projection quality: the embedding must have one row per vector");
    at::Tensor y = yIn.to(at::kFloat).contiguous();
    const int64_t n = x.size(0);
    ProjectionQuality q;
    std::vector<int64_t> rows(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    if (n > o.sampleLimit && o.sampleLimit > 0) {
        std::mt19937_64 rng(o.seed);
        std::shuffle(rows.begin(), rows.end(), rng);
        rows.resize(static_cast<size_t>(o.sampleLimit));
        std::sort(rows.begin(), rows.end());
        q.sampled = true;
    }
    const int64_t s = static_cast<int64_t>(rows.size());
    q.sampleSize = s;
    // sklearn requires k < n/2
    q.k = std::min<int64_t>(o.k, (s - 1) / 2);
    if (q.k < 1) {
        q.k = 0;
        q.trustworthiness = std::numeric_limits<double>::quiet_NaN();
        q.knnRecall = std::numeric_limits<double>::quiet_NaN();
        return q;
    }
    at::Tensor idx = at::tensor(rows, at::kLong);
    {
        Progress first(progress, 0.0, 0.6);
        at::Tensor xs = q.sampled ? x.index_select(0, idx) : x;
        at::Tensor ys = q.sampled ? y.index_select(0, idx) : y;
        q.trustworthiness = trustworthiness(xs, ys, q.k, o.metric, first);
    }
    // kNN recall of the sampled rows against all rows.
    const Metric hm = o.metric == Metric::Dot ? Metric::Cosine : o.metric;
    at::Tensor xq = x.index_select(0, idx), yq = y.index_select(0, idx);
    Progress second(progress, 0.6, 0.95), third(progress, 0.95, 1.0);
    KnnGraph gx = knnExact(x, xq, q.k, hm, rows, second);
    KnnGraph gy = knnExact(y, yq, q.k, Metric::Euclidean, rows, third);
    const int64_t* a = gx.indices.data_ptr<int64_t>();
    const int64_t* b = gy.indices.data_ptr<int64_t>();
    int64_t hits = 0;
    for (int64_t i = 0; i < s; ++i) {
        std::vector<int64_t> ra(a + i * q.k, a + (i + 1) * q.k), rb(b + i * q.k, b + (i + 1) * q.k);
        std::sort(ra.begin(), ra.end());
        std::sort(rb.begin(), rb.end());
        std::vector<int64_t> inter;
        std::set_intersection(ra.begin(), ra.end(), rb.begin(), rb.end(), std::back_inserter(inter));
        hits += static_cast<int64_t>(inter.size());
    }
    q.knnRecall = double(hits) / double(s * q.k);
    progress.report(1.0, "projection quality");
    return q;
}

}  // namespace embedlab
