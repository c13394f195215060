// Average-linkage clustering (the Similarity panel's clustered order) against SciPy's linkage.
#include "analysis_test_util.h"

#include "engine/analysis/hierarchical.h"
#include "engine/core/error.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <algorithm>
#include <set>
#include <sstream>

using namespace embedlab;

namespace {

// Cosine similarities of three noisy groups of unit vectors (ties are improbable).
std::vector<float> groupedSimilarities(int n, uint64_t seed) {
    at::Tensor x = test::blobs(n / 3, 3, 8, seed);
    x = x / x.norm(2, 1, true);
    at::Tensor s = at::mm(x, x.t()).contiguous();
    return std::vector<float>(s.data_ptr<float>(), s.data_ptr<float>() + s.numel());
}

}  // namespace

TEST(AverageLinkage, MergeHeightsAndPairsMatchScipy) {
    const int n = 30;
    const auto sim = groupedSimilarities(n, 7);
    const Dendrogram d = averageLinkage(sim, n);
    ASSERT_EQ(d.merges.size(), size_t(n - 1));

    std::ostringstream code;
    code.precision(9);
    code << "import numpy as np\nfrom scipy.cluster.hierarchy import linkage\nfrom scipy.spatial.distance import squareform\n"
         << "s=np.array([";
    for (float v : sim) code << v << ",";
    code << "],dtype=np.float64).reshape(" << n << "," << n << ")\n"
         << "D=1.0-s\nnp.fill_diagonal(D,0)\nD=(D+D.T)/2\n"
         << "Z=linkage(squareform(D,checks=False),method='average')\n"
         << "for a,b,h,c in Z: print(int(a),int(b),repr(float(h)),int(c))\n";
    bool ok = false;
    const std::string out = test::runPython(code.str(), ok);
    if (!ok && out.find("No module named") != std::string::npos) GTEST_SKIP() << "reference Python lacks scipy";
    ASSERT_TRUE(ok) << out;
    std::istringstream in(out);
    for (size_t k = 0; k < d.merges.size(); ++k) {
        int a = -1, b = -1, c = -1;
        double h = 0;
        ASSERT_TRUE(bool(in >> a >> b >> h >> c)) << "merge " << k << " missing in SciPy's output";
        EXPECT_NEAR(d.merges[k].height, h, 1e-6) << "merge " << k;
        EXPECT_EQ(d.merges[k].size, c) << "merge " << k;
        EXPECT_EQ(std::min(d.merges[k].a, d.merges[k].b), std::min(a, b)) << "merge " << k;
        EXPECT_EQ(std::max(d.merges[k].a, d.merges[k].b), std::max(a, b)) << "merge " << k;
    }
}

TEST(AverageLinkage, LeafOrderKeepsEveryClusterContiguous) {
    const int n = 24;
    const auto sim = groupedSimilarities(n, 11);
    const Dendrogram d = averageLinkage(sim, n);
    std::vector<int> sorted = d.leafOrder;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < n; ++i) ASSERT_EQ(sorted[size_t(i)], i);
    std::vector<int> pos(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) pos[size_t(d.leafOrder[size_t(i)])] = i;
    // Every merged cluster occupies a run of consecutive positions.
    std::vector<std::vector<int>> members(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) members[size_t(i)] = {i};
    for (const auto& m : d.merges) {
        std::vector<int> c = members[size_t(m.a)];
        c.insert(c.end(), members[size_t(m.b)].begin(), members[size_t(m.b)].end());
        int lo = n, hi = -1;
        for (int x : c) {
            lo = std::min(lo, pos[size_t(x)]);
            hi = std::max(hi, pos[size_t(x)]);
        }
        EXPECT_EQ(hi - lo + 1, int(c.size()));
        members.push_back(c);
    }
}

TEST(AverageLinkage, SmallAndBadInput) {
    EXPECT_TRUE(averageLinkage({}, 0).leafOrder.empty());
    EXPECT_EQ(averageLinkage({1.0f}, 1).leafOrder, std::vector<int>{0});
    EXPECT_THROW(averageLinkage({1.0f, 0.5f, 0.5f}, 2), Error);
    // Mean-similarity order: the item most similar to the others first.
    const std::vector<float> s = {1, 0.1f, 0.2f, 0.1f, 1, 0.9f, 0.2f, 0.9f, 1};
    EXPECT_EQ(meanSimilarityOrder(s, 3), (std::vector<int>{2, 1, 0}));
}
