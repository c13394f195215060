#include "engine/models/cpu_kernels.h"

#include "engine/core/cpu_isa.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace embedlab::kernels {

namespace {

inline float ld(float v) { return v; }
inline float ld(c10::BFloat16 v) {
    const uint32_t u = static_cast<uint32_t>(v.x) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
template <typename T>
inline T st(float f) {
    return T(f);
}
// Round to nearest even, NaN → the quiet NaN, as c10::BFloat16(float) and ATen's casts do; without
// branches, so that loops over it vectorise.
template <>
inline c10::BFloat16 st<c10::BFloat16>(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    c10::BFloat16 b;
    b.x = static_cast<uint16_t>(f != f ? 0x7fc0u : rounded);
    return b;
}
// f rounded to T's precision (a no-op for float).
template <typename T>
inline float rnd(float f) {
    return ld(st<T>(f));
}

// The dot products of `rows` consecutive rows of W (f32 or bf16 bits) with x. Explicit AVX-512 and
// AVX2+FMA versions, chosen once at run time, and a portable loop for other CPUs. One row at a time
// with four independent accumulators (one chain would be bound by the FMA latency, not by memory),
// and a software prefetch 4 KB ahead of the stream: measured on the 2-core VM, a 262144×640 bf16
// product goes from 18 to 24 GB/s with it (the DRAM read bandwidth is ~26 GB/s).
inline float bf16Bits(uint16_t v) {
    const uint32_t u = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
inline float wval(float v) { return v; }
inline float wval(uint16_t v) { return bf16Bits(v); }

constexpr int64_t kPrefetchBytes = 4096;

template <typename W>
void dotRowsPortable(const W* w, const float* x, float* y, int64_t rows, int64_t K) {
    for (int64_t n = 0; n < rows; ++n) {
        const W* r = w + n * K;
        float acc = 0.f;
        for (int64_t k = 0; k < K; ++k) acc += wval(r[k]) * x[k];
        y[n] = acc;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#define EMBEDLAB_X86_KERNELS 1
// GCC 12's own AVX-512 intrinsic headers trip -Wmaybe-uninitialized (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512 load16(const float* p) { return _mm512_loadu_ps(p); }
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512 load16(const uint16_t* p) {
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

template <typename W>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void dotRowsAvx512(const W* w, const float* x, float* y,
                                                                         int64_t rows, int64_t K) {
    constexpr int64_t kLineElems = 64 / static_cast<int64_t>(sizeof(W));
    for (int64_t n = 0; n < rows; ++n) {
        const W* r = w + n * K;
        const char* pf = reinterpret_cast<const char*>(r) + kPrefetchBytes;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int64_t k = 0;
        for (; k + 64 <= K; k += 64) {
            for (int64_t e = 0; e < 64; e += kLineElems)
                _mm_prefetch(pf + (k + e) * static_cast<int64_t>(sizeof(W)), _MM_HINT_T0);
            a0 = _mm512_fmadd_ps(load16(r + k), _mm512_loadu_ps(x + k), a0);
            a1 = _mm512_fmadd_ps(load16(r + k + 16), _mm512_loadu_ps(x + k + 16), a1);
            a2 = _mm512_fmadd_ps(load16(r + k + 32), _mm512_loadu_ps(x + k + 32), a2);
            a3 = _mm512_fmadd_ps(load16(r + k + 48), _mm512_loadu_ps(x + k + 48), a3);
        }
        for (; k + 16 <= K; k += 16) a0 = _mm512_fmadd_ps(load16(r + k), _mm512_loadu_ps(x + k), a0);
        float acc = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
        for (; k < K; ++k) acc += wval(r[k]) * x[k];
        y[n] = acc;
    }
}

__attribute__((target("avx2,fma"))) inline __m256 load8(const float* p) { return _mm256_loadu_ps(p); }
__attribute__((target("avx2,fma"))) inline __m256 load8(const uint16_t* p) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
__attribute__((target("avx2,fma"))) inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

template <typename W>
__attribute__((target("avx2,fma"))) void dotRowsAvx2(const W* w, const float* x, float* y, int64_t rows, int64_t K) {
    constexpr int64_t kLineElems = 64 / static_cast<int64_t>(sizeof(W));
    for (int64_t n = 0; n < rows; ++n) {
        const W* r = w + n * K;
        const char* pf = reinterpret_cast<const char*>(r) + kPrefetchBytes;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int64_t k = 0;
        for (; k + 32 <= K; k += 32) {
            for (int64_t e = 0; e < 32; e += kLineElems)
                _mm_prefetch(pf + (k + e) * static_cast<int64_t>(sizeof(W)), _MM_HINT_T0);
            a0 = _mm256_fmadd_ps(load8(r + k), _mm256_loadu_ps(x + k), a0);
            a1 = _mm256_fmadd_ps(load8(r + k + 8), _mm256_loadu_ps(x + k + 8), a1);
            a2 = _mm256_fmadd_ps(load8(r + k + 16), _mm256_loadu_ps(x + k + 16), a2);
            a3 = _mm256_fmadd_ps(load8(r + k + 24), _mm256_loadu_ps(x + k + 24), a3);
        }
        for (; k + 8 <= K; k += 8) a0 = _mm256_fmadd_ps(load8(r + k), _mm256_loadu_ps(x + k), a0);
        float acc = hsum8(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; k < K; ++k) acc += wval(r[k]) * x[k];
        y[n] = acc;
    }
}
#pragma GCC diagnostic pop
#endif

template <typename W>
void dotRows(const W* w, const float* x, float* y, int64_t rows, int64_t K) {
#ifdef EMBEDLAB_X86_KERNELS
    const CpuIsa isa = cpuIsa();
    if (isa == CpuIsa::Avx512) return dotRowsAvx512(w, x, y, rows, K);
    if (isa == CpuIsa::Avx2) return dotRowsAvx2(w, x, y, rows, K);
#endif
    dotRowsPortable(w, x, y, rows, K);
}

// The norm and RoPE kernels: row loops written so that the compiler vectorises them (omp simd; the
// bf16 conversions are branch-free), compiled three times — AVX-512, AVX2+FMA and the baseline ISA —
// and chosen per call with cpuIsa(). The sums of squares are reassociated across lanes.
#define EMBEDLAB_INLINE inline __attribute__((always_inline))

// 1 / √(mean of the squares + eps) over n values.
template <typename T>
EMBEDLAB_INLINE float inverseRms(const T* x, int64_t n, float eps) {
    float ss = 0.f;
#pragma omp simd reduction(+ : ss)
    for (int64_t k = 0; k < n; ++k) {
        const float v = ld(x[k]);
        ss += v * v;
    }
    return 1.f / std::sqrt(ss / static_cast<float>(n) + eps);
}

template <typename T>
EMBEDLAB_INLINE void rmsRange(const T* x, const T* w, const T* residual, T* out, int64_t r0, int64_t r1, int64_t H,
                              float eps, float offset) {
    for (int64_t r = r0; r < r1; ++r) {
        const T* xr = x + r * H;
        const float inv = inverseRms(xr, H, eps);
        T* o = out + r * H;
        if (residual) {
            const T* res = residual + r * H;
#pragma omp simd
            for (int64_t k = 0; k < H; ++k) o[k] = st<T>(ld(res[k]) + rnd<T>(ld(xr[k]) * inv * (ld(w[k]) + offset)));
        } else {
#pragma omp simd
            for (int64_t k = 0; k < H; ++k) o[k] = st<T>(ld(xr[k]) * inv * (ld(w[k]) + offset));
        }
    }
}

// v: D floats of scratch.
template <typename T>
EMBEDLAB_INLINE void headNormRopeRange(T* x, const T* w, int64_t r0, int64_t r1, int64_t heads, int64_t L, int64_t D,
                                       float eps, float offset, const float* cos, const float* sin, float scale,
                                       float* v) {
    const int64_t half = D / 2;
    for (int64_t r = r0; r < r1; ++r) {
        T* xr = x + r * D;
        const int64_t l = (r / heads) % L;
        const float* c = cos + l * half;
        const float* s = sin + l * half;
        const float inv = inverseRms(xr, D, eps);
#pragma omp simd
        for (int64_t k = 0; k < D; ++k) v[k] = rnd<T>(ld(xr[k]) * inv * (ld(w[k]) + offset));
#pragma omp simd
        for (int64_t k = 0; k < half; ++k) {
            const float x1 = v[k], x2 = v[k + half];
            // scale is a power of two in Gemma (1/√256); applied after the rounding, as in the composition
            const float o1 = rnd<T>(x1 * c[k] - x2 * s[k]) * scale;
            const float o2 = rnd<T>(x2 * c[k] + x1 * s[k]) * scale;
            xr[k] = st<T>(o1);
            xr[k + half] = st<T>(o2);
        }
    }
}

#ifdef EMBEDLAB_X86_KERNELS
template <typename T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))) void rmsRangeAvx512(const T* x, const T* w, const T* res,
                                                                                   T* out, int64_t r0, int64_t r1,
                                                                                   int64_t H, float eps, float offset) {
    rmsRange(x, w, res, out, r0, r1, H, eps, offset);
}
template <typename T>
__attribute__((target("avx2,fma"))) void rmsRangeAvx2(const T* x, const T* w, const T* res, T* out, int64_t r0,
                                                      int64_t r1, int64_t H, float eps, float offset) {
    rmsRange(x, w, res, out, r0, r1, H, eps, offset);
}
template <typename T>
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))) void headNormRopeRangeAvx512(
    T* x, const T* w, int64_t r0, int64_t r1, int64_t heads, int64_t L, int64_t D, float eps, float offset,
    const float* cos, const float* sin, float scale, float* v) {
    headNormRopeRange(x, w, r0, r1, heads, L, D, eps, offset, cos, sin, scale, v);
}
template <typename T>
__attribute__((target("avx2,fma"))) void headNormRopeRangeAvx2(T* x, const T* w, int64_t r0, int64_t r1, int64_t heads,
                                                               int64_t L, int64_t D, float eps, float offset,
                                                               const float* cos, const float* sin, float scale, float* v) {
    headNormRopeRange(x, w, r0, r1, heads, L, D, eps, offset, cos, sin, scale, v);
}
#endif

