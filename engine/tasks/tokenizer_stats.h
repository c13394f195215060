// embedlab engine task — tokenizer statistics (fertility, unique tokens, TR%, Pure% …) of several
// tokenizers on one corpus file (docs/tokenizers.md).
//
// The single implementation behind `embedlab-cli tokstats` and the Tokenizer lab's comparison
// (TokStatsJob): the corpus is read once, and the known Turkish roots and suffixes that TR% and Pure%
// need for tokenizers without lists of their own come from a seed-format folder — the given lexicon,
// else the first seed-format folder among the tokenizers' paths.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/tokenizers/tokenizer_metrics.h"

#include <string>
#include <vector>

namespace embedlab {
class Tokenizer;
}

namespace embedlab::tasks {

struct TokStatsInput {
    const Tokenizer* tokenizer = nullptr;
    std::string path;  // where it was loaded from (a seed-format folder serves as the lexicon)
};

struct TokStatsOptions {
    std::string corpus;      // a UTF-8 text file, one text per line
    std::string lexiconDir;  // a seed-format folder ("" = the first seed-format tokenizer path, if any)
};

struct TokStatsRow {
    TokenizerStats stats;
    std::string path, kind;
};

struct TokStatsResult {
    std::vector<TokStatsRow> rows;      // in the order of the tokenizers
    std::vector<size_t> invalidLines;   // 1-based lines whose invalid UTF-8 was replaced by U+FFFD
    std::string lexiconDir;             // the seed-format folder used ("" = none)
};

// Throws Error(BadInput) without tokenizers, for a lexicon folder that is not seed-format, or an
// unreadable corpus.
TokStatsResult tokenizerStats(const std::vector<TokStatsInput>& tokenizers, const TokStatsOptions& options,
                              Progress& progress);

}  // namespace embedlab::tasks
