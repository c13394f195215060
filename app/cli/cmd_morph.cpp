// `embedlab-cli morph`: the Turkish morphology benchmark (engine/eval/morphology.h, docs/evaluation.md).
//   morph boundaries --gold TREEBANK --tokenizer PATH [--tokenizer PATH2 ...] [--bootstrap B] [--seed S]
//     → a JSON array, one object per tokenizer: tokenizer, words, excluded, boundary_hit, root_intact,
//       tokens_per_word, ci95 {boundary_hit: [lo, hi], root_intact: [lo, hi]} (and path, kind, skipped,
//       longer_than_root, malformed_lines, seconds)
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/eval/morphology.h"
#include "engine/tasks/morph_boundaries.h"
#include "engine/tokenizers/tokenizer.h"

#include <cstdio>
#include <memory>

namespace embedlab::cli {
namespace {

int runMorph(Args& a) {
    if (a.positional.empty()) throw UsageError("which study? boundaries");
    const std::string what = a.positional.front();
    if (what != "boundaries")
        throw UsageError("unknown morph study '" + what + "' (boundaries)");
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
                            "  → per tokenizer: boundary hit, root intact, tokens per word, 95% intervals",
                            {},
                            {"gold", "tokenizer", "bootstrap", "seed"},
                            runMorph});

}  // namespace embedlab::cli
