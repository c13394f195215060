// embedlab engine — text generation with a causal LM and its KV cache.
//
// Greedy (temperature 0) or sampled (temperature, top-k, top-p) decoding, with a repetition penalty,
// EOS and stop-string stopping, a per-token callback, and per-step probabilities. Sampling is
// reproducible: an at::Generator seeded with `seed` drives every draw.
#pragma once

#include "engine/models/interventions.h"

#include "engine/jobs/progress.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab {

class Model;

struct TokenProb {
    int64_t id = 0;
    double prob = 0.0;
};

struct GenerationStep {
    int64_t id = 0;
    double prob = 0.0;            // probability of the chosen token (after penalty and temperature)
    std::vector<TokenProb> top;   // the topLogprobs most likely tokens of that distribution
};

struct GenerationOptions {
    int64_t maxNewTokens = 32;
    double temperature = 0.0;  // 0 = greedy
    int64_t topK = 0;          // 0 = off
    double topP = 1.0;         // 1 = off
    uint64_t seed = 0;
    double repetitionPenalty = 1.0;  // HF semantics: >1 discourages tokens already in prompt or output
    std::vector<int64_t> eosTokenIds;  // stop after producing one of these (it is kept in ids)
    std::vector<std::string> stopStrings;  // need `detokenize`
    std::function<std::string(const std::vector<int64_t>&)> detokenize;
    int64_t topLogprobs = 0;
    bool keepLogits = false;  // keep each step's raw logits (f32, CPU) in GenerationResult::stepLogits
    Interventions interventions;  // zeroed heads, skipped layers: every forward of the generation
    // Called after every token; return false to stop.
    std::function<bool(const GenerationStep&)> onToken;
    // generateBatch: called after every token of prompt `row` (instead of onToken when set); false
    // stops that row.
    std::function<bool(size_t row, const GenerationStep&)> onBatchToken;
};

struct GenerationResult {
    std::vector<int64_t> ids;  // new tokens only
    std::vector<GenerationStep> steps;
    std::string stopReason;    // "length", "eos", "stop_string", "callback", "max_positions"
    std::string text;          // detokenize(ids) when a detokenizer was given (cut before a stop string)
    int64_t promptTokens = 0;
    double prefillSeconds = 0.0, decodeSeconds = 0.0;
    double prefillTokensPerSecond = 0.0, decodeTokensPerSecond = 0.0;
    std::vector<at::Tensor> stepLogits;  // [vocab] per step, when keepLogits
    // generateBatch: rows in the batch at this prompt's last decode step (finished prompts leave the
    // batch once a quarter of it has finished); 0 for generate() and when no decode step ran.
    int64_t batchRowsLastStep = 0;
};

// Generates after one prompt (token ids, at least one). Throws Error(BadInput) for an encoder model,
// Error::cancelled() when `progress` is cancelled.
GenerationResult generate(Model& model, const std::vector<int64_t>& prompt, const GenerationOptions& options,
                          Progress& progress = nullProgress());
// One result per prompt, decoded together: one forward per step for the whole batch (prompts
// left-padded to the longest; the KV cache masks the padding). Row b samples with seed + b, so it
// produces what generate() gives for that prompt with that seed (up to the rounding of batched
// products). Rows stop on their own and leave the batch (a quarter at a time); prefill/decode seconds
// are the batch's.
std::vector<GenerationResult> generateBatch(Model& model, const std::vector<std::vector<int64_t>>& prompts,
                                            const GenerationOptions& options, Progress& progress = nullProgress());

}  // namespace embedlab
