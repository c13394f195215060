// embedlab engine — the settings of a sentence embedding (pooling, layer, normalisation, batching).
// Torch-free, so that task options and the app's bridge can carry them (engine/models/embedding.h).
#pragma once

#include "engine/models/interventions.h"

#include <cstdint>
#include <string>

namespace embedlab {

enum class Pooling { Mean, Cls, Last, Max };
// "mean" | "cls" | "last" | "max"; throws Error(BadInput) otherwise.
Pooling parsePooling(const std::string& name);
const char* poolingName(Pooling p);

struct EmbeddingOptions {
    Pooling pooling = Pooling::Mean;
    // Hidden state to read: 0 = embedding output … numLayers (the last, post-norm for decoders);
    // negative counts from the end (-1 = last).
    int64_t layer = -1;
    bool normalize = false;  // L2-normalise each vector
    int64_t batchSize = 32;
    int64_t maxLength = 0;   // truncate longer inputs (0 = the model's position limit, if any)
    Interventions interventions;  // zeroed / mean-replaced heads, skipped layers (none: the plain forward)
};

}  // namespace embedlab
