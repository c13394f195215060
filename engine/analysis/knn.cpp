#include "engine/analysis/knn.h"

#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"
#include "engine/device/device.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <hnswlib/hnswlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace embedlab {

namespace {

// Exact search keeps, for every query, its k best (key, column) pairs sorted ascending, where
// key = a[j] − c·s[j] with s = q·x_j: a = ‖x_j‖², c = 2 for euclidean (‖q−x‖² less the query's
// constant ‖q‖²), a = 0, c = 1 for dot and for cosine on unit rows. With AVX-512 the fused kernel
// below never writes the products; otherwise a BLAS product is computed tile by tile (Bq queries ×
// Nt columns, about 1 MB, so it stays in L2) and scanned while it is hot, 8 keys at a time (AVX2)
// against the query's current k-th best, inserting only the rare ones below it. Before, one [B, N]
// product per block went through four element-wise passes and at::topk (2/3 of the time at 70,000
// points).
constexpr int64_t kQueryBlock = 128;  // product path
constexpr int kGroupRows = 12;         // fused path: queries per register block

struct BestK {
    float* key;
    int64_t* col;
    int64_t k;
    void insert(float v, int64_t j) {  // v < key[k−1]; equal keys keep the earlier column first
        int64_t p = k - 1;
        while (p > 0 && key[p - 1] > v) {
            key[p] = key[p - 1];
            col[p] = col[p - 1];
            --p;
        }
        key[p] = v;
        col[p] = j;
    }
};

// One query's row of the product tile: s[0..nt) against columns j0.., `a` the columns' offsets.
// The AVX2 version tests 8 keys with one compare and touches the list only for those below the
// current k-th best.
void scanRowScalar(const float* s, const float* a, float c, int64_t nt, int64_t j0, int64_t self, BestK best) {
    float thr = best.key[best.k - 1];
    for (int64_t b = 0; b < nt; ++b) {
        const float v = a[b] - c * s[b];
        if (v < thr && j0 + b != self) {
            best.insert(v, j0 + b);
            thr = best.key[best.k - 1];
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EMBEDLAB_KNN_X86 1
__attribute__((target("avx2,fma"))) void scanRowAvx2(const float* s, const float* a, float c, int64_t nt,
                                                     int64_t j0, int64_t self, BestK best) {
    float thr = best.key[best.k - 1];
    const __m256 vc = _mm256_set1_ps(c);
    __m256 vthr = _mm256_set1_ps(thr);
    int64_t b = 0;
    for (; b + 8 <= nt; b += 8) {
        const __m256 kv = _mm256_fnmadd_ps(vc, _mm256_loadu_ps(s + b), _mm256_loadu_ps(a + b));
        unsigned m = static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(kv, vthr, _CMP_LT_OQ)));
        if (!m) continue;
        alignas(32) float tmp[8];
        _mm256_store_ps(tmp, kv);
        for (; m; m &= m - 1) {
            const int t = __builtin_ctz(m);
            if (tmp[t] < thr && j0 + b + t != self) {
                best.insert(tmp[t], j0 + b + t);
                thr = best.key[best.k - 1];
            }
        }
        vthr = _mm256_set1_ps(thr);
    }
    scanRowScalar(s + b, a + b, c, nt - b, j0 + b, self, best);
}

#endif

using ScanFn = void (*)(const float*, const float*, float, int64_t, int64_t, int64_t, BestK);

ScanFn scanRowFn() {
#ifdef EMBEDLAB_KNN_X86
    if (cpuIsa() >= CpuIsa::Avx2) return &scanRowAvx2;  // (with AVX-512 the fused kernel runs instead)
#endif
    return &scanRowScalar;
}

#ifdef EMBEDLAB_KNN_X86
#define EMBEDLAB_KNN_FUSED 1
// GCC 12's own AVX-512 intrinsic headers trip -Wmaybe-uninitialized (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

// The fused AVX-512 path never writes the product: 12 queries × 32 columns of dot products live in 24
// registers while the dimension loop runs (two column loads and twelve broadcasts per step), then
// become keys and are compared with each query's k-th best in the same registers.
constexpr int kGroup = kGroupRows, kStrip = 32;

// Columns [j0, j0 + w) of x as strips of 32 columns, each [dim][32] (zeros past w), and their key
// offsets (+inf past w, so padding never enters a list).
void packTile(const float* x, const float* a, int64_t dim, int64_t j0, int64_t w, float* xp, float* ap) {
    const int64_t strips = (w + kStrip - 1) / kStrip;
    for (int64_t st = 0; st < strips; ++st) {
        float* dst = xp + st * dim * kStrip;
        for (int64_t cc = 0; cc < kStrip; ++cc) {
            const int64_t j = st * kStrip + cc;
            const float* src = j < w ? x + (j0 + j) * dim : nullptr;
            for (int64_t d = 0; d < dim; ++d) dst[d * kStrip + cc] = src ? src[d] : 0.f;
            ap[j] = src ? a[j0 + j] : std::numeric_limits<float>::infinity();
        }
    }
}

// Queries [r0, r1) as groups of 12, each [dim][12] (zeros for the missing rows of the last group).
void packQueries(const float* q, int64_t dim, int64_t r0, int64_t r1, float* qp) {
    for (int64_t g0 = r0; g0 < r1; g0 += kGroup) {
        float* dst = qp + (g0 - r0) / kGroup * dim * kGroup;
        for (int r = 0; r < kGroup; ++r)
            for (int64_t d = 0; d < dim; ++d) dst[d * kGroup + r] = g0 + r < r1 ? q[(g0 + r) * dim + d] : 0.f;
    }
}

__attribute__((target("avx512f"))) void fusedGroup(const float* qg, int nReal, int64_t dim, const float* xp,
                                                   const float* ap, int64_t strips, int64_t j0, float c,
                                                   const int64_t* self, BestK* best) {
    float thr[kGroup];
    for (int r = 0; r < kGroup; ++r) thr[r] = r < nReal ? best[r].key[best[r].k - 1] : -1.f;
    const __m512 vc = _mm512_set1_ps(c);
    for (int64_t st = 0; st < strips; ++st) {
        const float* xs = xp + st * dim * kStrip;
        __m512 lo[kGroup], hi[kGroup];
#pragma GCC unroll 12
        for (int r = 0; r < kGroup; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
        for (int64_t d = 0; d < dim; ++d) {
            const __m512 b0 = _mm512_load_ps(xs + d * kStrip), b1 = _mm512_load_ps(xs + d * kStrip + 16);
            const float* qd = qg + d * kGroup;
#pragma GCC unroll 12
            for (int r = 0; r < kGroup; ++r) {
                const __m512 qa = _mm512_set1_ps(qd[r]);
                lo[r] = _mm512_fmadd_ps(qa, b0, lo[r]);
                hi[r] = _mm512_fmadd_ps(qa, b1, hi[r]);
            }
        }
        const __m512 a0 = _mm512_load_ps(ap + st * kStrip), a1 = _mm512_load_ps(ap + st * kStrip + 16);
#pragma GCC unroll 12
        for (int r = 0; r < kGroup; ++r) {
            const __m512 k0 = _mm512_fnmadd_ps(vc, lo[r], a0), k1 = _mm512_fnmadd_ps(vc, hi[r], a1);
            const __m512 vt = _mm512_set1_ps(thr[r]);
            uint32_t m = uint32_t(_mm512_cmp_ps_mask(k0, vt, _CMP_LT_OQ)) |
                         (uint32_t(_mm512_cmp_ps_mask(k1, vt, _CMP_LT_OQ)) << 16);
            if (!m || r >= nReal) continue;  // rows past nReal pad the last group
            alignas(64) float tmp[kStrip];
            _mm512_store_ps(tmp, k0);
            _mm512_store_ps(tmp + 16, k1);
            for (; m; m &= m - 1) {
                const int t = __builtin_ctz(m);
                const int64_t col = j0 + st * kStrip + t;
                if (tmp[t] < thr[r] && col != self[r]) {
                    best[r].insert(tmp[t], col);
                    thr[r] = best[r].key[best[r].k - 1];
                }
            }
        }
    }
}
#pragma GCC diagnostic pop
#endif

// The fast search ranks by float keys whose rounding error grows with the vectors' norms, not with
// their distances: points far from the origin and close together (two tight clusters at ±5, say)
// get keys whose error exceeds the gaps between neighbours, and ties among equal distances fall
// whichever way the ISA path's summation order rounds. So it keeps a few candidates more than k;
// refineExact() recomputes their distances in float64 from the differences, orders them by
// (distance, row) and proves with the keys' error bound that no other row could come before the
// k-th; a query where it cannot (rare: the candidates' keys lie within the bound) is searched again
// over every row in float64. The result is the exact k nearest, ties broken by the lower row, on
// every ISA path and thread count.
int64_t candidateCount(int64_t k, int64_t avail) { return std::min(avail, k + std::max<int64_t>(8, k / 2)); }

double exactDistance(const float* qv, const float* xv, int64_t dim, Metric metric) {
    double acc = 0;
    if (metric == Metric::Euclidean) {
        for (int64_t i = 0; i < dim; ++i) {
            const double d = double(qv[i]) - double(xv[i]);
            acc += d * d;
        }
        return std::sqrt(acc);
    }
    for (int64_t i = 0; i < dim; ++i) acc += double(qv[i]) * double(xv[i]);
    return metric == Metric::Cosine ? 1.0 - acc : -acc;
}

// Query r's candidates (keys mk, columns mc, ascending keys) → its exact k nearest in gd/gi.
// `all` says the candidates are every row there is.
void refineExact(const at::Tensor& x, const at::Tensor& q, int64_t r, Metric metric, const std::vector<float>& mk,
                 const std::vector<int64_t>& mc, float qq, bool all, int64_t self, double maxNorm, int64_t k, float* gd,
                 int64_t* gi) {
    const int64_t dim = x.size(1), n = x.size(0);
    const float* xp = x.data_ptr<float>();
    const float* qv = q.data_ptr<float>() + r * dim;
    std::vector<std::pair<double, int64_t>> cand;
    cand.reserve(mc.size());
    for (int64_t j : mc) cand.emplace_back(exactDistance(qv, xp + j * dim, dim, metric), j);
    auto byDistanceThenRow = [](const std::pair<double, int64_t>& a, const std::pair<double, int64_t>& b) {
        return a.first < b.first || (a.first == b.first && a.second < b.second);
    };
    std::sort(cand.begin(), cand.end(), byDistanceThenRow);
    bool proven = all;
    if (!proven) {
        // Every row outside the candidates has a key ≥ the last candidate's; its true value is at
        // least that key less the rounding bound 2(D+4)·u·B of a float dot product and norm (B: the
        // magnitudes summed), which must lie strictly beyond the k-th exact distance.
        double qNorm = 0;
        for (int64_t i = 0; i < dim; ++i) qNorm += double(qv[i]) * double(qv[i]);
        qNorm = std::sqrt(qNorm);
        const double u = std::ldexp(1.0, -24);
        const double mag = metric == Metric::Euclidean ? (qNorm + maxNorm) * (qNorm + maxNorm) : qNorm * maxNorm;
        const double err = 2.0 * double(dim + 4) * u * mag;
        const double lastKey = mk.back();
        const double kth = cand[static_cast<size_t>(k - 1)].first;
        double bound;  // the k-th exact distance in key units
        switch (metric) {
        case Metric::Euclidean: bound = kth * kth - double(qq); break;
        case Metric::Cosine: bound = kth - 1.0; break;
        default: bound = kth; break;
        }
        proven = std::isfinite(lastKey) && lastKey - err > bound;
    }
    if (!proven) {
        cand.clear();
        for (int64_t j = 0; j < n; ++j)
            if (j != self) cand.emplace_back(exactDistance(qv, xp + j * dim, dim, metric), j);
        std::partial_sort(cand.begin(), cand.begin() + k, cand.end(), byDistanceThenRow);
    }
    for (int64_t j = 0; j < k; ++j) {
        gd[j] = static_cast<float>(cand[static_cast<size_t>(j)].first);
        gi[j] = cand[static_cast<size_t>(j)].second;
    }
}

}  // namespace

KnnGraph knnExact(const at::Tensor& xIn, const at::Tensor& qIn, int64_t k, Metric metric,
                  const std::vector<int64_t>& selfRows, Progress& progress) {
    at::Tensor x = checkedMatrix(xIn, "kNN");
    at::Tensor q = checkedMatrix(qIn.dim() == 1 ? qIn.unsqueeze(0) : qIn, "kNN query");
    if (q.size(1) != x.size(1))
        throw Error::badInput("kNN: query has " + std::to_string(q.size(1)) + " dimensions, data has " +
                              std::to_string(x.size(1)));
    const int64_t n = x.size(0), nq = q.size(0), dim = x.size(1);
    if (!selfRows.empty() && static_cast<int64_t>(selfRows.size()) != nq)
        throw Error::badInput("kNN: selfRows must name one row per query");
    const int64_t avail = selfRows.empty() ? n : n - 1;
    k = std::max<int64_t>(0, std::min(k, avail));
    KnnGraph g;
    g.indices = at::empty({nq, k}, at::kLong);
    g.distances = at::empty({nq, k}, at::kFloat);
    if (k == 0) return g;
    const int64_t kOut = k;
    k = candidateCount(k, avail);  // the fast search keeps a few more; refineExact() picks the exact k
    at::Tensor a;  // per-column offset of the key
    float c = 1.f;
    if (metric == Metric::Cosine) {
        x = x / x.norm(2, 1, true).clamp_min(1e-12);
        q = q / q.norm(2, 1, true).clamp_min(1e-12);
    }
    if (metric == Metric::Euclidean) {
        a = (x * x).sum(1).contiguous();
        c = 2.f;
    } else {
        a = at::zeros({n}, at::kFloat);
    }
    const at::Tensor qn = metric == Metric::Euclidean ? (q * q).sum(1).contiguous() : at::Tensor();
    const int64_t threads = at::get_num_threads();
#ifdef EMBEDLAB_KNN_FUSED
    const bool fused = cpuIsa() == CpuIsa::Avx512;
#else
    const bool fused = false;
#endif
    // Columns per tile: the tile of x about 512 KB (fused, packed) or 1 MB (product), a multiple of 32.
    const int64_t nt = fused ? std::clamp<int64_t>(((int64_t(1) << 17) / dim) & ~int64_t(31), 64, 4096)
                             : std::clamp<int64_t>(((int64_t(1) << 18) / dim) & ~int64_t(31), 256, 8192);
    // Queries per block: the product path keeps its [rows, nt] tile in L2; the fused one packs x once per
    // block, so its blocks are large (four per thread, whole groups of 12).
    const int64_t rowsPerBlock =
        fused ? std::max<int64_t>(kGroupRows, (nq + 4 * threads - 1) / (4 * threads) + kGroupRows - 1) / kGroupRows * kGroupRows
              : kQueryBlock;
    const int64_t qBlocks = (nq + rowsPerBlock - 1) / rowsPerBlock;
    // Few queries (neighbours of one row or vector): split the columns instead, one part per thread,
    // and merge the parts' lists afterwards.
    const int64_t parts = qBlocks >= threads ? 1 : std::min<int64_t>(threads, (n + nt - 1) / nt);
    const int64_t colsPerPart = (((n + parts - 1) / parts) + nt - 1) / nt * nt;
    at::Tensor keys = at::full({parts, nq, k}, std::numeric_limits<float>::infinity(), at::kFloat);
    at::Tensor cols = at::full({parts, nq, k}, int64_t(-1), at::kLong);
    float* kp = keys.data_ptr<float>();
    int64_t* cp = cols.data_ptr<int64_t>();
    const float* xp = x.data_ptr<float>();
    const float* ap = a.data_ptr<float>();
    const float* qp = q.data_ptr<float>();
    SingleThreadedBlas oneBlasPool;  // one pool of threads: blocks in parallel, each product single-threaded
    std::atomic<int64_t> done{0};
    const ScanFn scan = scanRowFn();
    const int64_t tasks = qBlocks * parts;
    at::parallel_for(0, tasks, 1, [&](int64_t t0, int64_t t1) {
        at::InferenceMode inference;
        at::Tensor tile = fused ? at::empty({nt * dim + nt}, at::kFloat) : at::empty({kQueryBlock, nt}, at::kFloat);
        std::vector<float> qPacked;
        for (int64_t task = t0; task < t1; ++task) {
            const int64_t blk = task / parts, part = task % parts;
            const int64_t b0 = blk * rowsPerBlock, b1 = std::min(nq, b0 + rowsPerBlock);
            const int64_t c0 = part * colsPerPart, c1 = std::min(n, c0 + colsPerPart);
            auto bestOf = [&](int64_t r) {
                const size_t off = static_cast<size_t>((part * nq + r) * k);
                return BestK{kp + off, cp + off, k};
            };
            auto selfOf = [&](int64_t r) { return selfRows.empty() ? int64_t(-1) : selfRows[static_cast<size_t>(r)]; };
#ifdef EMBEDLAB_KNN_FUSED
            if (fused) {
                qPacked.resize(static_cast<size_t>((b1 - b0 + kGroupRows - 1) / kGroupRows * kGroupRows * dim));
                packQueries(qp, dim, b0, b1, qPacked.data());
            }
#endif
            for (int64_t j0 = c0; j0 < c1; j0 += nt) {
                if (at::get_thread_num() == 0) progress.report(double(done.load()) / double(nq * n), "nearest neighbours");
                else progress.checkCancelled();
                const int64_t w = std::min(nt, c1 - j0);
#ifdef EMBEDLAB_KNN_FUSED
                if (fused) {
                    float* xt = tile.data_ptr<float>();
                    float* at_ = xt + nt * dim;
                    packTile(xp, ap, dim, j0, w, xt, at_);
                    for (int64_t g0 = b0; g0 < b1; g0 += kGroupRows) {
                        const int nReal = static_cast<int>(std::min<int64_t>(kGroupRows, b1 - g0));
                        BestK best[kGroupRows];
                        int64_t self[kGroupRows];
                        for (int r = 0; r < nReal; ++r) {
                            best[r] = bestOf(g0 + r);
                            self[r] = selfOf(g0 + r);
                        }
                        fusedGroup(qPacked.data() + (g0 - b0) * dim, nReal, dim, xt, at_, (w + kStrip - 1) / kStrip, j0, c,
                                   self, best);
                    }
                    done += (b1 - b0) * w;
                    continue;
                }
#endif
                at::Tensor s = tile.slice(0, 0, b1 - b0).slice(1, 0, w);
                at::mm_out(s, q.slice(0, b0, b1), at::from_blob(const_cast<float*>(xp) + j0 * dim, {w, dim}, at::kFloat).t());
                const float* sp = s.data_ptr<float>();
                const int64_t ld = s.stride(0);
                for (int64_t r = b0; r < b1; ++r) scan(sp + (r - b0) * ld, ap + j0, c, w, j0, selfOf(r), bestOf(r));
                done += (b1 - b0) * w;
            }
        }
    });
    float* gd = g.distances.data_ptr<float>();
    int64_t* gi = g.indices.data_ptr<int64_t>();
    const double maxNorm = x.norm(2, 1).max().item<double>();
    at::parallel_for(0, nq, 256, [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
            // Merge the parts (one list when the queries were split into blocks).
            std::vector<float> mk(kp + r * k, kp + (r + 1) * k);
            std::vector<int64_t> mc(cp + r * k, cp + (r + 1) * k);
            BestK best{mk.data(), mc.data(), k};
            for (int64_t part = 1; part < parts; ++part)
                for (int64_t j = 0; j < k; ++j) {
                    const size_t off = static_cast<size_t>((part * nq + r) * k + j);
                    if (kp[off] < mk[static_cast<size_t>(k - 1)]) best.insert(kp[off], cp[off]);
                }
            if (mc[static_cast<size_t>(k - 1)] < 0) {
                // Only when keys overflowed to +inf (|x| near 1e19): fill with unused columns at +inf.
                const int64_t self = selfRows.empty() ? -1 : selfRows[static_cast<size_t>(r)];
                int64_t next = 0;
                for (int64_t j = 0; j < k; ++j) {
                    if (mc[static_cast<size_t>(j)] >= 0) continue;
                    while (next == self || std::find(mc.begin(), mc.end(), next) != mc.end()) ++next;
                    mc[static_cast<size_t>(j)] = next++;
                    mk[static_cast<size_t>(j)] = std::numeric_limits<float>::infinity();
                }
            }
            const float qq = metric == Metric::Euclidean ? qn.data_ptr<float>()[r] : 0.f;
            refineExact(x, q, r, metric, mk, mc, qq, k == avail, selfRows.empty() ? int64_t(-1) : selfRows[static_cast<size_t>(r)],
                        maxNorm, kOut, gd + r * kOut, gi + r * kOut);
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
