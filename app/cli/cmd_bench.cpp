// `embedlab-cli bench generate|embed|project|load|train`: throughput figures as JSON, with the machine,
// threads, dtype and device they were measured on. Each figure is the median of --repeat runs after
// one untimed warm-up. Models come from a folder (--model DIR) or, for generate/embed, from a preset
// with random weights built in memory (--preset NAME, as `init` knows them).
#include "app/cli/cli.h"

#include "engine/analysis/pca.h"
#include "engine/analysis/projection_quality.h"
#include "engine/analysis/tsne.h"
#include "engine/analysis/umap.h"
#include "engine/core/error.h"
#include "engine/device/device.h"
#include "engine/eval/compute.h"
#include "engine/io/safetensors.h"
#include "engine/io/vectors.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/kv_cache.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/presets.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/io/file_io.h"
#include "engine/train/trainer.h"
#include "engine/transfer/vocab_transfer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace embedlab::cli {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

std::string cpuModel() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

nlohmann::json header(const std::string& what, const std::string& device, const std::string& dtype) {
    return {{"bench", what},         {"machine", cpuModel()}, {"threads", threadCount()},
            {"device", device},      {"dtype", dtype},        {"torch", torchVersion()},
            {"blas", blasDescription()}};
}

int repeats(const Args& a, int def = 3) {
    const long long r = a.getInt("repeat", def);
    if (r < 1 || r > 1000) throw UsageError("--repeat must be between 1 and 1000");
    return static_cast<int>(r);
}

// The model of --model DIR or --preset NAME (random weights, seeded), on the asked device and dtype.
std::unique_ptr<Model> benchModel(const Args& a, c10::Device device, c10::ScalarType dtype, nlohmann::json& out) {
    if (a.has("model") == a.has("preset")) throw UsageError("give one of --model DIR or --preset NAME");
    if (a.has("model")) {
        const std::string dir = a.get("model");
        std::vector<std::string> warnings;
        auto t0 = Clock::now();
        auto m = loadModel(dir, device, dtype, &warnings);
        out["load_seconds"] = since(t0);
        for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
        out["model"] = dir;
        return m;
    }
    const std::string name = a.get("preset");
    nlohmann::json cfg;
    try {
        cfg = modelPreset(name);
    } catch (const Error&) {
        std::string names;
        for (const auto& n : modelPresetNames()) names += (names.empty() ? "" : ", ") + n;
        throw UsageError("unknown preset '" + name + "' (presets: " + names + ")");
    }
    out["preset"] = name;
    return createRandomModel(parseModelConfig(cfg.dump(), name), static_cast<uint64_t>(a.getInt("seed", 0)), device, dtype);
}

// bench generate: prefill of --prompt-tokens random ids, then --new-tokens greedy steps through the KV cache;
// with --batch B, B such prompts decoded together (tokens/s count every row's tokens).
int runGenerate(Args& a) {
    const std::string deviceName = deviceFromArgs(a), dtypeName = dtypeFromArgs(a);
    const c10::Device device(deviceName);
    const long long promptTokens = a.getInt("prompt-tokens", 512), newTokens = a.getInt("new-tokens", 32);
    if (promptTokens < 1 || newTokens < 1) throw UsageError("--prompt-tokens and --new-tokens must be positive");
    const long long batch = a.getInt("batch", 1);
    if (batch < 1 || batch > 4096) throw UsageError("--batch must be between 1 and 4096");
    const int reps = repeats(a);
    nlohmann::json out = header("generate", deviceName, dtypeName);
    auto model = benchModel(a, device, parseDtype(dtypeName), out);
    if (!model->config().isCausalLM()) throw Error::badInput("bench generate needs a causal language model (Gemma 3, GPT-2)");
    const ModelConfig& c = model->config();
    if (c.arch != Architecture::Gemma3 && promptTokens + newTokens > c.maxPositions)
        throw Error::badInput("--prompt-tokens + --new-tokens exceed the model's " + std::to_string(c.maxPositions) +
                              " positions");
    auto gen = at::detail::createCPUGenerator(1234);
    at::Tensor prompt = at::randint(std::min<int64_t>(3, c.vocabSize - 1), c.vocabSize, {batch, promptTokens}, gen,
                                    at::TensorOptions().dtype(at::kLong));
    ForwardOptions fo;
    fo.hiddenStates = false;
    fo.lastPositionOnly = true;
    std::vector<double> prefill, decode;
    StderrProgress progress(a, "bench generate");
    for (int r = 0; r <= reps; ++r) {  // run 0 warms up
        KVCache cache = model->makeCache();
        auto t0 = Clock::now();
        at::Tensor logits = model->forwardCached(r == 0 ? prompt.narrow(1, 0, std::min<long long>(8, promptTokens)) : prompt,
                                                 cache, fo)
                                .logits;
        at::Tensor next = logits.reshape({batch, -1}).argmax(1).view({batch, 1});
        const double p = since(t0);
        auto t1 = Clock::now();
        const long long steps = r == 0 ? 1 : newTokens;
        for (long long i = 0; i < steps; ++i)
            next = model->forwardCached(next, cache, fo).logits.reshape({batch, -1}).argmax(1).view({batch, 1}).contiguous();
        const double d = since(t1);
        if (r > 0) {
            prefill.push_back(double(batch * promptTokens) / p);
            decode.push_back(double(batch * newTokens) / d);
        }
        progress.report(double(r + 1) / double(reps + 1), "run " + std::to_string(r));
    }
    out["prompt_tokens"] = promptTokens;
    out["new_tokens"] = newTokens;
    out["batch"] = batch;
    out["repeat"] = reps;
    out["prefill_tokens_per_second"] = median(prefill);
    out["decode_tokens_per_second"] = median(decode);
    out["prefill_runs"] = prefill;
    out["decode_runs"] = decode;
    out["peak_rss_bytes"] = eval::peakRssBytes();
    printJson(out);
    return 0;
}

