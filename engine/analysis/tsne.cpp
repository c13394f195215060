#include "engine/analysis/tsne.h"

#include "engine/analysis/knn.h"
#include "engine/analysis/pca.h"
#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <vector>

namespace embedlab {

namespace detail {

at::Tensor binarySearchPerplexity(const at::Tensor& distIn, double perplexity, Progress& progress) {
    at::Tensor dist = distIn.to(at::kFloat).contiguous();
    const int64_t n = dist.size(0), k = dist.size(1);
    at::Tensor P = at::zeros({n, k}, at::kFloat);
    const float* d = dist.data_ptr<float>();
    float* p = P.data_ptr<float>();
    const double desired = std::log(perplexity);
    std::atomic<bool> stop{false};
    at::parallel_for(0, n, 256, [&](int64_t s, int64_t e) {
        std::vector<double> row(static_cast<size_t>(k));
        for (int64_t i = s; i < e; ++i) {
            if ((i & 63) == 0 && (stop || progress.cancelled())) {
                stop = true;
                return;
            }
            double beta = 1.0, betaMin = -std::numeric_limits<double>::infinity(),
                   betaMax = std::numeric_limits<double>::infinity();
            const float* di = d + i * k;
            for (int step = 0; step < 100; ++step) {
                double sumP = 0;
                for (int64_t j = 0; j < k; ++j) {
                    row[static_cast<size_t>(j)] = std::exp(-double(di[j]) * beta);
                    sumP += row[static_cast<size_t>(j)];
                }
                if (sumP == 0) sumP = 1e-8;  // sklearn's EPSILON_DBL
                double sumDP = 0;
                for (int64_t j = 0; j < k; ++j) {
                    row[static_cast<size_t>(j)] /= sumP;
                    sumDP += double(di[j]) * row[static_cast<size_t>(j)];
                }
                const double entropy = std::log(sumP) + beta * sumDP;
                const double diff = entropy - desired;
                if (std::fabs(diff) <= 1e-5) break;
                if (diff > 0) {
                    betaMin = beta;
                    beta = betaMax == std::numeric_limits<double>::infinity() ? beta * 2.0 : (beta + betaMax) / 2.0;
                } else {
                    betaMax = beta;
                    beta = betaMin == -std::numeric_limits<double>::infinity() ? beta / 2.0 : (beta + betaMin) / 2.0;
                }
            }
            for (int64_t j = 0; j < k; ++j) p[i * k + j] = static_cast<float>(row[static_cast<size_t>(j)]);
        }
    });
    if (stop) progress.checkCancelled();
    return P;
}

}  // namespace detail

namespace {

constexpr int kLevels = 21;

struct Csr {
    std::vector<int64_t> rowPtr;
    std::vector<int32_t> cols;
    std::vector<float> vals;
};

// P + Pᵀ, normalised to sum 1.
Csr symmetrise(const at::Tensor& idx, const at::Tensor& cond) {
    const int64_t n = idx.size(0), k = idx.size(1);
    const int64_t* ix = idx.data_ptr<int64_t>();
    const float* pv = cond.data_ptr<float>();
    std::vector<int64_t> cnt(static_cast<size_t>(n) + 1, 0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < k; ++c) {
            ++cnt[static_cast<size_t>(i) + 1];
            ++cnt[static_cast<size_t>(ix[i * k + c]) + 1];
        }
    for (int64_t i = 0; i < n; ++i) cnt[static_cast<size_t>(i) + 1] += cnt[static_cast<size_t>(i)];
    std::vector<std::pair<int32_t, float>> ent(static_cast<size_t>(cnt[static_cast<size_t>(n)]));
    std::vector<int64_t> fill(cnt.begin(), cnt.end() - 1);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < k; ++c) {
            const int64_t j = ix[i * k + c];
            const float v = pv[i * k + c];
            ent[static_cast<size_t>(fill[static_cast<size_t>(i)]++)] = {static_cast<int32_t>(j), v};
            ent[static_cast<size_t>(fill[static_cast<size_t>(j)]++)] = {static_cast<int32_t>(i), v};
        }
    Csr m;
    m.rowPtr.assign(static_cast<size_t>(n) + 1, 0);
    m.cols.reserve(ent.size());
    m.vals.reserve(ent.size());
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
        auto b = ent.begin() + cnt[static_cast<size_t>(i)], e = ent.begin() + cnt[static_cast<size_t>(i) + 1];
        std::sort(b, e, [](const auto& a, const auto& c) { return a.first < c.first; });
        for (auto it = b; it != e;) {
            int32_t j = it->first;
            double v = 0;
            while (it != e && it->first == j) v += (it++)->second;
            if (j == i) continue;
            m.cols.push_back(j);
            m.vals.push_back(static_cast<float>(v));
            total += v;
        }
        m.rowPtr[static_cast<size_t>(i) + 1] = static_cast<int64_t>(m.cols.size());
    }
    const float inv = static_cast<float>(1.0 / std::max(total, double(std::numeric_limits<float>::epsilon())));
    for (auto& v : m.vals) v *= inv;
    return m;
}

