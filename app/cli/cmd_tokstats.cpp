// `embedlab-cli tokstats`: corpus statistics of one or more tokenizers (docs/tokenizers.md).
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/tokenizers/tokenizer_metrics.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <cstdio>

namespace embedlab::cli {
namespace {

int runTokstats(Args& a) {
    const std::vector<std::string> paths = a.getAll("tokenizer");
    if (paths.empty()) throw UsageError("give at least one --tokenizer PATH");
    const std::string input = a.require("input");

    std::vector<size_t> invalid;
    const std::vector<std::string> lines = readCorpusLines(input, &invalid);
    for (size_t n : invalid)
        std::fprintf(stderr, "warning: %s line %zu: invalid UTF-8 replaced by U+FFFD\n", input.c_str(), n);

    std::vector<std::unique_ptr<Tokenizer>> toks;
    for (const auto& p : paths) toks.push_back(loadTokenizer(p));

    // Known Turkish roots and suffixes for tokenizers without lists of their own: --lexicon DIR (a seed-format
    // folder), else the first seed-format folder among the --tokenizer paths.
    TokenizerStatsOptions opt;
    std::string lexDir = a.get("lexicon");
    if (lexDir.empty()) {
        for (const auto& p : paths)
            if (isDirectory(p) && isTurkishTokenizerDir(p)) {
                lexDir = p;
                break;
            }
    }
    if (!lexDir.empty()) {
        if (!isTurkishTokenizerDir(lexDir))
            throw Error::badInput("--lexicon " + lexDir + " is not a seed-format folder (kokler.json, ekler.json, "
                                  "bpe_tokenler.json)");
        opt.suffixes = loadTurkishSuffixList(joinPath(lexDir, "ekler.json"));
        auto seed = loadTurkishTokenizer(lexDir);
        for (int64_t id = 0; id < seed->vocabSize(); ++id)
            if (seed->tokenType(id) == TokenType::Root) opt.roots.push_back(seed->idToToken(id));
    }

    nlohmann::json arr = nlohmann::json::array();
    for (size_t i = 0; i < toks.size(); ++i) {
        StderrProgress progress(a, "tokstats " + toks[i]->name());
        const TokenizerStats s = computeTokenizerStats(*toks[i], lines, progress, opt);
        arr.push_back({{"name", s.name},
                       {"path", paths[i]},
                       {"kind", toks[i]->kind()},
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
