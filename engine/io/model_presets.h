// embedlab engine — named model configurations (Hugging Face config.json style) and randomly
// initialised Hugging Face model folders, for the four supported architectures:
//   gemma3 (Gemma3ForCausalLM, model_type gemma3_text), gpt2 (GPT2LMHeadModel),
//   bert (BertModel), xlm-roberta (XLMRobertaForMaskedLM).
// Weights are generated and written one tensor at a time, so a model needs little more memory than
// its largest tensor.
#pragma once

#include "engine/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

class Progress;

// ---- Presets and configs --------------------------------------------------------------------------

// gemma3-270m, gemma3-270m-tr, gpt2, bert-base, xlm-roberta-base.
std::vector<std::string> modelPresetNames();
// The config.json of a preset. Throws Error(BadInput) for an unknown name.
nlohmann::json modelPreset(const std::string& name);

// "gemma3", "gpt2", "bert" or "xlm-roberta", from `model_type` (falling back to `architectures`).
// Throws Error(BadInput) when the config is none of these.
std::string modelFamily(const nlohmann::json& config);

// Checks that the config describes a buildable model: positive sizes, heads dividing the hidden size,
// consistent Gemma layer_types, ... Throws Error(BadInput) with the offending field's name.
void validateModelConfig(const nlohmann::json& config);

// Every weight tensor the architecture stores, with Hugging Face key names and shapes (tied weights
// are not stored). dtype: "F32" or "BF16" ("F16" also works).
std::vector<SafeTensorSpec> modelWeightSpecs(const nlohmann::json& config, const std::string& dtype = "F32");

// The generation_config.json written next to a causal LM (empty object for encoders).
nlohmann::json generationConfigFor(const nlohmann::json& config);

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
