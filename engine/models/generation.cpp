#include "engine/models/generation.h"

#include "engine/core/error.h"
#include "engine/models/kv_cache.h"
#include "engine/models/model.h"

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

void checkOptions(const ModelConfig& c, const GenerationOptions& o) {
    if (!c.isCausalLM())
        throw Error::badInput(std::string(architectureName(c.arch)) + " is an encoder; generation needs a causal LM");
    if (o.maxNewTokens < 0) throw Error::badInput("max new tokens must be >= 0");
    if (o.temperature < 0) throw Error::badInput("temperature must be >= 0");
    if (o.topP <= 0 || o.topP > 1) throw Error::badInput("top-p must be in (0, 1]");
    if (o.topK < 0) throw Error::badInput("top-k must be >= 0");
    if (o.repetitionPenalty <= 0) throw Error::badInput("repetition penalty must be positive");
    if (!o.stopStrings.empty() && !o.detokenize) throw Error::badInput("stop strings need a detokenizer");
}

void checkPrompt(const ModelConfig& c, const std::vector<int64_t>& prompt) {
    if (prompt.empty()) throw Error::badInput("the prompt is empty (give at least one token)");
    for (int64_t id : prompt)
        if (id < 0 || id >= c.vocabSize) throw Error::badInput("prompt token id " + std::to_string(id) + " is outside the vocabulary");
}

// New tokens allowed after a prompt: GPT-2's learned positions end at maxPositions.
int64_t roomFor(const ModelConfig& c, int64_t promptTokens, int64_t maxNew, bool& positionLimited) {
    positionLimited = false;
    if (c.arch != Architecture::Gpt2) return maxNew;
    const int64_t room = c.maxPositions - promptTokens;
    if (room <= 0) throw Error::badInput("the prompt fills GPT-2's " + std::to_string(c.maxPositions) + " positions");
    if (maxNew > room) {
        positionLimited = true;
        return room;
    }
    return maxNew;
}

// One decoding step of one sequence: penalty, temperature, top-k/top-p filtering, the choice and its
// probabilities. `logits` [vocab] f32 on CPU.
GenerationStep sampleStep(const at::Tensor& logits, const GenerationOptions& o, at::Generator& gen,
                          const std::set<int64_t>& seen) {
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
        for (int64_t j = 0; j < tv.size(0); ++j) st.top.push_back(TokenProb{ti[j].item<int64_t>(), tv[j].item<double>()});
    }
    return st;
}

// After a sequence produced `st` (already appended to r): the reason it stops now, or "".
std::string stopAfter(const GenerationStep& st, GenerationResult& r, const GenerationOptions& o,
                      const std::function<bool(const GenerationStep&)>& onToken) {
    if (std::find(o.eosTokenIds.begin(), o.eosTokenIds.end(), st.id) != o.eosTokenIds.end()) return "eos";
    if (!o.stopStrings.empty()) {
        const std::string text = o.detokenize(r.ids);
        for (const auto& s : o.stopStrings)
            if (!s.empty() && text.find(s) != std::string::npos) return "stop_string";
    }
    if (onToken && !onToken(st)) return "callback";
    return "";
}

void finish(GenerationResult& r, const GenerationOptions& o, int64_t decodeForwards) {
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
}

ForwardOptions lastLogitsOnly(const GenerationOptions& o) {
    ForwardOptions fo;
    fo.hiddenStates = false;
    fo.logits = true;
    fo.lastPositionOnly = true;
    fo.interventions = o.interventions;
    return fo;
}

}  // namespace

