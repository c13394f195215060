// Model engine throughput: a gemma3-270m-shaped decoder with random weights (prefill and decode
// tokens/s, f32 and bf16) and a BERT-base-shaped encoder (sentences/s for embeddings).
// Prints one JSON object. Usage: bench_models [--threads N] [--prefill N] [--decode N] [--quick] [--only gemma|bert]
//                     [--dtype f32|bf16] [--rounds N]   (one dtype; medians of N rounds: Gemma prefill +
//                     decode, BERT corpus passes)
// Compare with bench/pytorch_baseline.py (same shapes, same machine, same threads).
#include "engine/device/blas_setup.h"
#include "engine/device/device.h"
#include "engine/models/dtype.h"
#include "engine/models/embedding.h"
#include "engine/models/kv_cache.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

using namespace embedlab;
using Clock = std::chrono::steady_clock;

static double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

static std::string cpuModel() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
    return "unknown";
}

// Memory of this process in transparent huge pages, MB (-1 when unknown).
static int64_t anonHugePagesMb() {
    std::ifstream f("/proc/self/smaps_rollup");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("AnonHugePages:", 0) == 0) return std::atoll(line.c_str() + 14) / 1024;
    return -1;
}

static ModelConfig gemma270m() {
    ModelConfig c;
    c.arch = Architecture::Gemma3;
    c.modelType = "gemma3_text";
    c.vocabSize = 262144;
    c.hiddenSize = 640;
    c.numLayers = 18;
    c.numHeads = 4;
    c.numKvHeads = 1;
    c.headDim = 256;
    c.intermediateSize = 2048;
    c.maxPositions = 32768;
    c.normEps = 1e-6;
    c.activation = "gelu_pytorch_tanh";
    c.slidingWindow = 512;
    c.ropeTheta = 1e6;
    c.ropeLocalBase = 1e4;
    c.queryPreAttnScalar = 256;
    for (int i = 0; i < 18; ++i) c.slidingLayers.push_back((i + 1) % 6 != 0);
    return c;
}

static ModelConfig bertBase() {
    ModelConfig c;
    c.arch = Architecture::Bert;
    c.modelType = "bert";
    c.vocabSize = 30522;
    c.hiddenSize = 768;
    c.numLayers = 12;
    c.numHeads = 12;
    c.numKvHeads = 12;
    c.headDim = 64;
    c.intermediateSize = 3072;
    c.maxPositions = 512;
    c.typeVocabSize = 2;
    c.normEps = 1e-12;
    c.activation = "gelu";
    c.padTokenId = 0;
    return c;
}

