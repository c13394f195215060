#include "models/generation.h"

#include "core/error.h"
#include "models/kv_cache.h"
#include "models/model.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <set>

namespace embedlab {

namespace {

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

}  // namespace

GenerationResult generate(Model& model, const std::vector<int64_t>& prompt, const GenerationOptions& o,
                          Progress& progress) {
    const ModelConfig& c = model.config();
    if (!c.isCausalLM())
        throw Error::badInput(std::string(architectureName(c.arch)) + " is an encoder; generation needs a causal LM");
    if (prompt.empty()) throw Error::badInput("the prompt is empty (give at least one token)");
    if (o.maxNewTokens < 0) throw Error::badInput("max new tokens must be >= 0");
    if (o.temperature < 0) throw Error::badInput("temperature must be >= 0");
    if (o.topP <= 0 || o.topP > 1) throw Error::badInput("top-p must be in (0, 1]");
    if (o.topK < 0) throw Error::badInput("top-k must be >= 0");
    if (o.repetitionPenalty <= 0) throw Error::badInput("repetition penalty must be positive");
    if (!o.stopStrings.empty() && !o.detokenize) throw Error::badInput("stop strings need a detokenizer");
    for (int64_t id : prompt)
        if (id < 0 || id >= c.vocabSize) throw Error::badInput("prompt token id " + std::to_string(id) + " is outside the vocabulary");

    at::InferenceMode guard;
    GenerationResult r;
    r.promptTokens = static_cast<int64_t>(prompt.size());
    int64_t maxNew = o.maxNewTokens;
    bool positionLimited = false;
    if (c.arch == Architecture::Gpt2) {
        const int64_t room = c.maxPositions - r.promptTokens;
        if (room <= 0) throw Error::badInput("the prompt fills GPT-2's " + std::to_string(c.maxPositions) + " positions");
        if (maxNew > room) {
            maxNew = room;
            positionLimited = true;
        }
    }
    r.stopReason = "length";
    if (maxNew == 0) return r;

    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    std::set<int64_t> seen(prompt.begin(), prompt.end());
    KVCache cache = model.makeCache();
    ForwardOptions fo;
    fo.hiddenStates = false;
    fo.logits = true;
    fo.lastPositionOnly = true;

    auto t0 = std::chrono::steady_clock::now();
    at::Tensor input = at::tensor(prompt, at::TensorOptions().dtype(at::kLong)).view({1, -1});
    ForwardOutput out = model.forwardCached(input, cache, fo);
    at::Tensor logits = out.logits.reshape({-1}).to(at::kCPU, at::kFloat);
    auto t1 = std::chrono::steady_clock::now();
    r.prefillSeconds = seconds(t0, t1);
    int64_t decodeForwards = 0;
    auto decodeStart = t1;

    for (int64_t step = 0; step < maxNew; ++step) {
        if (o.keepLogits) r.stepLogits.push_back(logits.clone());
        at::Tensor scores = logits.clone();
        if (o.repetitionPenalty != 1.0 && !seen.empty()) {
            std::vector<int64_t> ids(seen.begin(), seen.end());
            at::Tensor idx = at::tensor(ids, at::TensorOptions().dtype(at::kLong));
            at::Tensor s = scores.index_select(0, idx);
            s = at::where(s.lt(0), s * o.repetitionPenalty, s / o.repetitionPenalty);
            scores.index_copy_(0, idx, s);
        }
        const bool greedy = o.temperature <= 0.0;
        if (!greedy) scores.div_(o.temperature);
        at::Tensor probs = at::softmax(scores, 0);
        int64_t chosen = 0;
        if (greedy) {
            chosen = scores.argmax().item<int64_t>();
        } else {
            at::Tensor filtered = scores.clone();
            if (o.topK > 0 && o.topK < filtered.size(0)) {
                const double kth = std::get<0>(at::topk(filtered, o.topK)).min().item<double>();
                filtered.masked_fill_(filtered.lt(kth), -std::numeric_limits<float>::infinity());
            }
            if (o.topP < 1.0) {
                auto sorted = at::sort(filtered, 0, /*descending=*/true);
                at::Tensor sp = at::softmax(std::get<0>(sorted), 0);
                at::Tensor cum = at::cumsum(sp, 0);
                at::Tensor remove = (cum - sp).gt(o.topP);  // keep the smallest prefix reaching topP
                remove[0] = false;
                at::Tensor removeIdx = std::get<1>(sorted).masked_select(remove);
                filtered.index_fill_(0, removeIdx, -std::numeric_limits<float>::infinity());
            }
            at::Tensor fp = at::softmax(filtered, 0);
            chosen = at::multinomial(fp, 1, false, gen).item<int64_t>();
        }
        GenerationStep st;
        st.id = chosen;
        st.prob = probs[chosen].item<double>();
        if (o.topLogprobs > 0) {
            auto tk = at::topk(probs, std::min<int64_t>(o.topLogprobs, probs.size(0)));
            at::Tensor tv = std::get<0>(tk).contiguous(), ti = std::get<1>(tk).contiguous();
            for (int64_t j = 0; j < tv.size(0); ++j)
                st.top.push_back(TokenProb{ti[j].item<int64_t>(), tv[j].item<double>()});
        }
        r.ids.push_back(chosen);
        r.steps.push_back(st);
        seen.insert(chosen);
        progress.report(static_cast<double>(step + 1) / static_cast<double>(maxNew), "generating");

        if (std::find(o.eosTokenIds.begin(), o.eosTokenIds.end(), chosen) != o.eosTokenIds.end()) {
            r.stopReason = "eos";
            break;
        }
        if (!o.stopStrings.empty()) {
            const std::string text = o.detokenize(r.ids);
            bool hit = false;
            for (const auto& s : o.stopStrings)
                if (!s.empty() && text.find(s) != std::string::npos) hit = true;
            if (hit) {
                r.stopReason = "stop_string";
                break;
            }
        }
        if (o.onToken && !o.onToken(st)) {
            r.stopReason = "callback";
            break;
        }
        if (step + 1 == maxNew) {
            if (positionLimited) r.stopReason = "max_positions";
            break;
        }
        at::Tensor next = at::full({1, 1}, chosen, at::TensorOptions().dtype(at::kLong));
        out = model.forwardCached(next, cache, fo);
        logits = out.logits.reshape({-1}).to(at::kCPU, at::kFloat);
        ++decodeForwards;
    }
    r.decodeSeconds = seconds(decodeStart, std::chrono::steady_clock::now());
    r.prefillTokensPerSecond = r.prefillSeconds > 0 ? static_cast<double>(r.promptTokens) / r.prefillSeconds : 0.0;
    r.decodeTokensPerSecond =
        r.decodeSeconds > 0 && decodeForwards > 0 ? static_cast<double>(decodeForwards) / r.decodeSeconds : 0.0;
    if (o.detokenize) {
        r.text = o.detokenize(r.ids);
        if (r.stopReason == "stop_string") {
            size_t cut = std::string::npos;
            for (const auto& s : o.stopStrings)
                if (!s.empty()) cut = std::min(cut, r.text.find(s));
            if (cut != std::string::npos) r.text.resize(cut);
        }
    }
    return r;
}

std::vector<GenerationResult> generateBatch(Model& model, const std::vector<std::vector<int64_t>>& prompts,
                                            const GenerationOptions& options, Progress& progress) {
    std::vector<GenerationResult> results;
    for (size_t i = 0; i < prompts.size(); ++i) {
        GenerationOptions o = options;
        o.seed = options.seed + i;
        Progress::Scope scope(progress, static_cast<double>(i) / prompts.size(), static_cast<double>(i + 1) / prompts.size());
        progress.checkCancelled();
        results.push_back(generate(model, prompts[i], o, progress));
        scope.report(1.0, "generated " + std::to_string(i + 1) + "/" + std::to_string(prompts.size()));
    }
    return results;
}

}  // namespace embedlab