GenerationResult generate(Model& model, const std::vector<int64_t>& prompt, const GenerationOptions& o,
                          Progress& progress) {
    const ModelConfig& c = model.config();
    checkOptions(c, o);
    checkPrompt(c, prompt);

    at::InferenceMode guard;
    GenerationResult r;
    r.promptTokens = static_cast<int64_t>(prompt.size());
    bool positionLimited = false;
    const int64_t maxNew = roomFor(c, r.promptTokens, o.maxNewTokens, positionLimited);
    r.stopReason = "length";
    if (maxNew == 0) return r;

    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    std::set<int64_t> seen(prompt.begin(), prompt.end());
    KVCache cache = model.makeCache();
    ForwardOptions fo = lastLogitsOnly(o);
    fo.cancel = &progress;  // a long prompt's prefill is stopped between layers

    auto t0 = std::chrono::steady_clock::now();
    at::Tensor input = at::tensor(prompt, at::TensorOptions().dtype(at::kLong)).view({1, -1});
    ForwardOutput out = model.forwardCached(input, cache, fo);
    at::Tensor logits = out.logits.reshape({-1}).to(at::kCPU, at::kFloat);
    auto t1 = std::chrono::steady_clock::now();
    r.prefillSeconds = seconds(t0, t1);
    int64_t decodeForwards = 0;

    for (int64_t step = 0; step < maxNew; ++step) {
        if (o.keepLogits) r.stepLogits.push_back(logits.clone());
        const GenerationStep st = sampleStep(logits, o, gen, seen);
        r.ids.push_back(st.id);
        r.steps.push_back(st);
        seen.insert(st.id);
        progress.report(static_cast<double>(step + 1) / static_cast<double>(maxNew), "generating");
        const std::string stop = stopAfter(st, r, o, o.onToken);
        if (!stop.empty()) {
            r.stopReason = stop;
            break;
        }
        if (step + 1 == maxNew) {
            if (positionLimited) r.stopReason = "max_positions";
            break;
        }
        at::Tensor next = at::full({1, 1}, st.id, at::TensorOptions().dtype(at::kLong));
        out = model.forwardCached(next, cache, fo);
        logits = out.logits.reshape({-1}).to(at::kCPU, at::kFloat);
        ++decodeForwards;
    }
    r.decodeSeconds = seconds(t1, std::chrono::steady_clock::now());
    finish(r, o, decodeForwards);
    return r;
}