// e^t for t ≤ 0 in f32 without library calls (vectorisable): 2^n · e^r with n = round(t·log2 e),
// r = t − n·ln 2 in two parts (Cody–Waite), e^r by a degree-6 Taylor/Horner polynomial on |r| ≤ ln2/2
// (relative error < 2·10⁻⁷); t below −87 gives 0.
EMBEDLAB_INLINE float expNonPositive(float t) {
    t = std::max(t, -87.f);
    constexpr float kRound = 12582912.f;  // 1.5·2^23: adding and subtracting it rounds to an integer
    const float n = (t * 1.44269504088896341f + kRound) - kRound;
    const float r = (t - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
    float p = 1.f / 720.f;
    p = p * r + 1.f / 120.f;
    p = p * r + 1.f / 24.f;
    p = p * r + 1.f / 6.f;
    p = p * r + 0.5f;
    p = p * r + 1.f;
    p = p * r + 1.f;
    // 2^n for n in [-126, 0]; a NaN t (NaN input) gives NaN through p, and n is clamped first so the
    // conversion to int is defined for it too (UBSan: float-cast-overflow).
    const float nc = n > -126.f ? (n < 0.f ? n : 0.f) : -126.f;
    const int32_t bits = (static_cast<int32_t>(nc) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return t <= -87.f ? 0.f : p * scale;
}

// g ← gelu_tanh(g) · u, with gelu_tanh(x) = ½x(1 + tanh y) = x / (1 + e^(−2y)), y = √(2/π)(x + 0.044715x³)
// (no cancellation near 0); for y < 0 the same as x·e^(2y) / (e^(2y) + 1), so e^t is only needed for t ≤ 0.
EMBEDLAB_INLINE void geluTanhMulRange(float* g, const float* u, int64_t a, int64_t b) {
#pragma omp simd
    for (int64_t i = a; i < b; ++i) {
        const float x = g[i];
        const float y = 0.7978845608028654f * (x + 0.044715f * x * x * x);
        const float e = expNonPositive(-2.f * std::fabs(y));  // e^(−2|y|)
        const float s = y >= 0.f ? 1.f / (1.f + e) : e / (1.f + e);  // sigmoid(2y)
        g[i] = (x != x ? x : x * s) * u[i];
    }
}

#ifdef EMBEDLAB_X86_KERNELS
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))) void geluTanhMulAvx512(float* g, const float* u, int64_t a,
                                                                                      int64_t b) {
    geluTanhMulRange(g, u, a, b);
}
__attribute__((target("avx2,fma"))) void geluTanhMulAvx2(float* g, const float* u, int64_t a, int64_t b) {
    geluTanhMulRange(g, u, a, b);
}
#endif

