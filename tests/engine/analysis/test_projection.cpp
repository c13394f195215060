// t-SNE and UMAP: quality on well-separated blobs, reproducibility, previews, cancellation, small and bad input.
#include "engine/analysis/knn.h"
#include "engine/analysis/projection_quality.h"
#include "engine/analysis/tsne.h"
#include "engine/analysis/umap.h"
#include "analysis_test_util.h"
#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"

#include <ATen/Parallel.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>

using namespace embedlab;

namespace {

// Share of each point's 10 nearest (in the embedding) that carry its label, and whether every cluster's
// centroid is further from the others than the clusters are wide.
void expectSeparated(const at::Tensor& y, const at::Tensor& labels, int64_t clusters) {
    KnnOptions o;
    o.k = 10;
    KnnGraph g = knnGraph(y, o);
    const double purity = (labels.index_select(0, g.indices.reshape({-1})).view({-1, 10}) == labels.unsqueeze(1))
                              .to(at::kDouble).mean().item<double>();
    EXPECT_GE(purity, 0.99);
    std::vector<at::Tensor> cent;
    double maxRadius = 0;
    for (int64_t c = 0; c < clusters; ++c) {
        at::Tensor pts = y.index_select(0, (labels == c).nonzero().view({-1}));
        at::Tensor m = pts.mean(0);
        cent.push_back(m);
        maxRadius = std::max(maxRadius, (pts - m).norm(2, 1).mean().item<double>());
    }
    for (int64_t a = 0; a < clusters; ++a)
        for (int64_t b = a + 1; b < clusters; ++b) EXPECT_GT((cent[a] - cent[b]).norm().item<double>(), 2.0 * maxRadius);
}

template <class F>
void expectCancelWithin200ms(F&& run) {
    Progress p;
    std::atomic<bool> done{false};
    std::chrono::steady_clock::time_point cancelAt, finished;
    bool cancelled = false;
    std::thread t([&] {
        try {
            run(p);
        } catch (const Error& e) {
            cancelled = e.kind() == Error::Kind::Cancelled;
        }
        finished = std::chrono::steady_clock::now();
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    cancelAt = std::chrono::steady_clock::now();
    p.cancel();
    t.join();
    ASSERT_TRUE(cancelled) << "finished before the cancel or failed otherwise";
    const double ms = std::chrono::duration<double, std::milli>(finished - cancelAt).count();
    EXPECT_LT(ms, 200.0);
}

}  // namespace

TEST(Tsne, BlobsTrustworthyAndSeparatedIn2DAnd3D) {
    at::Tensor labels;
    at::Tensor x = test::blobs(100, 5, 32, 11, &labels);
    for (int dims : {2, 3}) {
        TsneOptions o;
        o.dims = dims;
        o.seed = 7;
        int previews = 0;
        o.previewEvery = 100;
        o.preview = [&](const at::Tensor& c, int it, int total) {
            EXPECT_EQ(c.size(0), 500);
            EXPECT_EQ(c.size(1), dims);
            EXPECT_EQ(it % 100, 0);
            EXPECT_EQ(total, 1000);
            ++previews;
        };
        TsneResult r = tsne(x, o);
        ASSERT_EQ(r.embedding.size(0), 500);
        ASSERT_EQ(r.embedding.size(1), dims);
        EXPECT_TRUE(at::isfinite(r.embedding).all().item<bool>());
        EXPECT_EQ(previews, 10);
        EXPECT_GE(trustworthiness(x, r.embedding, 10), 0.9);
        expectSeparated(r.embedding, labels, 5);
    }
}

TEST(Tsne, ReproducibleWithTheSameSeed) {
    at::Tensor x = test::blobs(60, 4, 16, 3);
    TsneOptions o;
    o.iterations = 300;
    o.seed = 42;
    at::Tensor a = tsne(x, o).embedding, b = tsne(x, o).embedding;
    EXPECT_TRUE(at::equal(a, b));
    o.seed = 43;
    o.init = TsneOptions::Init::Random;
    at::Tensor c = tsne(x, o).embedding;
    EXPECT_FALSE(at::equal(a, c));
}

TEST(Tsne, CosineMetricAndPerplexityBinarySearch) {
    // Each row of P reaches the requested perplexity: exp(entropy) == perplexity.
    at::Tensor d = at::rand({20, 31}) * 10;
    at::Tensor P = embedlab::detail::binarySearchPerplexity(d, 10.0);
    at::Tensor H = -(P * at::log(P.clamp_min(1e-30))).sum(1);
    EXPECT_TRUE(at::allclose(at::exp(H), at::full({20}, 10.0), 1e-3, 1e-3));
    EXPECT_TRUE(at::allclose(P.sum(1), at::ones({20}), 1e-5, 1e-5));
    at::Tensor labels;
    at::Tensor x = test::blobs(60, 3, 16, 5, &labels);
    TsneOptions o;
    o.metric = Metric::Cosine;
    TsneResult r = tsne(x, o);
    EXPECT_GE(trustworthiness(x, r.embedding, 10, Metric::Cosine), 0.9);
}

TEST(Tsne, FewerPointsThanNeighboursAndTinyInputs) {
    at::Tensor x = at::randn({12, 5});
    TsneOptions o;  // perplexity 30 → 91 neighbours wanted, 11 available
    TsneResult r = tsne(x, o);
    EXPECT_EQ(r.embedding.size(0), 12);
    EXPECT_EQ(r.neighbors, 11);
    EXPECT_LE(r.perplexity, 11.0 / 3.0 + 1e-9);
    EXPECT_TRUE(at::isfinite(r.embedding).all().item<bool>());
    EXPECT_EQ(tsne(at::randn({1, 5}), o).embedding.size(0), 1);
    EXPECT_TRUE(at::isfinite(tsne(at::randn({2, 5}), o).embedding).all().item<bool>());
    // duplicates
    at::Tensor dup = at::randn({40, 4});
    dup.slice(0, 20, 40).copy_(dup.slice(0, 0, 20));
    EXPECT_TRUE(at::isfinite(tsne(dup, o).embedding).all().item<bool>());
    // 1-D input is refused; so are NaN rows, which must be excluded by the reader first.
    EXPECT_THROW(tsne(at::randn({30}), o), Error);
    at::Tensor bad = at::randn({30, 3});
    bad[4][1] = std::nanf("");
    EXPECT_THROW(tsne(bad, o), Error);
    o.metric = Metric::Dot;
    EXPECT_THROW(tsne(x, o), Error);
}

TEST(Tsne, CancelsWithin200ms) {
    at::Tensor x = test::blobs(1000, 4, 32, 8);
    expectCancelWithin200ms([&](Progress& p) {
        TsneOptions o;
        o.iterations = 100000;
        tsne(x, o, p);
    });
}

TEST(Umap, FindAbMatchesUmapLearn) {
    // umap-learn: find_ab_params(1.0, 0.1) = (1.5769434, 0.8950609)
    auto [a, b] = umapFindAB(1.0, 0.1);
    EXPECT_NEAR(a, 1.5769434, 2e-3);
    EXPECT_NEAR(b, 0.8950609, 2e-3);
    auto [a2, b2] = umapFindAB(1.0, 0.5);  // (0.5830300, 1.3341502)
    EXPECT_NEAR(a2, 0.5830300, 2e-3);
    EXPECT_NEAR(b2, 1.3341502, 2e-3);
}

// Every SGD path this CPU has: the AVX-512 edge step (lanes for the tail and the negative samples)
// and the portable one.
TEST(Umap, BlobsTrustworthyAndSeparatedIn2DAnd3D) {
    at::Tensor labels;
    at::Tensor x = test::blobs(100, 5, 32, 12, &labels);
  for (CpuIsa isa : {CpuIsa::Avx512, CpuIsa::Portable}) {
    if (detectedCpuIsa() < isa) continue;
    setCpuIsaLimit(isa);
    SCOPED_TRACE(cpuIsaName(isa));
    for (int dims : {2, 3}) {
        UmapOptions o;
        o.dims = dims;
        o.seed = 5;
        int previews = 0;
        o.previewEvery = 50;
        o.preview = [&](const at::Tensor& c, int, int) {
            EXPECT_EQ(c.size(1), dims);
            ++previews;
        };
        UmapResult r = umap(x, o);
        ASSERT_EQ(r.embedding.size(0), 500);
        ASSERT_EQ(r.embedding.size(1), dims);
        EXPECT_EQ(r.epochs, 500);
        EXPECT_EQ(previews, 10);
        EXPECT_EQ(r.init, "pca");  // five separate blobs: a disconnected graph
        EXPECT_GE(r.components, 5);
        EXPECT_GE(trustworthiness(x, r.embedding, 10), 0.9);
        expectSeparated(r.embedding, labels, 5);
    }
  }
    setCpuIsaLimit(CpuIsa::Avx512);
}

// The AVX-512 and portable SGD compute the same step (the same samples and polynomials; only the
// sums' rounding differs): a few epochs from the same start and neighbours agree closely. (Epoch 0
// samples nothing; from epoch ~8 on, the early large steps amplify rounding chaotically.)
TEST(Umap, SimdAndPortableStepsAgree) {
    if (detectedCpuIsa() < CpuIsa::Avx512) GTEST_SKIP() << "this CPU has no AVX-512";
    at::Tensor x = test::blobs(150, 4, 24, 6);
    for (int dims : {2, 3}) {
        UmapOptions o;
        o.dims = dims;
        o.seed = 3;
        o.epochs = 3;
        o.init = UmapOptions::Init::Random;
        o.knn = knnGraph(x, KnnOptions{});  // one graph for both: its edge weights decide which edges are due
        at::Tensor simd = umap(x, o).embedding;
        setCpuIsaLimit(CpuIsa::Portable);
        at::Tensor portable = umap(x, o).embedding;
        setCpuIsaLimit(CpuIsa::Avx512);
        // coordinates span [0, 10] at the start; a step is up to 4·α·(1 + negatives)
        EXPECT_LT((simd - portable).abs().max().item<double>(), 1e-3) << dims;
        EXPECT_GT((simd - at::rand_like(simd)).abs().max().item<double>(), 1e-3);
        // the given neighbours are the ones used; a graph of the wrong size is refused
        UmapResult again = umap(x, o);
        EXPECT_TRUE(again.knn.indices.equal(o.knn.indices.slice(1, 0, 14)));
        o.knn.indices = o.knn.indices.slice(0, 1);
        EXPECT_THROW(umap(x, o), Error);
    }
}

TEST(Umap, SpectralInitOnAConnectedManifold) {
    // A noisy curve: one connected component → spectral initialisation (subspace iteration above 2000).
    const int64_t n = 2500;
    at::Tensor t = at::linspace(0, 6.0, n);
    at::Tensor x = at::stack({at::cos(t), at::sin(t), t * 0.3, at::cos(2 * t)}, 1) + 0.01 * at::randn({n, 4});
    UmapOptions o;
    o.seed = 1;
    o.epochs = 100;
    UmapResult r = umap(x, o);
    EXPECT_EQ(r.init, "spectral");
    EXPECT_EQ(r.components, 1);
    EXPECT_GE(trustworthiness(x, r.embedding, 10), 0.9);
    at::Tensor small = x.slice(0, 0, n, 5);  // 500 points: dense eigh
    UmapResult s = umap(small, o);
    EXPECT_EQ(s.init, "spectral");
    EXPECT_GE(trustworthiness(small, s.embedding, 10), 0.9);
}

TEST(Umap, ReproducibleWithTheSameSeed) {
    at::Tensor x = test::blobs(80, 4, 16, 4);
    UmapOptions o;
    o.seed = 9;
    o.epochs = 100;
    at::Tensor a = umap(x, o).embedding, b = umap(x, o).embedding;
    EXPECT_TRUE(at::equal(a, b));
    // the work is split into fixed chunks and cursors, not by thread: one thread gives the same result
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    EXPECT_TRUE(at::equal(a, umap(x, o).embedding));
    at::set_num_threads(threads);
    o.seed = 10;
    EXPECT_FALSE(at::equal(a, umap(x, o).embedding));
}

TEST(Umap, FewerPointsThanNeighboursAndTinyInputs) {
    UmapOptions o;  // 15 neighbours
    at::Tensor x = at::randn({6, 4});
    UmapResult r = umap(x, o);
    EXPECT_EQ(r.neighbors, 6);
    EXPECT_EQ(r.embedding.size(0), 6);
    EXPECT_TRUE(at::isfinite(r.embedding).all().item<bool>());
    EXPECT_EQ(umap(at::randn({1, 4}), o).embedding.size(0), 1);
    EXPECT_TRUE(at::isfinite(umap(at::randn({2, 4}), o).embedding).all().item<bool>());
    EXPECT_TRUE(at::isfinite(umap(at::randn({3, 4}), o).embedding).all().item<bool>());
    at::Tensor dup = at::randn({40, 4});
    dup.slice(0, 20, 40).copy_(dup.slice(0, 0, 20));
    EXPECT_TRUE(at::isfinite(umap(dup, o).embedding).all().item<bool>());
    o.metric = Metric::Cosine;
    EXPECT_TRUE(at::isfinite(umap(at::randn({50, 4}), o).embedding).all().item<bool>());
    EXPECT_THROW(umap(at::randn({30}), o), Error);
    o.minDist = 2.0;
    EXPECT_THROW(umap(x, o), Error);
}

TEST(Umap, CancelsWithin200ms) {
    at::Tensor x = test::blobs(1000, 4, 32, 9);
    expectCancelWithin200ms([&](Progress& p) {
        UmapOptions o;
        o.epochs = 1000000;
        umap(x, o, p);
    });
}

TEST(Knn, CancelsWithin200ms) {
    at::Tensor x = at::randn({60000, 64});
    expectCancelWithin200ms([&](Progress& p) {
        KnnOptions o;
        o.k = 10;
        knnGraph(x, o, p);
    });
}
