// embedlab app — engine jobs for the tokenizer lab. Tokenizers are immutable after loading and
// thread-safe, so the UI may call encode()/decode() on a loaded one directly. Torch-free header.
#pragma once

#include "engine/jobs/job.h"
#include "engine/tokenizers/tokenizer.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

namespace embedlab {

using TokenizerPtr = std::shared_ptr<const Tokenizer>;

class LoadTokenizerJob : public Job {
public:
    explicit LoadTokenizerJob(QString path) : path_(std::move(path)) {}
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    QString path() const { return path_; }

    TokenizerPtr tokenizer;  // result
    double seconds = 0;

private:
    QString path_;
};

struct TokStatsRow {
    QString tokenizer;
    qint64 tokens = 0, words = 0, chars = 0, uniqueTokens = 0;
    double fertility = 0, trPct = 0, purePct = 0, seconds = 0;
};

// Tokenizer metrics (fertility, TR%, Pure% …, see docs/tokenizers.md) of several tokenizers on
// one corpus file: the engine task (engine/tasks/tokenizer_stats.h) `embedlab-cli tokstats` runs.
// `paths` are where the tokenizers came from (a seed-format folder also serves as the lexicon).
class TokStatsJob : public Job {
public:
    TokStatsJob(QVector<TokenizerPtr> tokenizers, QStringList paths, QString corpusPath)
        : tokenizers_(std::move(tokenizers)), paths_(std::move(paths)), corpus_(std::move(corpusPath)) {}
    std::string name() const override { return "Tokenizer statistics"; }
    void run(Progress& progress) override;
    QVector<TokStatsRow> rows;  // result, in the order of the tokenizers
    QStringList warnings;

private:
    QVector<TokenizerPtr> tokenizers_;
    QStringList paths_;
    QString corpus_;
};

// The Turkish morphology benchmark of several tokenizers on a gold treebank (boundary hit, root intact,
// tokens per word, bootstrap 95% intervals): the engine task `embedlab-cli morph boundaries` runs
// (engine/tasks/morph_boundaries.h; docs/evaluation.md).
struct MorphRow {
    QString tokenizer;
    qint64 words = 0, excluded = 0;
    double boundaryHit = 0, rootIntact = 0, tokensPerWord = 0;  // rates in [0, 1]
    double hitLo = 0, hitHi = 0, intactLo = 0, intactHi = 0;     // 95% intervals
};

class MorphBoundariesJob : public Job {
public:
    MorphBoundariesJob(QVector<TokenizerPtr> tokenizers, QStringList paths, QString treebank)
        : tokenizers_(std::move(tokenizers)), paths_(std::move(paths)), treebank_(std::move(treebank)) {}
    std::string name() const override { return "Morphology benchmark"; }
    void run(Progress& progress) override;
    QVector<MorphRow> rows;  // result, in the order of the tokenizers
    qint64 malformedLines = 0;

private:
    QVector<TokenizerPtr> tokenizers_;
    QStringList paths_;
    QString treebank_;
};

}  // namespace embedlab
