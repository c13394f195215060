// `embedlab-cli morph`: the Turkish morphology benchmark (engine/eval/morphology.h, docs/evaluation.md).
//   morph boundaries --gold TREEBANK --tokenizer PATH [--tokenizer PATH2 ...] [--bootstrap B] [--seed S]
//     → a JSON array, one object per tokenizer: tokenizer, words, excluded, boundary_hit, root_intact,
//       tokens_per_word, ci95 {boundary_hit: [lo, hi], root_intact: [lo, hi]} (and path, kind, skipped,
//       longer_than_root, malformed_lines, seconds)
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/eval/morphology.h"
#include "engine/tokenizers/tokenizer.h"

#include <chrono>
#include <cstdio>

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
    for (const auto& p : paths) toks.push_back(loadTokenizer(p));  // every path is checked before the work
    StderrProgress readProgress(a, "treebank");
    const eval::Treebank tb = eval::readTreebank(gold, readProgress);
    for (const auto& w : tb.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    if (tb.malformedLines > static_cast<int64_t>(tb.warnings.size()))
        std::fprintf(stderr, "warning: %lld malformed treebank lines skipped in all\n",
                     static_cast<long long>(tb.malformedLines));

    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < toks.size(); ++i) {
        StderrProgress progress(a, "morph boundaries " + toks[i]->name());
        const auto t0 = std::chrono::steady_clock::now();
        const eval::BoundaryResult r = eval::morphBoundaries(*toks[i], tb, o, progress);
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        arr.push_back({{"tokenizer", toks[i]->name()},
                       {"path", paths[i]},
                       {"kind", toks[i]->kind()},
                       {"words", r.words},
                       {"excluded", r.excluded},
                       {"skipped", r.skipped},
                       {"longer_than_root", r.longerThanRoot},
                       {"boundary_hit", r.boundaryHit},
                       {"root_intact", r.rootIntact},
                       {"tokens_per_word", r.tokensPerWord},
                       {"ci95",
                        {{"boundary_hit", {r.boundaryHitCi.first, r.boundaryHitCi.second}},
                         {"root_intact", {r.rootIntactCi.first, r.rootIntactCi.second}}}},
                       {"malformed_lines", tb.malformedLines},
                       {"seconds", secs}});
    }
    printJson(arr);
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
