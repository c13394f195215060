// embedlab engine — the training loop: objectives (causal LM, masked LM, contrastive sentence
// embeddings with optional Matryoshka dimensions), gradient accumulation, clipping, the optimizer and
// schedule, held-out evaluation, sample generations, checkpoints with exact resume, and the JSONL log.
//
// Conventions (the CLI contract, ../shared/design/cli.md `train`):
// - lm: the loss is the mean cross-entropy over every next-token prediction at non-padding positions of
//   the step's micro-batches together (token mean over the global batch, Hugging Face's shift).
// - mlm: 15% of the real, non-special tokens of each sequence (at least one) are predicted; of those
//   80% become the mask token, 10% a random token, 10% stay. The draw depends only on (seed, micro-batch
//   index), so a resumed run masks what the uninterrupted one did. Loss: token mean over predictions.
// - contrastive: in-batch negatives; symmetric InfoNCE over L2-normalised pooled embeddings with
//   temperature τ (fixed, or learnable as log(1/τ)); with Matryoshka dimensions the mean of the losses
//   on each prefix of the embedding. A step's loss is the mean over its micro-batches.
// - distill: the student regresses its hidden state `distillLayer` onto a frozen teacher's over aligned
//   tokens of the same text (engine/train/distill.h); a step's loss is the mean over its micro-batches.
// - Micro-batch j = step·K + m takes the rows batchRows(j, …) (train_data.h).
// - Checkpoints DIR/checkpoint-STEP/: a Hugging Face folder + optimizer.safetensors + trainer_state.json
//   (step, options, log so far), written to DIR/.checkpoint-STEP.partial and renamed; the previous one
//   stays until the new one is complete; the last `keep` are kept. Resuming restores the weights,
//   the optimizer moments and the log, and draws the same batches: the loss curve continues bit for
//   bit on the same thread count.
#pragma once

#include "engine/models/model_config.h"
#include "engine/train/distill.h"
#include "engine/train/optimizer.h"
#include "engine/train/parameters.h"
#include "engine/train/schedule.h"
#include "engine/train/train_data.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace embedlab {

class Collective;
class Model;
class Progress;
class Tokenizer;

struct TrainerOptions {
    std::string objective = "lm";  // lm | mlm | contrastive | distill
    int64_t steps = 100;
    int64_t batchSize = 8;
    int64_t seqLen = 128;
    int64_t gradAccum = 1;
    OptimizerOptions optimizer;
    LrSchedule schedule;  // baseLr, warmup, kind (totalSteps = steps)
    double clip = 1.0;    // 0 = off
    std::string train = "all";
    bool shuffle = true;
    uint64_t seed = 42;
    std::string dtype = "f32";  // f32 | bf16 (bf16 autocast compute, f32 master weights)
    // contrastive
    std::string pooling = "mean";  // mean | cls | last
    double temperature = 0.05;
    bool learnTemperature = false;
    std::vector<int64_t> matryoshka;
    // mlm
    double maskProbability = 0.15;
    // distill
    int64_t distillLayer = -1;        // hidden state index (0 = embedding output); -1 = the last
    std::string distillLoss = "mse";  // mse | cosine
    // evaluation, samples, checkpoints, log
    int64_t evalEvery = 0;      // 0 = only at the end (when there is held-out data)
    int64_t sampleEvery = 0;    // causal LMs: a sample generation every N steps (0 = none)
    std::vector<int64_t> samplePrompt;  // ids; empty = the tokenizer's BOS, else the first held-out tokens
    int64_t sampleTokens = 24;
    int64_t saveEvery = 0;      // 0 = only the final model
    int64_t keep = 2;
    std::string outDir;
    std::string logPath;        // JSONL (optional)
    std::string resumeDir;      // continue from its latest checkpoint
};

