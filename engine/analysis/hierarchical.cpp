#include "engine/analysis/hierarchical.h"

#include "engine/core/error.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace embedlab {

Dendrogram averageLinkage(const std::vector<float>& sim, int n, Progress& progress) {
    if (n < 0 || sim.size() != size_t(n) * size_t(n))
        throw Error::badInput("average linkage: the similarity matrix is not n × n");
    Dendrogram out;
    out.leafOrder.resize(size_t(n));
    std::iota(out.leafOrder.begin(), out.leafOrder.end(), 0);
    if (n <= 1) return out;
    const size_t N = size_t(n);
    std::vector<double> dist(N * N);
    for (size_t i = 0; i < N; ++i)
        for (size_t j = 0; j < N; ++j) dist[i * N + j] = 1.0 - double(sim[i * N + j]);
    std::vector<std::vector<int>> members(N);
    std::vector<int> clusterId(N);  // SciPy's number of the cluster held in slot i
    std::vector<bool> alive(N, true);
    for (size_t i = 0; i < N; ++i) {
        members[i] = {int(i)};
        clusterId[i] = int(i);
    }
    auto s = [&](int x, int y) { return double(sim[size_t(x) * N + size_t(y)]); };
    for (int step = 0; step < n - 1; ++step) {
        if ((step & 7) == 0) progress.report(double(step) / n, "clustering");
        size_t bi = 0, bj = 0;
        double best = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < N; ++i) {
            if (!alive[i]) continue;
            for (size_t j = i + 1; j < N; ++j) {
                if (!alive[j]) continue;
                const double v = dist[i * N + j];
                if (v < best) {
                    best = v;
                    bi = i;
                    bj = j;
                }
            }
        }
        const double ni = double(members[bi].size()), nj = double(members[bj].size());
        for (size_t k = 0; k < N; ++k) {
            if (!alive[k] || k == bi || k == bj) continue;
            const double v = (ni * dist[bi * N + k] + nj * dist[bj * N + k]) / (ni + nj);
            dist[bi * N + k] = dist[k * N + bi] = v;
        }
        out.merges.push_back({std::min(clusterId[bi], clusterId[bj]), std::max(clusterId[bi], clusterId[bj]), best,
                              int(ni + nj)});
        clusterId[bi] = n + step;
        // Leaf order: the merged cluster keeps its members in dendrogram order; the pair is joined at
        // the ends that are most similar.
        auto& a = members[bi];
        auto& b = members[bj];
        const double ab = s(a.back(), b.front()), aRb = s(a.back(), b.back()), Rab = s(a.front(), b.front()),
                     RaRb = s(a.front(), b.back());
        const double m = std::max({ab, aRb, Rab, RaRb});
        if (m == aRb) std::reverse(b.begin(), b.end());
        else if (m == Rab) std::reverse(a.begin(), a.end());
        else if (m == RaRb) {
            std::reverse(a.begin(), a.end());
            std::reverse(b.begin(), b.end());
        }
        a.insert(a.end(), b.begin(), b.end());
        b.clear();
        alive[bj] = false;
    }
    for (size_t i = 0; i < N; ++i)
        if (alive[i]) out.leafOrder = members[i];
    progress.report(1.0, "clustered");
    return out;
}

std::vector<int> meanSimilarityOrder(const std::vector<float>& sim, int n) {
    std::vector<double> mean(size_t(n), 0.0);
    for (int i = 0; i < n; ++i) {
        double t = 0;
        for (int j = 0; j < n; ++j)
            if (j != i) t += sim[size_t(i) * size_t(n) + size_t(j)];
        mean[size_t(i)] = n > 1 ? t / (n - 1) : 0.0;
    }
    std::vector<int> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return mean[size_t(a)] > mean[size_t(b)]; });
    return order;
}

}  // namespace embedlab