// bench embed: sentence embeddings of --input FILE (one text per line, the model's tokenizer) or of a
// synthetic corpus of --sentences N token sequences with long-tailed lengths (5 + ⌊123·u³⌋ tokens,
// u = frac(i·φ⁻¹): median 20, mean ≈ 35 — the corpus of bench/bench_models).
int runEmbedBench(Args& a) {
    const std::string deviceName = deviceFromArgs(a), dtypeName = dtypeFromArgs(a);
    const c10::Device device(deviceName);
    const int reps = repeats(a);
    EmbeddingOptions o;
    o.pooling = parsePooling(a.get("pooling", "mean"));
    o.layer = a.getInt("layer", -1);
    o.batchSize = a.getInt("batch-size", 32);
    if (o.batchSize <= 0) throw UsageError("--batch-size must be positive");
    nlohmann::json out = header("embed", deviceName, dtypeName);
    auto model = benchModel(a, device, parseDtype(dtypeName), out);
    const ModelConfig& c = model->config();
    std::vector<std::vector<int64_t>> ids;
    if (a.has("input")) {
        if (!a.has("model")) throw UsageError("--input needs --model DIR (its tokenizer)");
        auto tok = loadTokenizer(a.get("model"));
        std::ifstream f(a.get("input"), std::ios::binary);
        if (!f) throw Error::badInput(a.get("input") + ": cannot open");
        std::string line;
        while (std::getline(f, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.empty()) continue;
            ids.push_back(tok->encode(line, true).ids);
            if (ids.back().empty()) ids.pop_back();
        }
        if (ids.empty()) throw Error::badInput(a.get("input") + ": no non-empty lines");
    } else {
        const long long n = a.getInt("sentences", 128);
        if (n < 1) throw UsageError("--sentences must be positive");
        const int64_t limit = c.arch == Architecture::Gemma3 ? 128 : std::min<int64_t>(128, c.maxPositions - c.positionOffset);
        for (long long i = 0; i < n; ++i) {
            double ip;
            const double u = std::modf(static_cast<double>(i) * 0.6180339887498949, &ip);
            const int64_t len = std::min<int64_t>(limit, 5 + static_cast<int64_t>(123.0 * u * u * u));
            std::vector<int64_t> s;
            for (int64_t t = 0; t < len; ++t) s.push_back(3 + (i * 131 + t * 17) % std::max<int64_t>(1, c.vocabSize - 3));
            ids.push_back(std::move(s));
        }
    }
    int64_t tokens = 0;
    for (const auto& s : ids) tokens += static_cast<int64_t>(s.size());
    std::vector<double> rates;
    StderrProgress progress(a, "bench embed");
    for (int r = 0; r <= reps; ++r) {
        auto t0 = Clock::now();
        if (r == 0) embedIds(*model, std::vector<std::vector<int64_t>>(ids.begin(), ids.begin() + std::min<size_t>(8, ids.size())), o);
        else embedIds(*model, ids, o);
        if (r > 0) rates.push_back(double(ids.size()) / since(t0));
        progress.report(double(r + 1) / double(reps + 1), "run " + std::to_string(r));
    }
    out["sentences"] = ids.size();
    out["tokens"] = tokens;
    out["batch_size"] = o.batchSize;
    out["pooling"] = poolingName(o.pooling);
    out["repeat"] = reps;
    out["sentences_per_second"] = median(rates);
    out["tokens_per_second"] = median(rates) * double(tokens) / double(ids.size());
    out["runs"] = rates;
    out["peak_rss_bytes"] = eval::peakRssBytes();
    printJson(out);
    return 0;
}

