// kNN (exact vs numpy brute force, HNSW recall), analogies, PCA vs scikit-learn, trustworthiness vs
// sklearn.manifold.trustworthiness on the same data and embedding.
#include "engine/analysis/knn.h"
#include "engine/analysis/pca.h"
#include "engine/analysis/projection_quality.h"
#include "analysis_test_util.h"
#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <vector>

using namespace embedlab;
using embedlab::test::analysisTmp;
using nlohmann::json;

namespace {
json pythonJson(const std::string& code) {
    bool ok = false;
    const std::string out = test::runPython(code, ok);
    EXPECT_TRUE(ok) << out;
    if (!ok) return json();
    const auto p = out.rfind('\n', out.size() - 2);
    return json::parse(p == std::string::npos ? out : out.substr(p + 1));
}
}  // namespace

TEST(Knn, ExactMatchesNumpyBruteForce) {
    if (!test::haveSklearn()) GTEST_SKIP() << "numpy/scikit-learn not available";
    at::manual_seed(1);
    at::Tensor x = at::randn({400, 16});
    const std::string p = analysisTmp("knn_x.npy");
    test::saveNpy(p, x);
    json ref = pythonJson("import numpy as np, json\nx=np.load('" + p + "').astype(np.float64)\n"
                          "n=np.linalg.norm(x,axis=1)\nout={}\n"
                          "d=((x[:,None,:]-x[None,:,:])**2).sum(-1); np.fill_diagonal(d,np.inf); out['euclidean']=np.argsort(d,1)[:,:10].tolist()\n"
                          "c=1-(x@x.T)/np.outer(n,n); np.fill_diagonal(c,np.inf); out['cosine']=np.argsort(c,1)[:,:10].tolist()\n"
                          "t=-(x@x.T); np.fill_diagonal(t,np.inf); out['dot']=np.argsort(t,1)[:,:10].tolist()\n"
                          "print(json.dumps(out))\n");
    for (Metric m : {Metric::Euclidean, Metric::Cosine, Metric::Dot}) {
        KnnOptions o;
        o.k = 10;
        o.metric = m;
        KnnGraph g = knnGraph(x, o);
        ASSERT_EQ(g.indices.size(1), 10);
        EXPECT_TRUE(g.exact);
        int64_t agree = 0;
        for (int64_t i = 0; i < 400; ++i) {
            std::set<int64_t> a, b;
            for (int64_t j = 0; j < 10; ++j) {
                a.insert(g.indices[i][j].item<int64_t>());
                b.insert(ref[metricName(m)][i][j].get<int64_t>());
            }
            agree += a == b;
        }
        EXPECT_GE(agree, 398) << metricName(m);  // float32 vs float64 ties at the 10th place at most
        // distances ascend
        EXPECT_TRUE((g.distances.slice(1, 1) >= g.distances.slice(1, 0, 9)).all().item<bool>());
    }
}

// The tiled search (several column tiles with a ragged last one, many query blocks and a ragged last
// group, column parts merged for few queries, k above the SIMD width), with the fused AVX-512 kernel and
// the BLAS one scanned by AVX2 and by plain code (each where the CPU has it), against float64.
class KnnKernels : public ::testing::TestWithParam<CpuIsa> {
protected:
    void SetUp() override {
        if (detectedCpuIsa() < GetParam()) GTEST_SKIP() << "this CPU has no " << cpuIsaName(GetParam());
        setCpuIsaLimit(GetParam());
    }
    void TearDown() override { setCpuIsaLimit(CpuIsa::Avx512); }
};
INSTANTIATE_TEST_SUITE_P(Knn, KnnKernels, ::testing::Values(CpuIsa::Avx512, CpuIsa::Avx2, CpuIsa::Portable),
                         [](const auto& info) { return std::string(cpuIsaName(info.param)); });

