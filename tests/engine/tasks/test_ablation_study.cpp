// The ablation study file (engine/tasks/ablation_study.h) without a model: the parser's defaults and
// round trip (a saved study reads back as itself), unknown fields named with where they are, values
// out of range, and the settings a study sweeps for a model shape; the engine's SVG charts are
// well-formed (one <rect> per heatmap cell, a path per line series). The sweep itself is tested row by
// row against the PyTorch reference in tests/cli/ablate.sh.
#include "engine/core/error.h"
#include "engine/io/svg_chart.h"
#include "engine/models/interventions.h"
#include "engine/tasks/ablation_study.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>

using namespace embedlab;
using json = nlohmann::json;

namespace {

json base() {
    return json::parse(R"({"model": "m", "type": "heads", "metrics": [{"task": "sts", "data": "s.tsv"}]})");
}

std::string errorOf(const json& j) {
    try {
        tasks::parseStudy(j, "/base");
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        return e.what();
    }
    return "";
}

size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
    return n;
}

}  // namespace

TEST(AblationStudy, DefaultsPathsAndRoundTrip) {
    json j = base();
    j["sample"] = {{"prompt", "Bugün"}};
    j["metrics"].push_back({{"task", "perplexity"}, {"data", "/abs/t.txt"}, {"name", "ppl"}});
    const tasks::AblationStudy s = tasks::parseStudy(j, "/base");
    EXPECT_EQ(s.model, "/base/m");
    EXPECT_EQ(s.metrics[0].options.data, "/base/s.tsv");
    EXPECT_EQ(s.metrics[1].options.data, "/abs/t.txt");
    EXPECT_EQ(s.metrics[1].name, "ppl");
    EXPECT_EQ(s.params.value("mode", ""), "zero");
    EXPECT_EQ(s.seed, 42u);
    EXPECT_EQ(s.sampleTokens, 24);
    const tasks::AblationStudy again = tasks::parseStudy(tasks::studyToJson(s), "");
    EXPECT_EQ(tasks::studyToJson(again), tasks::studyToJson(s));
}

TEST(AblationStudy, UnknownFieldsAreNamedWithWhereTheyAre) {
    json j = base();
    j["colour"] = 1;
    j["heds"] = json::object();
    EXPECT_NE(errorOf(j).find("study: unknown fields 'colour', 'heds'"), std::string::npos) << errorOf(j);
    j = base();
    j["heads"] = {{"layer", {1}}};
    EXPECT_NE(errorOf(j).find("study.heads: unknown field 'layer'"), std::string::npos);
    j = base();
    j["metrics"][0]["dat"] = "x";
    EXPECT_NE(errorOf(j).find("study.metrics[0]: unknown field 'dat'"), std::string::npos);
    j = base();
    j["layers"] = json::object();
    EXPECT_NE(errorOf(j).find("study.layers does not belong to a study of type 'heads'"), std::string::npos);
}

TEST(AblationStudy, BadValuesAreNamed) {
    json j = base();
    j["type"] = "neurons";
    EXPECT_NE(errorOf(j).find("study.type must be"), std::string::npos);
    j = base();
    j.erase("metrics");
    EXPECT_NE(errorOf(j).find("study.metrics is missing"), std::string::npos);
    j = base();
    j["metrics"].push_back({{"task", "sts"}, {"data", "b.tsv"}});
    EXPECT_NE(errorOf(j).find("two metrics are named 'sts'"), std::string::npos);
    j = base();
    j["type"] = "dimensions";
    j["dimensions"] = {{"mode", "drop"}, {"ranges", {{5, 2}}}};
    EXPECT_NE(errorOf(j).find("not a [first, last] pair"), std::string::npos);
    j["dimensions"] = {{"mode", "prefix"}, {"ranges", {{0, 2}}}};
    EXPECT_NE(errorOf(j).find("takes sizes, not ranges"), std::string::npos);
    j = base();
    j["budget"] = {{"seconds", -1}};
    EXPECT_NE(errorOf(j).find("budget.seconds must be positive"), std::string::npos);
    j = base();
    j["type"] = "vocabulary";
    j["vocabulary"] = {{"corpus", "c.txt"}};
    EXPECT_NE(errorOf(j).find("study.vocabulary.keep is missing"), std::string::npos);
}

