// Fused CPU kernels against the ATen compositions they replace (models/cpu_kernels.h), in f32 and
// bf16, at several thread counts; and the models' fused paths against their ATen paths.
#include "engine/core/cpu_isa.h"
#include "engine/device/device.h"
#include "engine/models/cpu_kernels.h"
#include "engine/models/nn_ops.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <limits>

using namespace embedlab;

namespace {

at::Tensor randn(std::vector<int64_t> shape, at::ScalarType dt, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)).to(dt);
}

// max |a - b| relative to max |b|.
double relErr(const at::Tensor& a, const at::Tensor& b) {
    at::Tensor af = a.to(at::kFloat), bf = b.to(at::kFloat);
    return (af - bf).abs().max().item<double>() / std::max(1e-12, bf.abs().max().item<double>());
}

// The composition of Gemma's reference RMSNorm and the rotary embedding (ATen ops).
at::Tensor refHeadNormRope(const at::Tensor& x, const at::Tensor& w, const at::Tensor& inv, int64_t p0, double scale) {
    at::Tensor y = nn::gemmaRmsNorm(x, w, 1e-6).transpose(1, 2);  // [B, heads, L, D]
    y = nn::applyRope(y, inv, p0);
    if (scale != 1.0) y.mul_(scale);
    return y.transpose(1, 2);
}

// The models call nn:: under InferenceMode, where the fast paths are allowed (nn::fastPathsAllowed):
// these tests do too.
class KernelThreads : public ::testing::TestWithParam<int> {
protected:
    c10::InferenceMode inference_;
    void SetUp() override {
        saved_ = at::get_num_threads();
        at::set_num_threads(GetParam());
    }
    void TearDown() override { at::set_num_threads(saved_); }
    int saved_ = 1;
};

}  // namespace

// Every instruction-set path this CPU has (AVX-512, AVX2, portable).
TEST_P(KernelThreads, GemvEqualsMatmulF32AndBf16) {
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Avx2, CpuIsa::Portable}) {
    if (detectedCpuIsa() < isa) continue;
    setCpuIsaLimit(isa);
    SCOPED_TRACE(cpuIsaName(isa));
    for (int64_t K : {1, 7, 64, 640, 1000}) {
        for (int64_t N : {1, 3, 256, 4099}) {
            at::Tensor w = randn({N, K}, at::kFloat, 11 + static_cast<uint64_t>(K * N));
          for (int64_t M : {1, 3, 16}) {  // one sequence decoding, or a batch of them
            SCOPED_TRACE("rows " + std::to_string(M));
            at::Tensor x = randn({M, 1, K}, at::kFloat, 5);
            at::Tensor b = randn({N}, at::kFloat, 7);
            at::Tensor ref = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t()) + b.to(at::kDouble);
            ASSERT_TRUE(kernels::gemvApplies(x, w));
            at::Tensor y = kernels::gemv(x, w, b);
            ASSERT_EQ(y.sizes(), (std::vector<int64_t>{M, 1, N}));
            EXPECT_EQ(y.scalar_type(), at::kFloat);
            EXPECT_LT(relErr(y, ref), 2e-6) << "f32 K=" << K << " N=" << N;

            // bf16 weights and input: the exact products of the bf16 values, summed in f32, rounded once.
            at::Tensor wb = w.to(at::kBFloat16), xb = x.to(at::kBFloat16), bb = b.to(at::kBFloat16);
            at::Tensor refb = (at::matmul(xb.to(at::kDouble), wb.to(at::kDouble).t()) + bb.to(at::kDouble));
            at::Tensor yb = kernels::gemv(xb, wb, bb);
            EXPECT_EQ(yb.scalar_type(), at::kBFloat16);
            EXPECT_LT(relErr(yb, refb), 8e-3) << "bf16 K=" << K << " N=" << N;  // one bf16 rounding
            EXPECT_LT(relErr(yb, at::linear(xb, wb, bb)), 1.6e-2) << "bf16 vs ATen K=" << K << " N=" << N;
          }
        }
    }
    EXPECT_FALSE(kernels::gemvApplies(randn({kernels::kGemvMaxRows + 1, 64}, at::kFloat, 1), randn({8, 64}, at::kFloat, 2)));
    setCpuIsaLimit(CpuIsa::Avx512);
  }
}

