// Accuracy / F1 (weighted, macro) and V-measure against scikit-learn on fixed labelings; k-means++
// and mini-batch k-means on separable data; the bootstrapped clustering evaluation.
#include "engine/eval/clustering.h"
#include "engine/eval/label_metrics.h"
#include "engine/core/error.h"
#include "reference.h"

#include <random>

using namespace embedlab;
using namespace embedlab::eval;
using embedlab::test::jsonList;
using embedlab::test::runPython;

namespace {

std::vector<int64_t> randomLabels(size_t n, int64_t k, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> d(0, k - 1);
    std::vector<int64_t> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

}  // namespace

TEST(LabelMetrics, F1AndAccuracyEqualSklearn) {
    struct Case {
        std::vector<int64_t> t, p;
    };
    std::vector<Case> cases = {
        {{0, 1, 2, 3, 4, 5}, {0, 1, 1, 3, 0, 5}},            // bitext-like: a label predicted twice, one never
        {{0, 0, 1, 1, 2, 2, 2}, {0, 1, 1, 1, 2, 0, 7}},      // a predicted label absent from y_true
        {randomLabels(300, 5, 1), randomLabels(300, 6, 2)},
        {randomLabels(50, 2, 3), randomLabels(50, 2, 4)},
    };
    // one reference run for every case
    std::string script =
        "import json\nfrom sklearn.metrics import f1_score, accuracy_score, precision_score, recall_score\nout=[]\n";
    for (const auto& c : cases)
        script += "t=" + jsonList(c.t) + "; p=" + jsonList(c.p) +
                  "\nout.append({'acc': accuracy_score(t,p), 'f1w': f1_score(t,p,average='weighted',zero_division=0),"
                  " 'f1m': f1_score(t,p,average='macro',zero_division=0),"
                  " 'pw': precision_score(t,p,average='weighted',zero_division=0),"
                  " 'rw': recall_score(t,p,average='weighted',zero_division=0)})\n";
    script += "print(json.dumps(out))\n";
    const auto refs = runPython(script, "f1");
    for (size_t c = 0; c < cases.size(); ++c) {
        const auto& t = cases[c].t;
        const auto& p = cases[c].p;
        const auto& ref = refs[c];
        EXPECT_NEAR(accuracy(t, p), ref["acc"].get<double>(), 1e-12) << c;
        EXPECT_NEAR(f1Weighted(t, p), ref["f1w"].get<double>(), 1e-12) << c;
        EXPECT_NEAR(f1Macro(t, p), ref["f1m"].get<double>(), 1e-12) << c;
        EXPECT_NEAR(precisionWeighted(t, p), ref["pw"].get<double>(), 1e-12) << c;
        EXPECT_NEAR(recallWeighted(t, p), ref["rw"].get<double>(), 1e-12) << c;
    }
}

TEST(Clustering, VMeasureEqualsSklearnOnFixedLabelings) {
    struct Case {
        std::vector<int64_t> t, p;
    };
    std::vector<Case> cases = {
        {{0, 0, 1, 1}, {0, 0, 1, 1}},
        {{0, 0, 1, 1}, {1, 1, 0, 0}},
        {{0, 0, 1, 2}, {0, 0, 1, 1}},
        {{0, 0, 0, 0}, {0, 1, 2, 3}},  // one true class: homogeneity 1
        {{0, 1, 2, 3}, {0, 0, 0, 0}},  // one cluster: completeness 1
        {randomLabels(500, 7, 11), randomLabels(500, 5, 12)},
        {randomLabels(1000, 10, 13), randomLabels(1000, 10, 14)},
    };
    // a noisy copy: mostly right
    {
        auto t = randomLabels(400, 6, 21);
        auto p = t;
        auto noise = randomLabels(400, 6, 22);
        for (size_t i = 0; i < p.size(); i += 3) p[i] = noise[i];
        cases.push_back({t, p});
    }
    std::string script = "import json\nfrom sklearn.metrics import homogeneity_completeness_v_measure as hcv\nout=[]\n";
    for (const auto& c : cases) script += "out.append(hcv(" + jsonList(c.t) + "," + jsonList(c.p) + "))\n";
    script += "print(json.dumps(out))\n";
    const auto refs = runPython(script, "vmeasure");
    for (size_t c = 0; c < cases.size(); ++c) {
        const VMeasure v = vMeasure(cases[c].t, cases[c].p);
        EXPECT_NEAR(v.homogeneity, refs[c][0].get<double>(), 1e-9) << c;
        EXPECT_NEAR(v.completeness, refs[c][1].get<double>(), 1e-9) << c;
        EXPECT_NEAR(v.v, refs[c][2].get<double>(), 1e-9) << c;
    }
}

namespace {

// k well-separated Gaussian blobs in d dimensions.
Matrix blobs(int64_t k, int64_t perCluster, int64_t d, uint64_t seed, std::vector<int64_t>& labels, double spread = 0.3) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0, 1);
    Matrix centres(k, d);
    for (auto& v : centres.data) v = static_cast<float>(nd(rng) * 10);
    Matrix x(k * perCluster, d);
    labels.clear();
    for (int64_t i = 0; i < x.rows; ++i) {
        const int64_t c = i % k;
        labels.push_back(c);
        for (int64_t j = 0; j < d; ++j) x.row(i)[j] = centres.row(c)[j] + static_cast<float>(nd(rng) * spread);
    }
    return x;
}

}  // namespace

