// embedlab engine — sentence embeddings from any loaded model: pooling over a chosen hidden state.
//
// Inputs are sorted by length into batches (less padding), then results are put back in input order.
// Only the layers up to the requested one are run, and the LM head is never computed.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/embedding_options.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

class Model;
class Tokenizer;

// hidden [B, L, H], mask [B, L] (1 = token; undefined = all) → [B, H] float32.
// mean: sum(h·m)/sum(m); cls: position 0; last: the last position with mask 1; max: max over valid positions.
at::Tensor poolHidden(const at::Tensor& hidden, const at::Tensor& mask, Pooling pooling);

// Resolves EmbeddingOptions::layer to 0…numLayers. Throws Error(BadInput) when out of range.
int64_t resolveLayer(const Model& model, int64_t layer);

// One vector per sequence of ids: [N, hidden] float32 on the CPU.
at::Tensor embedIds(Model& model, const std::vector<std::vector<int64_t>>& ids, const EmbeddingOptions& options,
                    Progress& progress = nullProgress());
// Tokenizes each text with special tokens (the model's [CLS]/<s>/<bos> conventions) and embeds it.
at::Tensor embedTexts(Model& model, const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                      const EmbeddingOptions& options, Progress& progress = nullProgress());

}  // namespace embedlab