template <typename T>
void rmsRows(const T* x, const T* w, const T* residual, T* out, int64_t rows, int64_t H, float eps, float offset) {
    const CpuIsa isa = cpuIsa();
    at::parallel_for(0, rows, std::max<int64_t>(1, 32768 / std::max<int64_t>(H, 1)), [&](int64_t r0, int64_t r1) {
#ifdef EMBEDLAB_X86_KERNELS
        if (isa == CpuIsa::Avx512) return rmsRangeAvx512(x, w, residual, out, r0, r1, H, eps, offset);
        if (isa == CpuIsa::Avx2) return rmsRangeAvx2(x, w, residual, out, r0, r1, H, eps, offset);
#endif
        (void)isa;
        rmsRange(x, w, residual, out, r0, r1, H, eps, offset);
    });
}

template <typename T>
void headNormRope(T* x, const T* w, int64_t rows, int64_t heads, int64_t L, int64_t D, float eps, float offset,
                  const float* cos, const float* sin, float scale) {
    const CpuIsa isa = cpuIsa();
    at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)), [&](int64_t r0, int64_t r1) {
        std::vector<float> v(static_cast<size_t>(D));
#ifdef EMBEDLAB_X86_KERNELS
        if (isa == CpuIsa::Avx512)
            return headNormRopeRangeAvx512(x, w, r0, r1, heads, L, D, eps, offset, cos, sin, scale, v.data());
        if (isa == CpuIsa::Avx2)
            return headNormRopeRangeAvx2(x, w, r0, r1, heads, L, D, eps, offset, cos, sin, scale, v.data());
#endif
        (void)isa;
        headNormRopeRange(x, w, r0, r1, heads, L, D, eps, offset, cos, sin, scale, v.data());
    });
}

void requireDtype(const at::Tensor& t, c10::ScalarType s, const char* what) {
    if (t.scalar_type() != s || !t.device().is_cpu() || !t.is_contiguous())
        throw Error::runtime(std::string("fused kernel: ") + what + " must be a contiguous CPU tensor of the input's dtype");
}

}  // namespace

bool applies(const at::Tensor& t) {
    return t.defined() && t.device().is_cpu() && (t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16);
}

bool gemvApplies(const at::Tensor& x, const at::Tensor& w) {
    const int64_t K = x.size(-1);
    return K > 0 && x.numel() <= kGemvMaxRows * K && x.numel() > 0 && w.dim() == 2 && w.size(1) == K && applies(x) && applies(w) && w.is_contiguous() &&
           w.scalar_type() == x.scalar_type();
}