int main(int argc, char** argv) {
    embedlab::reexecWithFastBlasIfNeeded(argv);
    int threads = 2;
    int64_t prefill = 512, decode = 64;
    bool quick = false;
    int64_t sentences = 128;
    std::string only;  // "gemma" or "bert": one half (profiling)
    std::string onlyDtype;
    int rounds = 1;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
        else if (a == "--prefill" && i + 1 < argc) prefill = std::atoll(argv[++i]);
        else if (a == "--decode" && i + 1 < argc) decode = std::atoll(argv[++i]);
        else if (a == "--sentences" && i + 1 < argc) sentences = std::atoll(argv[++i]);
        else if (a == "--quick") quick = true;
        else if (a == "--only" && i + 1 < argc) only = argv[++i];
        else if (a == "--dtype" && i + 1 < argc) onlyDtype = argv[++i];
        else if (a == "--rounds" && i + 1 < argc) rounds = std::max(1, std::atoi(argv[++i]));
    }
    if (quick) {
        prefill = 64;
        decode = 8;
    }
    setThreadCount(threads);
    nlohmann::json out = {{"machine", cpuModel()}, {"hardware_threads", hardwareThreads()}, {"threads", threadCount()},
                          {"torch", torchVersion()}, {"blas", blasDescription()},
                          {"malloc_huge_pages", mallocUsesHugePages()},
                          {"glibc_tunables", std::getenv("GLIBC_TUNABLES") ? std::getenv("GLIBC_TUNABLES") : ""}};
  if (only != "bert") {
    // The machine's read bandwidth (ATen's vectorised sum over 1 GiB, the benchmark's threads): a
    // decode step reads every weight once, so bandwidth / weight bytes bounds decode tokens/s.
    double bandwidth = 0;
    {
        at::Tensor big = at::ones({int64_t(1) << 28}, at::kFloat);
        for (int r = 0; r < 5; ++r) {
            auto t = Clock::now();
            volatile float sum = big.sum().item<float>();
            (void)sum;
            bandwidth = std::max(bandwidth, big.numel() * 4.0 / since(t) / 1e9);
        }
    }
    out["read_bandwidth_gb_s"] = bandwidth;
    auto model = createRandomModel(gemma270m(), 1234);
    out["gemma3_270m_params"] = model->parameterCounts().total();
    at::Tensor prompt = at::randint(3, 262144, {1, prefill}, at::TensorOptions().dtype(at::kLong));
    nlohmann::json gem = nlohmann::json::array();
    for (auto dtype : {at::kFloat, at::kBFloat16}) {
        if (!onlyDtype.empty() && onlyDtype != dtypeName(dtype)) continue;
        model->to(c10::Device(c10::kCPU), dtype);
        ForwardOptions fo;
        fo.hiddenStates = false;
        fo.lastPositionOnly = true;
        {  // warm-up
            KVCache c = model->makeCache();
            model->forwardCached(prompt.narrow(1, 0, 8), c, fo);
        }
        // Rounds of prefill + decode from a fresh cache; the medians of each (a shared VM has bursts).
        std::vector<double> prefillTimes, decodeTimes;
        for (int r = 0; r < rounds; ++r) {
            KVCache cache = model->makeCache();
            auto t0 = Clock::now();
            at::Tensor logits = model->forwardCached(prompt, cache, fo).logits;
            prefillTimes.push_back(since(t0));
            int64_t next = logits.reshape({-1}).argmax().item<int64_t>();
            auto t1 = Clock::now();
            for (int64_t i = 0; i < decode; ++i) {
                at::Tensor in = at::full({1, 1}, next, at::TensorOptions().dtype(at::kLong));
                next = model->forwardCached(in, cache, fo).logits.reshape({-1}).argmax().item<int64_t>();
            }
            decodeTimes.push_back(since(t1));
        }
        std::sort(prefillTimes.begin(), prefillTimes.end());
        std::sort(decodeTimes.begin(), decodeTimes.end());
        const double prefillS = prefillTimes[prefillTimes.size() / 2];
        const double decodeS = decodeTimes[decodeTimes.size() / 2];
        gem.push_back({{"dtype", dtypeName(dtype)},
                       {"prefill_tokens", prefill},
                       {"prefill_tokens_per_second", prefill / prefillS},
                       {"decode_tokens", decode},
                       {"decode_tokens_per_second", decode / decodeS},
                       {"decode_context", prefill},
                       {"rounds", rounds},
                       {"anon_huge_pages_mb", anonHugePagesMb()},
                       {"weight_bytes", model->weightBytes()},
                       {"decode_roofline_tokens_per_second", bandwidth * 1e9 / static_cast<double>(model->weightBytes())}});
        std::fprintf(stderr, "gemma3-270m %s: prefill %.1f tok/s, decode %.2f tok/s\n", dtypeName(dtype).c_str(),
                     prefill / prefillS, decode / decodeS);
    }
    out["gemma3_270m"] = gem;
  }
  if (only != "gemma") {

    auto bert = createRandomModel(bertBase(), 99);
    const int64_t n = quick ? 16 : sentences;
    std::vector<std::vector<int64_t>> sents;
    int64_t tokens = 0;
    for (int64_t i = 0; i < n; ++i) {
        // The corpus of bench/pytorch_baseline.py: 5 + ⌊123·u³⌋ tokens, u = frac(i·φ⁻¹).
        double ip;
        const double u = std::modf(static_cast<double>(i) * 0.6180339887498949, &ip);
        const int64_t len = 5 + static_cast<int64_t>(123.0 * u * u * u);
        std::vector<int64_t> s = {101};
        for (int64_t t = 0; t < len - 2; ++t) s.push_back(1000 + (i * 131 + t * 17) % 29000);
        s.push_back(102);
        tokens += len;
        sents.push_back(s);
    }
    nlohmann::json enc = nlohmann::json::array();
    for (auto dtype : {at::kFloat, at::kBFloat16}) {
        if (!onlyDtype.empty() && onlyDtype != dtypeName(dtype)) continue;
        bert->to(c10::Device(c10::kCPU), dtype);
        EmbeddingOptions eo;
        eo.batchSize = 32;
        embedIds(*bert, std::vector<std::vector<int64_t>>(sents.begin(), sents.begin() + 8), eo);  // warm-up
        std::vector<double> times;  // median of the rounds, as for Gemma
        for (int r = 0; r < rounds; ++r) {
            auto t0 = Clock::now();
            embedIds(*bert, sents, eo);
            times.push_back(since(t0));
        }
        std::sort(times.begin(), times.end());
        const double s = times[times.size() / 2];
        enc.push_back({{"dtype", dtypeName(dtype)}, {"sentences", n}, {"tokens", tokens}, {"batch_size", 32},
                       {"sentences_per_second", n / s}, {"rounds", rounds}});
        std::fprintf(stderr, "bert-base %s: %.1f sentences/s\n", dtypeName(dtype).c_str(), n / s);
    }
    out["bert_base_embed"] = enc;
  }
    std::cout << out.dump() << std::endl;
    return 0;
}
