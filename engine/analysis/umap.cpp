#include "analysis/umap.h"

#include "analysis/knn.h"
#include "analysis/pca.h"
#include "core/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

namespace embedlab {

std::pair<double, double> umapFindAB(double spread, double minDist) {
    const int m = 300;
    std::vector<double> xs(m), ys(m);
    for (int i = 0; i < m; ++i) {
        xs[i] = spread * 3.0 * i / (m - 1);
        ys[i] = xs[i] < minDist ? 1.0 : std::exp(-(xs[i] - minDist) / spread);
    }
    auto sse = [&](double a, double b) {
        double s = 0;
        for (int i = 0; i < m; ++i) {
            const double f = 1.0 / (1.0 + a * std::pow(xs[i], 2 * b));
            s += (f - ys[i]) * (f - ys[i]);
        }
        return s;
    };
    double a = 1.0, b = 1.0, lambda = 1e-3, cur = sse(a, b);
    for (int it = 0; it < 500; ++it) {
        double jtj[2][2] = {{0, 0}, {0, 0}}, jtr[2] = {0, 0};
        for (int i = 0; i < m; ++i) {
            const double x = xs[i];
            const double p = x > 0 ? std::pow(x, 2 * b) : 0.0;
            const double den = 1.0 + a * p;
            const double f = 1.0 / den;
            const double r = f - ys[i];
            const double da = -p / (den * den);
            const double db = x > 0 ? -a * p * 2.0 * std::log(x) / (den * den) : 0.0;
            jtj[0][0] += da * da;
            jtj[0][1] += da * db;
            jtj[1][1] += db * db;
            jtr[0] += da * r;
            jtr[1] += db * r;
        }
        jtj[1][0] = jtj[0][1];
        bool improved = false;
        for (int tries = 0; tries < 30 && !improved; ++tries) {
            const double m00 = jtj[0][0] * (1 + lambda), m11 = jtj[1][1] * (1 + lambda), m01 = jtj[0][1];
            const double det = m00 * m11 - m01 * m01;
            if (std::fabs(det) < 1e-300) break;
            const double sa = -(m11 * jtr[0] - m01 * jtr[1]) / det;
            const double sb = -(-m01 * jtr[0] + m00 * jtr[1]) / det;
            const double na = a + sa, nb = b + sb;
            const double ns = na > 0 && nb > 0 ? sse(na, nb) : std::numeric_limits<double>::infinity();
            if (ns < cur) {
                const bool tiny = cur - ns < 1e-15 * std::max(cur, 1e-300);
                a = na;
                b = nb;
                cur = ns;
                lambda = std::max(lambda / 10, 1e-12);
                improved = true;
                if (tiny) return {a, b};
            } else {
                lambda *= 10;
            }
        }
        if (!improved) break;
    }
    return {a, b};
}

namespace {

constexpr int kChunks = 256;

struct Graph {  // symmetric, CSR by head
    std::vector<int64_t> rowPtr;
    std::vector<int32_t> cols;
    std::vector<float> w;
};

// Fast float log2/exp2 (≈1e-4 relative error) for the SGD's powers.
inline float fastLog2(float x) {
    uint32_t bx;
    std::memcpy(&bx, &x, 4);
    const int e = int((bx >> 23) & 255) - 127;
    bx = (bx & 0x007FFFFF) | 0x3F800000;
    float m;
    std::memcpy(&m, &bx, 4);
    // log2(m) for m in [1,2): minimax polynomial
    const float p = -1.7417939f + (2.8212026f + (-1.4699568f + (0.44717955f - 0.056570851f * m) * m) * m) * m;
    return p + float(e);
}
inline float fastExp2(float x) {
    x = std::max(-126.f, std::min(126.f, x));
    const float t = float(int32_t(x));   // floor without a libm call (x is clamped, so it fits)
    const float fl = t > x ? t - 1.f : t;
    const float f = x - fl;
    const float p = 1.0f + f * (0.69314718f + f * (0.24022650f + f * (0.05550411f + f * (0.00961813f + f * 0.00133336f))));
    const int32_t e = int32_t(fl) + 127;
    uint32_t bits = uint32_t(e) << 23;
    float s;
    std::memcpy(&s, &bits, 4);
    return p * s;
}
inline float fastPow(float x, float y) { return x <= 0.f ? 0.f : fastExp2(y * fastLog2(x)); }

struct Rng {
    uint64_t s;
    explicit Rng(uint64_t seed) : s(splitmix64(seed) | 1) {}
    uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};

Graph fuzzySimplicialSet(const at::Tensor& idxIn, const at::Tensor& distIn, int64_t n, Progress& progress) {
    // Columns: self (distance 0) + k−1 neighbours.
    const int64_t kk = idxIn.size(1) + 1;
    const int64_t* ix = idxIn.data_ptr<int64_t>();
    const float* dx = distIn.data_ptr<float>();
    auto nb = [&](int64_t i, int64_t j) -> int64_t { return j == 0 ? i : ix[i * (kk - 1) + j - 1]; };
    auto dist = [&](int64_t i, int64_t j) -> double { return j == 0 ? 0.0 : double(dx[i * (kk - 1) + j - 1]); };
    double meanAll = 0;
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < kk; ++j) meanAll += dist(i, j);
    meanAll /= double(n * kk);
    const double target = std::log2(double(kk));
    std::vector<float> vals(static_cast<size_t>(n * kk));
    at::parallel_for(0, n, 512, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) {
            double rho = 0;
            double meanI = 0;
            for (int64_t j = 0; j < kk; ++j) meanI += dist(i, j);
            meanI /= double(kk);
            for (int64_t j = 0; j < kk; ++j)
                if (dist(i, j) > 0) {  // the nearest non-zero distance (local_connectivity = 1)
                    rho = dist(i, j);
                    break;
                }
            double lo = 0, hi = std::numeric_limits<double>::infinity(), mid = 1.0;
            for (int it = 0; it < 64; ++it) {
                double psum = 0;
                for (int64_t j = 1; j < kk; ++j) {
                    const double d = dist(i, j) - rho;
                    psum += d > 0 ? std::exp(-(d / mid)) : 1.0;
                }
                if (std::fabs(psum - target) < 1e-5) break;
                if (psum > target) {
                    hi = mid;
                    mid = (lo + hi) / 2.0;
                } else {
                    lo = mid;
                    mid = hi == std::numeric_limits<double>::infinity() ? mid * 2 : (lo + hi) / 2.0;
                }
            }
            double sigma = mid;
            if (rho > 0) sigma = std::max(sigma, 1e-3 * meanI);
            else sigma = std::max(sigma, 1e-3 * meanAll);
            for (int64_t j = 0; j < kk; ++j) {
                float v;
                const int64_t t = nb(i, j);
                if (t == i) v = 0.f;
                else if (dist(i, j) - rho <= 0 || sigma == 0) v = 1.f;
                else v = static_cast<float>(std::exp(-(dist(i, j) - rho) / sigma));
                vals[static_cast<size_t>(i * kk + j)] = v;
            }
        }
    });
    progress.report(0.5, "UMAP fuzzy simplicial set");
    // A + Aᵀ − A∘Aᵀ over the union of both directions.
    std::vector<int64_t> cnt(static_cast<size_t>(n) + 1, 0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < kk; ++j) {
            if (vals[static_cast<size_t>(i * kk + j)] == 0.f) continue;
            ++cnt[static_cast<size_t>(i) + 1];
            ++cnt[static_cast<size_t>(nb(i, j)) + 1];
        }
    for (int64_t i = 0; i < n; ++i) cnt[static_cast<size_t>(i) + 1] += cnt[static_cast<size_t>(i)];
    struct E {
        int32_t j;
        float fwd, bwd;  // A_ij, A_ji
    };
    std::vector<E> ent(static_cast<size_t>(cnt[static_cast<size_t>(n)]));
    std::vector<int64_t> fill(cnt.begin(), cnt.end() - 1);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < kk; ++j) {
            const float v = vals[static_cast<size_t>(i * kk + j)];
            if (v == 0.f) continue;
            const int64_t t = nb(i, j);
            ent[static_cast<size_t>(fill[static_cast<size_t>(i)]++)] = {static_cast<int32_t>(t), v, 0.f};
            ent[static_cast<size_t>(fill[static_cast<size_t>(t)]++)] = {static_cast<int32_t>(i), 0.f, v};
        }
    Graph g;
    g.rowPtr.assign(static_cast<size_t>(n) + 1, 0);
    for (int64_t i = 0; i < n; ++i) {
        auto b = ent.begin() + cnt[static_cast<size_t>(i)], e = ent.begin() + cnt[static_cast<size_t>(i) + 1];
        std::sort(b, e, [](const E& p, const E& q) { return p.j < q.j; });
        for (auto it = b; it != e;) {
            const int32_t j = it->j;
            float a = 0, c = 0;
            while (it != e && it->j == j) {
                a = std::max(a, it->fwd);  // duplicates of one direction carry the same value
                c = std::max(c, it->bwd);
                ++it;
            }
            const float w = a + c - a * c;
            if (w > 0 && j != i) {
                g.cols.push_back(j);
                g.w.push_back(w);
            }
        }
        g.rowPtr[static_cast<size_t>(i) + 1] = static_cast<int64_t>(g.cols.size());
    }
    return g;
}

