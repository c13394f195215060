#include "engine/tasks/train_model.h"

#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/dist/collective.h"
#include "engine/io/file_io.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/presets.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/train/distill.h"

#include <ATen/ATen.h>

#include <cstdio>

namespace embedlab::tasks {

namespace {

bool hasTokenizerFiles(const std::string& dir) {
    for (const char* f : {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "kokler.json", "vocab.txt",
                          "sentencepiece.bpe.model"})
        if (isRegularFile(joinPath(dir, f))) return true;
    return false;
}

}  // namespace

namespace {
// The config.json the options describe, without building the model.
nlohmann::json configFor(const TrainTaskOptions& o) {
    if (!o.trainer.resumeDir.empty()) {
        const std::string ckpt = resolveCheckpoint(o.trainer.resumeDir);
        if (ckpt.empty()) throw Error::badInput("--resume: " + o.trainer.resumeDir + " holds no complete checkpoint");
        try {
            return nlohmann::json::parse(readFile(joinPath(ckpt, "config.json")));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput("--resume: " + ckpt + "/config.json is damaged (" + e.what() + ")" + previousCheckpointHint(ckpt));
        }
    }
    if (!o.modelDir.empty()) return nlohmann::json::parse(readFile(joinPath(o.modelDir, "config.json")));
    if (!o.preset.empty()) return modelPreset(o.preset);
    if (!o.initConfig.empty()) return nlohmann::json::parse(readFile(o.initConfig));
    throw Error::badInput("give exactly one of --model DIR, --preset NAME, --init-config FILE");
}

// The config's own text-part parse (Gemma 3 multimodal configs nest it).
ModelConfig parsed(const nlohmann::json& j, const std::string& source) { return parseModelConfig(j.dump(), source); }
}  // namespace

TrainingEstimate estimateTrainingRun(const TrainTaskOptions& o) {
    try {
        return estimateTraining(parsed(configFor(o), "config"), o.trainer, /*measureSpeed=*/true);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(std::string("config.json: ") + e.what());
    }
}

std::unique_ptr<Model> modelForTraining(const TrainTaskOptions& o, nlohmann::json* config, std::string* source) {
    const c10::Device device(resolveDevice(o.device.empty() ? "cpu" : o.device));
    if (!o.trainer.resumeDir.empty()) {
        const std::string ckpt = resolveCheckpoint(o.trainer.resumeDir);
        if (ckpt.empty()) throw Error::badInput("--resume: " + o.trainer.resumeDir + " holds no complete checkpoint");
        if (source) *source = ckpt;
        try {
            if (config) *config = nlohmann::json::parse(readFile(joinPath(ckpt, "config.json")));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput("--resume: " + ckpt + "/config.json is damaged (" + e.what() + ")" + previousCheckpointHint(ckpt));
        }
        try {
            return loadModel(ckpt, device, at::kFloat);
        } catch (const Error& e) {
            throw Error::badInput("--resume: the checkpoint " + ckpt + " cannot be loaded (" + e.what() + ")" +
                                  previousCheckpointHint(ckpt));
        }
    }
    const int given = !o.modelDir.empty() + !o.preset.empty() + !o.initConfig.empty();
    if (given != 1) throw Error::badInput("give exactly one of --model DIR, --preset NAME, --init-config FILE");
    if (!o.modelDir.empty()) {
        if (source) *source = o.modelDir;
        if (config) *config = nlohmann::json::parse(readFile(joinPath(o.modelDir, "config.json")));
        return loadModel(o.modelDir, device, at::kFloat);
    }
    nlohmann::json j;
    if (!o.preset.empty()) {
        j = modelPreset(o.preset);
        if (source) *source = "preset " + o.preset;
    } else {
        try {
            j = nlohmann::json::parse(readFile(o.initConfig));
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput(o.initConfig + ": not JSON (" + e.what() + ")");
        }
        if (source) *source = "config " + o.initConfig;
    }
    const ModelConfig c = parseModelConfig(j.dump(), o.preset.empty() ? o.initConfig : o.preset);
    if (config) *config = j;
    return createRandomModel(c, o.trainer.seed, device, at::kFloat, c.initializerRange);
}

TrainTaskResult trainModel(const TrainTaskOptions& o, Progress& progress) {
    TrainTaskResult result;
    // Before the checkpoint is chosen (a killed run's .old may be the latest); here, not in configFor,
    // which the Training view's estimate also calls and which must not change files.
    // Rank 0 alone tidies a data-parallel run's folder; the others wait until it has (they only read).
    if (!o.trainer.resumeDir.empty() && (!o.collective || o.collective->isRoot())) clearDeadCheckpointWriters(o.trainer.resumeDir);
    if (o.collective) o.collective->barrier();
    // What cannot fit is refused before a single weight is allocated.
    {
        nlohmann::json j;
        try {
            j = configFor(o);
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput(std::string("config.json: ") + e.what());
        }
        const TrainingEstimate& est = result.estimate = estimateTraining(parsed(j, "config"), o.trainer);
        if (!est.fits() && (o.device.empty() || o.device == "cpu")) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "; %.0f MB available", est.availableBytes / 1e6);
            throw Error::runtime("this run needs about " + est.describe() + buf +
                                 ": lower --batch-size or --seq-len, or train fewer groups");
        }
    }
    nlohmann::json config;
    progress.report(0.0, "loading the model");
    std::unique_ptr<Model> model = modelForTraining(o, &config, &result.modelSource);
    const ModelConfig& c = model->config();
    const bool resuming = !o.trainer.resumeDir.empty();
    // The tokenizer: explicit, else the model folder's, else the checkpoint's copy.
    std::string tokPath = o.tokenizerPath;
    if (tokPath.empty() && resuming && hasTokenizerFiles(result.modelSource)) tokPath = result.modelSource;
    if (tokPath.empty() && !o.modelDir.empty() && hasTokenizerFiles(o.modelDir)) tokPath = o.modelDir;
    std::unique_ptr<Tokenizer> tokenizer;
    if (!tokPath.empty()) {
        progress.report(0.005, "loading the tokenizer");  // reports between the loads: each is a cancel point
        tokenizer = loadTokenizer(tokPath);
    }
    if (!tokenizer && !o.dataPath.empty())
        throw Error::badInput("a text corpus needs a tokenizer: give --tokenizer PATH (or use --ids)");

    TrainerData d;
    d.collective = o.collective;
    d.configJson = config;
    d.tokenizerDir = tokPath.empty() ? std::string() : (isDirectory(tokPath) ? tokPath : dirName(tokPath));
    d.tokenizer = tokenizer.get();
    d.padId = c.paddingIdx() >= 0 ? c.paddingIdx() : (tokenizer && tokenizer->padId() ? *tokenizer->padId() : 0);
    if (d.padId >= c.vocabSize) d.padId = 0;
    if (tokenizer) {
        for (const char* m : {"[MASK]", "<mask>"})
            if (auto id = tokenizer->tokenToId(m)) {
                d.maskId = *id;
                break;
            }
        const int64_t n = std::min<int64_t>(tokenizer->vocabSize(), c.vocabSize);
        for (int64_t i = 0; i < n; ++i)
            if (tokenizer->tokenType(i) == TokenType::Special) d.specialIds.push_back(i);
    }
    if (o.maskId >= 0) {
        if (o.maskId >= c.vocabSize) throw Error::badInput("--mask-id " + std::to_string(o.maskId) + " is outside the vocabulary");
        d.maskId = o.maskId;
    }
    const bool contrastive = o.trainer.objective == "contrastive";
    const bool distill = o.trainer.objective == "distill";
    const int given = !o.dataPath.empty() + !o.idsPath.empty();
    if (given != 1) throw Error::badInput("give exactly one of --data FILE and --ids FILE");
    Progress data(progress, 0.02, 0.08, "preparing the data");
    const int64_t L = o.trainer.seqLen;
    std::unique_ptr<Model> teacher;
    if (distill) {
        if (o.teacherDir.empty()) throw Error::badInput("distill needs the teacher model (--teacher DIR: the transfer's source)");
        if (o.dataPath.empty()) throw Error::badInput("distill needs text (--data CORPUS): both tokenizers segment it");
        if (!tokenizer) throw Error::badInput("distill needs the student's tokenizer");
        data.report(0.0, "loading the teacher");
        teacher = loadModel(o.teacherDir, model->device(), at::kFloat);
        data.report(0.0, "loading the teacher's tokenizer");
        const auto teacherTok = loadTokenizer(o.teacherTokenizer.empty() ? o.teacherDir : o.teacherTokenizer);
        data.report(0.0, "aligning the two tokenizations");
        DistillCorpus dc = prepareDistillCorpus(o.dataPath, o.evalDataPath, *tokenizer, *teacherTok, L, data);
        d.trainPairs = std::move(dc.train);
        d.heldOutPairs = std::move(dc.heldOut);
        d.trainAlign = std::move(dc.trainAlign);
        d.heldOutAlign = std::move(dc.heldOutAlign);
        d.teacher = teacher.get();
        d.teacherPadId = teacherTok->padId().value_or(0);
        d.dataDescription = o.dataPath + " (" + std::to_string(d.trainPairs.first.size()) + " lines, " +
                            std::to_string(dc.alignedTokens) + " of " + std::to_string(dc.studentTokens) +
                            " student tokens aligned with the teacher " + o.teacherDir + ")";
        progress.log("distillation: " + d.dataDescription);
        result.trainSequences = static_cast<int64_t>(d.trainPairs.first.size());
        result.heldOutSequences = static_cast<int64_t>(d.heldOutPairs.first.size());
    } else if (contrastive) {
        d.trainPairs = o.idsPath.empty() ? tokenizePairs(o.dataPath, *tokenizer, L, data) : readIdPairsFile(o.idsPath, L);
        if (!o.evalDataPath.empty()) {
            d.heldOutPairs = o.idsPath.empty() ? tokenizePairs(o.evalDataPath, *tokenizer, L, data)
                                               : readIdPairsFile(o.evalDataPath, L);
        } else if (o.idsPath.empty() && d.trainPairs.first.size() >= 40) {
            // A corpus's last 5% of pairs are held out (ids files are used as written).
            const size_t n = d.trainPairs.first.size(), cut = n - n / 20;
            d.heldOutPairs = {d.trainPairs.first.slice(cut, n), d.trainPairs.second.slice(cut, n)};
            d.trainPairs = {d.trainPairs.first.slice(0, cut), d.trainPairs.second.slice(0, cut)};
        }
        d.dataDescription = (o.idsPath.empty() ? o.dataPath : o.idsPath) + " (" + std::to_string(d.trainPairs.first.size()) + " pairs)";
        result.trainSequences = static_cast<int64_t>(d.trainPairs.first.size());
        result.heldOutSequences = static_cast<int64_t>(d.heldOutPairs.first.size());
    } else if (!o.idsPath.empty()) {
        d.train = readIdsFile(o.idsPath, L);
        if (!o.evalDataPath.empty()) d.heldOut = readIdsFile(o.evalDataPath, L);
        d.dataDescription = o.idsPath + " (" + std::to_string(d.train.size()) + " sequences)";
    } else {
        const TokenizedCorpus corpus = tokenizeCorpus(o.dataPath, *tokenizer, tokPath, data, o.cacheDir);
        result.tokensFromCache = corpus.fromCache;
        TrainSplit split = packCorpus(corpus, L, o.evalDataPath.empty());
        d.train = split.train;
        d.heldOut = split.heldOut;
        d.tokensPerChar = corpus.tokensPerChar();
        if (!o.evalDataPath.empty()) {
            const TokenizedCorpus ev = tokenizeCorpus(o.evalDataPath, *tokenizer, tokPath, data, o.cacheDir);
            d.heldOut = packCorpus(ev, L, false).train;
            d.tokensPerChar = ev.tokensPerChar();
        }
        d.dataDescription = o.dataPath + " (" + std::to_string(corpus.numTokens) + " tokens, " +
                            std::to_string(corpus.records) + " records)";
        if (corpus.fromCache) progress.log("tokens from the cache: " + corpus.cachePath);
    }
    if (!contrastive && !distill) {
        result.trainSequences = static_cast<int64_t>(d.train.size());
        result.heldOutSequences = static_cast<int64_t>(d.heldOut.size());
    }
    result.parameters = result.estimate.parameters;
    result.trainable = result.estimate.trainable;
    Progress training(progress, 0.08, 1.0, "training");
    result.train = runTraining(*model, o.trainer, d, training);
    return result;
}

}  // namespace embedlab::tasks