template <int D>
struct Node {
    float com[D];
    float count;
    float width2;  // squared width of the cell
    int32_t first;  // first child (children are contiguous), −1 for a leaf
    int32_t nchild;
    int32_t begin, end;  // range of Morton-sorted points
};

template <int D>
class BhTree {
public:
    std::vector<Node<D>> nodes;
    std::vector<int32_t> order;  // sorted position → point
    std::vector<int32_t> pos;    // point → sorted position
    std::vector<float> ys;       // coordinates in sorted order
    std::vector<uint64_t> codes;

    void build(const float* y, int64_t n) {
        float lo[D], hi[D];
        for (int d = 0; d < D; ++d) lo[d] = hi[d] = y[d];
        for (int64_t i = 1; i < n; ++i)
            for (int d = 0; d < D; ++d) {
                lo[d] = std::min(lo[d], y[i * D + d]);
                hi[d] = std::max(hi[d], y[i * D + d]);
            }
        float half = 0, center[D];
        for (int d = 0; d < D; ++d) {
            center[d] = 0.5f * (lo[d] + hi[d]);
            half = std::max(half, 0.5f * (hi[d] - lo[d]));
        }
        half = half * 1.001f + 1e-6f;
        const double scale = double(1u << kLevels) / (2.0 * half);
        std::vector<std::pair<uint64_t, int32_t>> keyed(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
            uint64_t code = 0;
            uint32_t q[D];
            for (int d = 0; d < D; ++d) {
                double v = (double(y[i * D + d]) - (double(center[d]) - half)) * scale;
                q[d] = static_cast<uint32_t>(std::clamp(v, 0.0, double((1u << kLevels) - 1)));
            }
            for (int l = kLevels - 1; l >= 0; --l)
                for (int d = 0; d < D; ++d) code |= uint64_t((q[d] >> l) & 1u) << (l * D + d);
            keyed[static_cast<size_t>(i)] = {code, static_cast<int32_t>(i)};
        }
        radixSort(keyed);
        order.resize(static_cast<size_t>(n));
        pos.resize(static_cast<size_t>(n));
        codes.resize(static_cast<size_t>(n));
        ys.resize(static_cast<size_t>(n * D));
        for (int64_t p = 0; p < n; ++p) {
            const int32_t i = keyed[static_cast<size_t>(p)].second;
            order[static_cast<size_t>(p)] = i;
            pos[static_cast<size_t>(i)] = static_cast<int32_t>(p);
            codes[static_cast<size_t>(p)] = keyed[static_cast<size_t>(p)].first;
            for (int d = 0; d < D; ++d) ys[static_cast<size_t>(p * D + d)] = y[i * D + d];
        }
        nodes.clear();
        nodes.reserve(static_cast<size_t>(2 * n + 16));
        nodes.emplace_back();
        fill(0, 0, static_cast<int32_t>(n), 0, 2.0f * half);
    }

private:
    void fill(int32_t ni, int32_t b, int32_t e, int level, float width) {
        {
            Node<D>& nd = nodes[static_cast<size_t>(ni)];
            nd.begin = b;
            nd.end = e;
            nd.count = float(e - b);
            nd.width2 = width * width;
            nd.first = -1;
            nd.nchild = 0;
        }
        if (e - b == 1 || level == kLevels) {
            double c[D] = {};
            for (int32_t p = b; p < e; ++p)
                for (int d = 0; d < D; ++d) c[d] += ys[static_cast<size_t>(p * D + d)];
            for (int d = 0; d < D; ++d) nodes[static_cast<size_t>(ni)].com[d] = static_cast<float>(c[d] / double(e - b));
            return;
        }
        const int shift = (kLevels - 1 - level) * D;
        const uint64_t mask = (uint64_t(1) << D) - 1;
        int32_t bounds[(1 << D) + 1];
        int32_t cur = b;
        for (uint64_t c = 0; c < (uint64_t(1) << D); ++c) {
            bounds[c] = cur;
            // first position whose child id exceeds c
            int32_t lo = cur, hi = e;
            while (lo < hi) {
                int32_t mid = lo + (hi - lo) / 2;
                if (((codes[static_cast<size_t>(mid)] >> shift) & mask) <= c) lo = mid + 1;
                else hi = mid;
            }
            cur = lo;
        }
        bounds[1 << D] = e;
        int nonEmpty = 0;
        for (int c = 0; c < (1 << D); ++c) nonEmpty += bounds[c + 1] > bounds[c];
        const int32_t first = static_cast<int32_t>(nodes.size());
        nodes.resize(nodes.size() + static_cast<size_t>(nonEmpty));
        nodes[static_cast<size_t>(ni)].first = first;
        nodes[static_cast<size_t>(ni)].nchild = nonEmpty;
        int slot = 0;
        for (int c = 0; c < (1 << D); ++c)
            if (bounds[c + 1] > bounds[c]) fill(first + slot++, bounds[c], bounds[c + 1], level + 1, width * 0.5f);
        double com[D] = {};
        for (int s = 0; s < nonEmpty; ++s) {
            const Node<D>& ch = nodes[static_cast<size_t>(first + s)];
            for (int d = 0; d < D; ++d) com[d] += double(ch.com[d]) * ch.count;
        }
        Node<D>& nd = nodes[static_cast<size_t>(ni)];
        for (int d = 0; d < D; ++d) nd.com[d] = static_cast<float>(com[d] / nd.count);
    }

