// `embedlab-cli morph`: the Turkish morphology benchmark (engine/eval/morphology.h, docs/evaluation.md).
//   morph boundaries --gold TREEBANK --tokenizer PATH [--tokenizer PATH2 ...] [--bootstrap B] [--seed S]
//     → a JSON array, one object per tokenizer: tokenizer, words, excluded, boundary_hit, root_intact,
//       tokens_per_word, ci95 {boundary_hit: [lo, hi], root_intact: [lo, hi]} (and path, kind, skipped,
//       longer_than_root, malformed_lines, seconds)
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/eval/morphology.h"
#include "engine/tasks/morph_boundaries.h"
#include "engine/tasks/morph_probe.h"
#include "engine/tokenizers/tokenizer.h"

#include <cstdio>
#include <memory>

namespace embedlab::cli {
namespace {

// `morph probe --gold TREEBANK (--vectors FILE | --model DIR [--layer L]) --feature case|number|possessive|pos`.
int runProbe(Args& a) {
    tasks::MorphProbeOptions o;
    o.gold = a.require("gold");
    o.feature = a.get("feature", "case");
    o.vectorsPath = a.get("vectors");
    o.modelDir = a.get("model");
    if (o.vectorsPath.empty() == o.modelDir.empty()) throw UsageError("give either --vectors FILE or --model DIR");
    o.layer = a.getInt("layer", -1);
    o.tokenizerPath = a.get("tokenizer");
    o.seed = static_cast<uint64_t>(a.getInt("seed", 0));
    if (!o.modelDir.empty()) {
        o.device = deviceFromArgs(a);
        o.dtype = dtypeFromArgs(a);
    }
    StderrProgress progress(a, "morph probe");
    const tasks::MorphProbeResult r = tasks::morphProbe(o, progress);
    nlohmann::json j = {{"feature", o.feature},       {"accuracy", r.probe.accuracy}, {"majority", r.probe.majority},
                        {"control", r.probe.control}, {"train", r.probe.train},       {"test", r.probe.test},
                        {"missing", r.probe.missing}, {"unseen_class", r.probe.unseenClass},
                        {"classes", r.probe.classes}, {"words", r.words},             {"seconds", r.seconds}};
    if (!o.modelDir.empty()) j["layer"] = r.layer;
    printJson(j);
    return 0;
}

int runMorph(Args& a) {
    if (a.positional.empty()) throw UsageError("which study? boundaries or probe");
    const std::string what = a.positional.front();
    if (what == "probe") return runProbe(a);
    if (what != "boundaries")
        throw UsageError("unknown morph study '" + what + "' (boundaries, probe)");
    const std::vector<std::string> paths = a.getAll("tokenizer");
    if (paths.empty()) throw UsageError("give at least one --tokenizer PATH");
    const std::string gold = a.require("gold");
    eval::BoundaryOptions o;
    const long long b = a.getInt("bootstrap", 1000);
    if (b < 0 || b > 100000) throw UsageError("--bootstrap must be between 0 and 100000");
    o.bootstrap = static_cast<int>(b);
    o.seed = static_cast<uint64_t>(a.getInt("seed", 0));

    std::vector<std::unique_ptr<Tokenizer>> toks;
    std::vector<tasks::TokStatsInput> inputs;
    for (const auto& p : paths) {  // every path is checked before the work
        toks.push_back(loadTokenizer(p));
        inputs.push_back({toks.back().get(), p});
    }
    // The engine task (engine/tasks/morph_boundaries.h), which the Tokenizer lab runs too.
    tasks::MorphBoundariesOptions mo;
    mo.gold = gold;
    mo.boundary = o;
    StderrProgress progress(a, "morph boundaries");
    const tasks::MorphBoundariesResult r = tasks::morphBoundaries(inputs, mo, progress);
    for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (r.malformedLines > static_cast<int64_t>(r.warnings.size()))
        std::fprintf(stderr, "warning: %lld malformed treebank lines skipped in all\n",
                     static_cast<long long>(r.malformedLines));
    printJson(tasks::toJson(r));
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"morph",
                            "morph boundaries --gold TREEBANK --tokenizer PATH [--tokenizer PATH2 ...] "
                            "[--bootstrap 1000] [--seed S]\n"
                            "  → per tokenizer: boundary hit, root intact, tokens per word, 95% intervals\n"
                            "morph probe --gold TREEBANK (--vectors FILE | --model DIR [--layer L] [--tokenizer PATH]) "
                            "--feature case|number|possessive|pos [--seed S]\n"
                            "  → probe accuracy on a root-disjoint split, with the majority baseline and a shuffled-label control",
                            {},
                            {"gold", "tokenizer", "bootstrap", "seed", "feature", "vectors", "model", "layer"},
                            runMorph});

}  // namespace embedlab::cli