// bench project: t-SNE, UMAP or PCA of --input FILE or of --points N × --dim D seeded Gaussian clusters.
int runProjectBench(Args& a) {
    const std::string method = a.get("method", "tsne");
    if (method != "pca" && method != "tsne" && method != "umap") throw UsageError("--method must be pca, tsne or umap");
    const int reps = repeats(a, 1);
    at::Tensor x;
    nlohmann::json out = header("project", "cpu", "f32");
    if (a.has("input")) {
        VectorReadReport rep;
        x = readVectors(a.get("input"), {}, &rep).data;
        out["input"] = a.get("input");
    } else {
        const long long n = a.getInt("points", 10000), d = a.getInt("dim", 64);
        if (n < 10 || d < 2) throw UsageError("--points must be at least 10 and --dim at least 2");
        auto gen = at::detail::createCPUGenerator(7);
        at::Tensor centres = at::randn({20, d}, gen) * 4.0;
        at::Tensor lab = at::randint(0, 20, {n}, gen, at::TensorOptions().dtype(at::kLong));
        x = (centres.index_select(0, lab) + at::randn({n, d}, gen)).contiguous();
    }
    out["method"] = method;
    out["points"] = x.size(0);
    out["dim"] = x.size(1);
    std::vector<double> secs;
    at::Tensor coords;
    StderrProgress progress(a, "bench project");
    for (int r = 0; r < reps; ++r) {
        auto t0 = Clock::now();
        if (method == "pca") coords = pca(x, PcaOptions{}).coords;
        else if (method == "tsne") coords = tsne(x, TsneOptions{}).embedding;
        else coords = umap(x, UmapOptions{}).embedding;
        secs.push_back(since(t0));
        progress.report(double(r + 1) / double(reps), "run " + std::to_string(r + 1));
    }
    QualityOptions qo;
    qo.sampleLimit = a.getInt("quality-sample", 5000);
    ProjectionQuality q = projectionQuality(x, coords, qo);
    out["repeat"] = reps;
    out["seconds"] = median(secs);
    out["runs"] = secs;
    out["points_per_second"] = double(x.size(0)) / median(secs);
    out["trustworthiness"] = std::isfinite(q.trustworthiness) ? nlohmann::json(q.trustworthiness) : nlohmann::json(nullptr);
    out["knn_recall"] = q.knnRecall;
    out["k"] = q.k;
    out["quality_sample"] = q.sampleSize;
    printJson(out);
    return 0;
}

// bench load: opening a model folder (memory-mapped), then reading every weight byte; peak RSS
// against the bytes of the weights.
int runLoad(Args& a) {
    const std::string dir = a.require("model");
    const std::string deviceName = deviceFromArgs(a), dtypeName = dtypeFromArgs(a);
    nlohmann::json out = header("load", deviceName, dtypeName);
    const int64_t rssBefore = eval::currentRssBytes();
    std::vector<std::string> warnings;
    auto t0 = Clock::now();
    auto model = loadModel(dir, c10::Device(deviceName), parseDtype(dtypeName), &warnings);
    const double open = since(t0);
    int64_t bytes = 0;
    double checksum = 0;
    auto t1 = Clock::now();
    for (const auto& [name, t] : model->weights()) {
        bytes += t.numel() * static_cast<int64_t>(t.element_size());
        // touches every byte; in chunks of 4 Mi elements, so that no temporary of the tensor's size
        // (671 MB for gemma3-270m's embedding) inflates the peak RSS being measured
        const at::Tensor flat = t.reshape({-1});
        for (int64_t i = 0; i < flat.numel(); i += int64_t(1) << 22)
            checksum += flat.narrow(0, i, std::min<int64_t>(int64_t(1) << 22, flat.numel() - i))
                            .to(at::kFloat).abs().sum().item<double>();
    }
    const double touch = since(t1);
    const int64_t peak = eval::peakRssBytes();
    out["model"] = dir;
    out["weight_bytes"] = bytes;
    out["load_seconds"] = open;
    out["touch_seconds"] = touch;
    out["rss_before_bytes"] = rssBefore;
    out["peak_rss_bytes"] = peak;
    out["peak_rss_over_weights"] = bytes > 0 && peak > 0 ? double(peak - std::max<int64_t>(0, rssBefore)) / double(bytes) : 0.0;
    out["checksum"] = checksum;
    printJson(out);
    return 0;
}

