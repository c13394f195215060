#include "app/bridge/lens_job.h"

#include "app/bridge/model_session_p.h"
#include "engine/tasks/logit_lens.h"

namespace embedlab {

void LensJob::run(Progress& progress) {
    if (!session_) throw Error::badInput("no model is loaded");
    SessionLock lock(*session_);
    Model& model = *session_->model;
    const Tokenizer* tok = session_->tokenizer.get();
    if (!tok) throw Error::badInput("this model folder has no tokenizer, so the prompt cannot be encoded");
    tasks::LensOptions o;
    o.topK = p_.topK;
    o.interventions = Interventions::parse(p_.zeroHeads.trimmed().toStdString(), p_.skipLayers.trimmed().toStdString());
    o.ids = tok->encode(p_.prompt.toStdString(), p_.addSpecial).ids;
    const tasks::LensResult r = tasks::logitLens(model, o, progress);
    auto text = [tok](int64_t id) { return QString::fromStdString(tok->decode({id}, false)); };
    for (int64_t id : o.ids) tokens << text(id);
    for (const auto& layer : r.layers) {
        QVector<QVector<QPair<QString, double>>> positions;
        for (const auto& pos : layer) {
            QVector<QPair<QString, double>> t;
            for (const auto& x : pos) t.push_back({text(x.id), x.prob});
            positions.push_back(std::move(t));
        }
        top.push_back(std::move(positions));
    }
    for (double p : r.nextTokenProb) nextTokenProb.push_back(p);
    nextToken = text(r.finalToken);
}

std::string LensJob::summary() const {
    return std::to_string(tokens.size()) + " tokens through " + std::to_string(top.size()) + " layers";
}

}  // namespace embedlab
