#include "app/bridge/train_jobs.h"

#include "app/bridge/local_ranks.h"
#include "engine/core/error.h"
#include "engine/tasks/train_model.h"

#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
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

void checkRanks(const TrainParams& p) {
    if (p.ranks < 1 || p.ranks > 64) throw Error::badInput("ranks must be between 1 and 64");
    if (p.ranks == 1) return;
    if (p.objective != QLatin1String("lm") && p.objective != QLatin1String("mlm"))
        throw Error::badInput("data-parallel ranks train lm and mlm (whose loss is a token mean the ranks split exactly), not " +
                              p.objective.toStdString());
    if (!p.device.isEmpty() && p.device != QLatin1String("cpu"))
        throw Error::badInput("local ranks run on the CPU (c10d's Gloo); " + p.device.toStdString() + " needs one process");
    if (p.batchSize % p.ranks != 0)
        throw Error::badInput("the batch of " + std::to_string(p.batchSize) + " does not split over " + std::to_string(p.ranks) +
                              " ranks: choose a multiple of " + std::to_string(p.ranks));
}

}  // namespace

QStringList trainCommandLine(const TrainParams& p) {
    checkRanks(p);
    if (p.outDir.isEmpty()) throw Error::badInput("choose an output folder");
    if (p.data.isEmpty()) throw Error::badInput("choose a training corpus (drop a file on the view)");
    QStringList a{QStringLiteral("train"), p.objective};
    auto opt = [&a](const char* name, const QString& value) {
        if (!value.isEmpty()) a << QLatin1String("--") + QLatin1String(name) << value;
    };
    auto num = [&a](const char* name, double value) { a << QLatin1String("--") + QLatin1String(name) << QString::number(value, 'g', 17); };
    if (!p.resumeDir.isEmpty()) {
        opt("resume", p.resumeDir);
    } else if (!p.modelDir.isEmpty()) {
        opt("model", p.modelDir);
    } else if (!p.preset.isEmpty()) {
        opt("preset", p.preset);
    } else {
        opt("init-config", p.initConfig);
    }
    opt("tokenizer", p.tokenizer);
    opt(p.dataIsIds ? "ids" : "data", p.data);
    opt("eval-data", p.evalData);
    opt("out", p.outDir);
    num("steps", p.steps);
    num("batch-size", p.batchSize / p.ranks);
    num("seq-len", p.seqLen);
    num("grad-accum", p.gradAccum);
    opt("optimizer", p.optimizer);
    num("lr", p.lr);
    num("weight-decay", p.weightDecay);
    num("clip", p.clip);
    num("warmup", p.warmup);
    opt("schedule", p.schedule);
    opt("train", p.train);
    opt("dtype", p.dtype);
    opt("device", p.device.isEmpty() ? QStringLiteral("cpu") : p.device);
    a << QStringLiteral("--seed") << QString::number(p.seed);
    num("eval-every", p.evalEvery);
    num("save-every", p.saveEvery);
    num("keep", p.keep);
    num("sample-every", p.sampleEvery);
    return a;
}

void TrainJob::run(Progress& progress) {
    if (p_.ranks > 1) {
        const QJsonObject r = runLocalRanks(trainCommandLine(p_), p_.ranks, progress);
        result.outDir = r.value(QLatin1String("out")).toString();
        result.steps = r.value(QLatin1String("steps")).toInteger();
        result.resumedFrom = r.value(QLatin1String("resumed_from")).toInteger();
        result.parameters = r.value(QLatin1String("parameters")).toInteger();
        result.trainable = r.value(QLatin1String("trainable")).toInteger();
        result.finalLoss = r.value(QLatin1String("final_loss")).toDouble();
        result.evalLoss = r.value(QLatin1String("eval_loss")).toDouble(-1);
        result.evalPpl = r.value(QLatin1String("eval_ppl")).toDouble(-1);
        result.tokensPerSecond = r.value(QLatin1String("tokens_per_second")).toDouble();
        result.seconds = r.value(QLatin1String("seconds")).toDouble();
        return;
    }
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
    checkRanks(p_);
    // One rank's share: each of the N processes holds the model, its gradients, the optimizer state
    // and the activations of batchSize / N rows.
    o.trainer.batchSize = std::max(1, p_.batchSize / std::max(1, p_.ranks));
    o.trainer.seqLen = p_.seqLen;
    o.trainer.gradAccum = p_.gradAccum;
    o.trainer.optimizer.kind = p_.optimizer.toStdString();
    o.trainer.train = p_.train.toStdString();
    progress.report(0.1, "estimating");
    const TrainingEstimate e = tasks::estimateTrainingRun(o);
    result.parameters = e.parameters;
    result.trainable = e.trainable;
    const int n = std::max(1, p_.ranks);
    result.totalMb = n * e.totalBytes() / 1e6;
    result.availableMb = e.availableBytes / 1e6;
    result.secondsPerStep = e.secondsPerStep();
    result.totalSeconds = e.secondsPerStep() * p_.steps;
    result.fits = e.availableBytes <= 0 || n * e.totalBytes() <= 0.9 * e.availableBytes;
    result.describe = QString::fromStdString(e.describe());
    if (n > 1)
        result.describe += QStringLiteral("\n× %1 ranks (each holds the model, its optimizer state and %2 rows of the batch): %3 MB in all")
                               .arg(n)
                               .arg(o.trainer.batchSize)
                               .arg(result.totalMb, 0, 'f', 0);
    progress.report(1.0, "estimated");
}

}  // namespace embedlab