namespace {

// x·wᵢᵀ for every matrix, in f32, concatenated: y [M, total], start[i] is where matrix i's columns
// begin. One parallel region over the rows of all matrices, as if they were one; each block of
// weight rows is used for all M input rows while it is in L2, so the weights are read from memory once.
at::Tensor gemvConcat(const at::Tensor& xIn, const std::vector<at::Tensor>& ws, std::vector<int64_t>& start) {
    const int64_t K = xIn.size(-1), M = xIn.numel() / K;
    start.assign(ws.size() + 1, 0);
    for (size_t i = 0; i < ws.size(); ++i) start[i + 1] = start[i] + ws[i].size(0);
    const int64_t total = start.back();
    at::Tensor x = xIn.reshape({M, K}).to(at::kFloat).contiguous();
    at::Tensor y = at::empty({M, total}, x.options());
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    const bool bf16 = xIn.scalar_type() == at::kBFloat16;
    auto rows = [&](int64_t r0, int64_t r1) {
        for (size_t i = 0; i < ws.size() && r0 < r1; ++i) {
            const int64_t a = std::max(r0, start[i]), b = std::min(r1, start[i + 1]);
            if (a >= b) continue;
            const int64_t local = a - start[i];
            for (int64_t m = 0; m < M; ++m) {
                if (bf16)
                    dotRows(reinterpret_cast<const uint16_t*>(ws[i].data_ptr<c10::BFloat16>()) + local * K, xp + m * K,
                            yp + m * total + a, b - a, K);
                else
                    dotRows(ws[i].data_ptr<float>() + local * K, xp + m * K, yp + m * total + a, b - a, K);
            }
        }
    };
    // Blocks of ~256 KB of weights handed out dynamically: a thread whose core is busy elsewhere
    // (another VM, the desktop) takes fewer blocks instead of holding the others at the barrier.
    // Small products (< 2 blocks) stay on the calling thread.
    const int64_t block = std::max<int64_t>(1, (256 * 1024) / (K * (bf16 ? 2 : 4)));
    const int64_t blocks = (total + block - 1) / block;
    if (blocks < 2 || at::get_num_threads() < 2 || at::in_parallel_region()) {
        rows(0, total);
        return y;
    }
    std::atomic<int64_t> next{0};
    at::parallel_for(0, at::get_num_threads(), 1, [&](int64_t, int64_t) {
        for (int64_t blk = next++; blk < blocks; blk = next++) rows(blk * block, std::min(total, (blk + 1) * block));
    });
    return y;
}

std::vector<int64_t> withLast(const at::Tensor& x, int64_t n) {
    auto sizes = x.sizes().vec();
    sizes.back() = n;
    return sizes;
}

}  // namespace

std::vector<at::Tensor> gemvMany(const at::Tensor& xIn, const std::vector<at::Tensor>& ws) {
    bool ok = !ws.empty();
    for (const auto& w : ws) ok = ok && gemvApplies(xIn, w);
    std::vector<at::Tensor> outs;
    if (!ok) {
        for (const auto& w : ws) outs.push_back(at::linear(xIn, w));
        return outs;
    }
    std::vector<int64_t> start;
    at::Tensor y = gemvConcat(xIn, ws, start).to(xIn.scalar_type());
    for (size_t i = 0; i < ws.size(); ++i) {
        at::Tensor part = y.narrow(1, start[i], ws[i].size(0));
        outs.push_back(ws.size() == 1 || y.size(0) == 1 ? part.view(withLast(xIn, ws[i].size(0)))
                                                        : part.contiguous().view(withLast(xIn, ws[i].size(0))));
    }
    return outs;
}

at::Tensor gemv(const at::Tensor& xIn, const at::Tensor& w, const at::Tensor& b) {
    if (!gemvApplies(xIn, w)) return at::linear(xIn, w, b.defined() ? c10::optional<at::Tensor>(b) : c10::nullopt);
    std::vector<int64_t> start;
    at::Tensor y = gemvConcat(xIn, {w}, start);
    if (b.defined()) y.add_(b.to(at::kFloat));  // in f32, before the one rounding (as a GEMM epilogue)
    return y.to(xIn.scalar_type()).view(withLast(xIn, w.size(0)));
}

at::Tensor rmsNorm(const at::Tensor& xIn, const at::Tensor& w, double eps, float offset) {
    at::Tensor x = xIn.contiguous();
    requireDtype(w, x.scalar_type(), "the norm weight");
    at::Tensor out = at::empty_like(x);
    const int64_t H = x.size(-1), rows = x.numel() / std::max<int64_t>(H, 1);
    if (x.scalar_type() == at::kFloat)
        rmsRows<float>(x.data_ptr<float>(), w.data_ptr<float>(), nullptr, out.data_ptr<float>(), rows, H,
                       static_cast<float>(eps), offset);
    else
        rmsRows<c10::BFloat16>(x.data_ptr<c10::BFloat16>(), w.data_ptr<c10::BFloat16>(), nullptr,
                               out.data_ptr<c10::BFloat16>(), rows, H, static_cast<float>(eps), offset);
    return out;
}