TEST_P(KnnKernels, ExactTiledMatchesDoubleBruteForce) {
    at::set_num_threads(2);
    at::manual_seed(11);
    const int64_t n = 6007, dim = 100;  // 1,280- and 2,592-column tiles: the last one ragged
    at::Tensor x = at::randn({n, dim});
    x.slice(0, 0, 2000) *= 3.0;  // unequal norms, so dot differs from cosine
    at::Tensor xd = x.to(at::kDouble);
    at::Tensor qRows = at::arange(0, n, 97, at::kLong);  // 62 checked rows, spread over the blocks
    for (Metric m : {Metric::Euclidean, Metric::Cosine, Metric::Dot})
        for (int64_t k : {15, 300}) {
            at::Tensor qd = xd.index_select(0, qRows);
            at::Tensor ref;
            if (m == Metric::Euclidean) ref = at::cdist(qd, xd);
            else if (m == Metric::Cosine)
                ref = 1.0 - at::mm(qd / qd.norm(2, 1, true), (xd / xd.norm(2, 1, true)).t());
            else ref = -at::mm(qd, xd.t());
            for (int64_t r = 0; r < qRows.size(0); ++r) ref[r][qRows[r].item<int64_t>()] = INFINITY;
            const at::Tensor refAll = ref, refSortedAll = std::get<0>(ref.sort(1)).slice(1, 0, k);
            // All rows as queries (self excluded), and the checked rows alone as free vectors.
            KnnOptions o;
            o.k = k;
            o.metric = m;
            KnnGraph all = knnGraph(x, o);
            std::vector<int64_t> self(qRows.data_ptr<int64_t>(), qRows.data_ptr<int64_t>() + qRows.size(0));
            KnnGraph few = knnExact(x, x.index_select(0, qRows), k, m, self);
            // one query: the columns are split over the threads and the parts' lists merged
            const int64_t r1 = qRows[3].item<int64_t>();
            KnnGraph one = knnExact(x, x.select(0, r1).unsqueeze(0), k, m, {r1});
            for (const KnnGraph* g : {&all, &few, &one}) {
                at::Tensor idx = g == &all ? g->indices.index_select(0, qRows) : g->indices;
                at::Tensor dist = g == &all ? g->distances.index_select(0, qRows) : g->distances;
                at::Tensor ref = refAll, refSorted = refSortedAll;
                at::Tensor rows = qRows;
                if (g == &one) {
                    ref = refAll.narrow(0, 3, 1);
                    refSorted = refSortedAll.narrow(0, 3, 1);
                    rows = qRows.narrow(0, 3, 1);
                }
                ASSERT_EQ(idx.size(1), k);
                const double tol = m == Metric::Dot ? 2e-3 : 1e-4;
                // the distances are the k smallest, in order, and each index is at its distance
                EXPECT_LT((dist.to(at::kDouble) - refSorted).abs().max().item<double>(), tol * (m == Metric::Dot ? 100 : 1))
                    << metricName(m) << " k=" << k;
                at::Tensor at_ = ref.gather(1, idx);
                EXPECT_LT((at_ - dist.to(at::kDouble)).abs().max().item<double>(), tol * (m == Metric::Dot ? 100 : 1))
                    << metricName(m) << " k=" << k;
                for (int64_t r = 0; r < idx.size(0); ++r) {
                    std::set<int64_t> uniq;
                    for (int64_t j = 0; j < k; ++j) uniq.insert(idx[r][j].item<int64_t>());
                    EXPECT_EQ(static_cast<int64_t>(uniq.size()), k);
                    EXPECT_EQ(uniq.count(rows[r].item<int64_t>()), 0u);
                }
            }
        }
}

// Two tight clusters far from the origin (±5 in every dimension, spread 0.1) with exact duplicate rows
// and many equal distances: the float keys' rounding (‖x‖² ≈ 200) exceeds the gaps between neighbours,
// so the fast search alone returned ISA-dependent neighbours and non-zero distances between
// duplicates. The exact k nearest, ordered by (distance, row) as a float64 brute force orders them.
TEST_P(KnnKernels, FarTightClustersWithTiesAreExactAndCanonical) {
    std::vector<float> v;
    for (int i = 0; i < 41; ++i) {
        if (i == 13) continue;
        for (int d = 0; d < 8; ++d) v.push_back(float((i < 20 ? 5.0 : -5.0) + 0.01 * ((i * 7 + d * 3) % 11)));
    }
    const int64_t n = 40;
    at::Tensor x = at::from_blob(v.data(), {n, 8}, at::kFloat).clone();
    at::Tensor xd = x.to(at::kDouble);
    for (int threads : {1, 2}) {
        at::set_num_threads(threads);
        for (int64_t k : {4, 9}) {
            KnnOptions o;
            o.k = k;
            KnnGraph g = knnGraph(x, o);
            for (int64_t i = 0; i < n; ++i) {
                std::vector<std::pair<double, int64_t>> ref;
                for (int64_t j = 0; j < n; ++j)
                    if (j != i) ref.emplace_back((xd[i] - xd[j]).pow(2).sum().sqrt().item<double>(), j);
                std::sort(ref.begin(), ref.end());
                for (int64_t j = 0; j < k; ++j) {
                    ASSERT_EQ(g.indices[i][j].item<int64_t>(), ref[static_cast<size_t>(j)].second)
                        << "row " << i << " rank " << j << " threads " << threads;
                    EXPECT_NEAR(g.distances[i][j].item<double>(), ref[static_cast<size_t>(j)].first, 1e-6);
                    if (ref[static_cast<size_t>(j)].first == 0) EXPECT_EQ(g.distances[i][j].item<float>(), 0.f);
                }
            }
        }
    }
    at::set_num_threads(2);
}

