// Classification: our L-BFGS logistic regression against sklearn's LogisticRegression(max_iter=100)
// on the same split (accuracy within 0.02), F1 macro exact for the predictions, data reading.
#include "engine/eval/classification.h"
#include "engine/eval/label_metrics.h"
#include "engine/core/error.h"
#include "reference.h"

#include <random>

using namespace embedlab;
using namespace embedlab::eval;
using embedlab::test::jsonList;
using embedlab::test::runPython;

namespace {

void makeData(int64_t k, int64_t n, int64_t d, uint64_t seed, double sep, Matrix& x, std::vector<int64_t>& y) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0, 1);
    std::vector<double> centres(static_cast<size_t>(k * d));
    for (auto& c : centres) c = nd(rng) * sep;
    x = Matrix(n, d);
    y.clear();
    for (int64_t i = 0; i < n; ++i) {
        const int64_t c = static_cast<int64_t>(rng() % static_cast<uint64_t>(k));
        y.push_back(c);
        for (int64_t j = 0; j < d; ++j) x.row(i)[j] = static_cast<float>(centres[static_cast<size_t>(c * d + j)] + nd(rng));
    }
}

void compareWithSklearn(int64_t k, uint64_t seed, double sep, const std::string& tag) {
    Matrix all, tr, te;
    std::vector<int64_t> yall;
    makeData(k, 700, 24, seed, sep, all, yall);
    tr = all.slice(0, 400);
    te = all.slice(400, 700);
    std::vector<int64_t> ytr(yall.begin(), yall.begin() + 400), yte(yall.begin() + 400, yall.end());
    const std::string a = test::evalScratch("lr_tr_" + tag + ".npy"), b = test::evalScratch("lr_te_" + tag + ".npy");
    writeNpy(a, tr.data.data(), {tr.rows, tr.cols});
    writeNpy(b, te.data.data(), {te.rows, te.cols});
    ClassificationResult r = evaluateClassification(tr, ytr, te, yte, k);
    auto ref = runPython(
        "import json, warnings, numpy as np\nwarnings.filterwarnings('ignore')\n"
        "from sklearn.linear_model import LogisticRegression\nfrom sklearn.metrics import accuracy_score, f1_score\n"
        "xtr=np.load('" + a + "'); xte=np.load('" + b + "')\nytr=" + jsonList(ytr) + "\nyte=" + jsonList(yte) + "\n"
        "m=LogisticRegression(max_iter=100).fit(xtr,ytr); p=m.predict(xte)\n"
        "ours=" + jsonList(r.predicted) + "\n"
        "print(json.dumps({'acc':accuracy_score(yte,p),'f1':f1_score(yte,p,average='macro'),"
        "'our_f1':f1_score(yte,ours,average='macro'),'our_acc':accuracy_score(yte,ours)}))\n",
        "logreg_" + tag);
    EXPECT_NEAR(r.accuracy, ref["acc"].get<double>(), 0.02) << tag;
    EXPECT_NEAR(r.f1, ref["our_f1"].get<double>(), 1e-12) << tag;
    EXPECT_NEAR(r.accuracy, ref["our_acc"].get<double>(), 1e-12) << tag;
    EXPECT_NEAR(r.f1, ref["f1"].get<double>(), 0.03) << tag;
}

}  // namespace

TEST(Classification, BinaryMatchesSklearnLogisticRegression) { compareWithSklearn(2, 3, 0.35, "bin"); }
TEST(Classification, MulticlassMatchesSklearnLogisticRegression) { compareWithSklearn(5, 4, 0.45, "multi"); }

TEST(Classification, ReachesTheSameOptimumAsSklearn) {
    // a small, well-conditioned problem converges fully: the decision scores must agree closely
    Matrix x;
    std::vector<int64_t> y;
    makeData(3, 150, 4, 9, 1.0, x, y);
    const std::string a = test::evalScratch("lr_opt.npy");
    writeNpy(a, x.data.data(), {x.rows, x.cols});
    LogisticRegressionOptions o;
    o.maxIter = 1000;
    o.tol = 1e-10;
    LogisticRegression lr(o);
    lr.fit(x, y, 3);
    EXPECT_TRUE(lr.converged());
    const Matrix s = lr.decisionFunction(x);
    auto ref = runPython(
        "import json, numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
        "x=np.load('" + a + "').astype(np.float64)\ny=" + jsonList(y) + "\n"
        "m=LogisticRegression(max_iter=10000, tol=1e-12).fit(x,y)\n"
        "print(json.dumps({'s': m.decision_function(x[:10]).tolist()}))\n",
        "logreg_opt");
    for (int64_t i = 0; i < 10; ++i)
        for (int64_t c = 0; c < 3; ++c)
            EXPECT_NEAR(s.row(i)[c], ref["s"][static_cast<size_t>(i)][static_cast<size_t>(c)].get<double>(), 2e-3);
}

TEST(Classification, UndersamplingRunsExperiments) {
    Matrix all;
    std::vector<int64_t> y;
    makeData(3, 400, 8, 5, 1.5, all, y);
    Matrix tr = all.slice(0, 300), te = all.slice(300, 400);
    std::vector<int64_t> ytr(y.begin(), y.begin() + 300), yte(y.begin() + 300, y.end());
    ClassificationOptions o;
    o.samplesPerLabel = 8;
    o.experiments = 4;
    auto r = evaluateClassification(tr, ytr, te, yte, 3, o);
    EXPECT_GT(r.accuracy, 0.4);
    EXPECT_LE(r.accuracy, 1.0);
}

TEST(Classification, ReadsSplitsAndRejectsBadInput) {
    const std::string p = test::evalScratch("cls.tsv");
    test::writeText(p, "text\tlabel\tsplit\nharika\tpos\ttrain\nberbat\tneg\ttrain\niyi\tpos\ttest\nkötü\tneg\tdev\n");
    auto d = readClassificationData(p);
    EXPECT_EQ(d.labelNames, (std::vector<std::string>{"neg", "pos"}));
    EXPECT_EQ(d.trainLabels, (std::vector<int64_t>{1, 0}));
    EXPECT_EQ(d.testTexts, (std::vector<std::string>{"iyi"}));
    test::writeText(p, "harika\tpos\ttrain\nberbat\tneg\tholdout\n");
    try {
        readClassificationData(p);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("cls.tsv:2: split must be 'train' or 'test'"), std::string::npos) << e.what();
    }
    test::writeText(p, "harika\tpos\ttrain\nberbat\tneg\ttrain\n");
    EXPECT_THROW(readClassificationData(p), Error);  // no test split
    test::writeText(p, "harika\tpos\n");
    EXPECT_THROW(readClassificationData(p), Error);  // missing column
}