at::Tensor addRmsNorm(const at::Tensor& residualIn, const at::Tensor& xIn, const at::Tensor& w, double eps, float offset) {
    at::Tensor x = xIn.contiguous(), residual = residualIn.contiguous();
    requireDtype(w, x.scalar_type(), "the norm weight");
    requireDtype(residual, x.scalar_type(), "the residual");
    if (residual.sizes() != x.sizes()) throw Error::runtime("fused kernel: residual and input shapes differ");
    at::Tensor out = at::empty_like(x);
    const int64_t H = x.size(-1), rows = x.numel() / std::max<int64_t>(H, 1);
    if (x.scalar_type() == at::kFloat)
        rmsRows<float>(x.data_ptr<float>(), w.data_ptr<float>(), residual.data_ptr<float>(), out.data_ptr<float>(), rows,
                       H, static_cast<float>(eps), offset);
    else
        rmsRows<c10::BFloat16>(x.data_ptr<c10::BFloat16>(), w.data_ptr<c10::BFloat16>(),
                               residual.data_ptr<c10::BFloat16>(), out.data_ptr<c10::BFloat16>(), rows, H,
                               static_cast<float>(eps), offset);
    return out;
}

void headNormRopeInPlace(at::Tensor& x, const at::Tensor& w, double eps, float offset, const at::Tensor& cos,
                         const at::Tensor& sin, float scale) {
    if (x.dim() != 4 || !x.is_contiguous()) throw Error::runtime("fused kernel: expected contiguous [B, L, heads, D]");
    requireDtype(w, x.scalar_type(), "the head-norm weight");
    const int64_t L = x.size(1), heads = x.size(2), D = x.size(3);
    if (D % 2 != 0 || cos.scalar_type() != at::kFloat || sin.scalar_type() != at::kFloat || !cos.is_contiguous() ||
        !sin.is_contiguous() || cos.numel() != L * (D / 2) || sin.numel() != L * (D / 2))
        throw Error::runtime("fused kernel: RoPE tables must be contiguous f32 [L, D/2]");
    const int64_t rows = x.numel() / D;
    if (x.scalar_type() == at::kFloat)
        headNormRope<float>(x.data_ptr<float>(), w.data_ptr<float>(), rows, heads, L, D, static_cast<float>(eps), offset,
                            cos.data_ptr<float>(), sin.data_ptr<float>(), scale);
    else
        headNormRope<c10::BFloat16>(x.data_ptr<c10::BFloat16>(), w.data_ptr<c10::BFloat16>(), rows, heads, L, D,
                                    static_cast<float>(eps), offset, cos.data_ptr<float>(), sin.data_ptr<float>(), scale);
}

bool decodeAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    return q.dim() == 4 && q.size(2) == 1 && applies(q) && k.scalar_type() == q.scalar_type() &&
           v.scalar_type() == q.scalar_type() && k.device().is_cpu() && v.device().is_cpu() && k.dim() == 4 &&
           v.sizes() == k.sizes() && k.size(3) == q.size(3) && q.size(1) % k.size(1) == 0 && k.size(0) == q.size(0) &&
           k.stride(3) == 1 && v.stride(3) == 1 && k.stride(2) == k.size(3) && v.stride(2) == v.size(3);
}

namespace {

template <typename T>
void decodeAttentionImpl(const at::Tensor& qIn, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                         std::optional<double> softcap, at::Tensor& out, float* probsOut) {
    using W = std::conditional_t<std::is_same_v<T, float>, float, uint16_t>;
    const int64_t B = qIn.size(0), H = qIn.size(1), D = qIn.size(3), Hkv = k.size(1), T_ = k.size(2), G = H / Hkv;
    at::Tensor q = qIn.reshape({B, H, D}).to(at::kFloat).contiguous();
    const float* qp = q.data_ptr<float>();
    const auto* kp = reinterpret_cast<const W*>(k.data_ptr<T>());
    const auto* vp = reinterpret_cast<const W*>(v.data_ptr<T>());
    at::Tensor allowedB;
    const bool* ap = nullptr;
    int64_t aStride = 0;
    if (allowed.defined()) {
        allowedB = allowed.to(at::kBool).reshape({allowed.size(0), T_}).contiguous();
        ap = allowedB.data_ptr<bool>();
        aStride = allowedB.size(0) == 1 ? 0 : T_;
    }
    T* op = out.data_ptr<T>();
    const float lowest = std::numeric_limits<float>::lowest();
    at::parallel_for(0, B * H, 1, [&](int64_t i0, int64_t i1) {
        std::vector<float> p(static_cast<size_t>(T_)), acc(static_cast<size_t>(D));
        for (int64_t i = i0; i < i1; ++i) {
            const int64_t b = i / H, h = i % H, g = h / G;
            const W* kr = kp + b * k.stride(0) + g * k.stride(1);
            const W* vr = vp + b * v.stride(0) + g * v.stride(1);
            dotRows(kr, qp + i * D, p.data(), T_, D);
            float mx = lowest;
            for (int64_t t = 0; t < T_; ++t) {
                float sc = rnd<T>(p[static_cast<size_t>(t)]);
                if (softcap) sc = std::tanh(sc / static_cast<float>(*softcap)) * static_cast<float>(*softcap);
                if (ap && !ap[b * aStride + t]) sc = lowest;
                p[static_cast<size_t>(t)] = sc;
                mx = std::max(mx, sc);
            }
            float sum = 0.f;
            for (int64_t t = 0; t < T_; ++t) {
                const float e = std::exp(p[static_cast<size_t>(t)] - mx);
                p[static_cast<size_t>(t)] = e;
                sum += e;
            }
            std::fill(acc.begin(), acc.end(), 0.f);
            for (int64_t t = 0; t < T_; ++t) {
                const float pt = rnd<T>(p[static_cast<size_t>(t)] / sum);
                if (probsOut) probsOut[i * T_ + t] = pt;
                if (pt == 0.f) continue;
                const W* row = vr + t * D;
                float* a = acc.data();
#pragma omp simd
                for (int64_t d = 0; d < D; ++d) a[d] += pt * wval(row[d]);
            }
            T* o = op + (b * H + h) * D;
            for (int64_t d = 0; d < D; ++d) o[d] = st<T>(acc[static_cast<size_t>(d)]);
        }
    });
}

}  // namespace