// bench train: optimizer steps of the trainer (engine/train/trainer.h: forward, loss, backward,
// clipping, AdamW) on random full-length sequences (lm) or pairs (contrastive); tokens/s over the
// timed steps after --warmup-steps, and the peak RSS. The same shapes as bench/pytorch_train_baseline.py.
int runTrainBench(Args& a) {
    const std::string deviceName = deviceFromArgs(a), dtypeName = dtypeFromArgs(a);
    nlohmann::json out = header("train", deviceName, dtypeName);
    auto model = benchModel(a, c10::Device(deviceName), at::kFloat, out);  // f32 master weights
    TrainerOptions o;
    o.objective = a.get("objective", model->config().isCausalLM() ? "lm" : "contrastive");
    o.batchSize = a.getInt("batch-size", 8);
    o.seqLen = a.getInt("seq-len", 256);
    const int64_t warm = a.getInt("warmup-steps", 1), timed = a.getInt("steps", 3);
    if (o.batchSize < 1 || o.seqLen < 2 || warm < 0 || timed < 1) throw UsageError("bad --batch-size, --seq-len or --steps");
    o.steps = warm + timed;
    o.dtype = dtypeName;
    o.schedule.baseLr = 1e-4;
    o.schedule.kind = "constant";
    o.optimizer.weightDecay = 0.01;
    o.clip = 0;
    o.shuffle = false;
    o.evalEvery = -1;
    o.pooling = a.get("pooling", "mean");
    char tmpl[] = "/tmp/embedlab-bench-train-XXXXXX";
    if (!::mkdtemp(tmpl)) throw Error::runtime("cannot create a scratch folder");
    o.outDir = tmpl;
    TrainerData d;
    d.configJson = a.has("model") ? nlohmann::json::parse(readFile(a.get("model") + "/config.json"))
                                  : modelPreset(a.get("preset"));
    const int64_t V = model->config().vocabSize;
    at::Generator gen = at::detail::createCPUGenerator(1234);
    auto randomSeqs = [&](int64_t n) {
        const at::Tensor ids = at::randint(V, {n, o.seqLen}, gen, at::TensorOptions().dtype(at::kLong));
        std::vector<std::vector<int64_t>> v(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = std::vector<int64_t>(ids[i].data_ptr<int64_t>(), ids[i].data_ptr<int64_t>() + o.seqLen);
        return TokenSequences::fromVectors(v);
    };
    const int64_t n = o.steps * o.batchSize;
    if (o.objective == "contrastive") d.trainPairs = {randomSeqs(n), randomSeqs(n)};
    else d.train = randomSeqs(n);
    if (o.objective == "mlm") d.maskId = 4;
    StderrProgress progress(a, "bench train");
    TrainResult r;
    try {
        r = runTraining(*model, o, d, progress);
    } catch (...) {
        std::error_code ec;
        std::filesystem::remove_all(o.outDir, ec);
        throw;
    }
    std::error_code ec;
    std::filesystem::remove_all(o.outDir, ec);
    std::vector<double> secs;
    int64_t tokens = 0;
    for (const auto& l : r.log)
        if (l.contains("loss") && l["step"].get<int64_t>() > warm) {
            secs.push_back(l["seconds"].get<double>());
            tokens += l["tokens"].get<int64_t>();
        }
    double total = 0;
    for (double s : secs) total += s;
    out["objective"] = o.objective;
    out["batch_size"] = o.batchSize;
    out["seq_len"] = o.seqLen;
    out["timed_steps"] = secs.size();
    out["step_seconds"] = total / static_cast<double>(secs.size());
    out["step_seconds_median"] = median(secs);
    out["tokens_per_second"] = total > 0 ? static_cast<double>(tokens) / total : 0.0;
    out["peak_rss_mb"] = static_cast<double>(eval::peakRssBytes()) / (1024.0 * 1024.0);
    out["parameters"] = model->parameterCounts().total();
    out["final_loss"] = r.finalLoss;
    printJson(out);
    return 0;
}

// bench transfer: matching a target tokenizer against a source model's tokenizer and building the rows
// (engine/transfer/vocab_transfer.h), timed per stage; the peak RSS over what was resident before
// (model opened memory-mapped, tokenizers loaded) against the bytes of the source and target matrices.
// focus / omp use --aux-vectors FILE or random auxiliary vectors of --aux-dim for every target token.
int runTransferBench(Args& a) {
    const std::string dir = a.require("model");
    nlohmann::json out = header("transfer", "cpu", "f32");
    auto model = loadModel(dir, c10::Device(c10::kCPU), loadModelConfig(dir).torchDtype == "bfloat16" ? at::kBFloat16 : at::kFloat);
    const auto source = loadTokenizer(a.get("source-tokenizer", dir));
    const auto target = loadTokenizer(a.require("target-tokenizer"));
    TransferOptions o;
    o.strategy = parseTransferStrategy(a.get("strategy", "mean"));
    o.ompK = static_cast<int>(a.getInt("omp-k", 32));
    std::optional<AuxiliaryVectors> aux;
    if (a.has("aux-vectors")) {
        aux = readAuxiliaryVectors(a.get("aux-vectors"), *target);
    } else if (o.strategy == TransferStrategy::Focus || o.strategy == TransferStrategy::Omp) {
        aux.emplace();
        auto gen = at::detail::createCPUGenerator(1);
        aux->vectors = at::randn({target->vocabSize(), a.getInt("aux-dim", 100)}, gen, at::TensorOptions().dtype(at::kFloat));
        for (int64_t i = 0; i < target->vocabSize(); ++i) aux->targetIds.push_back(i);
    }
    const at::Tensor emb = model->inputEmbeddings();
    const int64_t rssBefore = eval::currentRssBytes();
    auto t0 = Clock::now();
    const VocabularyMatch m = matchVocabularies(*source, *target, emb.size(0));
    const double matchSeconds = since(t0);
    auto t1 = Clock::now();
    const TransferResult r = buildTransfer(m, emb, o, aux ? &*aux : nullptr);
    const double buildSeconds = since(t1);
    const int64_t peak = eval::peakRssBytes();
    const int64_t matrices = emb.numel() * static_cast<int64_t>(emb.element_size()) + r.rows.numel() * 4;
    const nlohmann::json rep = transferReport(*source, *target, m, r);
    out["model"] = dir;
    out["strategy"] = transferStrategyName(o.strategy);
    if (o.strategy == TransferStrategy::Omp) out["omp_k"] = o.ompK;
    if (aux) out["aux_dim"] = aux->vectors.size(1);
    out["source_rows"] = emb.size(0);
    out["hidden"] = emb.size(1);
    out["target_tokens"] = target->vocabSize();
    out["match_seconds"] = matchSeconds;
    out["build_seconds"] = buildSeconds;
    out["seconds"] = matchSeconds + buildSeconds;
    out["matrices_bytes"] = matrices;
    out["rss_before_bytes"] = rssBefore;
    out["peak_rss_bytes"] = peak;
    out["peak_rss_over_matrices"] = peak > 0 ? double(peak - std::max<int64_t>(0, rssBefore)) / double(matrices) : 0.0;
    out["summary"] = rep["summary"];
    printJson(out);
    return 0;
}

int runBench(Args& a) {
    if (a.positional.empty()) throw UsageError("which benchmark? generate, embed, project, load or train");
    const std::string what = a.positional.front();
    if (what == "generate") return runGenerate(a);
    if (what == "embed") return runEmbedBench(a);
    if (what == "project") return runProjectBench(a);
    if (what == "load") return runLoad(a);
    if (what == "train") return runTrainBench(a);
    if (what == "transfer") return runTransferBench(a);
    throw UsageError("unknown benchmark '" + what + "': use generate, embed, project, load, train or transfer");
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "bench",
    "bench generate (--model DIR | --preset NAME) [--prompt-tokens 512] [--new-tokens 32] [--batch 1] [--repeat 3]\n"
    "  bench embed (--model DIR [--input FILE] | --preset NAME) [--sentences 128] [--batch-size 32] [--pooling P]\n"
    "  bench project [--input FILE | --points 10000 --dim 64] [--method tsne|umap|pca] [--repeat 1]\n"
    "  bench load --model DIR\n"
    "  bench train (--model DIR | --preset NAME) [--objective lm|mlm|contrastive] [--batch-size 8] [--seq-len 256]\n"
    "    [--steps 3] [--warmup-steps 1] [--pooling mean]\n"
    "  bench transfer --model DIR --target-tokenizer PATH [--strategy mean|…|omp] [--omp-k 32] [--aux-dim 100 | --aux-vectors FILE]\n"
    "  → one JSON object: medians over --repeat runs (after a warm-up) with machine, threads, device, dtype",
    {},
    {"model", "preset", "prompt-tokens", "new-tokens", "batch", "repeat", "seed", "input", "sentences", "batch-size", "pooling",
     "layer", "points", "dim", "method", "quality-sample", "objective", "seq-len", "steps", "warmup-steps",
     "source-tokenizer", "target-tokenizer", "strategy", "omp-k", "aux-dim", "aux-vectors"},
    runBench});

}  // namespace embedlab::cli