int64_t connectedComponents(const Graph& g, int64_t n) {
    std::vector<int64_t> parent(static_cast<size_t>(n));
    std::iota(parent.begin(), parent.end(), 0);
    std::function<int64_t(int64_t)> find = [&](int64_t a) {
        while (parent[static_cast<size_t>(a)] != a) {
            parent[static_cast<size_t>(a)] = parent[static_cast<size_t>(parent[static_cast<size_t>(a)])];
            a = parent[static_cast<size_t>(a)];
        }
        return a;
    };
    for (int64_t i = 0; i < n; ++i)
        for (int64_t t = g.rowPtr[static_cast<size_t>(i)]; t < g.rowPtr[static_cast<size_t>(i) + 1]; ++t) {
            const int64_t a = find(i), b = find(g.cols[static_cast<size_t>(t)]);
            if (a != b) parent[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
        }
    int64_t c = 0;
    for (int64_t i = 0; i < n; ++i) c += find(i) == i;
    return c;
}

// The `dims` eigenvectors of the normalised Laplacian after the trivial one.
at::Tensor spectralLayout(const Graph& g, int64_t n, int dims, uint64_t seed, Progress& progress) {
    std::vector<double> deg(static_cast<size_t>(n), 0.0);
    for (int64_t i = 0; i < n; ++i)
        for (int64_t t = g.rowPtr[static_cast<size_t>(i)]; t < g.rowPtr[static_cast<size_t>(i) + 1]; ++t)
            deg[static_cast<size_t>(i)] += g.w[static_cast<size_t>(t)];
    std::vector<double> dinv(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) dinv[static_cast<size_t>(i)] = deg[static_cast<size_t>(i)] > 0 ? 1.0 / std::sqrt(deg[static_cast<size_t>(i)]) : 0.0;
    if (n <= 2000) {
        at::Tensor L = at::eye(n, at::kDouble);
        double* lp = L.data_ptr<double>();
        for (int64_t i = 0; i < n; ++i)
            for (int64_t t = g.rowPtr[static_cast<size_t>(i)]; t < g.rowPtr[static_cast<size_t>(i) + 1]; ++t) {
                const int64_t j = g.cols[static_cast<size_t>(t)];
                lp[i * n + j] -= g.w[static_cast<size_t>(t)] * dinv[static_cast<size_t>(i)] * dinv[static_cast<size_t>(j)];
            }
        auto [ev, vec] = at::linalg_eigh(L);
        return vec.slice(1, 1, 1 + dims).to(at::kFloat).contiguous();
    }
    // Subspace iteration on (I + D^-1/2 W D^-1/2)/2 with the trivial eigenvector sqrt(deg) deflated.
    const int64_t m = dims + 8;
    at::Tensor v0 = at::empty({n}, at::kDouble);
    {
        double* p = v0.data_ptr<double>();
        for (int64_t i = 0; i < n; ++i) p[i] = std::sqrt(deg[static_cast<size_t>(i)]);
        v0 /= v0.norm();
    }
    auto gen = at::detail::createCPUGenerator(seed);
    at::Tensor q = at::normal(0.0, 1.0, {n, m}, gen, at::TensorOptions().dtype(at::kDouble));
    auto apply = [&](const at::Tensor& in) {
        at::Tensor out = at::empty_like(in);
        const double* ip = in.data_ptr<double>();
        double* op = out.data_ptr<double>();
        at::parallel_for(0, n, 1024, [&](int64_t s, int64_t e) {
            for (int64_t i = s; i < e; ++i) {
                double* o = op + i * m;
                for (int64_t c = 0; c < m; ++c) o[c] = 0.5 * ip[i * m + c];
                for (int64_t t = g.rowPtr[static_cast<size_t>(i)]; t < g.rowPtr[static_cast<size_t>(i) + 1]; ++t) {
                    const int64_t j = g.cols[static_cast<size_t>(t)];
                    const double w = 0.5 * g.w[static_cast<size_t>(t)] * dinv[static_cast<size_t>(i)] * dinv[static_cast<size_t>(j)];
                    const double* src = ip + j * m;
                    for (int64_t c = 0; c < m; ++c) o[c] += w * src[c];
                }
            }
        });
        return out;
    };
    auto deflate = [&](at::Tensor a) { return a - at::outer(v0, at::mv(a.t(), v0)); };
    q = std::get<0>(at::linalg_qr(deflate(q), "reduced")).contiguous();
    const int iters = 150;
    for (int it = 0; it < iters; ++it) {
        if (it % 10 == 0) progress.report(double(it) / iters, "UMAP spectral initialisation");
        at::Tensor z = apply(q);
        z = apply(z.contiguous());  // two applications per orthonormalisation
        q = std::get<0>(at::linalg_qr(deflate(z), "reduced")).contiguous();
    }
    at::Tensor aq = apply(q);
    at::Tensor h = at::mm(q.t(), aq);
    h = (h + h.t()) / 2;
    auto [ev, vec] = at::linalg_eigh(h);  // ascending: the largest are last
    at::Tensor top = vec.flip(1).slice(1, 0, dims);
    return at::mm(q, top).to(at::kFloat).contiguous();
}

// umap-learn's noisy_scale_coords followed by the rescale to [0, 10] of simplicial_set_embedding.
at::Tensor scaleInit(at::Tensor c, uint64_t seed) {
    c = c.to(at::kFloat);
    const double mx = c.abs().max().item<double>();
    c = c * static_cast<float>(mx > 0 ? 10.0 / mx : 1.0);
    auto gen = at::detail::createCPUGenerator(seed + 1);
    c = c + at::normal(0.0, 1e-4, c.sizes(), gen, at::TensorOptions().dtype(at::kFloat));
    at::Tensor lo = std::get<0>(c.min(0)), hi = std::get<0>(c.max(0));
    at::Tensor range = (hi - lo).clamp_min(1e-12);
    return (10.0 * (c - lo) / range).contiguous();
}

template <int D>
void optimise(float* y, int64_t n, const Graph& g, const std::vector<float>& eps, int nEpochs, const UmapOptions& o,
              double a, double b, Progress& progress) {
    const int64_t ne = static_cast<int64_t>(g.cols.size());
    std::vector<float> nextSample(eps.begin(), eps.end());
    std::vector<float> epsNeg(static_cast<size_t>(ne)), nextNeg(static_cast<size_t>(ne));
    for (int64_t e = 0; e < ne; ++e) {
        epsNeg[static_cast<size_t>(e)] = eps[static_cast<size_t>(e)] / float(o.negativeSampleRate);
        nextNeg[static_cast<size_t>(e)] = epsNeg[static_cast<size_t>(e)];
    }
    // Chunks are ranges of heads holding about the same number of edges.
    std::vector<int64_t> chunkStart(kChunks + 1, n);
    {
        int64_t c = 0;
        for (int64_t i = 0; i < n && c <= kChunks; ++i)
            while (c <= kChunks && g.rowPtr[static_cast<size_t>(i)] * kChunks >= c * ne) chunkStart[static_cast<size_t>(c++)] = i;
        chunkStart[0] = 0;
        chunkStart[kChunks] = n;
        for (int c2 = 1; c2 <= kChunks; ++c2) chunkStart[static_cast<size_t>(c2)] = std::max(chunkStart[static_cast<size_t>(c2)], chunkStart[static_cast<size_t>(c2 - 1)]);
    }
    std::vector<float> prev(static_cast<size_t>(n * D));
    const float fa = static_cast<float>(a), fb = static_cast<float>(b);
    const float gamma = static_cast<float>(o.repulsionStrength);
    for (int ep = 0; ep < nEpochs; ++ep) {
        const float alpha = static_cast<float>(o.learningRate * (1.0 - double(ep) / double(nEpochs)));
        std::memcpy(prev.data(), y, sizeof(float) * static_cast<size_t>(n * D));
        const float fep = float(ep);
        at::parallel_for(0, kChunks, 1, [&](int64_t cb, int64_t ce) {
            for (int64_t ch = cb; ch < ce; ++ch) {
                Rng rng(o.seed * 0x9E3779B97F4A7C15ull + uint64_t(ep) * 1315423911ull + uint64_t(ch) * 2654435761ull + 7);
                for (int64_t i = chunkStart[static_cast<size_t>(ch)]; i < chunkStart[static_cast<size_t>(ch) + 1]; ++i) {
                    float* cur = y + i * D;
                    for (int64_t e = g.rowPtr[static_cast<size_t>(i)]; e < g.rowPtr[static_cast<size_t>(i) + 1]; ++e) {
                        if (nextSample[static_cast<size_t>(e)] > fep) continue;
                        const float* other = prev.data() + int64_t(g.cols[static_cast<size_t>(e)]) * D;
                        float d2 = 0, diff[D];
                        for (int d = 0; d < D; ++d) {
                            diff[d] = cur[d] - other[d];
                            d2 += diff[d] * diff[d];
                        }
                        if (d2 > 0) {
                            const float pb1 = fastPow(d2, fb - 1.f);
                            const float coeff = -2.f * fa * fb * pb1 / (fa * pb1 * d2 + 1.f);
                            for (int d = 0; d < D; ++d) {
                                const float gd = std::max(-4.f, std::min(4.f, coeff * diff[d]));
                                cur[d] += 2.f * gd * alpha;  // ×2: the edge's other end (umap's move_other)
                            }
                        }
                        nextSample[static_cast<size_t>(e)] += eps[static_cast<size_t>(e)];
                        const int nNeg = static_cast<int>((fep - nextNeg[static_cast<size_t>(e)]) / epsNeg[static_cast<size_t>(e)]);
                        // The negative samples' gradients are all taken at the same position and applied
                        // together: independent computations the CPU overlaps, where applying each before
                        // the next was one long dependency chain (the samples' order is random anyway).
                        float step[D] = {};
                        for (int p = 0; p < nNeg; ++p) {
                            const int64_t k = static_cast<int64_t>(((rng.next() >> 32) * uint64_t(n)) >> 32);
                            const float* ok = prev.data() + k * D;
                            float dd2 = 0, df[D];
                            for (int d = 0; d < D; ++d) {
                                df[d] = cur[d] - ok[d];
                                dd2 += df[d] * df[d];
                            }
                            float coeff;
                            if (dd2 > 0) coeff = 2.f * gamma * fb / ((0.001f + dd2) * (fa * fastPow(dd2, fb) + 1.f));
                            else if (k == i) continue;
                            else coeff = 0.f;
                            for (int d = 0; d < D; ++d)
                                step[d] += (coeff > 0 ? std::max(-4.f, std::min(4.f, coeff * df[d])) : 4.f) * alpha;
                        }
                        for (int d = 0; d < D; ++d) cur[d] += step[d];
                        nextNeg[static_cast<size_t>(e)] += float(nNeg) * epsNeg[static_cast<size_t>(e)];
                    }
                }
            }
        });
        progress.report(0.3 + 0.7 * double(ep + 1) / double(nEpochs), "UMAP epoch " + std::to_string(ep + 1));
        if (o.preview && o.previewEvery > 0 && ((ep + 1) % o.previewEvery == 0 || ep + 1 == nEpochs))
            o.preview(at::from_blob(y, {n, D}, at::kFloat).clone(), ep + 1, nEpochs);
    }
}

}  // namespace