at::Tensor decodeAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                           std::optional<double> softcap, at::Tensor* probs) {
    if (!decodeAttentionApplies(q, k, v)) throw Error::runtime("decodeAttention: unsupported shapes or layout");
    const int64_t B = q.size(0), H = q.size(1), D = q.size(3), T_ = k.size(2);
    at::Tensor out = at::empty({B, 1, H * D}, q.options());
    at::Tensor pf;
    if (probs) pf = at::empty({B, H, 1, T_}, q.options().dtype(at::kFloat));
    float* pp = probs ? pf.data_ptr<float>() : nullptr;
    if (q.scalar_type() == at::kFloat)
        decodeAttentionImpl<float>(q, k, v, allowed, softcap, out, pp);
    else
        decodeAttentionImpl<c10::BFloat16>(q, k, v, allowed, softcap, out, pp);
    if (probs) *probs = pf.to(q.scalar_type());
    return out;
}

at::Tensor rowParallelMatmul(const at::Tensor& x, const at::Tensor& b, const at::Tensor& bias) {
    const int64_t M = x.size(0), N = b.size(1);
    at::Tensor out = at::empty({M, N}, x.options());
    const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), M / 16));
    at::parallel_for(0, parts, 1, [&](int64_t p0, int64_t p1) {
        at::InferenceMode inference;  // thread-local: the worker threads need it too
        for (int64_t p = p0; p < p1; ++p) {
            const int64_t r0 = M * p / parts, r1 = M * (p + 1) / parts;
            if (r1 <= r0) continue;
            at::Tensor o = out.narrow(0, r0, r1 - r0);
            if (bias.defined()) at::addmm_out(o, bias, x.narrow(0, r0, r1 - r0), b);
            else at::mm_out(o, x.narrow(0, r0, r1 - r0), b);
        }
    });
    return out;
}

namespace {
// bf16 → f32 for a contiguous block, split over the intra-op threads (exact: a shift of the bits).
void widenBf16(const c10::BFloat16* src, float* dst, int64_t n) {
    at::parallel_for(0, n, 1 << 16, [&](int64_t a, int64_t b) {
        const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
#pragma omp simd
        for (int64_t i = a; i < b; ++i) dst[i] = bf16Bits(s[i]);
    });
}
}  // namespace

at::Tensor linearBf16ViaF32(const at::Tensor& x, const at::Tensor& w, const at::Tensor& bias, at::ScalarType outType) {
    const int64_t M = x.size(0), K = x.size(1), N = w.size(0);
    const at::Tensor xf = x.to(at::kFloat).contiguous();  // exact
    const at::Tensor wc = w.contiguous();
    if (M >= kWidenWholeWeightRows && N * K * 4 <= kWidenWholeWeightBytes) {
        // Many rows: the whole weight widened once (one pass over it) and one row-parallel SGEMM, the
        // f32 path's product. Blocks would repack the M input rows once per block instead.
        at::Tensor wf = at::empty({N, K}, xf.options());
        widenBf16(wc.data_ptr<c10::BFloat16>(), wf.data_ptr<float>(), N * K);
        const at::Tensor bf = bias.defined() ? bias.to(at::kFloat) : bias;
        return rowParallelMatmul(xf, wf.t(), bf).to(outType);
    }
    at::Tensor out = at::empty({M, N}, x.options().dtype(at::kFloat));
    // Rows of w per block: its f32 copy about 512 KB.
    const int64_t rows = std::clamp<int64_t>((int64_t(1) << 17) / std::max<int64_t>(K, 1), 16, 4096);
    const int64_t blocks = (N + rows - 1) / rows;
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
        at::InferenceMode inference;
        at::Tensor wf = at::empty({rows, K}, xf.options());
        for (int64_t blk = b0; blk < b1; ++blk) {
            const int64_t n0 = blk * rows, n = std::min(rows, N - n0);
            at::Tensor wb = wf.narrow(0, 0, n);
            wb.copy_(wc.narrow(0, n0, n));
            at::Tensor o = out.narrow(1, n0, n);  // rows of stride N: a BLAS-compatible output
            if (bias.defined()) at::addmm_out(o, bias.narrow(0, n0, n).to(at::kFloat), xf, wb.t());
            else at::mm_out(o, xf, wb.t());
        }
    });
    return out.to(outType);
}

