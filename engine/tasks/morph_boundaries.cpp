#include "engine/tasks/morph_boundaries.h"

#include "engine/core/error.h"
#include "engine/tokenizers/tokenizer.h"

#include <chrono>

namespace embedlab::tasks {

MorphBoundariesResult morphBoundaries(const std::vector<TokStatsInput>& toks, const MorphBoundariesOptions& o,
                                      Progress& progress) {
    if (toks.empty()) throw Error::badInput("load at least one tokenizer to measure it on the treebank");
    MorphBoundariesResult r;
    eval::Treebank tb;
    {
        Progress stage(progress, 0.0, 0.1, "treebank");
        tb = eval::readTreebank(o.gold, stage);
    }
    r.warnings = tb.warnings;
    r.malformedLines = tb.malformedLines;
    const size_t n = toks.size();
    for (size_t i = 0; i < n; ++i) {
        Progress stage(progress, 0.1 + 0.9 * double(i) / double(n), 0.1 + 0.9 * double(i + 1) / double(n),
                       toks[i].tokenizer->name());
        const auto t0 = std::chrono::steady_clock::now();
        MorphBoundariesRow row;
        row.result = eval::morphBoundaries(*toks[i].tokenizer, tb, o.boundary, stage);
        row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        row.name = toks[i].tokenizer->name();
        row.path = toks[i].path;
        row.kind = toks[i].tokenizer->kind();
        r.rows.push_back(std::move(row));
    }
    progress.report(1.0, "done");
    return r;
}

nlohmann::json toJson(const MorphBoundariesResult& result) {
    nlohmann::json arr = nlohmann::json::array();
    for (const MorphBoundariesRow& row : result.rows) {
        const eval::BoundaryResult& r = row.result;
        arr.push_back({{"tokenizer", row.name},
                       {"path", row.path},
                       {"kind", row.kind},
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
                       {"malformed_lines", result.malformedLines},
                       {"seconds", row.seconds}});
    }
    return arr;
}

}  // namespace embedlab::tasks
