// embedlab app — engine jobs for the Models panel and the Generation view, in Qt value types.
//
// A ModelSession holds a loaded model (and the tokenizer found in its folder, if any). It is used
// only on the engine thread, by the jobs below; the UI keeps the shared pointer and reads the
// ModelInfo that each job hands back. Torch-free header.
#pragma once

#include "engine/jobs/job.h"

#include <QString>
#include <QStringList>
#include <QVector>

#include <functional>
#include <memory>

namespace embedlab {

class ModelSession;
using ModelSessionPtr = std::shared_ptr<ModelSession>;

struct ModelInfo {
    QString path, name;
    QString architecture;  // "gemma3", "gpt2", "bert", "xlm-roberta"
    QString modelType;     // config model_type
    int layers = 0, hidden = 0, heads = 0, kvHeads = 0, vocab = 0, intermediate = 0;
    qint64 paramsEmbedding = 0, paramsBody = 0, paramsLmHead = 0;
    qint64 weightBytes = 0;
    QString device, dtype;
    bool causal = false, tiedHead = false;
    QString tokenizer;  // tokenizer kind and name, "" when the folder has none
    QStringList warnings;
    double loadSeconds = 0;
};

class LoadModelJob : public Job {
public:
    LoadModelJob(QString path, QString device, QString dtype);
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;

    ModelSessionPtr session;  // results
    ModelInfo info;

private:
    QString path_, device_, dtype_;
};

// Moves a loaded model to another device and/or dtype without rereading the disk.
class MoveModelJob : public Job {
public:
    MoveModelJob(ModelSessionPtr session, QString device, QString dtype);
    std::string name() const override;
    void run(Progress& progress) override;
    ModelInfo info;

private:
    ModelSessionPtr session_;
    QString device_, dtype_;
};

struct GenerationParams {
    int maxNewTokens = 32;
    double temperature = 0.8;
    int topK = 40;
    double topP = 0.95;
    quint64 seed = 0;
    double repetitionPenalty = 1.0;
    int topAlternatives = 5;
    bool addSpecial = true;
    QStringList stopStrings;
    QString zeroHeads;   // interventions, as the CLI's --zero-heads "L:H,..." ("" = none)
    QString skipLayers;  // --skip-layers "L,..."
};

struct GeneratedToken {
    int prompt = 0;  // index into the prompts
    qint64 id = 0;
    QString text;    // the token's text as it appears in the output
    double prob = 0;
    QVector<QPair<QString, double>> alternatives;  // top-K (token text, probability)
};

struct GenerationOutput {
    QString prompt, text, stopReason;
    int promptTokens = 0, newTokens = 0;
    double prefillTokensPerSecond = 0, decodeTokensPerSecond = 0;
};

// Generates for one or more prompts; onToken runs on the engine thread for every new token (the
// view forwards it to the UI thread with a queued call).
class GenerateJob : public Job {
public:
    GenerateJob(ModelSessionPtr session, QStringList prompts, GenerationParams params,
                std::function<void(const GeneratedToken&)> onToken);
    std::string name() const override;
    void run(Progress& progress) override;
    std::string summary() const override;
    QVector<GenerationOutput> outputs;

private:
    ModelSessionPtr session_;
    QStringList prompts_;
    GenerationParams params_;
    std::function<void(const GeneratedToken&)> onToken_;
};

}  // namespace embedlab