at::Tensor batchParallelBmm(const at::Tensor& a, const at::Tensor& b) {
    const int64_t n = a.size(0);
    if (n < at::get_num_threads()) {  // fewer matrices than threads (one KV head): split their rows instead
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < n; ++i) parts.push_back(rowParallelMatmul(a.select(0, i), b.select(0, i)));
        return at::stack(parts);
    }
    at::Tensor out = at::empty({n, a.size(1), b.size(2)}, a.options());
    at::parallel_for(0, n, 1, [&](int64_t i0, int64_t i1) {
        at::InferenceMode inference;  // thread-local: the worker threads need it too
        for (int64_t i = i0; i < i1; ++i) {
            at::Tensor o = out.select(0, i);
            at::mm_out(o, a.select(0, i), b.select(0, i));
        }
    });
    return out;
}

namespace {
// Any element whose bits without the sign exceed the infinity's (a NaN), over [a, b).
template <typename U>
bool anyNaNBits(const U* p, int64_t a, int64_t b, U absMask, U inf) {
    int found = 0;
#pragma omp simd reduction(| : found)
    for (int64_t i = a; i < b; ++i) found |= static_cast<U>(p[i] & absMask) > inf ? 1 : 0;
    return found != 0;
}
}  // namespace

bool hasNaN(const at::Tensor& t) {
    if (!t.defined() || !t.is_floating_point()) return false;
    if (!t.device().is_cpu() || !t.is_contiguous() ||
        (t.scalar_type() != at::kFloat && t.scalar_type() != at::kBFloat16 && t.scalar_type() != at::kHalf))
        return at::isnan(t).any().item<bool>();
    std::atomic<bool> found{false};
    const int64_t n = t.numel();
    const void* data = t.data_ptr();
    at::parallel_for(0, n, 1 << 18, [&](int64_t a, int64_t b) {
        if (found.load(std::memory_order_relaxed)) return;
        bool f = false;
        if (t.scalar_type() == at::kFloat)
            f = anyNaNBits<uint32_t>(static_cast<const uint32_t*>(data), a, b, 0x7fffffffu, 0x7f800000u);
        else if (t.scalar_type() == at::kBFloat16)
            f = anyNaNBits<uint16_t>(static_cast<const uint16_t*>(data), a, b, 0x7fff, 0x7f80);
        else
            f = anyNaNBits<uint16_t>(static_cast<const uint16_t*>(data), a, b, 0x7fff, 0x7c00);
        if (f) found = true;
    });
    return found.load();
}

void geluTanhMulInPlace(at::Tensor& g, const at::Tensor& u) {
    if (g.scalar_type() != at::kFloat || u.scalar_type() != at::kFloat || !g.is_contiguous() || !u.is_contiguous() ||
        g.sizes() != u.sizes() || !g.device().is_cpu() || !u.device().is_cpu())
        throw Error::runtime("geluTanhMulInPlace: two contiguous f32 CPU tensors of one shape expected");
    float* gp = g.data_ptr<float>();
    const float* up = u.data_ptr<float>();
    const CpuIsa isa = cpuIsa();
    at::parallel_for(0, g.numel(), 16384, [&](int64_t a, int64_t b) {
#ifdef EMBEDLAB_X86_KERNELS
        if (isa == CpuIsa::Avx512) return geluTanhMulAvx512(gp, up, a, b);
        if (isa == CpuIsa::Avx2) return geluTanhMulAvx2(gp, up, a, b);
#endif
        (void)isa;
        geluTanhMulRange(gp, up, a, b);
    });
}

bool blockedAttentionApplies(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed) {
    if (allowed.defined() &&
        (allowed.dim() != 4 || allowed.scalar_type() != at::kBool || (allowed.size(0) != 1 && allowed.size(0) != q.size(0)) ||
         allowed.size(1) != 1 || (allowed.size(2) != 1 && allowed.size(2) != q.size(2)) || allowed.size(3) != k.size(2)))
        return false;
    return q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && q.scalar_type() == at::kFloat &&
           k.scalar_type() == at::kFloat && v.scalar_type() == at::kFloat && q.device().is_cpu() &&
           k.device().is_cpu() && v.device().is_cpu() && k.size(0) == q.size(0) && v.sizes() == k.sizes() &&
           k.size(3) == q.size(3) && k.size(1) > 0 && q.size(1) % k.size(1) == 0 && q.size(3) > 0 &&
           q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1;
}

