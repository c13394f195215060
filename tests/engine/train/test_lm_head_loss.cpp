// The chunked LM head + cross-entropy (engine/train/lm_head_loss.h) against the plain composition it
// replaces (full logits, optional soft-cap, at::cross_entropy_loss with ignored rows): value and both
// gradients, over several chunks, in f64 and f32, and its gradient against finite differences.
#include "engine/train/lm_head_loss.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <optional>

namespace {

at::Tensor composition(const at::Tensor& h, const at::Tensor& w, const at::Tensor& t, std::optional<double> cap) {
    at::Tensor z = at::matmul(h, w.t());
    if (cap) z = at::tanh(z / *cap) * *cap;
    return at::cross_entropy_loss(z, t, {}, at::Reduction::Sum, -100);
}

void compare(c10::ScalarType dt, std::optional<double> cap, double tol) {
    at::manual_seed(3);
    const int64_t N = 37, H = 12, V = 50;
    at::Tensor h0 = at::randn({N, H}, at::TensorOptions().dtype(at::kDouble)).to(dt);
    at::Tensor w0 = (at::randn({V, H}, at::TensorOptions().dtype(at::kDouble)) * 0.7).to(dt);
    at::Tensor t = at::randint(V, {N}, at::TensorOptions().dtype(at::kLong));
    t.narrow(0, 5, 4).fill_(-100);
    at::Tensor h1 = h0.clone().requires_grad_(true), w1 = w0.clone().requires_grad_(true);
    at::Tensor h2 = h0.clone().requires_grad_(true), w2 = w0.clone().requires_grad_(true);
    at::Tensor a = embedlab::lmHeadCrossEntropySum(h1, w1, t, cap, /*chunkRows=*/8);
    at::Tensor b = composition(h2, w2, t, cap);
    EXPECT_NEAR(a.item<double>(), b.item<double>(), tol * std::abs(b.item<double>()));
    a.backward();
    b.backward();
    EXPECT_TRUE(at::allclose(h1.grad(), h2.grad(), tol, tol)) << (h1.grad() - h2.grad()).abs().max().item<double>();
    EXPECT_TRUE(at::allclose(w1.grad(), w2.grad(), tol, tol)) << (w1.grad() - w2.grad()).abs().max().item<double>();
    EXPECT_EQ(h1.grad().narrow(0, 5, 4).abs().sum().item<double>(), 0.0);  // ignored rows get nothing
}

}  // namespace

TEST(LmHeadLoss, EqualsTheCompositionInF64) { compare(at::kDouble, std::nullopt, 1e-10); }
TEST(LmHeadLoss, EqualsTheCompositionWithSoftCap) { compare(at::kDouble, 3.0, 1e-10); }
TEST(LmHeadLoss, EqualsTheCompositionInF32) { compare(at::kFloat, 5.0, 1e-4); }

TEST(LmHeadLoss, GradientMatchesFiniteDifferences) {
    at::manual_seed(4);
    at::Tensor h = at::randn({9, 6}, at::TensorOptions().dtype(at::kDouble)).requires_grad_(true);
    at::Tensor w = at::randn({11, 6}, at::TensorOptions().dtype(at::kDouble)).requires_grad_(true);
    at::Tensor t = at::randint(11, {9}, at::TensorOptions().dtype(at::kLong));
    embedlab::lmHeadCrossEntropySum(h, w, t, 2.0, 4).backward();
    for (auto* p : {&h, &w}) {
        at::Tensor flat = p->detach().view({-1});
        for (int64_t k : {int64_t(0), int64_t(7), flat.numel() - 1}) {
            const double x = flat[k].item<double>(), eps = 1e-6;
            at::NoGradGuard ng;
            flat[k].fill_(x + eps);
            const double up = embedlab::lmHeadCrossEntropySum(h, w, t, 2.0, 4).item<double>();
            flat[k].fill_(x - eps);
            const double down = embedlab::lmHeadCrossEntropySum(h, w, t, 2.0, 4).item<double>();
            flat[k].fill_(x);
            EXPECT_NEAR(p->grad().view({-1})[k].item<double>(), (up - down) / (2 * eps), 1e-6);
        }
    }
}
