// embedlab app — the engine job of the Logit lens view: tasks::logitLens (the task `embedlab-cli lens`
// runs) on a loaded causal LM, with optional interventions. Torch-free header.
#pragma once

#include "app/bridge/model_jobs.h"
#include "engine/jobs/job.h"

#include <QPair>
#include <QString>
#include <QStringList>
#include <QVector>

namespace embedlab {

struct LensParams {
    QString prompt;
    int topK = 5;
    QString zeroHeads;   // "L:H,..." ("" = none)
    QString skipLayers;  // "L,..."
    bool addSpecial = false;
};

class LensJob : public Job {
public:
    LensJob(ModelSessionPtr session, LensParams params) : session_(std::move(session)), p_(std::move(params)) {}
    std::string name() const override { return "Logit lens"; }
    const LensParams& params() const { return p_; }
    void run(Progress& progress) override;
    std::string summary() const override;

    QStringList tokens;  // the prompt's tokens (their text)
    // top[layer][position]: (token text, probability), most probable first; layer 0 … L.
    QVector<QVector<QVector<QPair<QString, double>>>> top;
    QVector<double> nextTokenProb;  // per layer
    QString nextToken;

private:
    ModelSessionPtr session_;
    LensParams p_;
};

}  // namespace embedlab
