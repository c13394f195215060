#include "engine/analysis/umap.h"

#include "engine/analysis/knn.h"
#include "engine/analysis/pca.h"
#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

// One sampled edge (head i at `cur`, tail j) and its negative samples ks[0..nNeg): the sum of their
// moves of the head, every term taken at the same position `cur` (umap-learn moves the head after
// each term; the terms are small and their order is random anyway) — independent computations the
// CPU overlaps, or SIMD lanes, instead of one long chain per term.
struct EdgeParams {
    float a, b, gamma, alpha;
};

// lanes[0] is the tail, lanes[1 .. count) the negative samples.
template <int D>
inline void edgeStepPortable(const float* cur, const float* prev, int64_t i, const int32_t* lanes, int count,
                             const EdgeParams& p, float* step) {
    const int32_t j = lanes[0];
    const int32_t* ks = lanes + 1;
    const int nNeg = count - 1;
    for (int d = 0; d < D; ++d) step[d] = 0.f;
    {
        const float* other = prev + int64_t(j) * D;
        float d2 = 0, diff[D];
        for (int d = 0; d < D; ++d) {
            diff[d] = cur[d] - other[d];
            d2 += diff[d] * diff[d];
        }
        if (d2 > 0) {
            const float pb1 = fastPow(d2, p.b - 1.f);
            const float coeff = -2.f * p.a * p.b * pb1 / (p.a * pb1 * d2 + 1.f);
            for (int d = 0; d < D; ++d)  // ×2: the edge's other end (umap's move_other)
                step[d] += 2.f * std::max(-4.f, std::min(4.f, coeff * diff[d])) * p.alpha;
        }
    }
    for (int q = 0; q < nNeg; ++q) {
        const int64_t k = ks[q];
        if (k == i) continue;
        const float* ok = prev + k * D;
        float dd2 = 0, df[D];
        for (int d = 0; d < D; ++d) {
            df[d] = cur[d] - ok[d];
            dd2 += df[d] * df[d];
        }
        if (dd2 > 0) {
            const float coeff = 2.f * p.gamma * p.b / ((0.001f + dd2) * (p.a * fastPow(dd2, p.b - 1.f) * dd2 + 1.f));
            for (int d = 0; d < D; ++d) step[d] += std::max(-4.f, std::min(4.f, coeff * df[d])) * p.alpha;
        } else {
            for (int d = 0; d < D; ++d) step[d] += 4.f * p.alpha;
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EMBEDLAB_UMAP_AVX512 1
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 headers (GCC bug 105593)
// The same arithmetic in 16 lanes: lane 0 the edge's tail, lanes 1.. its negative samples. log2 and
// exp2 use the scalar fastLog2/fastExp2 polynomials, with getexp/getmant and scalef for the exponents.
template <int D>
__attribute__((target("avx512f"))) void edgeStepAvx512(const float* cur, const float* prev, int64_t i,
                                                       const int32_t* lanes, int count, const EdgeParams& p, float* step) {
    for (int d = 0; d < D; ++d) step[d] = 0.f;
    for (int q0 = 0; q0 < count; q0 += 16) {
        const int cnt = std::min(16, count - q0);
        const __mmask16 live = static_cast<__mmask16>((1u << cnt) - 1u);
        const __m512i vi = _mm512_maskz_loadu_epi32(live, lanes + q0);
        const __mmask16 tail = q0 == 0 ? __mmask16(1) : __mmask16(0);
        const __mmask16 neg = _mm512_mask_cmpneq_epi32_mask(live & ~tail, vi, _mm512_set1_epi32(static_cast<int32_t>(i)));
        const __m512i off = _mm512_mullo_epi32(vi, _mm512_set1_epi32(D));
        __m512 diff[D];
        __m512 d2 = _mm512_setzero_ps();
        for (int d = 0; d < D; ++d) {
            const __m512 o = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, _mm512_add_epi32(off, _mm512_set1_epi32(d)), prev, 4);
            diff[d] = _mm512_sub_ps(_mm512_set1_ps(cur[d]), o);
            d2 = _mm512_fmadd_ps(diff[d], diff[d], d2);
        }
        const __mmask16 pos = _mm512_cmp_ps_mask(d2, _mm512_setzero_ps(), _CMP_GT_OQ);
        // pb1 = d2^(b−1) = exp2((b−1)·log2 d2)
        const __m512 m = _mm512_getmant_ps(d2, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);
        const __m512 e = _mm512_getexp_ps(d2);
        __m512 l = _mm512_fmadd_ps(_mm512_set1_ps(-0.056570851f), m, _mm512_set1_ps(0.44717955f));
        l = _mm512_fmadd_ps(l, m, _mm512_set1_ps(-1.4699568f));
        l = _mm512_fmadd_ps(l, m, _mm512_set1_ps(2.8212026f));
        l = _mm512_fmadd_ps(l, m, _mm512_set1_ps(-1.7417939f));
        __m512 t = _mm512_mul_ps(_mm512_set1_ps(p.b - 1.f), _mm512_add_ps(l, e));
        t = _mm512_max_ps(_mm512_set1_ps(-126.f), _mm512_min_ps(_mm512_set1_ps(126.f), t));
        const __m512 fl = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
        const __m512 f = _mm512_sub_ps(t, fl);
        __m512 x = _mm512_fmadd_ps(_mm512_set1_ps(0.00133336f), f, _mm512_set1_ps(0.00961813f));
        x = _mm512_fmadd_ps(x, f, _mm512_set1_ps(0.05550411f));
        x = _mm512_fmadd_ps(x, f, _mm512_set1_ps(0.24022650f));
        x = _mm512_fmadd_ps(x, f, _mm512_set1_ps(0.69314718f));
        x = _mm512_fmadd_ps(x, f, _mm512_set1_ps(1.0f));
        const __m512 pb1 = _mm512_maskz_scalef_ps(pos, x, fl);  // 0 where d2 = 0
        const __m512 apd = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(p.a), pb1), d2, _mm512_set1_ps(1.f));
        // tail: −2ab·pb1 / apd; negatives: 2γb / ((0.001 + d2)·apd)
        const __m512 num = _mm512_mask_mul_ps(_mm512_set1_ps(2.f * p.gamma * p.b), tail, _mm512_set1_ps(-2.f * p.a * p.b), pb1);
        const __m512 den = _mm512_mask_mul_ps(apd, neg, apd, _mm512_add_ps(d2, _mm512_set1_ps(0.001f)));
        const __m512 coeff = _mm512_div_ps(num, den);
        // weights: 2α for the tail, α for negatives, 0 for dead lanes and the head itself
        const __m512 wgt = _mm512_mask_blend_ps(tail, _mm512_maskz_mov_ps(neg, _mm512_set1_ps(p.alpha)), _mm512_set1_ps(2.f * p.alpha));
        const __mmask16 four = neg & ~pos;  // a negative at distance 0 pushes by 4 (as umap-learn)
        for (int d = 0; d < D; ++d) {
            __m512 g = _mm512_max_ps(_mm512_set1_ps(-4.f), _mm512_min_ps(_mm512_set1_ps(4.f), _mm512_mul_ps(coeff, diff[d])));
            g = _mm512_mask_mov_ps(g, four, _mm512_set1_ps(4.f));
            step[d] += _mm512_reduce_add_ps(_mm512_mul_ps(g, wgt));
        }
    }
}
#pragma GCC diagnostic pop
#endif