// Every instruction-set path (the norm kernels are compiled per ISA); bf16 outputs round like ATen's
// cast of the f32 result: nearly every element is bit-identical (only the order of the sum of squares differs).
TEST_P(KernelThreads, RmsNormAndResidualFormMatchAten) {
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Avx2, CpuIsa::Portable}) {
    if (detectedCpuIsa() < isa) continue;
    setCpuIsaLimit(isa);
    SCOPED_TRACE(cpuIsaName(isa));
    for (auto dt : {at::kFloat, at::kBFloat16}) {
        at::Tensor x = randn({3, 17, 640}, dt, 1), w = randn({640}, dt, 2).mul(0.1), r = randn({3, 17, 640}, dt, 3);
        at::Tensor ref = nn::gemmaRmsNorm(x, w, 1e-6);
        at::Tensor y = kernels::rmsNorm(x, w, 1e-6, 1.f);
        EXPECT_EQ(y.scalar_type(), dt);
        EXPECT_LT(relErr(y, ref), dt == at::kFloat ? 2e-6 : 8e-3);
        at::Tensor refAdd = r + ref;
        at::Tensor yAdd = kernels::addRmsNorm(r, x, w, 1e-6, 1.f);
        EXPECT_LT(relErr(yAdd, refAdd), dt == at::kFloat ? 2e-6 : 8e-3);
        // offset 0 is the plain (LLaMA-style) RMSNorm
        at::Tensor xf = x.to(at::kFloat);
        at::Tensor plain = xf * at::rsqrt(xf.pow(2).mean(-1, true) + 1e-6) * w.to(at::kFloat);
        EXPECT_LT(relErr(kernels::rmsNorm(x, w, 1e-6, 0.f), plain), dt == at::kFloat ? 2e-6 : 8e-3);
        // non-contiguous input is accepted
        at::Tensor xt = randn({640, 5}, dt, 4).t();
        EXPECT_LT(relErr(kernels::rmsNorm(xt, w, 1e-6, 1.f), nn::gemmaRmsNorm(xt, w, 1e-6)), dt == at::kFloat ? 2e-6 : 8e-3);
        if (dt == at::kBFloat16) {
            EXPECT_GT(y.eq(ref).to(at::kFloat).mean().item<double>(), 0.98);
            // a NaN in a row stays a NaN (not an infinity or zero) after rounding
            at::Tensor xn = x.clone();
            xn[0][0][5] = std::numeric_limits<float>::quiet_NaN();
            at::Tensor yn = kernels::rmsNorm(xn, w, 1e-6, 1.f);
            EXPECT_TRUE(yn[0][0].isnan().all().item<bool>());
            EXPECT_FALSE(yn[0][1].isnan().any().item<bool>());
        }
    }
    setCpuIsaLimit(CpuIsa::Avx512);
  }
}

TEST_P(KernelThreads, HeadNormRopeMatchesComposition) {
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Avx2, CpuIsa::Portable}) {
    if (detectedCpuIsa() < isa) continue;
    setCpuIsaLimit(isa);
    SCOPED_TRACE(cpuIsaName(isa));
    for (auto dt : {at::kFloat, at::kBFloat16}) {
        for (int64_t p0 : {0, 37, 511}) {
            const int64_t B = 2, L = 5, heads = 4, D = 256;
            at::Tensor x = randn({B, L, heads, D}, dt, 9 + static_cast<uint64_t>(p0));
            at::Tensor w = randn({D}, dt, 10).mul(0.1);
            at::Tensor inv = nn::ropeInvFreq(D, 10000.0, 1.0, x);
            at::Tensor ang = at::outer(at::arange(p0, p0 + L, inv.options()), inv);
            at::Tensor cs = ang.cos().contiguous(), sn = ang.sin().contiguous();
            for (double scale : {1.0, 0.0625}) {
                at::Tensor ref = refHeadNormRope(x, w, inv, p0, scale);
                at::Tensor y = x.clone();
                kernels::headNormRopeInPlace(y, w, 1e-6, 1.f, cs, sn, static_cast<float>(scale));
                EXPECT_LT(relErr(y, ref), dt == at::kFloat ? 5e-6 : 8e-3) << "p0=" << p0 << " scale=" << scale;
                if (dt == at::kBFloat16) {
                    // the same roundings as the composition: nearly every element is bit-identical
                    const double same = y.eq(ref).to(at::kFloat).mean().item<double>();
                    EXPECT_GT(same, 0.98) << "p0=" << p0;
                }
            }
        }
    }
    setCpuIsaLimit(CpuIsa::Avx512);
  }
}

