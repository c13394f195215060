// embedlab engine task — one evaluation run: a model (or precomputed vectors) on one task's data.
//
// The single implementation behind `embedlab-cli eval` and the app's Evaluation panel: reads the
// task's data, embeds its texts (or checks the given vectors' rows), computes the metrics and the
// compute figures (docs/evaluation.md). Stages report as children of `progress`; every stage stops
// within 200 ms of a cancel. Torch-free header: the app's bridge hands the result to ui/.
#pragma once

#include "engine/eval/compute.h"
#include "engine/eval/matrix.h"
#include "engine/jobs/progress.h"
#include "engine/models/embedding_options.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab {
class Model;
class Tokenizer;
}  // namespace embedlab

namespace embedlab::tasks {

// Where the sentence vectors come from: a model with its tokenizer, or precomputed rows (one per text,
// in the order of docs/evaluation.md). Perplexity needs a model.
struct EvalSubject {
    Model* model = nullptr;
    const Tokenizer* tokenizer = nullptr;
    std::string modelPath;
    const eval::Matrix* vectors = nullptr;
    std::string vectorsPath;
};

struct EvalOptions {
    std::string task;  // one of evalTasks()
    std::string data;  // file (folder for retrieval)
    EmbeddingOptions embed;
    double minScore = 0.0, maxScore = 5.0;        // sts: the gold scale
    uint64_t seed = 42;                            // clustering, classification, morph (bootstrap)
    int64_t samplesPerLabel = 0, experiments = 10;  // classification: MTEB's undersampling
    int64_t maxLength = 0, stride = 0;             // perplexity: window (0 = the model's) and stride
    std::string encoding = "auto";                 // perplexity data
    // Optional: sees (and may change) the sentence vectors of the embedding tasks before the metrics —
    // one matrix per run, rows in the order of docs/evaluation.md (the ablation studies keep them).
    std::function<void(eval::Matrix&)> onVectors;
};

struct EvalMetric {
    std::string name;
    double value = 0.0;
    bool integer = false;  // a count (written as a JSON integer)
};

struct EvalResult {
    std::string task, data;
    std::string main;                 // the task's main metric
    std::vector<EvalMetric> metrics;  // in display order
    nlohmann::json details = nlohmann::json::object();  // settings and facts (model, pooling, layer, encoding ...)
    std::string settings;             // one line for people: "mean · layer 2 · normalized"
    eval::ComputeFigures compute;

    double metric(const std::string& name, double fallback = 0.0) const;
    double mainValue() const { return metric(main); }
};

// "sts", "bitext", "retrieval", "clustering", "classification", "perplexity", "morph" (the model's
// tokenizer on a gold treebank: boundary hit, root intact, tokens per word).
const std::vector<std::string>& evalTasks();
std::string evalMainMetric(const std::string& task);

// Throws Error(BadInput) for an unknown task, missing or malformed data, a subject that cannot do the
// task; Error(Cancelled) on cancel.
EvalResult evaluate(const EvalSubject& subject, const EvalOptions& options, Progress& progress);

// The result as `embedlab-cli eval` prints it (docs/evaluation.md; shared/design/cli.md).
nlohmann::json toJson(const EvalResult& result);

}  // namespace embedlab::tasks
