// embedlab engine task — vocabulary transfer of a whole model: the single implementation behind
// `embedlab-cli transfer` and the app's Transfer view. Loads the source model and its tokenizer, matches
// the target tokenizer's vocabulary against it (engine/transfer/vocab_transfer.h), builds the input
// embeddings and — when untied — the LM head with their strategies, resizes vocabulary-sized biases
// (XLM-R's and BERT's MLM head) with the same sources, and writes a new Hugging Face folder: config.json
// with the new vocab_size and special-token ids, model.safetensors, the target tokenizer's files and
// transfer_report.json. The folder appears whole or not at all (written beside it, then renamed).
#pragma once

#include "engine/jobs/progress.h"
#include "engine/transfer/vocab_transfer.h"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>

namespace embedlab::tasks {

struct TransferTaskOptions {
    std::string sourceDir;              // a Hugging Face model folder
    std::string sourceTokenizer;        // "" = the source folder
    std::string targetTokenizer;        // tokenizer.json, .model, or a folder (also the seed format)
    TransferStrategy strategy = TransferStrategy::Mean;
    std::optional<TransferStrategy> headStrategy;  // an untied LM head; unset = the same strategy
    std::string auxVectors;             // focus / omp: vectors of the target tokens
    std::string corpus;                 // surface frequencies of many-form target ids
    int ompK = 8;
    uint64_t seed = 42;
    std::map<std::string, std::string> specialOverrides;  // target control token → source token
    bool allowVocabMismatch = false;    // a source model whose rows differ from its tokenizer
    int64_t padVocabTo = 0;             // round the new vocab_size up to a multiple (0 = none)
    std::string extraRows = "mean";     // rows beyond the target tokenizer: "mean" or "zero"
    bool force = false;                 // replace an existing output folder
    std::string outDir;
};

struct TransferTaskResult {
    nlohmann::json report;   // transfer_report.json (its summary also printed by the CLI)
    nlohmann::json summary;  // report["summary"]
    double seconds = 0, buildSeconds = 0;  // whole task; matching + building the rows only
    int64_t sourceVocab = 0, targetVocab = 0, hidden = 0;
};

// Throws Error(BadInput) for bad options or files (the output folder exists without force, vocabulary
// sizes disagree without allowVocabMismatch, aux vectors of no target token …), Error(Runtime) on I/O.
TransferTaskResult transferModel(const TransferTaskOptions& options, Progress& progress);

struct SourceNeighbor {
    int64_t id = 0;
    std::string token;
    double cosine = 0;
};
// The `k` source tokens whose input-embedding rows (in `sourceDir`) are nearest by cosine to target id
// `targetId`'s row in `modelDir` (a transferred or adapted model): what the new token means in the
// source's space. Throws Error(BadInput) for an id outside the model or hidden sizes that differ.
std::vector<SourceNeighbor> nearestSourceTokens(const std::string& sourceDir, const std::string& modelDir,
                                                int64_t targetId, int k = 10);

}  // namespace embedlab::tasks