std::vector<GenerationResult> generateBatch(Model& model, const std::vector<std::vector<int64_t>>& prompts,
                                            const GenerationOptions& o, Progress& progress) {
    const ModelConfig& c = model.config();
    checkOptions(c, o);
    for (const auto& p : prompts) checkPrompt(c, p);
    const int64_t B = static_cast<int64_t>(prompts.size());
    std::vector<GenerationResult> results(static_cast<size_t>(B));
    if (B == 0) return results;

    at::InferenceMode guard;
    // Left-pad to the longest prompt; the cache masks the padding (and GPT-2 counts positions from
    // each row's first real token), so every row computes what it would alone.
    int64_t Lmax = 0;
    for (const auto& p : prompts) Lmax = std::max<int64_t>(Lmax, static_cast<int64_t>(p.size()));
    std::vector<int64_t> pads(static_cast<size_t>(B)), flat;
    flat.reserve(static_cast<size_t>(B * Lmax));
    struct Row {
        at::Generator gen;
        std::set<int64_t> seen;
        int64_t maxNew = 0;
        bool positionLimited = false;
        bool active = true;
        int64_t forwards = 0;
    };
    std::vector<Row> rows(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) {
        const auto& p = prompts[static_cast<size_t>(b)];
        pads[static_cast<size_t>(b)] = Lmax - static_cast<int64_t>(p.size());
        for (int64_t t = 0; t < pads[static_cast<size_t>(b)]; ++t) flat.push_back(p.front());  // masked
        flat.insert(flat.end(), p.begin(), p.end());
        Row& row = rows[static_cast<size_t>(b)];
        row.gen = at::detail::createCPUGenerator(o.seed + static_cast<uint64_t>(b));  // as prompt b alone with seed + b
        row.seen = std::set<int64_t>(p.begin(), p.end());
        row.maxNew = roomFor(c, static_cast<int64_t>(p.size()), o.maxNewTokens, row.positionLimited);
        row.active = row.maxNew > 0;
        GenerationResult& r = results[static_cast<size_t>(b)];
        r.promptTokens = static_cast<int64_t>(p.size());
        r.stopReason = "length";
    }
    int64_t maxSteps = 0;
    for (const Row& row : rows) maxSteps = std::max(maxSteps, row.maxNew);
    if (maxSteps == 0) return results;

    KVCache cache = model.makeCache();
    cache.setLeftPadding(pads);
    ForwardOptions fo = lastLogitsOnly(o);
    fo.cancel = &progress;  // a long prompt's prefill is stopped between layers
    auto t0 = std::chrono::steady_clock::now();
    ForwardOutput out = model.forwardCached(at::tensor(flat, at::TensorOptions().dtype(at::kLong)).view({B, Lmax}), cache, fo);
    at::Tensor logits = out.logits.reshape({B, -1}).to(at::kCPU, at::kFloat);
    auto t1 = std::chrono::steady_clock::now();
    for (auto& r : results) r.prefillSeconds = seconds(t0, t1);

    // live[i]: the prompt in row i of the cache and of the logits. Rows that finish are fed their last
    // token (their logits are not read) until a quarter of the batch has finished; then they leave it
    // (KVCache::keepRows), so the remaining steps do not compute them. A quarter bounds the copying of
    // the cache to a few times its size over the whole generation.
    std::vector<int64_t> live(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; ++b) live[static_cast<size_t>(b)] = b;
    std::vector<int64_t> next(static_cast<size_t>(B), 0);
    for (int64_t step = 0; step < maxSteps; ++step) {
        for (size_t i = 0; i < live.size(); ++i) {
            const int64_t b = live[i];
            Row& row = rows[static_cast<size_t>(b)];
            GenerationResult& r = results[static_cast<size_t>(b)];
            if (!row.active) continue;
            at::Tensor lb = logits[static_cast<int64_t>(i)];
            if (o.keepLogits) r.stepLogits.push_back(lb.clone());
            const GenerationStep st = sampleStep(lb, o, row.gen, row.seen);
            r.ids.push_back(st.id);
            r.steps.push_back(st);
            row.seen.insert(st.id);
            next[i] = st.id;
            std::function<bool(const GenerationStep&)> onToken;
            if (o.onBatchToken) onToken = [&o, b](const GenerationStep& s) { return o.onBatchToken(static_cast<size_t>(b), s); };
            else onToken = o.onToken;
            const std::string stop = stopAfter(st, r, o, onToken);
            if (!stop.empty()) {
                r.stopReason = stop;
                row.active = false;
            } else if (step + 1 == row.maxNew) {
                if (row.positionLimited) r.stopReason = "max_positions";
                row.active = false;
            } else {
                ++row.forwards;
            }
        }
        progress.report(static_cast<double>(step + 1) / static_cast<double>(maxSteps), "generating");
        if (std::none_of(rows.begin(), rows.end(), [](const Row& row) { return row.active; })) break;
        std::vector<int64_t> keep;
        for (size_t i = 0; i < live.size(); ++i)
            if (rows[static_cast<size_t>(live[i])].active) keep.push_back(static_cast<int64_t>(i));
        const size_t finished = live.size() - keep.size();
        if (finished > 0 && finished >= std::max<size_t>(1, live.size() / 4)) {
            cache.keepRows(keep);
            std::vector<int64_t> liveKept, nextKept;
            for (int64_t i : keep) {
                liveKept.push_back(live[static_cast<size_t>(i)]);
                nextKept.push_back(next[static_cast<size_t>(i)]);
            }
            live = std::move(liveKept);
            next = std::move(nextKept);
        }
        const int64_t rowsNow = static_cast<int64_t>(live.size());
        out = model.forwardCached(at::tensor(next, at::TensorOptions().dtype(at::kLong)).view({rowsNow, 1}), cache, fo);
        logits = out.logits.reshape({rowsNow, -1}).to(at::kCPU, at::kFloat);
        for (int64_t b : live)
            if (rows[static_cast<size_t>(b)].active) results[static_cast<size_t>(b)].batchRowsLastStep = rowsNow;
    }
    const double decode = seconds(t1, std::chrono::steady_clock::now());
    for (int64_t b = 0; b < B; ++b) {
        GenerationResult& r = results[static_cast<size_t>(b)];
        r.decodeSeconds = decode;
        finish(r, o, rows[static_cast<size_t>(b)].forwards);
    }
    return results;
}

}  // namespace embedlab
