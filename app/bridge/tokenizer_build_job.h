// embedlab app — the engine job of the Tokenizer build view: tasks::trainTokenizer, the task
// `embedlab-cli train tokenizer` runs (kind morph, bpe or unigram), on the long lane. Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QString>
#include <QStringList>

namespace embedlab {

struct TokenizerBuildParams {
    QString kind = QStringLiteral("morph");  // morph | bpe | unigram
    QStringList corpora;                     // morph reads several; bpe/unigram the first
    QString lexicon;                         // morph: the nlptoolkit-dictionary folder
    qint64 vocabSize = 32768;
    QString outDir;
    bool replace = false;  // an existing output folder is replaced (the CLI's --force)
};

class TrainTokenizerJob : public Job {
public:
    explicit TrainTokenizerJob(TokenizerBuildParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Tokenizer"; }
    void run(Progress& progress) override;
    std::string summary() const override;
    const TokenizerBuildParams& params() const { return p_; }
    qint64 vocabSize = 0, sentences = 0, roots = 0, suffixGroups = 0, bpePieces = 0, words = 0, wordsParsed = 0;
    double seconds = 0;
    QString written;  // the folder (morph) or the .model (bpe, unigram)

private:
    TokenizerBuildParams p_;
};

}  // namespace embedlab
