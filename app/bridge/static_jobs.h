// embedlab app — the engine job of the Static embeddings view: tasks::trainStaticEmbeddings, the task
// `embedlab-cli train static` runs, on the long lane. Its loss curve arrives as metric points ("loss",
// units processed, mean logistic loss). Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QString>

namespace embedlab {

struct StaticParams {
    QString corpus;
    QString units = QStringLiteral("words");  // words | tokenizer:PATH
    QString subwords = QStringLiteral("3-6");  // MIN-MAX | none
    int dim = 100, epochs = 5, window = 5, negatives = 5;
    qint64 minCount = 5;
    double lr = 0.05;
    qint64 buckets = 2000000;
    quint64 seed = 1;
    int threads = 0;  // 0 = the engine's thread count
    QString oovWords;
    QString gold;     // a treebank: part of speech in the .tsv metadata
    QString outPath;  // FILE.vec | FILE.bin | FILE.tsv
};

class TrainStaticJob : public Job {
public:
    explicit TrainStaticJob(StaticParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Static embeddings"; }
    void run(Progress& progress) override;
    std::string summary() const override;
    const StaticParams& params() const { return p_; }
    qint64 words = 0, vocab = 0, oovWritten = 0;
    double seconds = 0, wordsPerSecond = 0, finalLoss = 0;

private:
    StaticParams p_;
};

}  // namespace embedlab
