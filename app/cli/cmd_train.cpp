// `embedlab-cli train lm|mlm|contrastive`: trains a model (engine/tasks/train_model.h, the task the
// app's Training view runs too) and writes a Hugging Face folder with checkpoints.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/dist/collective.h"
#include "engine/tasks/train_model.h"
#include "engine/tasks/train_static.h"
#include "engine/tasks/train_tokenizer.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace embedlab::cli {
namespace {

std::vector<double> parseNumbers(const std::string& flag, const std::string& text) {
    std::vector<double> out;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ',')) {
        char* end = nullptr;
        const double v = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0') throw UsageError("--" + flag + ": '" + item + "' is not a number");
        out.push_back(v);
    }
    return out;
}

// `train tokenizer --kind morph|bpe|unigram --input CORPUS --vocab-size V --out DIR`.
int runTrainTokenizer(Args& a) {
    tasks::TokenizerTrainOptions o;
    o.kind = a.get("kind", "bpe");
    const std::vector<std::string> inputs = a.getAll("input");
    if (inputs.empty()) throw UsageError("train tokenizer: give the corpus (--input)");
    o.input = inputs[0];
    if (inputs.size() > 1 && o.kind != "morph") throw UsageError("train tokenizer: several --input only with --kind morph");
    o.moreInputs.assign(inputs.begin() + 1, inputs.end());
    o.lexiconDir = a.get("lexicon");
    if (o.kind == "morph" && o.lexiconDir.empty())
        throw UsageError("train tokenizer --kind morph: give the lexicon folder (--lexicon DIR, e.g. "
                         "data/npm/nlptoolkit-dictionary, installed by tools/install-data.sh)");
    o.vocabSize = a.getInt("vocab-size", 8000);
    o.characterCoverage = a.getDouble("character-coverage", 1.0);
    o.maxSentences = a.getInt("max-sentences", 0);
    o.outDir = a.require("out");
    o.force = a.has("force");
    StderrProgress progress(a, "train tokenizer");
    const tasks::TokenizerTrainResult r = tasks::trainTokenizer(o, progress);
    nlohmann::json j = {{"kind", o.kind}, {"vocab_size", r.vocabSize}, {"sentences", r.sentences},
                        {"chars", r.chars}, {"seconds", r.seconds}, {"model", r.modelPath}, {"out", o.outDir}};
    if (o.kind == "morph") {
        j["roots"] = r.roots;
        j["suffix_groups"] = r.suffixGroups;
        j["bpe"] = r.bpePieces;
        j["corpus_words"] = r.words;
        j["corpus_words_parsed"] = r.wordsParsed;
        j["lexicon_entries_skipped"] = r.lexiconSkipped;
    }
    printJson(j);
    return 0;
}

// `train static --input CORPUS --out FILE.vec|.bin ...` (engine/tasks/train_static.h).
int runTrainStatic(Args& a) {
    tasks::StaticTrainOptions o;
    o.input = a.require("input");
    o.outPath = a.require("out");
    o.units = a.get("units", "words");
    o.morphTokenizer = a.get("tokenizer");
    if (!o.morphTokenizer.empty() && o.units != "morph")
        throw UsageError("train static: --tokenizer goes with --units morph (or give --units tokenizer:PATH)");
    o.subwords = a.get("subwords", "3-6");
    train::StaticOptions& m = o.model;
    const auto intIn = [&](const char* flag, long long def, long long lo, long long hi) {
        const long long v = a.getInt(flag, def);
        if (v < lo || v > hi)
            throw UsageError("--" + std::string(flag) + " must be between " + std::to_string(lo) + " and " + std::to_string(hi));
        return static_cast<int>(v);
    };
    m.dim = intIn("dim", 100, 1, 4096);
    m.epochs = intIn("epochs", 5, 1, 100000);
    m.window = intIn("window", 5, 1, 1000);
    m.negatives = intIn("negatives", 5, 0, 1000);
    m.minCount = a.getInt("min-count", 5);
    m.lr = a.getDouble("lr", 0.05);
    m.sample = a.getDouble("sample", 1e-4);
    m.buckets = a.getInt("buckets", 2000000);
    m.seed = static_cast<uint64_t>(a.getInt("seed", 1));
    m.threads = intIn("threads", 0, 0, 1024);
    const std::string update = a.get("update", "centre");
    if (update != "centre" && update != "pair") throw UsageError("--update must be centre or pair");
    m.perPairUpdates = update == "pair";
    o.oovWordsPath = a.get("oov-words");
    o.gold = a.get("gold");
    StderrProgress progress(a, "train static");
    const tasks::StaticTrainResult r = tasks::trainStaticEmbeddings(o, progress);
    printJson({{"words", r.words}, {"vocab", r.vocab}, {"seconds", r.seconds}, {"words_per_second", r.wordsPerSecond},
               {"train_seconds", r.trainSeconds}, {"lines", r.lines}, {"final_loss", r.finalLoss},
               {"threads", r.threads}, {"oov_written", r.oovWritten}, {"out", r.outPath},
               {"metadata", r.metadataPath}, {"pos_labelled", r.posLabelled}});
    return 0;
}

