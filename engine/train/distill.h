// embedlab engine — embedding distillation after a vocabulary transfer: the student (the transferred
// model, usually training its embeddings only) regresses its hidden state at a chosen layer onto the
// teacher's (the source model's) mean hidden state over the teacher tokens that spell the same bytes
// of the same text.
//
// Alignment: both tokenizers encode the text with offsets; each token's byte span is trimmed of white
// space ("▁kitap" and "kitap" both cover the bytes of "kitap"). A student token aligns with the
// contiguous run of teacher tokens whose trimmed spans lie inside its own and tile it exactly (no byte
// left over); tokens with an empty trimmed span (control tokens, a lone space) never align, nor does a
// student token that only part of a teacher token covers.
// Loss of a micro-batch (trainer objective "distill"): over its aligned pairs, mse = mean over pairs and
// dimensions of (s − t)², or cosine = mean of 1 − cos(s, t); s = the student's hidden state
// `layer` (Hugging Face's index: 0 = the embedding output) at the student token, t = the mean of the
// teacher's hidden state `layer` over the aligned teacher tokens (no gradient).
#pragma once

#include "engine/tokenizers/tokenizer.h"
#include "engine/train/train_data.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

class Model;
class Progress;

struct TokenAlignment {
    int32_t student = 0;                   // position in the student sequence
    int32_t teacherBegin = 0, teacherEnd = 0;  // [begin, end) in the teacher sequence
};

// Positions at or beyond studentLen / teacherLen (truncation) never align.
std::vector<TokenAlignment> alignTokenizations(const std::string& text, const Encoding& student, const Encoding& teacher,
                                               size_t studentLen, size_t teacherLen);

// A corpus encoded by both tokenizers (with their special tokens), truncated to seqLen each, with the
// alignments; lines without any aligned token are dropped. The held-out set: the last 5% of the lines
// when there are 40 or more (or every line of `evalPath` when given).
struct DistillCorpus {
    TokenPairs train, heldOut;  // first = student ids, second = teacher ids
    std::vector<std::vector<TokenAlignment>> trainAlign, heldOutAlign;
    int64_t alignedTokens = 0, studentTokens = 0;  // over the training lines
};
DistillCorpus prepareDistillCorpus(const std::string& path, const std::string& evalPath, const Tokenizer& student,
                                   const Tokenizer& teacher, int64_t seqLen, Progress& progress);

struct DistillLoss {
    at::Tensor loss;     // scalar (mean over pairs); undefined when the batch has no aligned pair
    int64_t pairs = 0;
};
// `aligns[i]` belongs to row i of both batches. The teacher runs without a graph.
DistillLoss distillLoss(Model& student, Model& teacher, const TokenBatch& studentBatch, const TokenBatch& teacherBatch,
                        const std::vector<const std::vector<TokenAlignment>*>& aligns, int64_t layer,
                        const std::string& kind);

}  // namespace embedlab
