// embedlab engine — randomly initialised Hugging Face model folders (`embedlab-cli init`), in the
// layouts of engine/models/weight_layout.h. Weights are generated and written one tensor at a time, so
// a model needs little more memory than its largest tensor.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

class Progress;

struct RandomModelSummary {
    std::string path;        // the output folder
    uint64_t parameters = 0; // stored parameters (tied weights counted once)
    uint64_t bytes = 0;      // model.safetensors file size
    std::vector<std::string> files;
};

// Writes a Hugging Face folder: config.json (with torch_dtype), generation_config.json for causal LMs,
// model.safetensors. dtype "f32" or "bf16" (also "float32"/"bfloat16"). Matrices and embeddings are
// drawn from normal(0, initializer_range) (default 0.02), biases are zero, LayerNorm weights one,
// Gemma RMSNorm weights zero (Gemma applies 1 + w). Each tensor has its own generator seeded from
// (seed, tensor name), so a tensor's values depend only on the seed, its name and its shape.
// Creates `outDir` if needed. Throws Error(BadInput) for an invalid config, Error(Runtime) on I/O.
RandomModelSummary writeRandomModel(const nlohmann::json& config, const std::string& outDir, uint64_t seed,
                                    const std::string& dtype = "f32", Progress* progress = nullptr);

}  // namespace embedlab