    static void radixSort(std::vector<std::pair<uint64_t, int32_t>>& a) {
        constexpr int bits = 11, buckets = 1 << bits;
        std::vector<std::pair<uint64_t, int32_t>> tmp(a.size());
        std::vector<size_t> count(buckets);
        for (int shift = 0; shift < kLevels * D; shift += bits) {
            std::fill(count.begin(), count.end(), 0);
            for (const auto& x : a) ++count[(x.first >> shift) & (buckets - 1)];
            size_t sum = 0;
            for (auto& c : count) {
                size_t t = c;
                c = sum;
                sum += t;
            }
            for (const auto& x : a) tmp[count[(x.first >> shift) & (buckets - 1)]++] = x;
            a.swap(tmp);
        }
    }
};

constexpr int kGroup = 128;  // points per group in the repulsion walk

// A group's interaction list, structure-of-arrays: positions (cell centres of mass or points) and
// their point counts.
template <int D>
struct Interactions {
    std::vector<float> c[D];
    std::vector<float> count;
    void clear() {
        for (auto& v : c) v.clear();
        count.clear();
    }
    void push(const float* at, float cnt) {
        for (int d = 0; d < D; ++d) c[d].push_back(at[d]);
        count.push_back(cnt);
    }
};

// Σ cnt·q and the force Σ cnt·q²·(y − c) of one point against a list; q = (dof / (dof + d²))^((dof+1)/2)
// with dof = 1 (2-D) or 2 (3-D). Cloned for AVX-512 / AVX2 / baseline x86-64.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EMBEDLAB_TSNE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EMBEDLAB_TSNE_CLONES
#endif
EMBEDLAB_TSNE_CLONES float repulsion2(float px, float py, const float* cx, const float* cy, const float* cnt, int64_t m,
                                      float* fx, float* fy) {
    float sq = 0.f, ax = 0.f, ay = 0.f;
#pragma omp simd reduction(+ : sq, ax, ay)
    for (int64_t t = 0; t < m; ++t) {
        const float dx = px - cx[t], dy = py - cy[t];
        const float q = 1.f / (1.f + dx * dx + dy * dy);
        const float w = cnt[t] * q;
        sq += w;
        ax += w * q * dx;
        ay += w * q * dy;
    }
    *fx = ax;
    *fy = ay;
    return sq;
}
EMBEDLAB_TSNE_CLONES float repulsion3(const float* p, const float* cx, const float* cy, const float* cz, const float* cnt,
                                      int64_t m, float* f) {
    float sq = 0.f, ax = 0.f, ay = 0.f, az = 0.f;
#pragma omp simd reduction(+ : sq, ax, ay, az)
    for (int64_t t = 0; t < m; ++t) {
        const float dx = p[0] - cx[t], dy = p[1] - cy[t], dz = p[2] - cz[t];
        const float base = 2.f / (2.f + dx * dx + dy * dy + dz * dz);
        const float q = base * std::sqrt(base);  // exponent (dof + 1) / 2 = 1.5
        const float w = cnt[t] * q;
        sq += w;
        ax += w * q * dx;
        ay += w * q * dy;
        az += w * q * dz;
    }
    f[0] = ax;
    f[1] = ay;
    f[2] = az;
    return sq;
}