// Cursors: each chunk's heads are split into this many runs that advance one edge each in turn —
// independent dependency chains (a head's edges form one) for the CPU to overlap.
constexpr int kCursors = 4;

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
    using StepFn = void (*)(const float*, const float*, int64_t, const int32_t*, int, const EdgeParams&, float*);
    StepFn stepFn = &edgeStepPortable<D>;
#ifdef EMBEDLAB_UMAP_AVX512
    if (cpuIsa() == CpuIsa::Avx512) stepFn = &edgeStepAvx512<D>;
#endif
    std::vector<float> prev(static_cast<size_t>(n * D));
    int64_t maxDegree = 1;
    for (int64_t i = 0; i < n; ++i) maxDegree = std::max(maxDegree, g.rowPtr[static_cast<size_t>(i) + 1] - g.rowPtr[static_cast<size_t>(i)]);
    const int64_t* rowPtr = g.rowPtr.data();
    const int32_t* cols = g.cols.data();
    for (int ep = 0; ep < nEpochs; ++ep) {
        const EdgeParams par{static_cast<float>(a), static_cast<float>(b), static_cast<float>(o.repulsionStrength),
                             static_cast<float>(o.learningRate * (1.0 - double(ep) / double(nEpochs)))};
        std::memcpy(prev.data(), y, sizeof(float) * static_cast<size_t>(n * D));
        const float fep = float(ep);
        at::parallel_for(0, kChunks, 1, [&](int64_t cb, int64_t ce) {
            // A cursor holds its next due edge ready: its lanes (tail, then negative samples) drawn and
            // the rows they name prefetched, so that they arrive while the other cursors' edges are
            // computed. A head's due edges are listed without branches when the cursor reaches it
            // (an edge is due in ~30% of epochs: a test per edge mispredicted often and each
            // misprediction discarded the other cursors' work in flight).
            struct Cursor {
                int64_t i, iEnd;
                int pos, cnt;
                float cur[D];
                Rng rng{0};
                int count;
                std::vector<int64_t> due;
                std::vector<int32_t> lanes;
            };
            Cursor cs[kCursors];  // buffers reused by every chunk of this thread
            for (Cursor& u : cs) {
                u.due.resize(static_cast<size_t>(maxDegree));
                u.lanes.resize(16);
            }
            auto loadHead = [&](Cursor& u) {
                std::memcpy(u.cur, y + u.i * D, sizeof(float) * D);
                int c = 0;
                for (int64_t e = rowPtr[u.i]; e < rowPtr[u.i + 1]; ++e) {
                    u.due[static_cast<size_t>(c)] = e;
                    c += nextSample[static_cast<size_t>(e)] <= fep;
                }
                u.pos = 0;
                u.cnt = c;
            };
            // Moves cursor u to its next due edge and prepares it; false when its run of heads is done.
            auto advance = [&](Cursor& u) {
                while (u.pos >= u.cnt) {
                    std::memcpy(y + u.i * D, u.cur, sizeof(float) * D);
                    if (++u.i >= u.iEnd) return false;
                    loadHead(u);
                }
                const size_t e = static_cast<size_t>(u.due[static_cast<size_t>(u.pos)]);
                const int nNeg = std::max(0, static_cast<int>((fep - nextNeg[e]) / epsNeg[e]));
                u.count = 1 + nNeg;
                if (static_cast<int>(u.lanes.size()) < u.count) u.lanes.resize(static_cast<size_t>(u.count + 15) / 16 * 16);
                u.lanes[0] = cols[e];
                __builtin_prefetch(prev.data() + int64_t(cols[e]) * D);
                for (int q = 1; q <= nNeg; ++q) {
                    const int32_t k = static_cast<int32_t>(((u.rng.next() >> 32) * uint64_t(n)) >> 32);
                    u.lanes[static_cast<size_t>(q)] = k;
                    __builtin_prefetch(prev.data() + int64_t(k) * D);
                }
                return true;
            };
            for (int64_t ch = cb; ch < ce; ++ch) {
                const int64_t h0 = chunkStart[static_cast<size_t>(ch)], h1 = chunkStart[static_cast<size_t>(ch) + 1];
                bool active[kCursors];
                int live = 0;
                for (int c = 0; c < kCursors; ++c) {
                    Cursor& u = cs[c];
                    u.i = h0 + (h1 - h0) * c / kCursors;
                    u.iEnd = h0 + (h1 - h0) * (c + 1) / kCursors;
                    u.rng = Rng(o.seed * 0x9E3779B97F4A7C15ull + uint64_t(ep) * 1315423911ull + uint64_t(ch) * 2654435761ull +
                                uint64_t(c) * 97531ull + 7);
                    active[c] = false;
                    if (u.i < u.iEnd) {
                        loadHead(u);
                        active[c] = advance(u);
                    }
                    live += active[c];
                }
                while (live > 0) {
                    for (int c = 0; c < kCursors; ++c) {
                        if (!active[c]) continue;
                        Cursor& u = cs[c];
                        const size_t e = static_cast<size_t>(u.due[static_cast<size_t>(u.pos)]);
                        float step[D];
                        stepFn(u.cur, prev.data(), u.i, u.lanes.data(), u.count, par, step);
                        for (int d = 0; d < D; ++d) u.cur[d] += step[d];
                        nextSample[e] += eps[e];
                        nextNeg[e] += float(u.count - 1) * epsNeg[e];
                        ++u.pos;
                        if (!advance(u)) {
                            active[c] = false;
                            --live;
                        }
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
    if (o.knn.indices.defined()) {
        const KnnGraph& p = o.knn;
        if (p.indices.dim() != 2 || p.indices.size(0) != n || p.indices.size(1) < ko.k || !p.distances.defined() ||
            p.distances.sizes() != p.indices.sizes())
            throw Error::badInput("UMAP: the given neighbours do not fit the data (need " + std::to_string(n) + " rows of at least " +
                                  std::to_string(ko.k) + ")");
        kg.indices = p.indices.slice(1, 0, ko.k).to(at::kLong).contiguous();
        kg.distances = p.distances.slice(1, 0, ko.k).to(at::kFloat).contiguous();
        kg.exact = p.exact;
        if (ko.k > 0 && ((kg.indices < 0).any().item<bool>() || (kg.indices >= n).any().item<bool>()))
            throw Error::badInput("UMAP: the given neighbours name rows outside the data");
    } else {
        Progress sub(progress, 0.0, 0.15);
        kg = knnGraph(x, ko, sub);
    }
    r.knn = kg;
    r.exactKnn = kg.exact;
    Graph g;
    {
        Progress sub(progress, 0.15, 0.2);
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
        Progress sub(progress, 0.2, 0.3);
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