TEST(Clustering, KMeansPlusPlusPicksDistinctSeedsDeterministically) {
    std::vector<int64_t> labels;
    Matrix x = blobs(5, 40, 8, 3, labels);
    auto s1 = kmeansPlusPlus(x, 5, 7);
    auto s2 = kmeansPlusPlus(x, 5, 7);
    EXPECT_EQ(s1, s2);
    // on well-separated blobs, k-means++ takes one seed from each blob
    std::vector<int64_t> blobOf;
    for (int64_t s : s1) blobOf.push_back(labels[static_cast<size_t>(s)]);
    std::sort(blobOf.begin(), blobOf.end());
    EXPECT_EQ(blobOf, (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TEST(Clustering, MiniBatchKMeansRecoversBlobs) {
    std::vector<int64_t> labels;
    Matrix x = blobs(6, 300, 16, 5, labels);  // 1800 points: several mini-batches
    KMeansOptions o;
    o.k = 6;
    o.seed = 1;
    auto r = miniBatchKMeans(x, o);
    EXPECT_NEAR(vMeasureScore(labels, r.labels), 1.0, 1e-12);
    auto r2 = miniBatchKMeans(x, o);
    EXPECT_EQ(r.labels, r2.labels);
    ClusteringResult cr = evaluateClustering(x, labels);
    EXPECT_EQ(cr.clusters, 6);
    EXPECT_NEAR(cr.vMeasure, 1.0, 1e-12);
    EXPECT_NEAR(cr.vMeasureFull, 1.0, 1e-12);
}

TEST(Clustering, InertiaComparableToSklearnKMeans) {
    // overlapping blobs: our mini-batch k-means should reach an inertia close to sklearn's KMeans.
    std::vector<int64_t> labels;
    Matrix x = blobs(4, 100, 5, 9, labels, 4.0);
    const std::string p = test::evalScratch("km.npy");
    writeNpy(p, x.data.data(), {x.rows, x.cols});
    auto ref = runPython("import json, numpy as np\nfrom sklearn.cluster import KMeans\nx=np.load('" + p +
                             "').astype(np.float64)\nm=KMeans(n_clusters=4, n_init=10, random_state=0).fit(x)\n"
                             "print(json.dumps({'inertia': float(m.inertia_)}))\n",
                         "kmeans");
    KMeansOptions o;
    o.k = 4;
    auto r = miniBatchKMeans(x, o);
    EXPECT_LT(r.inertia, ref["inertia"].get<double>() * 1.05);
}

TEST(Clustering, ReadsDataAndRejectsBadInput) {
    const std::string p = test::evalScratch("clu.tsv");
    test::writeText(p, "kedi\thayvan\nmasa\tesya\nköpek\thayvan\n");
    auto d = readClusteringData(p);
    EXPECT_EQ(d.texts.size(), 3u);
    EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 1, 0}));
    const std::string one = test::evalScratch("clu_one.tsv");
    test::writeText(one, "kedi\thayvan\nköpek\thayvan\n");
    EXPECT_THROW(readClusteringData(one), Error);
    const std::string miss = test::evalScratch("clu_miss.tsv");
    test::writeText(miss, "kedi\thayvan\nköpek\n");
    try {
        readClusteringData(miss);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("clu_miss.tsv:2:"), std::string::npos) << e.what();
    }
}
