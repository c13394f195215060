// embedlab engine — the Hugging Face weight layouts of the four architectures a model folder can be
// written in, from a config.json:
//   gemma3 (Gemma3ForCausalLM, model_type gemma3_text), gpt2 (GPT2LMHeadModel),
//   bert (BertModel), xlm-roberta (XLMRobertaForMaskedLM).
// Every stored tensor's key and shape (the tables behind `embedlab-cli init`), and the
// generation_config.json of a causal LM. A config is checked by the models' own parser and validator
// (engine/models/model_config.h) plus what a written folder needs beyond it.
#pragma once

#include "engine/io/safetensors.h"
#include "engine/models/model_config.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace embedlab {

// "gemma3", "gpt2", "bert" or "xlm-roberta", from `model_type` (falling back to `architectures`).
// Throws Error(BadInput) when the config is none of these (also for the multimodal Gemma 3,
// model_type "gemma3").
std::string modelFamily(const nlohmann::json& config);

// Parses and checks a config.json for writing: one of the four families (modelFamily), the models'
// own validation (parseModelConfig: positive sizes, heads dividing the hidden size, consistent Gemma
// layer types, ...), and what a written folder needs beyond it: GPT-2 with tied embeddings and
// special token ids inside the vocabulary. Throws Error(BadInput) naming the field ("config: ...").
ModelConfig parseWritableConfig(const nlohmann::json& config);

// "F32", "BF16" or "F16" for a weight dtype given as f32/float32/fp32, bf16/bfloat16, f16/float16/fp16
// (or already so). Throws Error(BadInput) for anything else.
std::string weightDtypeName(const std::string& dtype);

// Every weight tensor the architecture stores, with Hugging Face key names and shapes (tied weights
// are not stored). dtype: "F32" or "BF16" ("F16" also works). Checks the config (parseWritableConfig).
std::vector<SafeTensorSpec> modelWeightSpecs(const nlohmann::json& config, const std::string& dtype = "F32");

// The generation_config.json written next to a causal LM (empty object for encoders).
nlohmann::json generationConfigFor(const nlohmann::json& config);

}  // namespace embedlab
