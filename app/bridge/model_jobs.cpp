#include "app/bridge/model_jobs.h"

#include "app/bridge/model_session_p.h"

#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/io/file_io.h"
#include "engine/io/file_kind.h"
#include "engine/models/dtype.h"
#include "engine/models/generation.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/generate_text.h"
#include "engine/tokenizers/tokenizer.h"

#include <chrono>
#include <mutex>

namespace embedlab {

namespace {

c10::Device parseDevice(const QString& name) {
    return c10::Device(resolveDevice(name.isEmpty() ? std::string("cpu") : name.toStdString()));
}

ModelInfo describe(const ModelSession& s) {
    ModelInfo i;
    const Model& m = *s.model;
    const ModelConfig& c = m.config();
    i.path = QString::fromStdString(s.path);
    i.name = QString::fromStdString(baseName(s.path));
    i.architecture = QString::fromLatin1(architectureName(c.arch));
    i.modelType = QString::fromStdString(c.modelType);
    i.layers = static_cast<int>(c.numLayers);
    i.hidden = static_cast<int>(c.hiddenSize);
    i.heads = static_cast<int>(c.numHeads);
    i.kvHeads = static_cast<int>(c.numKvHeads);
    i.vocab = static_cast<int>(c.vocabSize);
    i.intermediate = static_cast<int>(c.intermediateSize);
    const ParameterCounts pc = m.parameterCounts();
    i.paramsEmbedding = pc.embedding;
    i.paramsBody = pc.body;
    i.paramsLmHead = pc.lmHead;
    i.weightBytes = m.weightBytes();
    i.device = QString::fromStdString(m.device().str());
    i.dtype = QString::fromStdString(dtypeName(m.dtype()));
    i.causal = c.isCausalLM();
    i.tiedHead = m.tiedLmHead();
    if (s.tokenizer)
        i.tokenizer = QString::fromStdString(s.tokenizer->kind() + " · " + std::to_string(s.tokenizer->vocabSize()) +
                                             " tokens");
    for (const auto& w : m.warnings()) i.warnings << QString::fromStdString(w);
    return i;
}

}  // namespace

LoadModelJob::LoadModelJob(QString path, QString device, QString dtype)
    : path_(std::move(path)), device_(std::move(device)), dtype_(std::move(dtype)) {}

std::string LoadModelJob::name() const { return "Load model " + baseName(path_.toStdString()); }

void LoadModelJob::run(Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    progress.report(0.05, "reading config and weights");
    auto s = std::make_shared<ModelSession>();
    s->path = path_.toStdString();
    std::vector<std::string> warnings;
    s->model = loadModel(s->path, parseDevice(device_), parseDtype(dtype_.isEmpty() ? "f32" : dtype_.toStdString()),
                         &warnings);
    progress.report(0.8, "looking for a tokenizer");
    // The folder's own tokenizer, if it has one; a model without one still loads.
    if (classifyPath(s->path) == FileKind::ModelFolder) {
        for (const char* f : {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "kokler.json"}) {
            if (isRegularFile(joinPath(s->path, f))) {
                try {
                    s->tokenizer = loadTokenizer(s->path);
                } catch (const Error& e) {
                    s->model->addWarning(std::string("tokenizer not loaded: ") + e.what());
                }
                break;
            }
        }
    }
    session = s;
    info = describe(*s);
    info.loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report(1.0, "loaded");
}

std::string LoadModelJob::summary() const {
    return info.architecture.toStdString() + ", " + std::to_string(info.layers) + " layers, " +
           std::to_string((info.paramsEmbedding + info.paramsBody) / 1000000.0).substr(0, 6) + "M parameters";
}

MoveModelJob::MoveModelJob(ModelSessionPtr session, QString device, QString dtype)
    : session_(std::move(session)), device_(std::move(device)), dtype_(std::move(dtype)) {}

std::string MoveModelJob::name() const {
    return "Move model to " + device_.toStdString() + " " + dtype_.toStdString();
}

void MoveModelJob::run(Progress& progress) {
    SessionLock lock(*session_);
    progress.report(0.1, "converting weights");
    session_->model->to(parseDevice(device_), parseDtype(dtype_.toStdString()));
    info = describe(*session_);
    progress.report(1.0, "moved");
}

GenerateJob::GenerateJob(ModelSessionPtr session, QStringList prompts, GenerationParams params,
                         std::function<void(const GeneratedToken&)> onToken)
    : session_(std::move(session)), prompts_(std::move(prompts)), params_(std::move(params)),
      onToken_(std::move(onToken)) {}

std::string GenerateJob::name() const { return "Generate"; }

void GenerateJob::run(Progress& progress) {
    SessionLock lock(*session_);
    Model& model = *session_->model;
    const Tokenizer* tok = session_->tokenizer.get();
    if (prompts_.isEmpty()) throw Error::badInput("no prompt given");
    // The engine task `embedlab-cli generate` runs (engine/tasks/generate_text.h); here only the Qt types.
    std::vector<std::vector<int64_t>> ids;
    for (int p = 0; p < prompts_.size(); ++p) {
        try {
            ids.push_back(tasks::encodePrompt(tok, prompts_[p].toStdString(), params_.addSpecial));
        } catch (const Error& e) {
            if (prompts_.size() == 1) throw;
            throw Error::badInput("prompt " + std::to_string(p + 1) + ": " + e.what());
        }
    }
    tasks::GenerateTextOptions to;
    GenerationOptions& o = to.generation;
    o.maxNewTokens = params_.maxNewTokens;
    o.temperature = params_.temperature;
    o.topK = params_.topK;
    o.topP = params_.topP;
    o.seed = params_.seed;  // prompt p samples with seed + p, alone or in a batch
    o.repetitionPenalty = params_.repetitionPenalty;
    o.topLogprobs = params_.topAlternatives;
    o.interventions = Interventions::parse(params_.zeroHeads.toStdString(), params_.skipLayers.toStdString());
    for (const auto& s : params_.stopStrings) o.stopStrings.push_back(s.toStdString());
    to.modelDir = session_->path;
    auto pieceText = [tok](int64_t id) { return tok ? tok->decode({id}, false) : std::string(); };
    const std::vector<GenerationResult> results =
        tasks::generateText(model, tok, ids, to, progress, [&](size_t p, const GenerationStep& step) {
            if (onToken_) {
                GeneratedToken t;
                t.prompt = static_cast<int>(p);
                t.id = step.id;
                t.text = QString::fromStdString(pieceText(step.id));
                t.prob = step.prob;
                for (const auto& alt : step.top) t.alternatives.push_back({QString::fromStdString(pieceText(alt.id)), alt.prob});
                onToken_(t);
            }
            return true;
        }).results;
    for (size_t p = 0; p < results.size(); ++p) {
        const GenerationResult& r = results[p];
        GenerationOutput out;
        out.prompt = prompts_[static_cast<int>(p)];
        out.text = QString::fromStdString(r.text);
        out.stopReason = QString::fromStdString(r.stopReason);
        out.promptTokens = static_cast<int>(r.promptTokens);
        out.newTokens = static_cast<int>(r.ids.size());
        out.prefillTokensPerSecond = r.prefillTokensPerSecond;
        out.decodeTokensPerSecond = r.decodeTokensPerSecond;
        outputs.push_back(out);
    }
}

std::string GenerateJob::summary() const {
    int n = 0;
    double tps = 0;
    for (const auto& o : outputs) {
        n += o.newTokens;
        tps = o.decodeTokensPerSecond;
    }
    return std::to_string(n) + " tokens, " + std::to_string(static_cast<int>(tps)) + " tok/s";
}

}  // namespace embedlab