TEST(CpuKernels, LinearRoutesOneRowToGemvAndKeepsShape) {
    c10::InferenceMode inference;
    at::Tensor w = randn({33, 20}, at::kFloat, 1), x = randn({1, 20}, at::kFloat, 2);
    at::Tensor y = nn::linear(x, w);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 33}));
    EXPECT_LT(relErr(y, at::linear(x, w)), 2e-6);
    // a non-contiguous weight (a transposed view) falls back to ATen and is still right
    at::Tensor wt = randn({20, 33}, at::kFloat, 3).t();
    EXPECT_LT(relErr(nn::linear(x, wt), at::linear(x, wt)), 2e-6);
    // f64 is outside the kernels: ATen handles it
    EXPECT_FALSE(kernels::applies(x.to(at::kDouble)));
    EXPECT_LT(relErr(nn::linear(x.to(at::kDouble), w.to(at::kDouble)), at::linear(x, w)), 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Threads, KernelThreads, ::testing::Values(1, 2, 3));

TEST_P(KernelThreads, GemvManyEqualsSeparateProducts) {
    for (auto dt : {at::kFloat, at::kBFloat16})
      for (int64_t M : {1, 5}) {
        at::Tensor x = randn({M, 1, 96}, dt, 1);
        std::vector<at::Tensor> ws = {randn({256, 96}, dt, 2), randn({3, 96}, dt, 3), randn({1000, 96}, dt, 4)};
        auto outs = kernels::gemvMany(x, ws);
        ASSERT_EQ(outs.size(), 3u);
        for (size_t i = 0; i < ws.size(); ++i) {
            EXPECT_EQ(outs[i].sizes(), (std::vector<int64_t>{M, 1, ws[i].size(0)}));
            EXPECT_TRUE(outs[i].equal(kernels::gemv(x, ws[i]))) << i;  // the same arithmetic, bit for bit
        }
    }
}

TEST_P(KernelThreads, DecodeAttentionMatchesComposition) {
    for (auto dt : {at::kFloat, at::kBFloat16}) {
        for (bool masked : {false, true}) {
            for (std::optional<double> cap : {std::optional<double>(), std::optional<double>(50.0)}) {
                const int64_t B = 2, H = 4, Hkv = 2, T = 37, D = 64, cap_ = 48;
                // cache-like views: [B, Hkv, cap, D] storage, narrowed along T
                at::Tensor kStore = randn({B, Hkv, cap_, D}, dt, 5), vStore = randn({B, Hkv, cap_, D}, dt, 6);
                at::Tensor k = kStore.narrow(2, 3, T), v = vStore.narrow(2, 3, T);
                at::Tensor q = randn({B, 1, H, D}, dt, 7).mul(0.125).transpose(1, 2);
                at::Tensor allowed;
                if (masked) {
                    allowed = at::ones({B, 1, 1, T}, at::TensorOptions().dtype(at::kBool));
                    allowed.select(0, 1).narrow(-1, 0, 10).fill_(false);
                }
                ASSERT_TRUE(kernels::decodeAttentionApplies(q, k, v));
                at::Tensor pk, pr;
                at::Tensor out = kernels::decodeAttention(q, k, v, allowed, cap, &pk);
                // the ATen composition (force it: contiguous copies of a 2-position query, first row)
                at::Tensor q2 = at::cat({q, q}, 2);
                at::Tensor allowed2 = masked ? allowed.expand({B, 1, 2, T}) : allowed;
                at::Tensor ref = nn::attention(q2, k.contiguous(), v.contiguous(), allowed2, cap, true, &pr);
                ref = ref.narrow(1, 0, 1);
                EXPECT_EQ(out.sizes(), ref.sizes());
                const double tol = dt == at::kFloat ? 1e-5 : 1.6e-2;
                EXPECT_LT(relErr(out, ref), tol) << "masked=" << masked << " cap=" << cap.has_value();
                EXPECT_LT(relErr(pk, pr.narrow(2, 0, 1)), tol);
                if (masked) {
                    EXPECT_EQ(pk.select(0, 1).narrow(-1, 0, 10).abs().max().item<double>(), 0.0);
                }
                // and through nn::attention, which routes one-position queries to the kernel
                at::Tensor viaNn = nn::attention(q, k, v, allowed, cap, false, nullptr);
                EXPECT_TRUE(viaNn.equal(out));
            }
        }
    }
}

