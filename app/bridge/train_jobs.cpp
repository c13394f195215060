#include "app/bridge/train_jobs.h"

#include "engine/core/error.h"
#include "engine/tasks/train_model.h"

#include <cstdio>

namespace embedlab {

namespace {

tasks::TrainTaskOptions toOptions(const TrainParams& p) {
    tasks::TrainTaskOptions o;
    TrainerOptions& t = o.trainer;
    t.objective = p.objective.toStdString();
    t.resumeDir = p.resumeDir.toStdString();
    if (t.resumeDir.empty()) {
        o.modelDir = p.modelDir.toStdString();
        o.preset = p.preset.toStdString();
        o.initConfig = p.initConfig.toStdString();
    }
    o.tokenizerPath = p.tokenizer.toStdString();
    (p.dataIsIds ? o.idsPath : o.dataPath) = p.data.toStdString();
    o.evalDataPath = p.evalData.toStdString();
    o.device = p.device.isEmpty() ? std::string("cpu") : p.device.toStdString();
    t.outDir = p.outDir.toStdString();
    t.steps = p.steps;
    t.batchSize = p.batchSize;
    t.seqLen = p.seqLen;
    t.gradAccum = p.gradAccum;
    t.optimizer.kind = p.optimizer.toStdString();
    t.optimizer.weightDecay = p.weightDecay;
    t.schedule.baseLr = p.lr;
    t.schedule.warmup = p.warmup;
    t.schedule.kind = p.schedule.toStdString();
    t.clip = p.clip;
    t.train = p.train.toStdString();
    t.temperature = p.temperature;
    t.pooling = p.pooling.toStdString();
    for (const QString& d : p.matryoshka.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const int v = d.trimmed().toInt(&ok);
        if (!ok) throw Error::badInput("Matryoshka dimensions: '" + d.toStdString() + "' is not a number");
        t.matryoshka.push_back(v);
    }
    t.dtype = p.dtype.toStdString();
    t.seed = p.seed;
    t.evalEvery = p.evalEvery;
    t.saveEvery = p.saveEvery;
    t.keep = p.keep;
    t.sampleEvery = p.sampleEvery;
    if (p.outDir.isEmpty()) throw Error::badInput("choose an output folder");
    if (p.data.isEmpty()) throw Error::badInput("choose a training corpus (drop a file on the view)");
    return o;
}

}  // namespace

void TrainJob::run(Progress& progress) {
    const tasks::TrainTaskResult r = tasks::trainModel(toOptions(p_), progress);
    result.outDir = QString::fromStdString(r.train.outDir);
    result.steps = r.train.steps;
    result.resumedFrom = r.train.resumedFrom;
    result.parameters = r.parameters;
    result.trainable = r.trainable;
    result.finalLoss = r.train.finalLoss;
    result.evalLoss = r.train.evalLoss ? *r.train.evalLoss : -1;
    result.evalPpl = r.train.evalPpl ? *r.train.evalPpl : -1;
    result.tokensPerSecond = r.train.tokensPerSecond;
    result.seconds = r.train.seconds;
    for (const auto& s : r.train.samples) result.samples << QString::fromStdString(s);
}

std::string TrainJob::summary() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%lld steps, loss %.4f, %.0f tokens/s", static_cast<long long>(result.steps), result.finalLoss,
                  result.tokensPerSecond);
    return buf;
}

void EstimateTrainingJob::run(Progress& progress) {
    tasks::TrainTaskOptions o;
    o.trainer.objective = p_.objective.toStdString();
    o.trainer.resumeDir = p_.resumeDir.toStdString();
    if (o.trainer.resumeDir.empty()) {
        o.modelDir = p_.modelDir.toStdString();
        o.preset = p_.preset.toStdString();
        o.initConfig = p_.initConfig.toStdString();
    }
    o.trainer.batchSize = p_.batchSize;
    o.trainer.seqLen = p_.seqLen;
    o.trainer.gradAccum = p_.gradAccum;
    o.trainer.optimizer.kind = p_.optimizer.toStdString();
    o.trainer.train = p_.train.toStdString();
    progress.report(0.1, "estimating");
    const TrainingEstimate e = tasks::estimateTrainingRun(o);
    result.parameters = e.parameters;
    result.trainable = e.trainable;
    result.totalMb = e.totalBytes() / 1e6;
    result.availableMb = e.availableBytes / 1e6;
    result.secondsPerStep = e.secondsPerStep();
    result.totalSeconds = e.secondsPerStep() * p_.steps;
    result.fits = e.fits();
    result.describe = QString::fromStdString(e.describe());
    progress.report(1.0, "estimated");
}

}  // namespace embedlab
