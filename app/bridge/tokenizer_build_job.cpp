#include "app/bridge/tokenizer_build_job.h"

#include "engine/tasks/train_tokenizer.h"

#include <cstdio>

namespace embedlab {

void TrainTokenizerJob::run(Progress& progress) {
    tasks::TokenizerTrainOptions o;
    o.kind = p_.kind.toStdString();
    if (!p_.corpora.isEmpty()) o.input = p_.corpora.front().toStdString();
    for (qsizetype i = 1; i < p_.corpora.size(); ++i) o.moreInputs.push_back(p_.corpora[i].toStdString());
    o.lexiconDir = p_.lexicon.toStdString();
    o.vocabSize = p_.vocabSize;
    o.outDir = p_.outDir.toStdString();
    o.force = p_.replace;
    const tasks::TokenizerTrainResult r = tasks::trainTokenizer(o, progress);
    vocabSize = r.vocabSize;
    sentences = r.sentences;
    roots = r.roots;
    suffixGroups = r.suffixGroups;
    bpePieces = r.bpePieces;
    words = r.words;
    wordsParsed = r.wordsParsed;
    seconds = r.seconds;
    written = QString::fromStdString(r.modelPath);
}

std::string TrainTokenizerJob::summary() const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "%lld ids from %lld records", static_cast<long long>(vocabSize),
                  static_cast<long long>(sentences));
    return buf;
}

}  // namespace embedlab
