// embedlab app — engine jobs of the Training view: a training run (the engine task
// tasks::trainModel that `embedlab-cli train` runs, on the long lane) and its estimate before it
// starts. Metric points (loss, lr, grad_norm, tokens_per_second, eval_loss, eval_ppl) and log lines
// (checkpoints, samples) stream through the job's Progress to JobHandle::metric / logLine. With
// TrainParams::ranks > 1 (lm, mlm on the CPU) the run is a data-parallel job of that many local
// processes (app/bridge/local_ranks.h: `embedlab-cli launch`), the same trainer in each.
// Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QString>
#include <QStringList>

namespace embedlab {

struct TrainParams {
    QString objective = QStringLiteral("lm");  // lm | mlm | contrastive
    // The model: one of these (resumeDir wins when set).
    QString modelDir, preset, initConfig, resumeDir;
    QString tokenizer;  // "" = the model folder's
    QString data, evalData;  // a corpus (contrastive: anchor<TAB>positive lines)
    bool dataIsIds = false;  // data/evalData are ids files
    QString outDir;
    int steps = 200, batchSize = 8, seqLen = 128, gradAccum = 1;
    QString optimizer = QStringLiteral("adamw");
    double lr = 5e-4, weightDecay = 0.01, clip = 1.0;
    int warmup = 10;
    QString schedule = QStringLiteral("cosine");
    QString train = QStringLiteral("all");
    double temperature = 0.05;
    QString pooling = QStringLiteral("mean");
    QString matryoshka;  // "768,256,64" or ""
    QString dtype = QStringLiteral("f32");
    QString device = QStringLiteral("cpu");
    quint64 seed = 42;
    int evalEvery = 50, saveEvery = 100, keep = 2, sampleEvery = 50;
    // Local data-parallel ranks (lm, mlm; CPU). batchSize stays the global batch: each rank takes
    // batchSize / ranks rows of it, so the run reproduces one process's (docs/distributed.md).
    int ranks = 1;
};

// The `embedlab-cli train …` arguments of a run (one rank's: --batch-size is batchSize / ranks).
// Error(BadInput) for what the CLI would refuse: a batch that does not split over the ranks, ranks
// with an objective other than lm/mlm or on a device other than the CPU.
QStringList trainCommandLine(const TrainParams& p);

struct TrainSummary {
    QString outDir;
    qint64 steps = 0, resumedFrom = 0, parameters = 0, trainable = 0;
    double finalLoss = 0, evalLoss = -1, evalPpl = -1, tokensPerSecond = 0, seconds = 0;
    QStringList samples;
};

struct TrainEstimate {
    qint64 parameters = 0, trainable = 0;
    double totalMb = 0, availableMb = 0, secondsPerStep = 0, totalSeconds = 0;
    bool fits = true;
    QString describe;  // the memory breakdown
};

class TrainJob : public Job {
public:
    explicit TrainJob(TrainParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Train " + p_.objective.toStdString(); }
    void run(Progress& progress) override;
    std::string summary() const override;
    const TrainParams& params() const { return p_; }
    TrainSummary result;

private:
    TrainParams p_;
};

class EstimateTrainingJob : public Job {
public:
    explicit EstimateTrainingJob(TrainParams p) : p_(std::move(p)) {}
    std::string name() const override { return "Estimate training"; }
    void run(Progress& progress) override;
    TrainEstimate result;

private:
    TrainParams p_;
};

}  // namespace embedlab