// Under SingleThreadedBlas the model code splits products over the OpenMP threads itself; the
// results are the same products (each part is one BLAS call), also on inference tensors.
TEST_P(KernelThreads, RowAndBatchParallelProductsEqualAten) {
    at::InferenceMode inference;
    SingleThreadedBlas one;
    EXPECT_TRUE(blasSingleThreaded());
    for (int64_t M : {1, 17, 33, 300}) {
        at::Tensor x = randn({M, 48}, at::kFloat, 1), w = randn({80, 48}, at::kFloat, 2), b = randn({80}, at::kFloat, 3);
        EXPECT_LT(relErr(kernels::rowParallelMatmul(x, w.t(), b), at::addmm(b, x, w.t())), 1e-6) << M;
        EXPECT_LT(relErr(kernels::rowParallelMatmul(x, w.t()), at::mm(x, w.t())), 1e-6) << M;
        // nn::linear routes multi-row f32 input here while the guard is alive
        at::Tensor x3 = randn({2, M, 48}, at::kFloat, 4);
        EXPECT_LT(relErr(nn::linear(x3, w, b), at::linear(x3, w, b)), 1e-6) << M;
    }
    for (int64_t n : {1, 2, 7}) {
        at::Tensor a = randn({n, 19, 32}, at::kFloat, 5), c = randn({n, 32, 23}, at::kFloat, 6);
        EXPECT_LT(relErr(kernels::batchParallelBmm(a, c), at::bmm(a, c)), 1e-6) << n;
        EXPECT_LT(relErr(kernels::batchParallelBmm(a, c.transpose(1, 2).contiguous().transpose(1, 2)), at::bmm(a, c)), 1e-6);
    }
}

// bf16 products as blocked f32 SGEMMs: the exact products of the bf16 values summed in f32 and rounded
// once (float64 reference), for shapes with ragged last blocks, with and without bias; nn::linear routes
// bf16 inputs of 32+ rows there while OpenBLAS is single-threaded.
TEST_P(KernelThreads, Bf16LinearViaF32EqualsRoundedExactProducts) {
    SingleThreadedBlas oneBlasPool;
    // 37 rows: blocks of w widened in L2; 160: the whole of w widened at once
    static_assert(kernels::kWidenWholeWeightRows > 37 && kernels::kWidenWholeWeightRows <= 160);
  for (int64_t M : {37, 160})
    for (int64_t K : {64, 640, 1000})
        for (int64_t N : {1, 200, 4099}) {
            SCOPED_TRACE("rows " + std::to_string(M));
            at::Tensor x = randn({M, K}, at::kBFloat16, 3), w = randn({N, K}, at::kBFloat16, 4 + static_cast<uint64_t>(N));
            at::Tensor b = randn({N}, at::kBFloat16, 5);
            at::Tensor ref = at::matmul(x.to(at::kDouble), w.to(at::kDouble).t());
            at::Tensor y = kernels::linearBf16ViaF32(x, w);
            EXPECT_EQ(y.scalar_type(), at::kBFloat16);
            EXPECT_LT(relErr(y, ref), 8e-3) << "K=" << K << " N=" << N;  // one bf16 rounding
            at::Tensor yb = kernels::linearBf16ViaF32(x, w, b);
            EXPECT_LT(relErr(yb, ref + b.to(at::kDouble)), 8e-3) << "bias K=" << K << " N=" << N;
            EXPECT_TRUE(nn::linear(x.view({1, M, K}), w, b).view({M, N}).equal(yb));
            EXPECT_LT(relErr(yb, at::linear(x, w, b)), 1.6e-2);  // oneDNN's bf16 GEMM
        }
}

