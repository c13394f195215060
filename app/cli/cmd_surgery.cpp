// `embedlab-cli surgery`: keep chosen layers, prune the vocabulary to what a corpus uses
// (engine/tasks/model_surgery.h, the task the app's Transfer view runs too). Prints the accounting.
#include "app/cli/cli.h"

#include "engine/tasks/model_surgery.h"

namespace embedlab::cli {
namespace {

int runSurgery(Args& a) {
    if (!a.positional.empty()) throw UsageError("surgery takes no positional arguments");
    tasks::SurgeryOptions o;
    o.modelDir = a.require("model");
    o.outDir = a.require("out");
    o.keepLayers = a.get("keep-layers");
    o.pruneCorpus = a.get("prune-vocab");
    o.minCount = a.getInt("min-count", 1);
    if (o.minCount < 1) throw UsageError("--min-count must be at least 1");
    if (a.has("min-count") && o.pruneCorpus.empty()) throw UsageError("--min-count needs --prune-vocab CORPUS");
    if (o.keepLayers.empty() && o.pruneCorpus.empty())
        throw UsageError("surgery needs --keep-layers and/or --prune-vocab");
    o.force = a.has("force");
    StderrProgress progress(a, "surgery");
    const tasks::SurgeryResult r = tasks::modelSurgery(o, progress);
    nlohmann::json j = r.toJson();
    j["out"] = o.outDir;
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "surgery",
    "surgery --model DIR --out DIR [--keep-layers 0-3|0,2,5] [--prune-vocab CORPUS [--min-count 1]] [--force]",
    {"force"},
    {"model", "out", "keep-layers", "prune-vocab", "min-count"},
    runSurgery});

}  // namespace embedlab::cli
