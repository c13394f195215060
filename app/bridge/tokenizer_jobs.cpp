#include "app/bridge/tokenizer_jobs.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

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

}  // namespace embedlab

#include "engine/tokenizers/tokenizer_metrics.h"

namespace embedlab {

void TokStatsJob::run(Progress& progress) {
    if (tokenizers_.isEmpty()) throw Error::badInput("load at least one tokenizer before comparing on a corpus");
    std::vector<size_t> invalid;
    const std::vector<std::string> lines = readCorpusLines(corpus_.toStdString(), &invalid);
    if (!invalid.empty())
        warnings << QStringLiteral("%1 line(s) had invalid UTF-8 (first: line %2); bad bytes were replaced by U+FFFD")
                        .arg(invalid.size())
                        .arg(invalid.front());
    const int n = tokenizers_.size();
    for (int i = 0; i < n; ++i) {
        progress.report(double(i) / n, "tokenizer " + std::to_string(i + 1) + " of " + std::to_string(n));
        const TokenizerStats s = computeTokenizerStats(*tokenizers_[i], lines, progress);
        TokStatsRow r;
        r.tokenizer = QString::fromStdString(tokenizers_[i]->name());
        r.tokens = s.tokens;
        r.words = s.words;
        r.chars = s.chars;
        r.uniqueTokens = s.unique_tokens;
        r.fertility = s.fertility;
        r.trPct = s.tr_pct;
        r.purePct = s.pure_pct;
        r.seconds = s.seconds;
        rows.push_back(r);
    }
    progress.report(1.0, "done");
}

}  // namespace embedlab
