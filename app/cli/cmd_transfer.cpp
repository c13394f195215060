// `embedlab-cli transfer`: vocabulary transfer of a model onto a new tokenizer (engine/tasks/
// transfer_model.h, the task the app's Transfer view runs too). Prints the report's summary.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/tasks/transfer_model.h"
#include "engine/tasks/translate_words.h"

#include <sstream>

namespace embedlab::cli {
namespace {

// "<uppercase>=<bos>,[MASK]=<mask>" → {target: source}.
std::map<std::string, std::string> parseOverrides(const std::vector<std::string>& items) {
    std::map<std::string, std::string> out;
    for (const std::string& all : items) {
        std::stringstream s(all);
        std::string item;
        while (std::getline(s, item, ',')) {
            const size_t eq = item.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
                throw UsageError("--special-map takes TARGET=SOURCE pairs separated by commas, not '" + item + "'");
            out[item.substr(0, eq)] = item.substr(eq + 1);
        }
    }
    return out;
}

// `transfer words`: zero-shot word translation through a dictionary (engine/tasks/translate_words.h).
int runWords(Args& a) {
    tasks::TranslateWordsOptions o;
    o.englishVectors = a.require("english-vectors");
    o.turkishVectors = a.require("turkish-vectors");
    o.trainPairs = a.require("train");
    o.testPairs = a.require("test");
    o.translation.candidates = a.getInt("candidates", 50000);
    if (o.translation.candidates < 1) throw UsageError("--candidates must be at least 1");
    o.translation.seed = static_cast<uint64_t>(a.getInt("seed", 0));
    o.translation.fitTop = a.getInt("fit-top", 0);
    StderrProgress progress(a, "transfer words");
    printJson(tasks::toJson(tasks::translateWords(o, progress)));
    return 0;
}

int runTransfer(Args& a) {
    if (a.positional.size() == 1 && a.positional[0] == "words") return runWords(a);
    if (!a.positional.empty()) throw UsageError("transfer takes no positional arguments (or: transfer words ...)");
    tasks::TransferTaskOptions o;
    o.sourceDir = a.require("source");
    o.sourceTokenizer = a.get("source-tokenizer");
    o.targetTokenizer = a.require("target-tokenizer");
    o.outDir = a.require("out");
    try {
        o.strategy = parseTransferStrategy(a.get("strategy", "mean"));
        if (a.has("head-strategy")) o.headStrategy = parseTransferStrategy(a.get("head-strategy"));
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    o.auxVectors = a.get("aux-vectors");
    o.corpus = a.get("corpus");
    o.ompK = static_cast<int>(a.getInt("omp-k", 8));
    if (o.ompK < 1 || o.ompK > 1024) throw UsageError("--omp-k must be between 1 and 1024");
    o.seed = static_cast<uint64_t>(a.getInt("seed", 42));
    o.force = a.has("force");
    o.allowVocabMismatch = a.has("allow-vocab-mismatch");
    o.padVocabTo = a.getInt("pad-vocab-to", 0);
    o.extraRows = a.get("extra-rows", "mean");
    o.specialOverrides = parseOverrides(a.getAll("special-map"));
    StderrProgress progress(a, "transfer");
    const tasks::TransferTaskResult r = tasks::transferModel(o, progress);
    nlohmann::json j = r.summary;
    j["out"] = o.outDir;
    j["seconds"] = r.seconds;
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "transfer",
    "transfer --source DIR --target-tokenizer PATH --out DIR\n"
    "  [--strategy mean|sum|first|last|weighted|weighted-last|max|min|focus|omp|random] [--head-strategy S]\n"
    "  [--aux-vectors FILE] [--corpus FILE] [--omp-k 8] [--seed 42] [--source-tokenizer PATH]\n"
    "  [--special-map TARGET=SOURCE,...] [--pad-vocab-to N] [--extra-rows mean|zero] [--allow-vocab-mismatch] [--force]\n"
    "transfer words --english-vectors FILE --turkish-vectors FILE --train PAIRS.tsv --test PAIRS.tsv\n"
    "  [--candidates 50000] [--fit-top N] [--seed 0]   (zero-shot word translation: Procrustes, random rotation, mean of translations)",
    {"force", "allow-vocab-mismatch"},
    {"source", "source-tokenizer", "target-tokenizer", "out", "strategy", "head-strategy", "aux-vectors", "corpus",
     "omp-k", "seed", "special-map", "pad-vocab-to", "extra-rows", "english-vectors", "turkish-vectors", "train",
     "test", "candidates", "fit-top"},
    runTransfer});

}  // namespace embedlab::cli