TEST(Knn, HnswRecallOnRandomSet) {
    at::manual_seed(2);
    at::Tensor x = at::randn({5000, 32});
    for (Metric m : {Metric::Euclidean, Metric::Cosine}) {
        KnnOptions o;
        o.k = 10;
        o.metric = m;
        KnnGraph exact = knnGraph(x, o);
        o.forceHnsw = true;
        KnnGraph approx = knnGraph(x, o);
        EXPECT_FALSE(approx.exact);
        int64_t hits = 0;
        for (int64_t i = 0; i < 5000; ++i) {
            std::set<int64_t> a;
            for (int64_t j = 0; j < 10; ++j) a.insert(exact.indices[i][j].item<int64_t>());
            for (int64_t j = 0; j < 10; ++j) hits += a.count(approx.indices[i][j].item<int64_t>());
        }
        const double recall = double(hits) / 50000.0;
        EXPECT_GE(recall, 0.95) << metricName(m);
        EXPECT_FALSE((approx.indices == at::arange(5000).unsqueeze(1)).any().item<bool>());  // self excluded
    }
}

TEST(Knn, NeighboursOfRowVectorAndAnalogy) {
    at::manual_seed(3);
    at::Tensor x = at::randn({50, 8});
    x[3] = x[0] - x[1] + x[2];
    auto an = analogy(x, 0, 1, 2, 5, Metric::Euclidean);
    ASSERT_EQ(an.size(), 5u);
    EXPECT_EQ(an[0].row, 3);
    EXPECT_NEAR(an[0].score, 0.0, 1e-3);
    for (const auto& nb : an) EXPECT_TRUE(nb.row != 0 && nb.row != 1 && nb.row != 2);
    auto nr = nearestToRow(x, 7, 4, Metric::Cosine);
    ASSERT_EQ(nr.size(), 4u);
    for (const auto& nb : nr) EXPECT_NE(nb.row, 7);
    EXPECT_GE(nr[0].score, nr[1].score);
    auto nv = nearestToVector(x, x[9], 3, Metric::Dot);
    EXPECT_EQ(nv.size(), 3u);
    auto ne = nearestToVector(x, x[9], 3, Metric::Euclidean);
    EXPECT_EQ(ne[0].row, 9);
    EXPECT_NEAR(ne[0].score, 0.0, 1e-3);
    EXPECT_THROW(nearestToRow(x, 50, 3, Metric::Cosine), Error);
    // more neighbours than points
    EXPECT_EQ(nearestToRow(x, 0, 100, Metric::Cosine).size(), 49u);
}

