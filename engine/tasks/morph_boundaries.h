// embedlab engine task — the Turkish morphology benchmark of several tokenizers on a gold treebank:
// boundary hit, root intact, tokens per word, with bootstrap 95% intervals (engine/eval/morphology.h,
// docs/evaluation.md).
//
// The single implementation behind `embedlab-cli morph boundaries` and the Tokenizer lab's morphology
// columns (MorphBoundariesJob): the treebank is read once, each tokenizer is a child stage.
#pragma once

#include "engine/eval/morphology.h"
#include "engine/jobs/progress.h"
#include "engine/tasks/tokenizer_stats.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace embedlab::tasks {

struct MorphBoundariesOptions {
    std::string gold;  // a treebank: word<TAB>root+POS+tags lines
    eval::BoundaryOptions boundary;
};

struct MorphBoundariesRow {
    eval::BoundaryResult result;
    std::string name, path, kind;
    double seconds = 0.0;
};

struct MorphBoundariesResult {
    std::vector<MorphBoundariesRow> rows;  // in the order of the tokenizers
    std::vector<std::string> warnings;     // the treebank's malformed lines (the first ones)
    int64_t malformedLines = 0;
};

MorphBoundariesResult morphBoundaries(const std::vector<TokStatsInput>& tokenizers,
                                      const MorphBoundariesOptions& options, Progress& progress);

// The result as `embedlab-cli morph boundaries` prints it (shared/design/cli.md).
nlohmann::json toJson(const MorphBoundariesResult& result);

}  // namespace embedlab::tasks
