#include "engine/tasks/logit_lens.h"

#include "engine/core/error.h"
#include "engine/models/model.h"

#include <ATen/ATen.h>

namespace embedlab::tasks {

LensResult logitLens(Model& model, const LensOptions& o, Progress& progress) {
    auto* lm = dynamic_cast<CausalLm*>(&model);
    if (!lm)
        throw Error::badInput(std::string("lens needs a causal LM (Gemma 3, GPT-2): ") + architectureName(model.config().arch) +
                              " has no LM head to read layers through");
    if (o.ids.empty()) throw Error::badInput("lens: the prompt has no tokens");
    if (o.topK < 1) throw Error::badInput("lens: --top must be ≥ 1");
    const int64_t L = model.config().numLayers, V = model.config().vocabSize;
    const int64_t k = std::min(o.topK, V);
    at::InferenceMode guard;
    ForwardOptions fo;
    fo.hiddenStates = true;
    fo.logits = true;
    fo.interventions = o.interventions;
    progress.report(0.1, "forward");
    const at::Tensor ids = at::tensor(o.ids, at::TensorOptions().dtype(at::kLong)).view({1, -1});
    ForwardOutput out = model.forward(ids, at::Tensor(), at::Tensor(), fo);
    if (static_cast<int64_t>(out.hiddenStates.size()) != L + 1)
        throw Error::runtime("lens: the forward returned " + std::to_string(out.hiddenStates.size()) + " hidden states");
    LensResult r;
    std::vector<at::Tensor> probs;  // [T, V] f32 per layer
    for (int64_t l = 0; l <= L; ++l) {
        progress.checkCancelled();
        progress.report(0.1 + 0.8 * double(l) / double(L + 1), "layer " + std::to_string(l));
        at::Tensor logits = l < L ? lm->readout(out.hiddenStates[static_cast<size_t>(l)]) : out.logits;
        at::Tensor p = at::softmax(logits.to(at::kCPU, at::kFloat).reshape({-1, V}), -1);
        auto [vals, idx] = at::topk(p, k, -1);
        const auto va = vals.accessor<float, 2>();
        const auto ia = idx.accessor<int64_t, 2>();
        std::vector<std::vector<LensToken>> positions(static_cast<size_t>(p.size(0)));
        for (int64_t t = 0; t < p.size(0); ++t)
            for (int64_t j = 0; j < k; ++j) positions[static_cast<size_t>(t)].push_back({ia[t][j], va[t][j]});
        r.layers.push_back(std::move(positions));
        probs.push_back(p.select(0, p.size(0) - 1).clone());  // a copy: a view would keep [T, V] alive per layer
    }
    r.finalToken = r.layers.back().back().front().id;
    for (const at::Tensor& p : probs) r.nextTokenProb.push_back(p[r.finalToken].item<float>());
    progress.report(1.0, "done");
    return r;
}

}  // namespace embedlab::tasks