UmapResult umap(const at::Tensor& xIn, const UmapOptions& o, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "UMAP");
    if (o.dims != 2 && o.dims != 3) throw Error::badInput("UMAP: dims must be 2 or 3");
    if (o.metric == Metric::Dot) throw Error::badInput("UMAP: use the cosine or euclidean metric");
    if (o.nNeighbors < 2) throw Error::badInput("UMAP: n_neighbors must be at least 2");
    if (!(o.minDist >= 0) || !(o.spread > 0) || o.minDist > o.spread)
        throw Error::badInput("UMAP: need 0 ≤ min_dist ≤ spread and spread > 0");
    if (o.negativeSampleRate < 0 || o.epochs < 0) throw Error::badInput("UMAP: negative epochs or sample rate");
    const int64_t n = x.size(0);
    UmapResult r;
    std::tie(r.a, r.b) = umapFindAB(o.spread, o.minDist);
    progress.report(0.0, "UMAP");
    if (n < 2) {
        r.embedding = at::zeros({n, o.dims}, at::kFloat);
        r.init = "none";
        progress.report(1.0, "UMAP");
        return r;
    }
    r.neighbors = std::min<int64_t>(o.nNeighbors, n);
    KnnOptions ko;
    ko.k = r.neighbors - 1;
    ko.metric = o.metric;
    ko.exactLimit = o.knnExactLimit;
    KnnGraph kg;
    {
        SubProgress sub(progress, 0.0, 0.15);
        kg = knnGraph(x, ko, sub);
    }
    r.exactKnn = kg.exact;
    Graph g;
    {
        SubProgress sub(progress, 0.15, 0.2);
        g = fuzzySimplicialSet(kg.indices.contiguous(), kg.distances.contiguous(), n, sub);
    }
    r.epochs = o.epochs > 0 ? o.epochs : (n <= 10000 ? 500 : 200);
    // Prune edges that would never be sampled.
    float wmax = 0;
    for (float w : g.w) wmax = std::max(wmax, w);
    {
        Graph p;
        p.rowPtr.assign(static_cast<size_t>(n) + 1, 0);
        const float thr = wmax / float(r.epochs);
        for (int64_t i = 0; i < n; ++i) {
            for (int64_t t = g.rowPtr[static_cast<size_t>(i)]; t < g.rowPtr[static_cast<size_t>(i) + 1]; ++t)
                if (g.w[static_cast<size_t>(t)] >= thr) {
                    p.cols.push_back(g.cols[static_cast<size_t>(t)]);
                    p.w.push_back(g.w[static_cast<size_t>(t)]);
                }
            p.rowPtr[static_cast<size_t>(i) + 1] = static_cast<int64_t>(p.cols.size());
        }
        g = std::move(p);
    }
    r.components = connectedComponents(g, n);
    at::Tensor init;
    UmapOptions::Init how = o.init;
    if (how == UmapOptions::Init::Spectral && (r.components > 1 || n <= o.dims + 1)) how = UmapOptions::Init::Pca;
    if (how == UmapOptions::Init::Pca && x.size(1) < o.dims) how = UmapOptions::Init::Random;
    if (how == UmapOptions::Init::Spectral) {
        SubProgress sub(progress, 0.2, 0.3);
        init = spectralLayout(g, n, o.dims, o.seed, sub);
        r.init = "spectral";
    } else if (how == UmapOptions::Init::Pca) {
        PcaOptions po;
        po.components = o.dims;
        po.seed = o.seed;
        init = pca(x, po).coords;
        r.init = "pca";
    } else {
        auto gen = at::detail::createCPUGenerator(o.seed);
        init = at::rand({n, static_cast<int64_t>(o.dims)}, gen, at::TensorOptions().dtype(at::kFloat)) * 20.0 - 10.0;
        r.init = "random";
    }
    at::Tensor y = scaleInit(init, o.seed).clone();
    progress.report(0.3, "UMAP optimisation");
    std::vector<float> eps(g.w.size());
    for (size_t t = 0; t < g.w.size(); ++t) eps[t] = wmax / g.w[t];  // = n_epochs / (n_epochs·w/wmax)
    if (!g.cols.empty()) {
        if (o.dims == 2) optimise<2>(y.data_ptr<float>(), n, g, eps, r.epochs, o, r.a, r.b, progress);
        else optimise<3>(y.data_ptr<float>(), n, g, eps, r.epochs, o, r.a, r.b, progress);
    }
    r.embedding = y;
    progress.report(1.0, "UMAP");
    return r;
}

}  // namespace embedlab