// NaN detection on the bits, in every floating dtype the loader sees, at the first, a middle and the
// last element of a tensor larger than one parallel chunk; infinities are not NaN; other layouts and
// dtypes go through ATen.
TEST_P(KernelThreads, HasNaNFindsEveryNaNAndOnlyNaN) {
    const int64_t n = (1 << 19) + 77;
    for (auto dt : {at::kFloat, at::kBFloat16, at::kHalf}) {
        SCOPED_TRACE(c10::toString(dt));
        at::Tensor t = randn({n}, at::kFloat, 61).to(dt);
        EXPECT_FALSE(kernels::hasNaN(t));
        t[3] = std::numeric_limits<float>::infinity();
        t[n - 2] = -std::numeric_limits<float>::infinity();
        EXPECT_FALSE(kernels::hasNaN(t));
        for (int64_t pos : {int64_t(0), n / 2 + 1, n - 1}) {
            at::Tensor u = t.clone();
            u[pos] = std::numeric_limits<float>::quiet_NaN();
            EXPECT_TRUE(kernels::hasNaN(u)) << pos;
            EXPECT_TRUE(kernels::hasNaN(u.view({-1, 1}).t().contiguous().view({1, -1})));
            at::Tensor neg = t.clone();
            neg[pos] = -std::numeric_limits<float>::quiet_NaN();
            EXPECT_TRUE(kernels::hasNaN(neg)) << "negative NaN at " << pos;
        }
    }
    at::Tensor strided = randn({64, 64}, at::kFloat, 62).t();
    EXPECT_FALSE(kernels::hasNaN(strided));
    strided[5][7] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_TRUE(kernels::hasNaN(strided));
    EXPECT_FALSE(kernels::hasNaN(at::arange(10)));
    EXPECT_TRUE(kernels::hasNaN(at::full({3}, std::numeric_limits<double>::quiet_NaN(), at::kDouble)));
}

// The fused gated GELU against a float64 gelu_tanh(x)·u on every ISA path: elementwise within a few
// float ulps over the whole range (tails where e^t underflows included), NaN kept; nn::gatedGeluTanh
// uses it for f32.
TEST_P(KernelThreads, GeluTanhMulMatchesFloat64) {
    at::Tensor x = at::linspace(-30, 30, 60001, at::kFloat);
    x = at::cat({x, randn({4099}, at::kFloat, 51) * 3, at::tensor({-1e4f, 1e4f, 0.f, -0.f, 1e-30f, -1e-30f})});
    at::Tensor u = randn({x.numel()}, at::kFloat, 52);
    at::Tensor xd = x.to(at::kDouble);
    // ½x(1 + tanh y) = x / (1 + e^(−2y)): the second form, free of cancellation even in float64
    at::Tensor ref = xd / (1 + at::exp(-2 * 0.7978845608028654 * (xd + 0.044715 * xd.pow(3)))) * u.to(at::kDouble);
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Avx2, CpuIsa::Portable}) {
    if (detectedCpuIsa() < isa) continue;
    setCpuIsaLimit(isa);
    SCOPED_TRACE(cpuIsaName(isa));
    at::Tensor g = x.clone();
    kernels::geluTanhMulInPlace(g, u);
    // the f32 roundings of y itself (a few ulps) cost ~|2y|·few·2⁻²⁴ relative in the negative tail, as
    // in any f32 form (ATen's ½x(1 + tanh y) even returns 0 there once tanh y rounds to −1)
    at::Tensor y = (0.7978845608028654 * (xd + 0.044715 * xd.pow(3))).abs();
    at::Tensor err = (g.to(at::kDouble) - ref).abs() - (ref.abs() * (2e-6 + 6e-7 * y) + 1e-30);
    EXPECT_LE(err.max().item<double>(), 0.0) << "worst at x=" << x[err.argmax()].item<float>();
    // ATen's own form (Sleef tanh) agrees to the same order
    EXPECT_LT(relErr(g, at::gelu(x, "tanh") * u), 1e-6);
    at::Tensor n = at::tensor({1.f, std::numeric_limits<float>::quiet_NaN(), -2.f});
    kernels::geluTanhMulInPlace(n, at::ones({3}, at::kFloat));
    EXPECT_TRUE(n[1].isnan().item<bool>());
    EXPECT_FALSE(n[0].isnan().item<bool>() || n[2].isnan().item<bool>());
  }
    setCpuIsaLimit(CpuIsa::Avx512);
    at::Tensor xs = randn({3, 40, 64}, at::kFloat, 53), gate = randn({96, 64}, at::kFloat, 54), up = randn({96, 64}, at::kFloat, 55);
    EXPECT_LT(relErr(nn::gatedGeluTanh(xs, gate, up), at::gelu(at::matmul(xs, gate.t()), "tanh") * at::matmul(xs, up.t())), 2e-6);
    EXPECT_THROW(kernels::geluTanhMulInPlace(xs, up), std::exception);  // shapes differ
}