// Σ p_ij·q_ij·(y_i − y_j) over one row of P, 2-D (q = 1 / (1 + d²)); gathers, vectorised.
EMBEDLAB_TSNE_CLONES void attraction2(const float* y, int64_t i, const int32_t* cols, const float* vals, int64_t m,
                                      float* f) {
    const float px = y[2 * i], py = y[2 * i + 1];
    float ax = 0.f, ay = 0.f;
#pragma omp simd reduction(+ : ax, ay)
    for (int64_t t = 0; t < m; ++t) {
        const int64_t j = cols[t];
        const float dx = px - y[2 * j], dy = py - y[2 * j + 1];
        const float w = vals[t] / (1.f + dx * dx + dy * dy);
        ax += w * dx;
        ay += w * dy;
    }
    f[0] = ax;
    f[1] = ay;
}

template <int D>
float repulsion(const float* p, const Interactions<D>& l, double dof, float* f) {
    (void)dof;
    const int64_t m = static_cast<int64_t>(l.count.size());
    if constexpr (D == 2) return repulsion2(p[0], p[1], l.c[0].data(), l.c[1].data(), l.count.data(), m, &f[0], &f[1]);
    else return repulsion3(p, l.c[0].data(), l.c[1].data(), l.c[2].data(), l.count.data(), m, f);
}