int runTrain(Args& a) {
    if (a.positional.size() == 1 && (a.positional[0] == "tokenizer" || a.positional[0] == "static")) {
        // These train in one process: a rank's flags (or torchrun's variables) would have N processes
        // write the same output.
        const char* ws = std::getenv("WORLD_SIZE");
        if (a.has("world-size") || a.has("rank") || a.has("master") || (ws && std::string(ws) != "1"))
            throw UsageError("train " + a.positional[0] + " runs in one process: data-parallel ranks are for train lm and mlm");
        return a.positional[0] == "tokenizer" ? runTrainTokenizer(a) : runTrainStatic(a);
    }
    if (a.positional.size() != 1) throw UsageError("train needs an objective: lm, mlm, contrastive, distill, static or tokenizer");
    tasks::TrainTaskOptions o;
    TrainerOptions& t = o.trainer;
    t.objective = a.positional[0];
    if (t.objective != "lm" && t.objective != "mlm" && t.objective != "contrastive" && t.objective != "distill")
        throw UsageError("train: unknown objective '" + t.objective + "' (lm, mlm, contrastive, distill, static or tokenizer)");
    o.teacherDir = a.get("teacher");
    o.teacherTokenizer = a.get("teacher-tokenizer");
    t.distillLayer = a.getInt("layer", -1);
    t.distillLoss = a.get("distill-loss", "mse");
    if (t.objective == "distill" && o.teacherDir.empty()) throw UsageError("train distill needs --teacher DIR");
    o.modelDir = a.get("model");
    o.preset = a.get("preset");
    o.initConfig = a.get("init-config");
    o.tokenizerPath = a.get("tokenizer");
    o.dataPath = a.get("data");
    o.idsPath = a.get("ids");
    o.evalDataPath = a.get("eval-data");
    t.outDir = a.require("out");
    t.resumeDir = a.get("resume");
    if (t.resumeDir.empty() && (!o.modelDir.empty()) + (!o.preset.empty()) + (!o.initConfig.empty()) != 1)
        throw UsageError("give exactly one of --model DIR, --preset NAME, --init-config FILE (or --resume DIR)");
    if ((!o.dataPath.empty()) + (!o.idsPath.empty()) != 1) throw UsageError("give exactly one of --data FILE, --ids FILE");
    t.steps = a.getInt("steps", 100);
    t.batchSize = a.getInt("batch-size", 8);
    t.seqLen = a.getInt("seq-len", 128);
    t.gradAccum = a.getInt("grad-accum", 1);
    t.optimizer.kind = a.get("optimizer", "adamw");
    t.schedule.baseLr = a.getDouble("lr", t.optimizer.kind == "sgd" ? 1e-2 : 5e-5);
    t.optimizer.weightDecay = a.getDouble("weight-decay", t.optimizer.kind == "sgd" ? 0.0 : 0.01);
    if (a.has("betas")) {
        const auto b = parseNumbers("betas", a.get("betas"));
        if (b.size() != 2) throw UsageError("--betas takes two numbers: B1,B2");
        t.optimizer.beta1 = b[0];
        t.optimizer.beta2 = b[1];
    }
    t.optimizer.eps = a.getDouble("eps", 1e-8);
    t.schedule.warmup = a.getInt("warmup", 0);
    t.schedule.kind = a.get("schedule", "linear");
    t.clip = a.getDouble("clip", 1.0);
    t.train = a.get("train", "all");
    t.temperature = a.getDouble("temperature", 0.05);
    t.learnTemperature = a.has("learn-temperature");
    t.pooling = a.get("pooling", "mean");
    if (a.has("matryoshka"))
        for (double v : parseNumbers("matryoshka", a.get("matryoshka"))) t.matryoshka.push_back(static_cast<int64_t>(v));
    t.dtype = dtypeFromArgs(a);
    t.seed = static_cast<uint64_t>(a.getInt("seed", 42));
    t.shuffle = !a.has("no-shuffle");
    t.evalEvery = a.getInt("eval-every", 0);
    t.saveEvery = a.getInt("save-every", 0);
    t.keep = a.getInt("keep", 2);
    t.sampleEvery = a.getInt("sample-every", 0);
    t.sampleTokens = a.getInt("sample-tokens", 24);
    t.logPath = a.get("log");
    o.maskId = a.getInt("mask-id", -1);
    if (t.steps < 1 || t.batchSize < 1 || t.seqLen < 2 || t.gradAccum < 1 || t.keep < 1)
        throw UsageError("--steps, --batch-size, --grad-accum and --keep must be positive, --seq-len at least 2");
    o.device = deviceFromArgs(a);
    if (o.device.empty()) o.device = "cpu";
    // One rank of a data-parallel job (--world-size … or torchrun's variables): --batch-size is per rank.
    if ((a.has("world-size") || std::getenv("WORLD_SIZE")) && t.objective != "lm" && t.objective != "mlm") {
        const char* ws = std::getenv("WORLD_SIZE");
        if (a.has("world-size") ? a.getInt("world-size", 1) > 1 : (ws && std::string(ws) != "1"))
            throw UsageError(t.objective + " training runs in one process: data-parallel ranks cover lm and mlm, whose loss is "
                                           "a token mean that ranks split exactly");
    }
    const std::unique_ptr<Collective> group = joinJobFromArgs(a, o.device);
    o.collective = group.get();
    StderrProgress progress(a, "train " + t.objective + rankLabel(group.get()), group.get());
    const tasks::TrainTaskResult r = tasks::trainModel(o, progress);
    if (group) {
        group->barrier();  // rank 0 has written the final folder when every rank returns
        if (!group->isRoot()) return 0;  // rank 0 prints the result
    }
    nlohmann::json j = {{"steps", r.train.steps},
                        {"final_loss", r.train.finalLoss},
                        {"eval_loss", r.train.evalLoss ? nlohmann::json(*r.train.evalLoss) : nlohmann::json()},
                        {"tokens_per_second", r.train.tokensPerSecond},
                        {"seconds", r.train.seconds},
                        {"resumed_from", r.train.resumedFrom},
                        {"parameters", r.parameters},
                        {"trainable", r.trainable},
                        {"train_sequences", r.trainSequences},
                        {"held_out_sequences", r.heldOutSequences},
                        {"out", r.train.outDir}};
    if (r.train.evalPpl) j["eval_ppl"] = *r.train.evalPpl;
    if (r.train.evalBpc) j["eval_bpc"] = *r.train.evalBpc;
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "train",
    "train lm|mlm|contrastive (--model DIR | --preset NAME | --init-config FILE | --resume DIR) (--data FILE | --ids FILE)\n"
    "  --out DIR [--tokenizer PATH] [--steps 100] [--batch-size 8] [--seq-len 128] [--grad-accum 1]\n"
    "  [--optimizer adamw|sgd] [--lr LR] [--weight-decay WD] [--betas 0.9,0.999] [--eps 1e-8] [--warmup 0]\n"
    "  [--schedule linear|cosine|constant] [--clip 1.0] [--train all|embeddings|embeddings+head|layers:0,1,..]\n"
    "  [--temperature 0.05] [--learn-temperature] [--pooling mean|cls|last|max] [--matryoshka 768,256,64]\n"
    "  [--dtype f32|bf16] [--seed 42] [--no-shuffle] [--eval-data FILE] [--eval-every N] [--save-every N] [--keep 2]\n"
    "  [--sample-every N] [--sample-tokens 24] [--mask-id N] [--log FILE.jsonl]\n"
    "  train distill --model TRANSFERRED --teacher SOURCE --data CORPUS --out DIR [--layer L] [--distill-loss mse|cosine]\n"
    "    [--teacher-tokenizer PATH] [--train embeddings] (and the hyper-parameters above)\n"
    "  train tokenizer --kind morph|bpe|unigram --input CORPUS --vocab-size V --out DIR [--character-coverage 1.0]\n"
    "    (morph: --lexicon DIR, the nlptoolkit-dictionary folder; --input may repeat)\n"
    "    [--max-sentences N] [--force]\n"
    "  train static --input CORPUS --out FILE.vec|FILE.bin|FILE.tsv [--gold TREEBANK] [--units words|morph|tokenizer:PATH] [--tokenizer MORPH_DIR] [--subwords 3-6|none]\n"
    "    [--dim 100] [--epochs 5] [--window 5] [--negatives 5] [--min-count 5] [--lr 0.05] [--sample 1e-4]\n"
    "    [--buckets 2000000] [--seed 1] [--oov-words FILE] [--update centre|pair]\n"
    "  data parallel (lm, mlm): [--world-size N --rank R --master ADDR:PORT] [--dist-timeout 1800], or torchrun's\n"
    "    variables; --batch-size is per rank (see `launch`)",
    {"no-shuffle", "learn-temperature", "force"},
    {"model", "preset", "init-config", "resume", "data", "ids", "out", "tokenizer", "steps", "batch-size", "seq-len",
     "grad-accum", "optimizer", "lr", "weight-decay", "betas", "eps", "warmup", "schedule", "clip", "train",
     "temperature", "pooling", "matryoshka", "seed", "eval-data", "eval-every", "save-every", "keep", "sample-every",
     "sample-tokens", "mask-id", "log", "kind", "input", "vocab-size", "character-coverage", "max-sentences",
     "teacher", "teacher-tokenizer", "layer", "distill-loss", "units", "subwords", "dim", "epochs", "window",
     "negatives", "min-count", "sample", "buckets", "oov-words", "update", "gold", "lexicon", "world-size", "rank",
     "master", "dist-timeout"},
    runTrain});

}  // namespace embedlab::cli
