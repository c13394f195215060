#include "analysis/knn.h"

#include "core/error.h"
#include "device/device.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>

namespace embedlab {

namespace {

int64_t batchRows(int64_t n) { return std::clamp<int64_t>((int64_t(1) << 23) / std::max<int64_t>(n, 1), 16, 8192); }

}  // namespace

KnnGraph knnExact(const at::Tensor& xIn, const at::Tensor& qIn, int64_t k, Metric metric,
                  const std::vector<int64_t>& selfRows, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "kNN");
    at::Tensor q = checkedMatrix(qIn.dim() == 1 ? qIn.unsqueeze(0) : qIn, "kNN query");
    if (q.size(1) != x.size(1))
        throw Error::badInput("kNN: query has " + std::to_string(q.size(1)) + " dimensions, data has " +
                              std::to_string(x.size(1)));
    const int64_t n = x.size(0), nq = q.size(0);
    if (!selfRows.empty() && static_cast<int64_t>(selfRows.size()) != nq)
        throw Error::badInput("kNN: selfRows must name one row per query");
    const int64_t avail = selfRows.empty() ? n : n - 1;
    k = std::max<int64_t>(0, std::min(k, avail));
    KnnGraph g;
    g.indices = at::empty({nq, k}, at::kLong);
    g.distances = at::empty({nq, k}, at::kFloat);
    if (k == 0) return g;
    at::Tensor xn, invx;
    if (metric == Metric::Euclidean) xn = (x * x).sum(1);
    if (metric == Metric::Cosine) invx = 1.0 / x.norm(2, 1).clamp_min(1e-12);
    const int64_t bs = batchRows(n);
    const at::Tensor xt = x.t();
    const int64_t blocks = (nq + bs - 1) / bs;
    // Blocks of queries in parallel, each one single-threaded BLAS product and top-k: one pool of
    // threads instead of OpenBLAS's and OpenMP's taking turns on the cores (device/device.h).
    SingleThreadedBlas oneBlasPool;
    std::atomic<int64_t> done{0};
    at::parallel_for(0, blocks, 1, [&](int64_t blk0, int64_t blk1) {
        at::InferenceMode inference;  // thread-local; the results may be inference tensors
        for (int64_t blk = blk0; blk < blk1; ++blk) {
            const int64_t b0 = blk * bs, b1 = std::min(nq, b0 + bs);
            if (at::get_thread_num() == 0) progress.report(double(done.load()) / double(nq), "nearest neighbours");
            else progress.checkCancelled();
            at::Tensor qb = q.slice(0, b0, b1);
            at::Tensor s = at::mm(qb, xt);  // [B, N]
            switch (metric) {
            case Metric::Dot: s.neg_(); break;
            case Metric::Cosine: {
                at::Tensor invq = 1.0 / qb.norm(2, 1).clamp_min(1e-12);
                s.mul_(invq.unsqueeze(1)).mul_(invx.unsqueeze(0)).neg_().add_(1.0);
                break;
            }
            case Metric::Euclidean:
                s.mul_(-2.0).add_(xn.unsqueeze(0)).add_((qb * qb).sum(1).unsqueeze(1)).clamp_min_(0.0);
                break;
            }
            if (!selfRows.empty()) {
                float* sp = s.data_ptr<float>();
                for (int64_t r = b0; r < b1; ++r) {
                    const int64_t c = selfRows[static_cast<size_t>(r)];
                    if (c >= 0 && c < n) sp[(r - b0) * n + c] = std::numeric_limits<float>::infinity();
                }
            }
            auto tk = at::topk(s, k, 1, /*largest=*/false, /*sorted=*/true);
            at::Tensor d = std::get<0>(tk);
            if (metric == Metric::Euclidean) d = d.sqrt();
            g.distances.slice(0, b0, b1).copy_(d);
            g.indices.slice(0, b0, b1).copy_(std::get<1>(tk));
            done += b1 - b0;
        }
    });
    progress.report(1.0, "nearest neighbours");
    return g;
}

