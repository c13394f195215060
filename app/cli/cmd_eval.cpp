// `embedlab-cli eval (sts|bitext|retrieval|clustering|classification|perplexity)`: MTEB-style metrics
// of sentence embeddings from a model (or precomputed vectors), and perplexity of a causal LM.
// Data formats and metric definitions: docs/evaluation.md.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/eval/matrix.h"
#include "engine/io/npy.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/evaluate.h"
#include "engine/tokenizers/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <memory>

namespace embedlab::cli {
namespace {

// Reads the flags into the engine task's options; the task itself (engine/tasks/evaluate.h) is the
// same one the app's Evaluation panel runs.
int runEval(Args& a) {
    if (a.positional.size() != 1)
        throw UsageError("name one task: sts, bitext, retrieval, clustering, classification, perplexity or morph");
    tasks::EvalOptions o;
    o.task = a.positional[0];
    const auto& known = tasks::evalTasks();
    if (std::find(known.begin(), known.end(), o.task) == known.end())
        throw UsageError("unknown task '" + o.task +
                         "': sts, bitext, retrieval, clustering, classification, perplexity or morph");
    o.data = a.require("data");
    o.embed.pooling = parsePooling(a.get("pooling", "mean"));
    o.embed.layer = a.getInt("layer", -1);
    o.embed.normalize = a.has("normalize");
    o.embed.batchSize = a.getInt("batch-size", 32);
    o.embed.maxLength = a.getInt("max-length", 0);
    if (o.embed.batchSize <= 0) throw UsageError("--batch-size must be positive");
    o.minScore = a.getDouble("min-score", 0.0);
    o.maxScore = a.getDouble("max-score", 5.0);
    o.seed = static_cast<uint64_t>(a.getInt("seed", 42));
    o.samplesPerLabel = a.getInt("samples-per-label", 0);
    o.experiments = a.getInt("experiments", 10);
    o.maxLength = a.getInt("max-length", 0);
    o.stride = a.getInt("stride", 0);
    o.encoding = a.get("encoding", "auto");
    o.embed.interventions = Interventions::parse(a.get("zero-heads"), a.get("skip-layers"));
    if (o.maxLength < 0 || o.stride < 0) throw UsageError("--max-length and --stride must not be negative");

    tasks::EvalSubject subject;
    std::unique_ptr<Tokenizer> tokenizer;
    std::unique_ptr<Model> model;
    eval::Matrix vectors;
    if (o.task == "perplexity" || o.task == "morph") {
        if (!a.has("model")) throw UsageError(o.task + " needs --model DIR");
        if (a.has("vectors")) throw UsageError(o.task + " needs a model, not --vectors");
    } else if (a.has("vectors") == a.has("model")) {
        throw UsageError("give either --model DIR or --vectors FILE.npy");
    }
    if (o.task == "morph" && !o.embed.interventions.empty())
        throw UsageError("eval morph measures the model's tokenizer; --zero-heads and --skip-layers do not apply");
    if (a.has("vectors") && !o.embed.interventions.empty())
        throw UsageError("--zero-heads and --skip-layers change a model's forward; they need --model, not --vectors");
    if (a.has("vectors")) {
        NpyArray arr = readNpy(a.get("vectors"));
        if (arr.shape.size() != 2)
            throw Error::badInput(a.get("vectors") + ": expected a 2-D array [texts, dim], got " +
                                  std::to_string(arr.shape.size()) + "-D");
        vectors.rows = arr.shape[0];
        vectors.cols = arr.shape[1];
        vectors.data = std::move(arr.data);
        subject.vectors = &vectors;
        subject.vectorsPath = a.get("vectors");
    } else {
        const std::string dir = a.get("model");
        tokenizer = loadTokenizer(a.get("tokenizer", dir));
        std::vector<std::string> warnings;
        model = loadModel(dir, c10::Device(deviceFromArgs(a)), parseDtype(dtypeFromArgs(a)), &warnings);
        for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        subject.model = model.get();
        subject.tokenizer = tokenizer.get();
        subject.modelPath = dir;
    }
    StderrProgress progress(a, "eval " + o.task);
    printJson(tasks::toJson(tasks::evaluate(subject, o, progress)));
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "eval",
    "eval (sts|bitext|retrieval|clustering|classification) (--model DIR [--tokenizer PATH] | --vectors FILE.npy)\n"
    "  --data FILE|DIR [--pooling mean|cls|last|max] [--layer L] [--normalize] [--batch-size B] [--max-length N]\n"
    "  [--min-score 0 --max-score 5] [--seed S] [--samples-per-label N --experiments E]\n"
    "  [--zero-heads L:H,..] [--skip-layers L,..]   (interventions on the model's forward)\n"
    "eval perplexity --model DIR [--tokenizer PATH] --data FILE [--max-length N] [--stride S] [--encoding E]\n"
    "  [--zero-heads L:H,..] [--skip-layers L,..]\n"
    "eval morph --model DIR [--tokenizer PATH] --data TREEBANK [--seed S]   (the model's tokenizer; docs/evaluation.md)",
    {"normalize"},
    {"model", "vectors", "tokenizer", "data", "pooling", "layer", "batch-size", "max-length", "min-score", "max-score",
     "seed", "samples-per-label", "experiments", "stride", "encoding", "zero-heads", "skip-layers"},
    runEval});

}  // namespace embedlab::cli