template <int D>
void runTsne(float* y, int64_t n, const Csr& P, const TsneOptions& o, double lr, Progress& progress, TsneResult& res) {
    const double dof = std::max(D - 1, 1);
    const double exponent = (dof + 1.0) / 2.0;
    const float c = static_cast<float>(2.0 * (dof + 1.0) / dof);
    const float theta2 = static_cast<float>(o.theta * o.theta);
    std::vector<float> update(static_cast<size_t>(n * D), 0.f), gains(static_cast<size_t>(n * D), 1.f),
        grad(static_cast<size_t>(n * D)), neg(static_cast<size_t>(n * D));
    BhTree<D> tree;
    std::vector<int32_t> groups;
    std::vector<double> groupQ;
    std::atomic<bool> stop{false};
    auto qOf = [&](float d2) -> float {
        float q = static_cast<float>(dof / (dof + d2));
        return dof == 1.0 ? q : static_cast<float>(std::pow(q, exponent));
    };
    const int total = o.iterations;
    for (int it = 0; it < total; ++it) {
        const bool exploring = it < o.exaggerationIterations;
        if (it == o.exaggerationIterations) {  // sklearn restarts its optimiser after the exploration
            std::fill(update.begin(), update.end(), 0.f);
            std::fill(gains.begin(), gains.end(), 1.f);
        }
        const float exag = exploring ? static_cast<float>(o.earlyExaggeration) : 1.f;
        const float momentum = exploring ? 0.5f : 0.8f;
        tree.build(y, n);
        const auto& nodes = tree.nodes;
        // Negative forces, by groups of Morton-consecutive points (tree nodes of at most kGroup
        // points; Barnes 1990): one tree walk per group, opening a cell unless it is far from the
        // group's bounding box — a stricter test than sklearn's per-point one, so never less
        // accurate — then one flat, vectorised loop per point over the group's interaction list.
        groups.clear();
        {
            int32_t stack[kLevels * (1 << D) + 16];
            int sp = 0;
            stack[sp++] = 0;
            while (sp) {
                const int32_t ni = stack[--sp];
                const Node<D>& nd = nodes[static_cast<size_t>(ni)];
                if (nd.first < 0 || nd.count <= float(kGroup)) groups.push_back(ni);
                else
                    for (int s2 = nd.nchild - 1; s2 >= 0; --s2) stack[sp++] = nd.first + s2;
            }
        }
        const int64_t ng = static_cast<int64_t>(groups.size());
        groupQ.assign(static_cast<size_t>(ng), 0.0);
        at::parallel_for(0, ng, 1, [&](int64_t g0, int64_t g1) {
            int32_t stack[kLevels * (1 << D) + 16];
            Interactions<D> list;
            for (int64_t gi = g0; gi < g1; ++gi) {
                if ((gi & 63) == 0 && progress.cancelled()) {
                    stop = true;
                    break;
                }
                const Node<D>& grp = nodes[static_cast<size_t>(groups[static_cast<size_t>(gi)])];
                float lo[D], hi[D];
                for (int d = 0; d < D; ++d) lo[d] = hi[d] = tree.ys[static_cast<size_t>(grp.begin * D + d)];
                for (int32_t p = grp.begin + 1; p < grp.end; ++p)
                    for (int d = 0; d < D; ++d) {
                        lo[d] = std::min(lo[d], tree.ys[static_cast<size_t>(p * D + d)]);
                        hi[d] = std::max(hi[d], tree.ys[static_cast<size_t>(p * D + d)]);
                    }
                list.clear();
                int sp = 0;
                stack[sp++] = 0;
                while (sp) {
                    const Node<D>& nd = nodes[static_cast<size_t>(stack[--sp])];
                    const bool overlaps = nd.begin < grp.end && grp.begin < nd.end;
                    if (overlaps && grp.begin <= nd.begin && nd.end <= grp.end) {
                        // the group itself (or part of it): its points pairwise, self included
                        for (int32_t p = nd.begin; p < nd.end; ++p) list.push(&tree.ys[static_cast<size_t>(p * D)], 1.f);
                        continue;
                    }
                    if (!overlaps) {
                        float d2 = 0;
                        for (int d = 0; d < D; ++d) {
                            const float out = std::max(0.f, std::max(lo[d] - nd.com[d], nd.com[d] - hi[d]));
                            d2 += out * out;
                        }
                        if (nd.width2 < theta2 * d2) {
                            list.push(nd.com, nd.count);
                            continue;
                        }
                        if (nd.first < 0) {
                            for (int32_t p = nd.begin; p < nd.end; ++p) list.push(&tree.ys[static_cast<size_t>(p * D)], 1.f);
                            continue;
                        }
                    }
                    for (int s2 = 0; s2 < nd.nchild; ++s2) stack[sp++] = nd.first + s2;
                }
                double sQ = 0;
                for (int32_t p = grp.begin; p < grp.end; ++p) {
                    float f[D];
                    // minus the point's own term (q(0) = 1, zero force)
                    sQ += double(repulsion<D>(&tree.ys[static_cast<size_t>(p * D)], list, dof, f)) - 1.0;
                    const int32_t i = tree.order[static_cast<size_t>(p)];
                    for (int d = 0; d < D; ++d) neg[static_cast<size_t>(i * D + d)] = f[d];
                }
                groupQ[static_cast<size_t>(gi)] = sQ;
            }
        });
        if (stop) progress.checkCancelled();
        double sumQ = 0;
        for (double q : groupQ) sumQ += q;  // in group order: independent of the thread count
        const float invQ = static_cast<float>(1.0 / std::max(sumQ, 1e-12));
        // Positive forces, the gradient and the update.
        at::parallel_for(0, n, 512, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) {
                float f[D] = {};
                const int64_t r0 = P.rowPtr[static_cast<size_t>(i)], r1 = P.rowPtr[static_cast<size_t>(i) + 1];
                if constexpr (D == 2) {
                    attraction2(y, i, P.cols.data() + r0, P.vals.data() + r0, r1 - r0, f);
                } else {
                    const float* yi = y + i * D;
                    for (int64_t t = r0; t < r1; ++t) {
                        const float* yj = y + int64_t(P.cols[static_cast<size_t>(t)]) * D;
                        float dx[D], d2 = 0;
                        for (int d = 0; d < D; ++d) {
                            dx[d] = yi[d] - yj[d];
                            d2 += dx[d] * dx[d];
                        }
                        const float w = P.vals[static_cast<size_t>(t)] * qOf(d2);
                        for (int d = 0; d < D; ++d) f[d] += w * dx[d];
                    }
                }
                for (int d = 0; d < D; ++d)
                    grad[static_cast<size_t>(i * D + d)] = c * (exag * f[d] - neg[static_cast<size_t>(i * D + d)] * invQ);
            }
        });
        const float lrF = static_cast<float>(lr);
        at::parallel_for(0, n * D, 4096, [&](int64_t s, int64_t e) {
            for (int64_t t = s; t < e; ++t) {
                float& g = grad[static_cast<size_t>(t)];
                float& u = update[static_cast<size_t>(t)];
                float& gn = gains[static_cast<size_t>(t)];
                gn = (u * g < 0.f) ? gn + 0.2f : gn * 0.8f;
                if (gn < 0.01f) gn = 0.01f;
                u = momentum * u - lrF * g * gn;
                y[t] += u;
            }
        });
        res.iterations = it + 1;
        progress.report(0.1 + 0.9 * double(it + 1) / double(total), "t-SNE iteration " + std::to_string(it + 1));
        if (o.preview && o.previewEvery > 0 && ((it + 1) % o.previewEvery == 0 || it + 1 == total))
            o.preview(at::from_blob(y, {n, D}, at::kFloat).clone(), it + 1, total);
    }
}

}  // namespace