TEST(Pca, MatchesScikitLearn) {
    if (!test::haveSklearn()) GTEST_SKIP() << "numpy/scikit-learn not available";
    at::manual_seed(4);
    at::Tensor scales = at::linspace(5.0, 0.1, 20);
    at::Tensor x = at::randn({300, 20}) * scales + 3.0;
    const std::string p = analysisTmp("pca_x.npy");
    test::saveNpy(p, x);
    json ref = pythonJson("import numpy as np, json\nfrom sklearn.decomposition import PCA\n"
                          "x=np.load('" + p + "').astype(np.float64)\np=PCA(5,svd_solver='full').fit(x)\n"
                          "print(json.dumps({'ev':p.explained_variance_.tolist(),'ratio':p.explained_variance_ratio_.tolist(),"
                          "'comp':p.components_.tolist(),'proj':p.transform(x)[:5].tolist()}))\n");
    for (auto solver : {PcaOptions::Solver::Exact, PcaOptions::Solver::Randomized}) {
        PcaOptions o;
        o.components = 5;
        o.solver = solver;
        o.seed = 9;
        PcaResult r = pca(x, o);
        const double tol = solver == PcaOptions::Solver::Exact ? 1e-4 : 2e-3;
        for (int c = 0; c < 5; ++c) {
            const double ev = ref["ev"][c].get<double>();
            EXPECT_NEAR(r.explainedVariance[c].item<double>(), ev, tol * ev);
            EXPECT_NEAR(r.explainedVarianceRatio[c].item<double>(), ref["ratio"][c].get<double>(), tol);
            double dot = 0;
            for (int j = 0; j < 20; ++j) dot += r.components[c][j].item<double>() * ref["comp"][c][j].get<double>();
            EXPECT_NEAR(std::fabs(dot), 1.0, solver == PcaOptions::Solver::Exact ? 1e-4 : 1e-2);
            // sklearn's sign convention (svd_flip) for the exact solver
            if (solver == PcaOptions::Solver::Exact) {
                for (int i = 0; i < 5; ++i) {
                    const double want = ref["proj"][i][c].get<double>();
                    EXPECT_NEAR(r.coords[i][c].item<double>(), want, 1e-3 * (1 + std::fabs(want)));
                }
            }
        }
    }
    EXPECT_THROW(pca(x, PcaOptions{30}), Error);
    EXPECT_THROW(pca(at::randn({10})), Error);
}

TEST(Quality, TrustworthinessEqualsScikitLearn) {
    if (!test::haveSklearn()) GTEST_SKIP() << "numpy/scikit-learn not available";
    at::manual_seed(5);
    at::Tensor x = at::randn({300, 12});
    at::Tensor y = at::randn({300, 2}) + x.slice(1, 0, 2) * 2;  // partly faithful
    const std::string px = analysisTmp("tw_x.npy"), py = analysisTmp("tw_y.npy");
    test::saveNpy(px, x);
    test::saveNpy(py, y);
    json ref = pythonJson("import numpy as np, json\nfrom sklearn.manifold import trustworthiness as T\n"
                          "x=np.load('" + px + "'); y=np.load('" + py + "')\n"
                          "print(json.dumps({'e5':T(x,y,n_neighbors=5),'e10':T(x,y,n_neighbors=10),'c7':T(x,y,n_neighbors=7,metric='cosine')}))\n");
    EXPECT_NEAR(trustworthiness(x, y, 5), ref["e5"].get<double>(), 1e-6);
    EXPECT_NEAR(trustworthiness(x, y, 10), ref["e10"].get<double>(), 1e-6);
    EXPECT_NEAR(trustworthiness(x, y, 7, Metric::Cosine), ref["c7"].get<double>(), 1e-6);
    EXPECT_THROW(trustworthiness(x, y, 150), Error);  // k must be below n/2
}

TEST(Quality, SampledWhenLargeAndRecall) {
    at::manual_seed(6);
    at::Tensor x = at::randn({3000, 8});
    QualityOptions o;
    o.k = 10;
    o.sampleLimit = 1000;
    o.seed = 3;
    // The embedding equal to the data's first coordinates... and the data itself: perfect.
    ProjectionQuality perfect = projectionQuality(x, x, o);
    EXPECT_TRUE(perfect.sampled);
    EXPECT_EQ(perfect.sampleSize, 1000);
    EXPECT_EQ(perfect.k, 10);
    EXPECT_NEAR(perfect.trustworthiness, 1.0, 1e-12);
    EXPECT_NEAR(perfect.knnRecall, 1.0, 1e-3);
    ProjectionQuality rnd = projectionQuality(x, at::randn({3000, 2}), o);
    EXPECT_LT(rnd.trustworthiness, 0.7);
    EXPECT_LT(rnd.knnRecall, 0.05);
    // Same seed, same sample.
    ProjectionQuality again = projectionQuality(x, x.slice(1, 0, 2), o);
    ProjectionQuality again2 = projectionQuality(x, x.slice(1, 0, 2), o);
    EXPECT_EQ(again.trustworthiness, again2.trustworthiness);
    // Tiny sets: k is lowered below N/2.
    ProjectionQuality tiny = projectionQuality(x.slice(0, 0, 7), x.slice(0, 0, 7).slice(1, 0, 2), o);
    EXPECT_EQ(tiny.k, 3);
    EXPECT_FALSE(tiny.sampled);
}
