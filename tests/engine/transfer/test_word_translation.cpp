// Zero-shot word translation (engine/transfer/word_translation.h): the orthogonal map equals SciPy's
// orthogonal_procrustes; on two spaces that are one rotation (plus noise) apart, Procrustes fitted on
// training pairs finds held-out translations and a random rotation does not; the mean of a word's
// training translations finds a near-synonym held out; dictionary lines are filtered and lowercased
// (Turkish İ/I rules on the Turkish side); spaces of different dimensions are a clear error.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/npy.h"
#include "engine/transfer/word_translation.h"
#include "run_python.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>

using namespace embedlab;
using namespace embedlab::transfer;

namespace {

std::string scratch(const std::string& name) {
    const std::string dir = test::tmpDir() + "/word_translation";
    std::filesystem::create_directories(dir);
    return dir + "/" + name;
}

VectorSet vectors(const at::Tensor& data, const std::string& prefix) {
    VectorSet v;
    v.data = data.contiguous();
    for (int64_t i = 0; i < data.size(0); ++i) v.labels.push_back(prefix + std::to_string(i));
    return v;
}

}  // namespace

TEST(WordTranslation, ProcrustesMatchesScipy) {
    at::manual_seed(3);
    const at::Tensor x = at::randn({300, 12}), y = at::randn({300, 12}) + 0.5 * x;
    const at::Tensor w = orthogonalProcrustes(x, y);
    writeNpy(scratch("x.npy"), x.data_ptr<float>(), {300, 12});
    writeNpy(scratch("y.npy"), y.data_ptr<float>(), {300, 12});
    const nlohmann::json ref = test::runPython(
        "import json, numpy as np\nfrom scipy.linalg import orthogonal_procrustes\n"
        "x = np.load('" + scratch("x.npy") + "').astype(np.float64); y = np.load('" + scratch("y.npy") + "').astype(np.float64)\n"
        "w, _ = orthogonal_procrustes(x, y)\nprint(json.dumps(w.tolist()))\n",
        "procrustes");
    double worst = 0;
    for (int i = 0; i < 12; ++i)
        for (int j = 0; j < 12; ++j) worst = std::max(worst, std::abs(w[i][j].item<double>() - ref[i][j].get<double>()));
    EXPECT_LT(worst, 1e-4);
    EXPECT_TRUE(at::allclose(at::matmul(w.t(), w), at::eye(12), 1e-4, 1e-4));
    EXPECT_THROW(orthogonalProcrustes(x, y.slice(1, 0, 8)), Error);
}

TEST(WordTranslation, ProcrustesRecoversARotationAndRandomDoesNot) {
    at::manual_seed(5);
    const int64_t n = 1500, d = 16;
    const at::Tensor en = at::randn({n, d});
    auto [q, r] = at::linalg_qr(at::randn({d, d}));
    (void)r;
    const at::Tensor tr = at::matmul(en, q) + 0.02 * at::randn({n, d});
    // Near-synonyms: English rows n..n+99 sit next to rows 1000..1099 (their held-out translations).
    const at::Tensor syn = en.slice(0, 1000, 1100) + 0.05 * at::randn({100, d});
    VectorSet e = vectors(at::cat({en, syn}), "e"), t = vectors(tr, "t");
    std::vector<WordPair> train, test;
    for (int64_t i = 0; i < 1000; ++i) train.push_back({"e" + std::to_string(i), "t" + std::to_string(i)});
    for (int64_t i = 1000; i < n; ++i) test.push_back({"e" + std::to_string(i), "t" + std::to_string(i)});
    for (int64_t k = 0; k < 100; ++k) train.push_back({"e" + std::to_string(n + k), "t" + std::to_string(1000 + k)});
    WordTranslationOptions o;
    o.candidates = n + 100;
    const WordTranslationResult res = evaluateWordTranslation(e, t, train, test, o);
    EXPECT_EQ(res.fitPairs, 1100);
    EXPECT_EQ(res.enToTr.heldOutQueries, 500);
    EXPECT_GT(res.enToTr.procrustes.p1, 0.95);
    EXPECT_LT(res.enToTr.random.p5, 0.05);
    EXPECT_GT(res.trToEn.procrustes.p1, 0.9);  // the synonym (a training translation) is left out of the candidates
    EXPECT_EQ(res.trToEn.mean.queries, 100);   // only the Turkish words with a training translation
    EXPECT_GT(res.trToEn.mean.p1, 0.95);
    EXPECT_EQ(res.enToTr.mean.queries, 0);     // held-out English headwords have no training translation
    // Fewer English candidates: a gold translation beyond them is a miss, not a dropped query.
    o.candidates = 1200;
    const WordTranslationResult few = evaluateWordTranslation(e, t, train, test, o);
    EXPECT_EQ(few.trToEn.heldOutQueries, 500);
    EXPECT_LE(few.trToEn.procrustes.p1, 0.4 + 1e-9);  // 300 of the 500 golds lie beyond row 1200
    EXPECT_GT(few.trToEn.procrustes.p1, 0.35);
}

TEST(WordTranslation, DictionaryLinesAreFilteredAndLowercased) {
    const std::string path = scratch("pairs.tsv");
    writeFileAtomic(path, "Istanbul\tİSTANBUL\nbook\tkitap\nbook\tkitap\nto go\tgitmek\nrun\tkoş, git\nno tab here\n"
                          "x-ray\trönt-gen\nI\tben\n'quote\talıntı\n");
    int64_t skipped = 0;
    const std::vector<WordPair> p = readWordPairs(path, &skipped);
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].source, "istanbul");
    EXPECT_EQ(p[0].target, "istanbul");  // İ → i
    EXPECT_EQ(p[1].target, "kitap");     // the duplicate is dropped
    EXPECT_EQ(p[2].source, "x-ray");
    EXPECT_EQ(p[3].source, "i");         // English I → i, not ı
    EXPECT_EQ(skipped, 4);               // a phrase, a list, a line without a tab, a leading apostrophe
    EXPECT_THROW(readWordPairs(scratch("missing.tsv")), Error);
}

TEST(WordTranslation, DifferentDimensionsAreAClearError) {
    VectorSet e = vectors(at::randn({10, 8}), "e"), t = vectors(at::randn({10, 6}), "t");
    try {
        evaluateWordTranslation(e, t, {{"e1", "t1"}}, {{"e2", "t2"}});
        FAIL() << "no error";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("--dim 8"), std::string::npos) << err.what();
    }
}
