#include "app/bridge/static_jobs.h"

#include "engine/tasks/train_static.h"

#include <cstdio>

namespace embedlab {

void TrainStaticJob::run(Progress& progress) {
    tasks::StaticTrainOptions o;
    o.input = p_.corpus.toStdString();
    o.units = p_.units.toStdString();
    o.subwords = p_.subwords.toStdString();
    o.model.dim = p_.dim;
    o.model.epochs = p_.epochs;
    o.model.window = p_.window;
    o.model.negatives = p_.negatives;
    o.model.minCount = p_.minCount;
    o.model.lr = p_.lr;
    o.model.buckets = p_.buckets;
    o.model.seed = p_.seed;
    o.model.threads = p_.threads;
    o.oovWordsPath = p_.oovWords.toStdString();
    o.gold = p_.gold.toStdString();
    o.outPath = p_.outPath.toStdString();
    const tasks::StaticTrainResult r = tasks::trainStaticEmbeddings(o, progress);
    words = r.words;
    vocab = r.vocab;
    oovWritten = r.oovWritten;
    seconds = r.seconds;
    wordsPerSecond = r.wordsPerSecond;
    finalLoss = r.finalLoss;
}

std::string TrainStaticJob::summary() const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%lld words, %lld in the vocabulary, %.0f words/s, final loss %.3f",
                  static_cast<long long>(words), static_cast<long long>(vocab), wordsPerSecond, finalLoss);
    return buf;
}

}  // namespace embedlab
