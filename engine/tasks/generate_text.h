// embedlab engine task — text generation for one or more prompts with a causal LM: the single
// implementation behind `embedlab-cli generate` and the app's Generation panel (GenerateJob). It checks
// the model and the prompts, takes the stop tokens from the model folder (generation_config.json, else
// config.json) unless told not to, decodes one prompt alone or several together (one forward per step,
// engine/models/generation.h), and hands every new token to a callback as it comes.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/generation.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab {
class Model;
class Tokenizer;
}  // namespace embedlab

namespace embedlab::tasks {

struct GenerateTextOptions {
    // Sampling, penalties, stop strings, top alternatives, interventions. eosTokenIds, detokenize,
    // onToken and onBatchToken are set by the task.
    GenerationOptions generation;
    std::string modelDir;  // where generation_config.json may name the stop tokens ("" = config.json's)
    bool stopAtEos = true;  // false: the CLI's --no-eos
};

struct GenerateTextResult {
    std::vector<GenerationResult> results;  // one per prompt, in order
    std::vector<int64_t> eosTokenIds;       // the stop tokens used
};

// The ids of a text prompt. Throws Error(BadInput) without a tokenizer or when the text has no tokens.
std::vector<int64_t> encodePrompt(const Tokenizer* tokenizer, const std::string& text, bool addSpecial);

// Throws Error(BadInput) for an encoder, no prompt, an empty prompt, ids outside the vocabulary, stop
// strings without a tokenizer, or interventions beyond the model; Error(Cancelled) on cancel.
// `tokenizer` may be null (ids in and out; no text). `onToken(prompt, step)` runs on the calling thread
// after each new token; returning false stops that prompt.
GenerateTextResult generateText(Model& model, const Tokenizer* tokenizer, const std::vector<std::vector<int64_t>>& prompts,
                                const GenerateTextOptions& options, Progress& progress,
                                const std::function<bool(size_t prompt, const GenerationStep& step)>& onToken = {});

}  // namespace embedlab::tasks
