// embedlab engine — loading a Hugging Face model folder into a Model, with strict tensor checking.
//
// Every stored tensor must be expected (except known ignorable buffers: embeddings.position_ids,
// attn.bias, attn.masked_bias, and the vision tower of a Gemma3ForConditionalGeneration), every
// expected tensor must be present, with its exact shape. Problems throw Error(BadInput) naming the
// tensors. The body prefix is optional (bert., roberta., transformer., model., none;
// language_model. / model.language_model. for Gemma3ForConditionalGeneration).
// F32 weights used as f32 on the CPU are zero-copy views of the memory-mapped file; other cases convert.
#pragma once

#include "engine/models/model.h"

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

// name → shape of every required (canonical) tensor of a config; `optional` receives optional ones.
std::map<std::string, std::vector<int64_t>> expectedTensorShapes(
    const ModelConfig& config, std::map<std::string, std::vector<int64_t>>* optional = nullptr);

// Loads DIR (config.json + model.safetensors or a sharded index). Warnings (NaN weights, ignored
// tensors) are appended to `warnings` when given and are always available from Model::warnings().
std::unique_ptr<Model> loadModel(const std::string& dir, c10::Device device = c10::Device(c10::kCPU),
                                 c10::ScalarType dtype = c10::ScalarType::Float,
                                 std::vector<std::string>* warnings = nullptr);

// Builds a model from canonical-name weights (checked like loadModel, then converted).
std::unique_ptr<Model> createModel(const ModelConfig& config, std::map<std::string, at::Tensor> weights,
                                   c10::Device device = c10::Device(c10::kCPU),
                                   c10::ScalarType dtype = c10::ScalarType::Float);

// A model with random weights (N(0, std) matrices, unit norms, zero biases; reproducible from seed),
// for benchmarks, tests and `init`. Optional heads (pooler, MLM head) are included.
std::unique_ptr<Model> createRandomModel(const ModelConfig& config, uint64_t seed,
                                         c10::Device device = c10::Device(c10::kCPU),
                                         c10::ScalarType dtype = c10::ScalarType::Float, double stddev = 0.02);

}  // namespace embedlab