TEST(AblationStudy, SettingsForAModelShape) {
    const tasks::ModelShape shape{6, 4, 64, 512, true};
    auto names = [&](const json& j) { return tasks::ablationSettingNames(tasks::parseStudy(j, ""), shape); };
    EXPECT_EQ(names(base()).size(), 24u);
    json j = base();
    j["heads"] = {{"layers", {1, 3}}, {"heads", {0}}};
    EXPECT_EQ(names(j), (std::vector<std::string>{"layer 1 head 0", "layer 3 head 0"}));
    j = base();
    j["type"] = "layers";
    j["layers"] = {{"mode", "read"}};
    EXPECT_EQ(names(j).size(), 7u);  // hidden states 0..6
    j = base();
    j["type"] = "dimensions";
    EXPECT_EQ(names(j), (std::vector<std::string>{"prefix 64", "prefix 32", "prefix 16", "prefix 8"}));
    j["dimensions"] = {{"mode", "drop"}};
    EXPECT_EQ(names(j), (std::vector<std::string>{"drop 0–15", "drop 16–31", "drop 32–47", "drop 48–63"}));
    j["dimensions"] = {{"mode", "random"}, {"sizes", {8}}, {"repeats", 2}};
    EXPECT_EQ(names(j), (std::vector<std::string>{"random 8 #1", "random 8 #2"}));
    j = base();
    j["heads"] = {{"heads", {4}}};
    EXPECT_THROW(names(j), Error);
}

TEST(Interventions, MeanAblationReplacesTheHeadByItsRecordedMean) {
    // Two forwards recorded: the mean is over the real positions only; the chosen head becomes that
    // mean, the other heads pass bit for bit.
    auto means = std::make_shared<HeadMeans>(2, 2, 3);
    at::Tensor a1 = at::arange(12, at::kFloat).view({1, 2, 6});       // positions 0, 1
    at::Tensor m1 = at::tensor(std::vector<int64_t>{1, 0}).view({1, 2});  // position 1 is padding
    at::Tensor a2 = at::full({1, 1, 6}, 2.0f);
    means->add(1, a1, m1);
    means->add(1, a2, at::Tensor());
    EXPECT_EQ(means->tokens(1), 2);
    EXPECT_EQ(means->tokens(0), 0);
    at::Tensor want = (a1[0][0] + a2[0][0]) / 2;
    EXPECT_TRUE(at::allclose(means->mean(1), want));
    Interventions iv;
    iv.meanHeads = {{1, 1}};
    iv.headMeans = means;
    EXPECT_NO_THROW(iv.check(2, 2));
    at::Tensor x = at::randn({2, 3, 6});
    at::Tensor y = applyHeadInterventions(x, iv, 1, 2, 3, at::Tensor());
    EXPECT_TRUE(at::equal(y.narrow(2, 0, 3), x.narrow(2, 0, 3)));
    EXPECT_TRUE(at::allclose(y.narrow(2, 3, 3), want.narrow(0, 3, 3).expand({2, 3, 3})));
    EXPECT_TRUE(applyHeadInterventions(x, iv, 0, 2, 3, at::Tensor()).is_same(x));  // no head of layer 0 chosen
    Interventions noMeans;
    noMeans.meanHeads = {{0, 1}};
    EXPECT_THROW(noMeans.check(2, 2), Error);
    noMeans.headMeans = means;
    EXPECT_THROW(noMeans.check(2, 2), Error);  // nothing recorded for layer 0
    EXPECT_EQ(iv.describe(), "mean 1:1");
}

TEST(SvgChart, HeatmapAndLinesAreWellFormed) {
    const std::string h = svgHeatmap("t <&>", "layer", "head", {"0", "1"}, {"0", "1", "2"},
                                     {{0.1, -0.2, NAN}, {0.0, 0.3, -0.1}}, "Δ");
    EXPECT_EQ(count(h, "<rect x=") - 20, 6u);  // six cells (+ the 20 legend steps)
    EXPECT_NE(h.find("t &lt;&amp;&gt;"), std::string::npos);
    EXPECT_NE(h.find("no value"), std::string::npos);
    EXPECT_NE(h.find("#ff0000"), std::string::npos);  // the largest |value| (0.3) is full red
    const std::string l = svgLineChart("c", "x", "y", {{"a", {1, 2, 3}, {0.5, NAN, 0.7}}, {"b", {1, 2}, {1, 2}}});
    EXPECT_EQ(count(l, "<path"), 2u);
    EXPECT_EQ(count(l, "d=\"M"), 2u);
    EXPECT_EQ(count(l, " M"), 1u);  // series a has a gap: a second move
    EXPECT_EQ(count(l, "<circle"), 4u);
}
