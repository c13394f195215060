// The evaluation task (engine/tasks/evaluate.h): the orchestration the CLI and the app share. Metrics
// on precomputed vectors against SciPy/scikit-learn computed here from the same numbers, the JSON shape,
// staged progress, cancel, and bad input.
#include "../eval/reference.h"

#include "engine/core/error.h"
#include "engine/tasks/evaluate.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace embedlab;
using embedlab::test::evalScratch;
using embedlab::test::runPython;
using embedlab::test::writeText;

namespace {

// 8 STS pairs and vectors: s1 rows then s2 rows, s2 = s1 + noise.
struct StsCase {
    std::string data;
    eval::Matrix vectors;
    std::vector<double> gold = {0, 1.5, 2, 2, 3.2, 4, 4.8, 5};
};

StsCase stsCase() {
    StsCase c;
    c.data = evalScratch("task_sts.tsv");
    std::string text = "sentence1\tsentence2\tscore\n";
    for (size_t i = 0; i < c.gold.size(); ++i)
        text += "Cümle " + std::to_string(i) + "\tBenzer cümle " + std::to_string(i) + "\t" + std::to_string(c.gold[i]) + "\n";
    writeText(c.data, text);
    const auto a = test::randomNormal(8 * 5, 3), noise = test::randomNormal(8 * 5, 4, 0, 0.3 + 0.0);
    c.vectors = eval::Matrix(16, 5);
    for (size_t i = 0; i < 40; ++i) {
        // The noise grows as the gold score falls, so the ranking is informative but not perfect.
        const double scale = 1.5 - 0.25 * c.gold[i / 5];
        c.vectors.data[i] = static_cast<float>(a[i]);
        c.vectors.data[40 + i] = static_cast<float>(a[i] + scale * noise[i]);
    }
    return c;
}

}  // namespace

TEST(EvaluateTask, StsOnVectorsMatchesScipy) {
    const StsCase c = stsCase();
    tasks::EvalSubject s;
    s.vectors = &c.vectors;
    s.vectorsPath = "sts.npy";
    tasks::EvalOptions o;
    o.task = "sts";
    o.data = c.data;
    Progress progress;
    const tasks::EvalResult r = tasks::evaluate(s, o, progress);
    EXPECT_EQ(r.main, "spearman");
    ASSERT_GE(r.metrics.size(), 3u);
    EXPECT_EQ(r.metrics[0].name, "spearman");
    EXPECT_EQ(r.metrics[2].name, "pairs");
    EXPECT_TRUE(r.metrics[2].integer);
    std::vector<float> v(c.vectors.data.begin(), c.vectors.data.end());
    const auto ref = runPython(
        "import json, numpy as np\nfrom scipy.stats import spearmanr, pearsonr\n"
        "v=np.array(" + test::jsonList(v) + ",dtype=np.float64).reshape(16,5)\n"
        "a,b=v[:8],v[8:]\n"
        "cos=(a*b).sum(1)/np.linalg.norm(a,axis=1)/np.linalg.norm(b,axis=1)\n"
        "g=" + test::jsonList(c.gold) + "\n"
        "print(json.dumps({'s':spearmanr(cos,g)[0],'p':pearsonr(cos,g)[0]}))\n",
        "task_sts");
    EXPECT_NEAR(r.mainValue(), ref["s"].get<double>(), 1e-6);
    EXPECT_NEAR(r.metric("pearson"), ref["p"].get<double>(), 1e-5);
    EXPECT_EQ(r.compute.sentences, 16);
    EXPECT_DOUBLE_EQ(r.compute.embedSeconds, 0.0);  // precomputed
    EXPECT_DOUBLE_EQ(progress.snapshot().fraction, 1.0);

    const nlohmann::json j = tasks::toJson(r);
    EXPECT_EQ(j["task"], "sts");
    EXPECT_EQ(j["vectors"], "sts.npy");
    EXPECT_EQ(j["normalize"], false);
    EXPECT_TRUE(j["pairs"].is_number_integer());
    EXPECT_EQ(j["pairs"].get<int64_t>(), 8);
    for (const char* k : {"seconds", "embed_seconds", "sentences", "sentences_per_second", "peak_rss_bytes"})
        EXPECT_TRUE(j.contains(k)) << k;
}

TEST(EvaluateTask, StagesReportUnderTheParentAndCancelStopsThem) {
    const StsCase c = stsCase();
    tasks::EvalSubject s;
    s.vectors = &c.vectors;
    tasks::EvalOptions o;
    o.task = "sts";
    o.data = c.data;
    Progress root;
    std::vector<std::string> messages;
    root.setListener([&](const ProgressSnapshot& p) { messages.push_back(p.message); }, 0);
    tasks::evaluate(s, o, root);
    bool sawStage = false;
    for (const auto& m : messages) sawStage |= m.rfind("embedding", 0) == 0;
    EXPECT_TRUE(sawStage);
    Progress cancelled;
    cancelled.cancel();
    try {
        tasks::evaluate(s, o, cancelled);
        FAIL() << "a cancelled evaluation ran";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
}

TEST(EvaluateTask, BadInputIsAClearMessage) {
    const StsCase c = stsCase();
    tasks::EvalSubject s;
    s.vectors = &c.vectors;
    s.vectorsPath = "v.npy";
    auto message = [&](tasks::EvalOptions o, const tasks::EvalSubject& subject) -> std::string {
        try {
            tasks::evaluate(subject, o, nullProgress());
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput) << e.what();
            return e.what();
        }
        return "(no error)";
    };
    tasks::EvalOptions o;
    o.task = "sts";
    o.data = c.data;
    tasks::EvalOptions unknown = o;
    unknown.task = "summarization";
    EXPECT_NE(message(unknown, s).find("unknown task 'summarization'"), std::string::npos);
    tasks::EvalOptions noData = o;
    noData.data.clear();
    EXPECT_NE(message(noData, s).find("data"), std::string::npos);
    tasks::EvalOptions ppl = o;
    ppl.task = "perplexity";
    EXPECT_NE(message(ppl, s).find("perplexity needs a model"), std::string::npos);
    // Fewer rows than texts: named with both counts.
    eval::Matrix few = c.vectors.slice(0, 10);
    tasks::EvalSubject short_ = s;
    short_.vectors = &few;
    const std::string m = message(o, short_);
    EXPECT_NE(m.find("10 rows"), std::string::npos) << m;
    EXPECT_NE(m.find("16 texts"), std::string::npos) << m;
    tasks::EvalSubject nothing;
    EXPECT_NE(message(o, nothing).find("load a model"), std::string::npos);
}

TEST(EvaluateTask, EveryTaskHasAMainMetric) {
    for (const auto& t : tasks::evalTasks()) EXPECT_FALSE(tasks::evalMainMetric(t).empty()) << t;
    EXPECT_TRUE(tasks::evalMainMetric("nope").empty());
}
