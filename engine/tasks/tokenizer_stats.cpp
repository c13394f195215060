#include "engine/tasks/tokenizer_stats.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/tokenizers/turkish_tokenizer.h"

namespace embedlab::tasks {

TokStatsResult tokenizerStats(const std::vector<TokStatsInput>& toks, const TokStatsOptions& o, Progress& progress) {
    if (toks.empty()) throw Error::badInput("load at least one tokenizer before comparing on a corpus");
    TokStatsResult r;
    const std::vector<std::string> lines = readCorpusLines(o.corpus, &r.invalidLines);
    TokenizerStatsOptions opt;
    r.lexiconDir = o.lexiconDir;
    if (r.lexiconDir.empty()) {
        for (const auto& t : toks)
            if (isDirectory(t.path) && isTurkishTokenizerDir(t.path)) {
                r.lexiconDir = t.path;
                break;
            }
    }
    if (!r.lexiconDir.empty()) {
        if (!isTurkishTokenizerDir(r.lexiconDir))
            throw Error::badInput("the lexicon " + r.lexiconDir +
                                  " is not a seed-format folder (kokler.json, ekler.json, bpe_tokenler.json)");
        opt.suffixes = loadTurkishSuffixList(joinPath(r.lexiconDir, "ekler.json"));
        auto seed = loadTurkishTokenizer(r.lexiconDir);
        for (int64_t id = 0; id < seed->vocabSize(); ++id)
            if (seed->tokenType(id) == TokenType::Root) opt.roots.push_back(seed->idToToken(id));
    }
    const size_t n = toks.size();
    for (size_t i = 0; i < n; ++i) {
        Progress stage(progress, double(i) / double(n), double(i + 1) / double(n),
                       "tokenizer " + std::to_string(i + 1) + " of " + std::to_string(n));
        TokStatsRow row;
        row.stats = computeTokenizerStats(*toks[i].tokenizer, lines, stage, opt);
        row.path = toks[i].path;
        row.kind = toks[i].tokenizer->kind();
        r.rows.push_back(std::move(row));
    }
    progress.report(1.0, "done");
    return r;
}

}  // namespace embedlab::tasks