// What the trainer needs besides the model.
struct TrainerData {
    TokenSequences train, heldOut;  // lm / mlm
    TokenPairs trainPairs, heldOutPairs;  // contrastive; distill: first = student ids, second = teacher ids
    // distill: the frozen teacher, its pad id, and each pair's alignment (index-parallel to the pairs)
    Model* teacher = nullptr;
    int64_t teacherPadId = 0;
    std::vector<std::vector<TokenAlignment>> trainAlign, heldOutAlign;
    double tokensPerChar = 0.0;  // for bits per character (0 = unknown)
    int64_t padId = 0;
    std::optional<int64_t> maskId;  // mlm
    std::vector<int64_t> specialIds;  // never masked
    nlohmann::json configJson;  // written into checkpoints
    std::string tokenizerDir;   // its files are copied into checkpoints
    const Tokenizer* tokenizer = nullptr;  // detokenises samples (optional)
    std::string dataDescription;  // recorded in trainer_state.json
    // Data parallel (lm, mlm): this process's group, or null for one process. Rank r of W trains on
    // rows r·B … r·B+B−1 of each micro-batch of W·B rows (drawn as one process with batch W·B would);
    // the loss is divided by the global batch's count, the gradients summed over the ranks in buckets,
    // so W ranks with batch B take the steps one process with batch W·B takes. Every rank holds the
    // whole data and the same model (checked by checksums at the start); rank 0 alone evaluates,
    // samples, writes the log, the checkpoints and the final folder. Resuming needs the same W.
    Collective* collective = nullptr;
};

struct TrainLogLine {
    nlohmann::json json;  // one JSONL object
};

struct TrainResult {
    int64_t steps = 0;           // optimizer steps done in total (incl. before a resume)
    int64_t resumedFrom = 0;     // 0 = a fresh run
    double finalLoss = 0.0;
    std::optional<double> evalLoss, evalPpl, evalBpc;
    double tokensPerSecond = 0.0;  // this run's (resumed part only)
    double seconds = 0.0;
    int64_t tokens = 0;
    std::vector<nlohmann::json> log;  // every line (incl. those restored on resume)
    std::vector<std::string> samples;
    std::string outDir;
};

// The masked-LM inputs of micro-batch j (its masks drawn from (seed, j)): ids with the 80/10/10
// replacement, labels = the original id at predicted positions and -100 elsewhere.
struct MlmBatch {
    at::Tensor ids, mask, labels;
    int64_t predictions = 0;
};
MlmBatch maskForMlm(const TokenBatch& batch, int64_t microBatch, const TrainerOptions& options, const TrainerData& data,
                    int64_t vocabSize);

// What a run will need, from the config alone (before any weight is allocated): parameters, memory
// (weights, gradients, optimizer moments, activations) and time per step (6 · parameters · tokens
// floating-point operations, plus attention, at the speed of an f32 matrix product measured here).
struct TrainingEstimate {
    int64_t parameters = 0, trainable = 0;
    double weightBytes = 0, gradientBytes = 0, optimizerBytes = 0, activationBytes = 0;
    double totalBytes() const { return weightBytes + gradientBytes + optimizerBytes + activationBytes; }
    double availableBytes = 0;  // MemAvailable (CPU); 0 = unknown (other devices)
    bool fits() const { return availableBytes <= 0 || totalBytes() <= 0.9 * availableBytes; }
    double tokensPerStep = 0, flopsPerStep = 0;
    double measuredGflops = 0;  // f32 products on this device, measured in ~50 ms
    double secondsPerStep() const { return measuredGflops > 0 ? flopsPerStep / (measuredGflops * 1e9) : 0.0; }
    std::string describe() const;  // "1234 MB (weights …, gradients …, optimizer …, activations …)"
};
TrainingEstimate estimateTraining(const ModelConfig& config, const TrainerOptions& options, bool measureSpeed = false);

// Trains `model` (made trainable here) in place and writes options.outDir. Throws Error(BadInput) for
// bad options or data, Error(Runtime) for a NaN/Inf loss (the last checkpoint stays) or I/O,
// Error::cancelled() when cancelled (the last checkpoint stays). Metrics go to progress.metric():
// loss, lr, grad_norm, tokens_per_second, eval_loss, eval_ppl; log lines (checkpoints, samples) to
// progress.log().
TrainResult runTraining(Model& model, const TrainerOptions& options, const TrainerData& data, Progress& progress);

// The latest complete checkpoint folder in DIR ("" when none).
std::string latestCheckpoint(const std::string& dir);
// What `--resume PATH` continues from: PATH's latest checkpoint-N, or PATH itself when it is a
// checkpoint folder. "" when neither.
std::string resolveCheckpoint(const std::string& path);
// Removes what runs killed while writing checkpoints in PATH (a run folder, or a checkpoint-N inside
// one) left: partial folders and links of dead writers; puts a step's .old folder back when its new
// version is missing. Called before a resume picks its checkpoint.
void clearDeadCheckpointWriters(const std::string& path);
// For a message about a damaged checkpoint: "; the checkpoint before it is P (--resume P)", or
// "; there is no earlier checkpoint" ("" when `checkpoint` is not a checkpoint-N folder).
std::string previousCheckpointHint(const std::string& checkpoint);

}  // namespace embedlab
