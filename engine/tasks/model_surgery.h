// embedlab engine task — model surgery: the single implementation behind `embedlab-cli surgery` and the
// app's Transfer view. Keeps chosen layers (renumbered in order; Gemma's layer types follow them), and
// prunes the vocabulary to the tokens a corpus uses (with the ids every text needs: control, byte and
// one-character tokens, BPE merge parts): embedding rows, an untied head and vocabulary-sized biases are
// sliced, ids remapped, the tokenizer files rewritten consistently (engine/tokenizers/tokenizer_pruning.h).
// Parameter and memory accounting before and after. The output folder appears whole or not at all.
#pragma once

#include "engine/jobs/progress.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::tasks {

struct SurgeryOptions {
    std::string modelDir;
    std::string keepLayers;   // "0-3", "0,2,5", "" = all
    std::string pruneCorpus;  // "" = keep the vocabulary
    int64_t minCount = 1;     // a token is kept when the corpus uses it at least this often
    bool force = false;
    std::string outDir;
};

struct SurgeryResult {
    int64_t paramsBefore = 0, paramsAfter = 0, bytesBefore = 0, bytesAfter = 0;
    int64_t vocabBefore = 0, vocabAfter = 0, layersBefore = 0, layersAfter = 0;
    int64_t embeddingParamsBefore = 0, embeddingParamsAfter = 0;
    std::vector<int64_t> keptLayers;
    int64_t corpusTokens = 0;  // tokens counted in the pruning corpus
    double seconds = 0;
    nlohmann::json toJson() const;  // the contract's fields and the rest
};

// Parses "0-3", "0,2,5", "1-2,5" against a model of `numLayers`. Throws Error(BadInput).
std::vector<int64_t> parseLayerList(const std::string& spec, int64_t numLayers);

// Throws Error(BadInput) for bad options (an existing output without force, a layer out of range, a
// tokenizer that cannot be rewritten), Error(Runtime) on I/O.
SurgeryResult modelSurgery(const SurgeryOptions& options, Progress& progress);

}  // namespace embedlab::tasks
