// embedlab engine task — train a model: the single implementation behind `embedlab-cli train
// lm|mlm|contrastive` and the app's Training view. Resolves the model (a folder, a preset or a
// config.json, randomly initialised; or the latest checkpoint of a run being resumed), the tokenizer,
// and the data (an ids file, or a corpus tokenised through the cache), then runs the trainer
// (engine/train/trainer.h) and returns its result.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/train/trainer.h"

#include <memory>
#include <string>

namespace embedlab {
class Collective;
class Model;
}

namespace embedlab::tasks {

struct TrainTaskOptions {
    TrainerOptions trainer;  // objective, steps, optimizer …, outDir, logPath, resumeDir
    // The model: exactly one of modelDir, preset, initConfig (ignored when resuming).
    std::string modelDir, preset, initConfig;
    std::string tokenizerPath;  // "" = the model folder (or the checkpoint's copy)
    // The data: dataPath (a corpus; contrastive: anchor<TAB>positive lines) or idsPath (comma-separated
    // ids per line; contrastive: ids<TAB>ids). evalDataPath: the held-out set in the same form.
    std::string dataPath, idsPath, evalDataPath;
    int64_t maskId = -1;  // mlm: the mask token's id when no tokenizer names one (-1 = the tokenizer's)
    // distill: the teacher (the source model of a transfer) and its tokenizer ("" = the teacher folder's)
    std::string teacherDir, teacherTokenizer;
    std::string device = "cpu";
    std::string cacheDir;  // token cache ("" = the default, train_data.h)
    Collective* collective = nullptr;  // data parallel (lm, mlm): this rank's group (TrainerData::collective)
};

struct TrainTaskResult {
    TrainResult train;
    std::string modelSource;  // what was trained: the folder, "preset NAME", "config FILE", or the checkpoint
    int64_t parameters = 0, trainable = 0;
    int64_t trainSequences = 0, heldOutSequences = 0;
    TrainingEstimate estimate;
    bool tokensFromCache = false;
};

// Throws Error(BadInput) for bad options, data or checkpoints, Error(Runtime) for a failure while
// training (NaN loss, disk full, out of memory), Error::cancelled() when cancelled.
TrainTaskResult trainModel(const TrainTaskOptions& options, Progress& progress);

// The estimate for a run (from the model's config.json, the preset, the config file or the
// checkpoint), measuring this machine's product speed: for the Training view, before it starts.
TrainingEstimate estimateTrainingRun(const TrainTaskOptions& options);

// The model a TrainTaskOptions describes, loaded or randomly initialised (f32, on the device), with
// its config.json — for the Training view's memory estimate before a run starts.
std::unique_ptr<Model> modelForTraining(const TrainTaskOptions& options, nlohmann::json* config, std::string* source);

}  // namespace embedlab::tasks