// Blocked attention for many queries (f32, CPU) against the float64 composition: several query
// blocks with a ragged last one, grouped KV heads, keys before the queries (a cache), causal and
// sliding-window masks, key padding (encoders), left-padded rows whose first queries see no key (they
// average all keys, as the composition does), and soft-capping. Queries and keys are strided views
// as the models pass them. nn::attention routes here when no probabilities are asked for.
TEST_P(KernelThreads, BlockedAttentionMatchesComposition) {
    SingleThreadedBlas oneBlasPool;
    const int64_t B = 2, H = 4, D = 32;
    int checked = 0;
    for (int64_t Hkv : {1, 2})
        for (int64_t L : {5, 37, 130})
            for (int64_t past : {0, 20})
                for (int maskKind = 0; maskKind < 5; ++maskKind) {
                    const int64_t T = L + past;
                    SCOPED_TRACE("Hkv=" + std::to_string(Hkv) + " L=" + std::to_string(L) + " past=" +
                                 std::to_string(past) + " mask=" + std::to_string(maskKind));
                    at::Tensor q = randn({B, L, H, D}, at::kFloat, 31 + static_cast<uint64_t>(L)).transpose(1, 2);
                    at::Tensor k = randn({B, T, Hkv, D}, at::kFloat, 32 + static_cast<uint64_t>(T)).transpose(1, 2);
                    at::Tensor v = randn({B, Hkv, T, D}, at::kFloat, 33 + static_cast<uint64_t>(T));
                    q = q * 0.3;  // scores of order 1..10
                    q = q.transpose(1, 2).contiguous().transpose(1, 2);
                    at::Tensor keyMask = at::ones({B, T}, at::kLong);
                    keyMask[1].narrow(0, 0, std::min<int64_t>(T, past + 3)).fill_(0);  // row 1 left-padded
                    at::Tensor allowed;
                    std::optional<double> cap;
                    switch (maskKind) {
                    case 0: allowed = nn::allowedMask(L, past, T, 0, true, 0, at::Tensor(), q); break;
                    case 1: allowed = nn::allowedMask(L, past, T, 0, true, 16, at::Tensor(), q); break;
                    case 2: allowed = nn::allowedMask(L, past, T, 0, false, 0, keyMask, q); break;
                    case 3: allowed = nn::allowedMask(L, past, T, 0, true, 0, keyMask, q); break;
                    default: cap = 5.0; break;  // no mask, soft-capped
                    }
                    ASSERT_TRUE(kernels::blockedAttentionApplies(q, k, v));
                    at::Tensor y = kernels::blockedAttention(q, k, v, allowed, cap);
                    at::Tensor ref = nn::attention(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), allowed,
                                                   cap, false, nullptr);
                    ASSERT_EQ(y.sizes(), ref.sizes());
                    EXPECT_LT(relErr(y, ref), 1e-5);
                    ++checked;
                }
    EXPECT_EQ(checked, 2 * 3 * 2 * 5);
    {  // long enough to pay: nn::attention routes here (Gemma-like heads, a causal 300-token prompt)
        at::Tensor q = randn({1, 300, 4, 256}, at::kFloat, 41).mul(0.06).transpose(1, 2);
        at::Tensor k = randn({1, 300, 1, 256}, at::kFloat, 42).transpose(1, 2), v = randn({1, 1, 300, 256}, at::kFloat, 43);
        ASSERT_GE(k.size(2) * k.size(3), kernels::kBlockedAttentionMinKeyElems);
        at::Tensor allowed = nn::allowedMask(300, 0, 300, 0, true, 0, at::Tensor(), q);
        at::Tensor y = kernels::blockedAttention(q, k, v, allowed, std::nullopt);
        EXPECT_TRUE(nn::attention(q, k, v, allowed, std::nullopt, false, nullptr).equal(y));
        at::Tensor probs;
        at::Tensor viaComposition = nn::attention(q, k, v, allowed, std::nullopt, true, &probs);
        EXPECT_LT(relErr(viaComposition, y), 1e-5);
        EXPECT_EQ(probs.sizes(), (std::vector<int64_t>{1, 4, 300, 300}));
    }
    // a 5-D input or a mask of the wrong shape is refused, not misread
    at::Tensor q = randn({1, 2, 4, 8}, at::kFloat, 1), k = randn({1, 1, 4, 8}, at::kFloat, 2);
    EXPECT_THROW(kernels::blockedAttention(q, k, k, at::ones({1, 1, 3, 4}, at::kBool), std::nullopt), std::exception);
    EXPECT_FALSE(kernels::blockedAttentionApplies(q.to(at::kDouble), k, k));
    // masks the blocks cannot read keep nn::attention on the composition (which broadcasts them)
    EXPECT_FALSE(kernels::blockedAttentionApplies(q, k, k, at::ones({1, 1, 3, 4}, at::kBool)));
    EXPECT_FALSE(kernels::blockedAttentionApplies(q, k, k, at::ones({1, 1, 4, 4}, at::kByte)));
    EXPECT_TRUE(kernels::blockedAttentionApplies(q, k, k, at::ones({1, 1, 1, 4}, at::kBool)));
}