TsneResult tsne(const at::Tensor& xIn, const TsneOptions& o, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "t-SNE");
    if (o.dims != 2 && o.dims != 3) throw Error::badInput("t-SNE: dims must be 2 or 3");
    if (o.metric == Metric::Dot) throw Error::badInput("t-SNE: use the cosine or euclidean metric");
    if (!(o.perplexity > 0)) throw Error::badInput("t-SNE: perplexity must be positive");
    if (o.iterations < 0) throw Error::badInput("t-SNE: iterations must not be negative");
    if (!(o.theta >= 0)) throw Error::badInput("t-SNE: theta must not be negative");
    const int64_t n = x.size(0);
    TsneResult res;
    progress.report(0.0, "t-SNE");
    if (n < 2) {
        res.embedding = at::zeros({n, o.dims}, at::kFloat);
        progress.report(1.0, "t-SNE");
        return res;
    }
    // Fewer points than neighbours: use them all and lower the perplexity to what they can carry.
    res.perplexity = std::min(o.perplexity, std::max(1.0, double(n - 1) / 3.0));
    res.neighbors = std::min<int64_t>(n - 1, static_cast<int64_t>(3.0 * res.perplexity + 1.0));
    KnnOptions ko;
    ko.k = res.neighbors;
    ko.metric = o.metric;
    ko.exactLimit = o.knnExactLimit;
    KnnGraph g;
    {
        Progress sub(progress, 0.0, 0.08);
        g = knnGraph(x, ko, sub);
    }
    res.exactKnn = g.exact;
    at::Tensor dist = g.distances;
    if (o.metric == Metric::Euclidean) dist = dist * dist;
    progress.report(0.08, "t-SNE affinities");
    at::Tensor cond = detail::binarySearchPerplexity(dist, res.perplexity, progress);
    Csr P = symmetrise(g.indices.contiguous(), cond);
    progress.report(0.09, "t-SNE initialisation");
    at::Tensor y;
    if (o.init == TsneOptions::Init::Pca && x.size(1) >= o.dims) {
        PcaOptions po;
        po.components = o.dims;
        po.seed = o.seed;
        y = pca(x, po).coords;
        const double sd = y.select(1, 0).std(false).item<double>();
        y = (y / (sd > 0 ? sd : 1.0) * 1e-4).contiguous();
    } else {
        auto gen = at::detail::createCPUGenerator(o.seed);
        y = at::normal(0.0, 1e-4, {n, static_cast<int64_t>(o.dims)}, gen, at::TensorOptions().dtype(at::kFloat));
    }
    y = y.to(at::kFloat).contiguous().clone();
    const double lr = o.learningRate > 0 ? o.learningRate : std::max(double(n) / o.earlyExaggeration / 4.0, 50.0);
    if (o.dims == 2) runTsne<2>(y.data_ptr<float>(), n, P, o, lr, progress, res);
    else runTsne<3>(y.data_ptr<float>(), n, P, o, lr, progress, res);
    res.embedding = y;
    progress.report(1.0, "t-SNE");
    return res;
}

}  // namespace embedlab