namespace {

KnnGraph knnHnsw(const at::Tensor& x0, int64_t k, const KnnOptions& o, Progress& progress) {
    at::Tensor x = x0;
    if (o.metric == Metric::Cosine) x = (x / x.norm(2, 1, true).clamp_min(1e-12)).contiguous();
    const int64_t n = x.size(0), d = x.size(1);
    std::unique_ptr<hnswlib::SpaceInterface<float>> space;
    if (o.metric == Metric::Euclidean) space = std::make_unique<hnswlib::L2Space>(static_cast<size_t>(d));
    else space = std::make_unique<hnswlib::InnerProductSpace>(static_cast<size_t>(d));
    hnswlib::HierarchicalNSW<float> index(space.get(), static_cast<size_t>(n), static_cast<size_t>(o.hnswM),
                                          static_cast<size_t>(o.hnswEfConstruction), static_cast<size_t>(o.seed));
    const float* p = x.data_ptr<float>();
    index.addPoint(p, 0);
    const int64_t block = 4096;
    for (int64_t b0 = 1; b0 < n; b0 += block) {
        progress.report(0.7 * double(b0) / double(n), "building HNSW index");
        const int64_t b1 = std::min(n, b0 + block);
        at::parallel_for(b0, b1, 64, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) index.addPoint(p + i * d, static_cast<hnswlib::labeltype>(i));
        });
    }
    index.setEf(static_cast<size_t>(o.hnswEf > 0 ? std::max<int64_t>(o.hnswEf, k + 1) : std::max<int64_t>(2 * k + 1, 64)));
    KnnGraph g;
    g.exact = false;
    g.indices = at::full({n, k}, -1, at::kLong);
    g.distances = at::full({n, k}, std::numeric_limits<float>::infinity(), at::kFloat);
    int64_t* gi = g.indices.data_ptr<int64_t>();
    float* gd = g.distances.data_ptr<float>();
    for (int64_t b0 = 0; b0 < n; b0 += block) {
        progress.report(0.7 + 0.3 * double(b0) / double(n), "querying HNSW index");
        const int64_t b1 = std::min(n, b0 + block);
        at::parallel_for(b0, b1, 64, [&](int64_t s, int64_t e) {
            std::vector<std::pair<float, int64_t>> res;
            for (int64_t i = s; i < e; ++i) {
                auto pq = index.searchKnn(p + i * d, static_cast<size_t>(k + 1));
                res.clear();
                while (!pq.empty()) {
                    res.emplace_back(pq.top().first, static_cast<int64_t>(pq.top().second));
                    pq.pop();
                }
                std::reverse(res.begin(), res.end());
                int64_t c = 0;
                for (const auto& [dist, j] : res) {
                    if (j == i || c >= k) continue;
                    float dd = dist;
                    if (o.metric == Metric::Euclidean) dd = std::sqrt(std::max(dd, 0.0f));
                    else if (o.metric == Metric::Dot) dd = dd - 1.0f;  // hnswlib's IP distance is 1 − x·y
                    gi[i * k + c] = j;
                    gd[i * k + c] = dd;
                    ++c;
                }
            }
        });
    }
    // A query may come back one short (itself not among the k+1): fill from exact search.
    std::vector<int64_t> missing;
    for (int64_t i = 0; i < n; ++i)
        if (gi[i * k + k - 1] < 0) missing.push_back(i);
    if (!missing.empty()) {
        at::Tensor qi = at::tensor(missing, at::kLong);
        KnnGraph e = knnExact(x0, x0.index_select(0, qi), k, o.metric, missing, progress);
        g.indices.index_copy_(0, qi, e.indices);
        g.distances.index_copy_(0, qi, e.distances);
    }
    progress.report(1.0, "nearest neighbours");
    return g;
}

}  // namespace

KnnGraph knnGraph(const at::Tensor& xIn, const KnnOptions& o, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "kNN");
    const int64_t n = x.size(0);
    const int64_t k = std::max<int64_t>(0, std::min(o.k, n - 1));
    if (k > 0 && (o.forceHnsw || n > o.exactLimit)) return knnHnsw(x, k, o, progress);
    std::vector<int64_t> self(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) self[static_cast<size_t>(i)] = i;
    return knnExact(x, x, k, o.metric, self, progress);
}

namespace {
std::vector<Neighbor> toNeighbors(const KnnGraph& g, Metric m, const std::vector<int64_t>& exclude, int64_t k) {
    std::vector<Neighbor> out;
    const int64_t* gi = g.indices.data_ptr<int64_t>();
    const float* gd = g.distances.data_ptr<float>();
    for (int64_t j = 0; j < g.indices.size(1) && static_cast<int64_t>(out.size()) < k; ++j) {
        if (std::find(exclude.begin(), exclude.end(), gi[j]) != exclude.end()) continue;
        const double d = gd[j];
        out.push_back({gi[j], m == Metric::Cosine ? 1.0 - d : m == Metric::Dot ? -d : d});
    }
    return out;
}
}  // namespace

std::vector<Neighbor> nearestToRow(const at::Tensor& x, int64_t row, int64_t k, Metric metric) {
    if (x.dim() != 2) throw Error::badInput("neighbours: expected a 2-D matrix [N, D]");
    if (row < 0 || row >= x.size(0))
        throw Error::badInput("neighbours: row " + std::to_string(row) + " is out of range (0.." +
                              std::to_string(x.size(0) - 1) + ")");
    KnnGraph g = knnExact(x, x.select(0, row).unsqueeze(0), k, metric, {row});
    return toNeighbors(g, metric, {}, k);
}

std::vector<Neighbor> nearestToVector(const at::Tensor& x, const at::Tensor& v, int64_t k, Metric metric,
                                      const std::vector<int64_t>& exclude) {
    KnnGraph g = knnExact(x, v.reshape({1, -1}), k + static_cast<int64_t>(exclude.size()), metric);
    return toNeighbors(g, metric, exclude, k);
}

std::vector<Neighbor> analogy(const at::Tensor& xIn, int64_t a, int64_t b, int64_t c, int64_t k, Metric metric) {
    at::Tensor x = checkedMatrix(xIn, "analogy");
    for (int64_t r : {a, b, c})
        if (r < 0 || r >= x.size(0)) throw Error::badInput("analogy: row " + std::to_string(r) + " is out of range");
    auto row = [&](int64_t r) {
        at::Tensor v = x.select(0, r);
        return metric == Metric::Cosine ? v / v.norm().clamp_min(1e-12) : v;
    };
    at::Tensor v = row(a) - row(b) + row(c);
    return nearestToVector(x, v, k, metric, {a, b, c});
}

}  // namespace embedlab
