// embedlab engine task — an ablation study (issue #15): one model, one kind of change swept over its
// settings, the chosen evaluation metrics for each, with memory and speed. The single implementation
// behind `embedlab-cli ablate --study FILE.json --out DIR` and the app's Ablation view.
//
// Study types (docs/ablation.md has the file format and what each figure means):
//   dimensions  the output vectors: prefix truncation (Matryoshka), drop or zero column ranges, random
//               subsets (seeded), the top-k PCA components (fitted on the evaluated vectors)
//   precision   f32 → bf16 → int8 (per-row scale) → binary, of the output vectors or of the input
//               embedding matrix (quantised and dequantised: the quality of the stored bytes)
//   layers      skip layer l (the identity), or read the sentence vectors from hidden state l
//   heads       zero or mean-replace head h of layer l, every (l, h) of a grid (means: over every real
//               token of the baseline's forwards)
//   tokens      zero or mean-replace chosen rows of the input embedding matrix
//   vocabulary  keep the N most frequent tokens of a corpus (special tokens always kept); every other
//               row becomes the unknown token's row or its nearest kept row (cosine)
// Row 0 is always the baseline (no change). Deterministic for a seed (the figures, not the timings).
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/embedding_options.h"
#include "engine/tasks/evaluate.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab::tasks {

struct StudyMetric {
    std::string name;  // the column prefix ("sts", or the file's "name"): "sts.spearman"
    EvalOptions options;
};

struct AblationStudy {
    std::string model, tokenizer;  // paths (tokenizer "" = the model folder's)
    std::string device = "cpu", dtype = "f32";
    std::string type;              // see above
    nlohmann::json params = nlohmann::json::object();  // the type's own block, checked
    std::vector<StudyMetric> metrics;
    EmbeddingOptions embed;
    uint64_t seed = 42;
    std::string samplePrompt;      // causal LMs: a greedy sample per setting ("" = none)
    int64_t sampleTokens = 24;
    double maxSeconds = 12 * 3600.0;  // the sweep is refused when its estimate is larger
    int64_t maxMemoryBytes = 0;       // 0 = the memory available when the study starts
};

const std::vector<std::string>& ablationTypes();

// From a study file's JSON; relative paths are taken from `baseDir`. Throws Error(BadInput) naming
// every unknown field (with where it is), a missing required field, or a value out of range.
AblationStudy parseStudy(const nlohmann::json& j, const std::string& baseDir);
AblationStudy readStudy(const std::string& path);
// The study as a file holds it (paths as given); parseStudy(studyToJson(s), "") == s.
nlohmann::json studyToJson(const AblationStudy& s);

struct AblationRow {
    int64_t index = 0;             // 0 = baseline
    std::string setting;           // "baseline", "layer 3 head 1", "prefix 64", "int8" ...
    nlohmann::json params = nlohmann::json::object();  // the setting's coordinates (layer, head, dims, bits, keep ...)
    std::vector<std::pair<std::string, double>> metrics;  // "sts.spearman" → value, in the metrics' order
    int64_t memoryBytes = 0;       // what the setting stores: vectors, the embedding matrix or the weights
    double seconds = 0.0;          // wall time of this setting's metrics
    double sentencesPerSecond = 0.0;
    std::string sample;            // the generation sample, when asked
    double metric(const std::string& key, double fallback) const;
};

struct AblationEstimate {
    int64_t settings = 0;
    double seconds = 0.0;          // the whole sweep (from the baseline's time)
    int64_t memoryBytes = 0;       // peak, estimated
};

struct AblationResult {
    AblationStudy study;
    std::vector<std::string> metricKeys;  // every "name.metric" column, in order
    std::vector<std::string> mainKeys;    // each metric's main column ("sts.spearman")
    std::vector<AblationRow> rows;        // rows[0] = baseline
    AblationEstimate estimate;
    nlohmann::json model = nlohmann::json::object();  // path, architecture, layers, heads, hidden, vocab, tied
    double seconds = 0.0;
};

// The settings a study sweeps (the baseline not included), for estimates and the view's preview.
// Needs the model's shape: layers, heads, hidden size, vocabulary.
struct ModelShape {
    int64_t layers = 0, heads = 0, hidden = 0, vocab = 0;
    bool causal = false;
};
std::vector<std::string> ablationSettingNames(const AblationStudy& study, const ModelShape& shape);

// Runs the baseline, estimates the sweep and refuses it (Error(BadInput) with the numbers) when it
// would pass the study's time or memory budget, then runs every setting, handing each row to `onRow`
// as soon as it is done (baseline first). Error(Cancelled) on cancel; the rows done so far reached
// onRow. The model's weights are restored after each setting.
AblationResult runAblation(const AblationStudy& study, Progress& progress,
                           const std::function<void(const AblationRow&, const AblationResult&)>& onRow = {});

nlohmann::json toJson(const AblationRow& row, const AblationResult& result);
nlohmann::json toJson(const AblationResult& result);
std::string toCsv(const AblationResult& result);
// DIR/results.json, DIR/results.csv and the charts (chart.svg: each main metric against the swept
// coordinate; heads: heads_heatmap.svg, the change of the first main metric), written atomically.
// Returns the files written.
std::vector<std::string> writeAblationOutputs(const AblationResult& result, const std::string& dir);

}  // namespace embedlab::tasks