// Many rows and a weight whose f32 copy would exceed kWidenWholeWeightBytes (an LM head): the
// blocked widening, the same sums.
TEST(CpuKernels, Bf16LinearViaF32CapsTheWideningOfLargeWeights) {
    SingleThreadedBlas oneBlasPool;
    const int64_t K = 64, N = kernels::kWidenWholeWeightBytes / (4 * K) + 100, M = kernels::kWidenWholeWeightRows + 2;
    at::Tensor x = randn({M, K}, at::kBFloat16, 71), w = randn({N, K}, at::kBFloat16, 72);
    at::Tensor y = kernels::linearBf16ViaF32(x, w, at::Tensor(), at::kFloat);
    at::Tensor ref = at::matmul(x.to(at::kFloat), w.to(at::kFloat).t());
    EXPECT_LT(relErr(y, ref), 1e-5);
}

// bf16 attention and gated feed-forward on CPU run in f32 and round once: against float64 compositions
// of the same bf16 inputs, within one bf16 rounding; f32 inputs keep the ATen path.
TEST_P(KernelThreads, Bf16AttentionAndGatedFeedForwardInF32) {
    SingleThreadedBlas oneBlasPool;
    at::Tensor x = randn({1, 40, 64}, at::kBFloat16, 21), gate = randn({96, 64}, at::kBFloat16, 22),
               up = randn({96, 64}, at::kBFloat16, 23);
    at::Tensor xd = x.to(at::kDouble);
    at::Tensor ref = at::gelu(at::matmul(xd, gate.to(at::kDouble).t()), "tanh") * at::matmul(xd, up.to(at::kDouble).t());
    at::Tensor y = nn::gatedGeluTanh(x, gate, up);
    EXPECT_EQ(y.scalar_type(), at::kBFloat16);
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{1, 40, 96}));
    EXPECT_LT(relErr(y, ref), 8e-3);
    at::Tensor yf = nn::gatedGeluTanh(x.to(at::kFloat), gate.to(at::kFloat), up.to(at::kFloat));
    EXPECT_LT(relErr(yf, ref), 1e-5);

    at::Tensor q = randn({2, 4, 40, 32}, at::kBFloat16, 24), k = randn({2, 1, 40, 32}, at::kBFloat16, 25),
               v = randn({2, 1, 40, 32}, at::kBFloat16, 26);
    at::Tensor allowed = nn::allowedMask(40, 0, 40, 0, true, 0, at::Tensor(), q);
    at::Tensor probs;
    at::Tensor a = nn::attention(q, k, v, allowed, std::nullopt, true, &probs);
    EXPECT_EQ(a.scalar_type(), at::kBFloat16);
    EXPECT_EQ(probs.scalar_type(), at::kBFloat16);
    at::Tensor af = nn::attention(q.to(at::kDouble), k.to(at::kDouble), v.to(at::kDouble), allowed, std::nullopt, false, nullptr);
    EXPECT_LT(relErr(a, af), 8e-3);
}

TEST(CpuKernels, SingleThreadedBlasNestsAndRestores) {
    EXPECT_FALSE(blasSingleThreaded());
    {
        SingleThreadedBlas a;
        {
            SingleThreadedBlas b;
            EXPECT_TRUE(blasSingleThreaded());
        }
        EXPECT_TRUE(blasSingleThreaded());
    }
    EXPECT_FALSE(blasSingleThreaded());
}
