// STS: Spearman (average ranks for ties) and Pearson against scipy.stats on the same numbers, and
// the whole STS evaluation (paired cosine → correlations) against sklearn + scipy on the same vectors.
#include "engine/eval/correlation.h"
#include "engine/eval/sts.h"
#include "engine/core/error.h"
#include "reference.h"

#include <cmath>

using namespace embedlab;
using namespace embedlab::eval;
using embedlab::test::jsonList;
using embedlab::test::runPython;

TEST(Correlation, AverageRanksMatchScipyRankdata) {
    std::vector<double> x = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5};
    auto ref = runPython("import json\nfrom scipy.stats import rankdata\nprint(json.dumps(list(rankdata(" +
                             jsonList(x) + ", method='average'))))\n",
                         "rankdata");
    const auto r = averageRanks(x);
    ASSERT_EQ(ref.size(), r.size());
    for (size_t i = 0; i < r.size(); ++i) EXPECT_DOUBLE_EQ(r[i], ref[i].get<double>());
}

TEST(Correlation, SpearmanAndPearsonMatchScipyWithTies) {
    for (uint64_t seed : {1u, 2u, 3u}) {
        auto x = test::randomNormal(200, seed);
        auto y = test::randomNormal(200, seed + 100);
        for (size_t i = 0; i < x.size(); ++i) {
            y[i] = 0.6 * x[i] + 0.4 * y[i];
            x[i] = std::round(x[i] * 2) / 2;  // many ties, as gold scores in steps of 0.5
        }
        if (seed == 3) y[5] = y[6] = y[7];  // ties on the other side too
        auto ref = runPython("import json\nfrom scipy.stats import spearmanr, pearsonr\nx=" + jsonList(x) + "\ny=" +
                                 jsonList(y) +
                                 "\nprint(json.dumps({'s': float(spearmanr(x, y).correlation), 'p': float(pearsonr(x, y)[0])}))\n",
                             "spearman" + std::to_string(seed));
        EXPECT_NEAR(spearman(x, y), ref["s"].get<double>(), 1e-9);
        EXPECT_NEAR(pearson(x, y), ref["p"].get<double>(), 1e-9);
    }
}

TEST(Correlation, ConstantInputIsNaN) {
    EXPECT_TRUE(std::isnan(pearson({1, 1, 1}, {1, 2, 3})));
    EXPECT_TRUE(std::isnan(spearman({1, 2, 3}, {2, 2, 2})));
}

TEST(Sts, EvaluateMatchesSklearnCosineAndScipy) {
    const int64_t n = 120, d = 16;
    Matrix a(n, d), b(n, d);
    auto va = test::randomNormal(static_cast<size_t>(n * d), 7);
    auto vb = test::randomNormal(static_cast<size_t>(n * d), 8);
    for (int64_t i = 0; i < n * d; ++i) {
        a.data[static_cast<size_t>(i)] = static_cast<float>(va[static_cast<size_t>(i)]);
        b.data[static_cast<size_t>(i)] = static_cast<float>(0.5 * va[static_cast<size_t>(i)] + vb[static_cast<size_t>(i)]);
    }
    auto g = test::randomNormal(static_cast<size_t>(n), 9);
    std::vector<double> gold(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) gold[static_cast<size_t>(i)] = std::round(std::min(5.0, std::max(0.0, 2.5 + g[static_cast<size_t>(i)])) * 5) / 5;
    const std::string pa = test::evalScratch("sts_a.npy"), pb = test::evalScratch("sts_b.npy");
    writeNpy(pa, a.data.data(), {n, d});
    writeNpy(pb, b.data.data(), {n, d});
    auto ref = runPython(
        "import json, numpy as np\nfrom scipy.stats import spearmanr, pearsonr\n"
        "from sklearn.metrics.pairwise import paired_cosine_distances\n"
        "a=np.load('" + pa + "').astype(np.float64); b=np.load('" + pb + "').astype(np.float64)\n"
        "gold=" + jsonList(gold) + "\n"
        "cos=1-paired_cosine_distances(a,b)\n"
        "print(json.dumps({'s': float(spearmanr(gold, cos).correlation), 'p': float(pearsonr(gold, cos)[0])}))\n",
        "sts");
    const StsResult r = evaluateSts(a, b, gold);
    EXPECT_EQ(r.pairs, n);
    EXPECT_NEAR(r.spearman, ref["s"].get<double>(), 1e-9);
    EXPECT_NEAR(r.pearson, ref["p"].get<double>(), 1e-9);
}

TEST(Sts, ReadsTsvSkipsHeaderAndChecksRange) {
    const std::string p = test::evalScratch("sts_ok.tsv");
    test::writeText(p, "\xEF\xBB\xBFsentence1\tsentence2\tscore\r\nBir kedi.\tBir kedi uyuyor.\t4.2\r\n\nKöpek koşuyor.\tAraba hızlı.\t0.5\n");
    const StsData d = readStsData(p);
    ASSERT_EQ(d.gold.size(), 2u);
    EXPECT_EQ(d.s1[0], "Bir kedi.");
    EXPECT_EQ(d.s2[1], "Araba hızlı.");
    EXPECT_DOUBLE_EQ(d.gold[0], 4.2);

    const std::string bad = test::evalScratch("sts_range.tsv");
    test::writeText(bad, "a\tb\t3\nc\td\t7.5\n");
    try {
        readStsData(bad);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find(":2: gold score 7.5 is outside the range [0, 5]"), std::string::npos) << e.what();
    }
    EXPECT_NO_THROW(readStsData(bad, 0, 10));

    const std::string ragged = test::evalScratch("sts_ragged.tsv");
    test::writeText(ragged, "a\tb\t3\nc\td\n");
    try {
        readStsData(ragged);
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("sts_ragged.tsv:2: expected 3 tab-separated fields"), std::string::npos) << e.what();
    }
    const std::string nan = test::evalScratch("sts_nan.tsv");
    test::writeText(nan, "a\tb\t3\nc\td\tfoo\n");
    EXPECT_THROW(readStsData(nan), Error);
    EXPECT_THROW(readStsData(test::evalScratch("does_not_exist.tsv")), Error);
    const std::string bin = test::evalScratch("sts_binary.tsv");
    test::writeText(bin, std::string("\x7f" "ELF\0\0\0\t\t\n", 10));
    try {
        readStsData(bin);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("binary"), std::string::npos);
    }
}
