// embedlab engine — perplexity of a causal LM on held-out text, with a sliding window (as the
// Hugging Face "Perplexity of fixed-length models" guide): windows of at most maxLength tokens start
// every `stride` tokens; each window scores only the tokens not scored by the previous one (the rest
// is context). A token is scored only with at least one token of context inside its window: the
// first token of the text is never scored, nor (when stride = maxLength) the first of each window —
// the same tokens Hugging Face's label shift drops. perplexity = exp(Σ NLL / scored tokens).
//
// The text: each non-blank line of the input is tokenized without special tokens, followed by the
// tokenization of "\n"; the lines are concatenated, with the tokenizer's BOS in front when it has one.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/interventions.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {
class Model;
class Tokenizer;
}  // namespace embedlab

namespace embedlab::eval {

struct PerplexityOptions {
    int64_t maxLength = 0;  // 0 = the model's position limit (GPT-2) or 1024 (Gemma), capped at 1024
    int64_t stride = 0;     // 0 = maxLength / 2
    bool addBos = true;     // prepend the tokenizer's BOS id when it has one
    Interventions interventions;  // applied to every window's forward
};

struct PerplexityResult {
    double perplexity = 0;
    double meanNll = 0;       // nats per scored token
    int64_t tokens = 0;       // scored tokens
    int64_t inputTokens = 0;  // tokens in the text (incl. BOS)
    int64_t windows = 0;
    int64_t maxLength = 0, stride = 0;
    // evaluatePerplexity: the text's characters (code points of the non-blank lines, + 1 per newline) and
    // bits per character = Σ NLL / ln 2 / chars — comparable across tokenizers, unlike perplexity. (Without
    // a BOS the text's first token is context only, so its bits are not counted.)
    int64_t chars = 0;
    double bitsPerChar = 0;
};

// Perplexity of the id sequence (at least 2 ids).
PerplexityResult perplexityOfIds(Model& model, const std::vector<int64_t>& ids, const PerplexityOptions& options,
                                 Progress& progress = nullProgress());
// Tokenizes `lines` as described above and scores them.
PerplexityResult evaluatePerplexity(Model& model, const Tokenizer& tokenizer, const std::vector<std::string>& lines,
                                    const PerplexityOptions& options, Progress& progress = nullProgress());

}  // namespace embedlab::eval