at::Tensor blockedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& allowed,
                            std::optional<double> softcap) {
    if (!blockedAttentionApplies(q, k, v)) throw Error::runtime("blockedAttention: unsupported shapes or layout");
    const int64_t B = q.size(0), H = q.size(1), L = q.size(2), D = q.size(3), Hkv = k.size(1), T = k.size(2);
    const int64_t G = H / Hkv;
    at::Tensor out = at::empty({B, L, H * D}, q.options());
    if (T == 0) return out.zero_();
    // Query blocks: at most 64 rows, and enough blocks for the threads.
    const int64_t threads = at::get_num_threads();
    int64_t rows = 64;
    while (rows > 8 && B * H * ((L + rows - 1) / rows) < 4 * threads) rows /= 2;
    const int64_t nBlocks = (L + rows - 1) / rows;

    // The keys each block needs: [first, last] allowed key over its rows; a row without any → all keys.
    at::Tensor al, notAllowed;
    const int64_t Bm = allowed.defined() ? allowed.size(0) : 1;
    std::vector<int64_t> lo(static_cast<size_t>(Bm * nBlocks), 0), hi(static_cast<size_t>(Bm * nBlocks), T);
    if (allowed.defined()) {
        if (allowed.dim() != 4 || (Bm != 1 && Bm != B) || allowed.size(1) != 1 || allowed.size(3) != T ||
            (allowed.size(2) != 1 && allowed.size(2) != L) || allowed.scalar_type() != at::kBool)
            throw Error::runtime("blockedAttention: the mask must be bool [B|1, 1, L|1, T]");
        al = allowed.expand({Bm, 1, L, T}).contiguous();  // broadcast rows materialised (bytes; small)
        notAllowed = al.logical_not();
        const uint8_t* a = reinterpret_cast<const uint8_t*>(al.data_ptr<bool>());
        for (int64_t bm = 0; bm < Bm; ++bm)
            for (int64_t blk = 0; blk < nBlocks; ++blk) {
                int64_t first = T, last = -1;
                bool someRowEmpty = false;
                for (int64_t l = blk * rows; l < std::min(L, (blk + 1) * rows); ++l) {
                    const uint8_t* row = a + (bm * L + l) * T;
                    const void* f = std::memchr(row, 1, static_cast<size_t>(T));
                    if (!f) {
                        someRowEmpty = true;
                        break;
                    }
                    first = std::min<int64_t>(first, static_cast<const uint8_t*>(f) - row);
                    int64_t r = T - 1;
                    while (r > last && !row[r]) --r;
                    last = std::max(last, r);
                }
                const size_t i = static_cast<size_t>(bm * nBlocks + blk);
                if (!someRowEmpty) lo[i] = first, hi[i] = last + 1;
            }
    }
    // Tasks (batch, head, block), the costliest first (most keys), handed out dynamically.
    struct Task {
        int64_t b, h, blk, cost;
    };
    std::vector<Task> tasks;
    tasks.reserve(static_cast<size_t>(B * H * nBlocks));
    for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t blk = 0; blk < nBlocks; ++blk) {
                const size_t i = static_cast<size_t>((Bm == 1 ? 0 : b) * nBlocks + blk);
                tasks.push_back({b, h, blk, hi[i] - lo[i]});
            }
    std::stable_sort(tasks.begin(), tasks.end(), [](const Task& x, const Task& y) { return x.cost > y.cost; });
    std::atomic<size_t> next{0};
    const float lowest = std::numeric_limits<float>::lowest();
    auto run = [&]() {
        at::InferenceMode inference;
        at::Tensor scratch = at::empty({rows * T}, q.options());
        for (size_t t = next++; t < tasks.size(); t = next++) {
            const Task& task = tasks[t];
            const int64_t l0 = task.blk * rows, n = std::min(rows, L - l0);
            const size_t bi = static_cast<size_t>((Bm == 1 ? 0 : task.b) * nBlocks + task.blk);
            const int64_t k0 = lo[bi], nk = hi[bi] - lo[bi];
            const int64_t hk = task.h / G;
            at::Tensor qb = q.select(0, task.b).select(0, task.h).narrow(0, l0, n);   // [n, D]
            at::Tensor kb = k.select(0, task.b).select(0, hk).narrow(0, k0, nk);     // [nk, D]
            at::Tensor vb = v.select(0, task.b).select(0, hk).narrow(0, k0, nk);     // [nk, D]
            at::Tensor s = scratch.narrow(0, 0, n * nk).view({n, nk});
            at::mm_out(s, qb, kb.t());
            if (softcap) s.div_(*softcap).tanh_().mul_(*softcap);
            if (notAllowed.defined())
                s.masked_fill_(notAllowed.select(0, Bm == 1 ? 0 : task.b).select(0, 0).narrow(0, l0, n).narrow(1, k0, nk),
                               lowest);
            at::Tensor p = at::_softmax(s, 1, false);
            at::Tensor o = out.select(0, task.b).narrow(0, l0, n).narrow(1, task.h * D, D);  // [n, D], row stride H*D
            at::mm_out(o, p, vb);
        }
    };
    if (threads < 2 || at::in_parallel_region() || tasks.size() < 2) {
        run();
    } else {
        at::parallel_for(0, threads, 1, [&](int64_t, int64_t) { run(); });
    }
    return out;
}

}  // namespace embedlab::kernels
