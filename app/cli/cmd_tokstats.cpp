// `embedlab-cli tokstats`: corpus statistics of one or more tokenizers (docs/tokenizers.md).
#include "app/cli/cli.h"

#include "engine/tasks/tokenizer_stats.h"
#include "engine/tokenizers/tokenizer.h"

#include <cstdio>
#include <memory>

namespace embedlab::cli {
namespace {

int runTokstats(Args& a) {
    const std::vector<std::string> paths = a.getAll("tokenizer");
    if (paths.empty()) throw UsageError("give at least one --tokenizer PATH");
    tasks::TokStatsOptions o;
    o.corpus = a.require("input");
    o.lexiconDir = a.get("lexicon");
    std::vector<std::unique_ptr<Tokenizer>> toks;
    std::vector<tasks::TokStatsInput> inputs;
    for (const auto& p : paths) {
        toks.push_back(loadTokenizer(p));
        inputs.push_back({toks.back().get(), p});
    }
    // The engine task (engine/tasks/tokenizer_stats.h), which the app's Tokenizer lab runs too.
    StderrProgress progress(a, "tokstats");
    const tasks::TokStatsResult r = tasks::tokenizerStats(inputs, o, progress);
    for (size_t n : r.invalidLines)
        std::fprintf(stderr, "warning: %s line %zu: invalid UTF-8 replaced by U+FFFD\n", o.corpus.c_str(), n);
    nlohmann::json arr = nlohmann::json::array();
    for (const tasks::TokStatsRow& row : r.rows) {
        const TokenizerStats& s = row.stats;
        arr.push_back({{"name", s.name},
                       {"path", row.path},
                       {"kind", row.kind},
                       {"lines", s.lines},
                       {"tokens", s.tokens},
                       {"words", s.words},
                       {"chars", s.chars},
                       {"fertility", s.fertility},
                       {"unique_tokens", s.unique_tokens},
                       {"tr_pct", s.tr_pct},
                       {"pure_pct", s.pure_pct},
                       {"lexicon", s.lexicon ? "hunspell-tr" : "none"},
                       {"seconds", s.seconds}});
    }
    printJson(arr);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"tokstats",
                             "tokstats --tokenizer PATH [--tokenizer PATH2 ...] --input FILE [--lexicon SEED_DIR]",
                             {},
                             {"tokenizer", "input", "lexicon"},
                             runTokstats});

}  // namespace embedlab::cli
