// embedlab engine task — the logit lens (issue #15; `embedlab-cli lens`): a causal LM's hidden state
// after each layer read through its own readout (final norm, LM head, final soft-cap), so that one sees
// which next token each layer already predicts. Layer l < L reads hidden_states.l (0 = the embedding
// output); layer L is the model's own logits. With interventions (zeroed heads, skipped layers) the
// hidden states are those of the intervened forward.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/interventions.h"

#include <cstdint>
#include <vector>

namespace embedlab {
class Model;
}

namespace embedlab::tasks {

struct LensOptions {
    std::vector<int64_t> ids;  // the prompt
    int64_t topK = 5;
    Interventions interventions;
};

struct LensToken {
    int64_t id = 0;
    double prob = 0;
};

struct LensResult {
    // layers[l][position]: the top-k tokens (probability, descending), l = 0 … L.
    std::vector<std::vector<std::vector<LensToken>>> layers;
    // nextTokenProb[l]: at the last position, the probability layer l gives to the token layer L ranks first.
    std::vector<double> nextTokenProb;
    int64_t finalToken = -1;  // that token
};

// Throws Error(BadInput) for an encoder, an empty prompt, top-k < 1 or bad interventions.
LensResult logitLens(Model& model, const LensOptions& options, Progress& progress);

}  // namespace embedlab::tasks
