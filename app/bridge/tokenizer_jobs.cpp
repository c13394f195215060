#include "app/bridge/tokenizer_jobs.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tasks/morph_boundaries.h"
#include "engine/tasks/tokenizer_stats.h"
#include "engine/tokenizers/tokenizer_metrics.h"

#include <chrono>

namespace embedlab {

std::string LoadTokenizerJob::name() const { return "Load tokenizer " + baseName(path_.toStdString()); }

void LoadTokenizerJob::run(Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    progress.report(0.1, "reading");
    tokenizer = TokenizerPtr(loadTokenizer(path_.toStdString()));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(1.0, "loaded");
}

std::string LoadTokenizerJob::summary() const {
    return tokenizer ? tokenizer->kind() + ", " + std::to_string(tokenizer->vocabSize()) + " tokens" : std::string();
}


namespace {
// The engine tasks' view of the lab's tokenizers: each with the path it came from.
std::vector<tasks::TokStatsInput> taskInputs(const QVector<TokenizerPtr>& tokenizers, const QStringList& paths) {
    std::vector<tasks::TokStatsInput> inputs;
    for (int i = 0; i < tokenizers.size(); ++i) inputs.push_back({tokenizers[i].get(), paths.value(i).toStdString()});
    return inputs;
}
}  // namespace

void TokStatsJob::run(Progress& progress) {
    const std::vector<tasks::TokStatsInput> inputs = taskInputs(tokenizers_, paths_);
    tasks::TokStatsOptions o;
    o.corpus = corpus_.toStdString();
    const tasks::TokStatsResult r = tasks::tokenizerStats(inputs, o, progress);
    if (!r.invalidLines.empty())
        warnings << QStringLiteral("%1 line(s) had invalid UTF-8 (first: line %2); bad bytes were replaced by U+FFFD")
                        .arg(r.invalidLines.size())
                        .arg(r.invalidLines.front());
    for (const tasks::TokStatsRow& row : r.rows) {
        const TokenizerStats& s = row.stats;
        TokStatsRow t;
        t.tokenizer = QString::fromStdString(s.name);
        t.tokens = s.tokens;
        t.words = s.words;
        t.chars = s.chars;
        t.uniqueTokens = s.unique_tokens;
        t.fertility = s.fertility;
        t.trPct = s.tr_pct;
        t.purePct = s.pure_pct;
        t.seconds = s.seconds;
        rows.push_back(t);
    }
}

void MorphBoundariesJob::run(Progress& progress) {
    const std::vector<tasks::TokStatsInput> inputs = taskInputs(tokenizers_, paths_);
    tasks::MorphBoundariesOptions o;
    o.gold = treebank_.toStdString();
    const tasks::MorphBoundariesResult r = tasks::morphBoundaries(inputs, o, progress);
    malformedLines = r.malformedLines;
    for (const tasks::MorphBoundariesRow& row : r.rows) {
        const eval::BoundaryResult& b = row.result;
        MorphRow m;
        m.tokenizer = QString::fromStdString(row.name);
        m.words = b.words;
        m.excluded = b.excluded;
        m.boundaryHit = b.boundaryHit;
        m.rootIntact = b.rootIntact;
        m.tokensPerWord = b.tokensPerWord;
        m.hitLo = b.boundaryHitCi.first;
        m.hitHi = b.boundaryHitCi.second;
        m.intactLo = b.rootIntactCi.first;
        m.intactHi = b.rootIntactCi.second;
        rows.push_back(m);
    }
}

}  // namespace embedlab
