#include "engine/eval/perplexity.h"

#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace embedlab::eval {

PerplexityResult perplexityOfIds(Model& model, const std::vector<int64_t>& ids, const PerplexityOptions& o,
                                 Progress& progress) {
    const ModelConfig& cfg = model.config();
    if (!cfg.isCausalLM())
        throw Error::badInput(std::string("perplexity needs a causal language model; this is a ") +
                              architectureName(cfg.arch) + " encoder");
    if (ids.size() < 2) throw Error::badInput("perplexity: the text has fewer than 2 tokens");
    PerplexityResult r;
    int64_t maxLen = o.maxLength;
    if (maxLen <= 0) maxLen = cfg.arch == Architecture::Gpt2 && cfg.maxPositions > 0 ? std::min<int64_t>(cfg.maxPositions, 1024) : 1024;
    if (cfg.arch == Architecture::Gpt2 && cfg.maxPositions > 0 && maxLen > cfg.maxPositions)
        throw Error::badInput("perplexity: --max-length " + std::to_string(maxLen) + " exceeds the model's " +
                              std::to_string(cfg.maxPositions) + " positions");
    if (maxLen < 2) throw Error::badInput("perplexity: the window must hold at least 2 tokens");
    int64_t stride = o.stride > 0 ? o.stride : std::max<int64_t>(1, maxLen / 2);
    stride = std::min(stride, maxLen);
    r.maxLength = maxLen;
    r.stride = stride;
    const int64_t n = static_cast<int64_t>(ids.size());
    r.inputTokens = n;
    for (int64_t id : ids)
        if (id < 0 || id >= cfg.vocabSize)
            throw Error::badInput("perplexity: token id " + std::to_string(id) + " is outside the model's vocabulary of " +
                                  std::to_string(cfg.vocabSize) + " (tokenizer and model do not match)");
    double nll = 0;
    int64_t scored = 0, prevEnd = 0;
    ForwardOptions fo;
    fo.hiddenStates = false;
    fo.logits = true;
    fo.interventions = o.interventions;
    fo.cancel = &progress;  // a 1,024-token window of a large model takes seconds
    for (int64_t begin = 0; begin < n; begin += stride) {
        progress.report(static_cast<double>(begin) / static_cast<double>(n), "perplexity");
        const int64_t end = std::min(begin + maxLen, n);
        // score target positions p in [max(prevEnd, begin + 1), end)
        const int64_t first = std::max(prevEnd, begin + 1);
        if (first < end) {
            at::Tensor input = at::tensor(std::vector<int64_t>(ids.begin() + begin, ids.begin() + end), at::kLong)
                                   .unsqueeze(0);
            ForwardOutput out = model.forward(input, at::Tensor(), at::Tensor(), fo);
            if (!out.logits.defined()) throw Error::runtime("perplexity: the model returned no logits");
            // logits at position p-1 predict token p
            at::Tensor lg = out.logits[0].slice(0, first - 1 - begin, end - 1 - begin).to(at::kCPU, at::kFloat);
            at::Tensor lp = at::log_softmax(lg, -1);
            at::Tensor tgt = input[0].slice(0, first - begin, end - begin).to(at::kCPU);
            at::Tensor picked = lp.gather(1, tgt.unsqueeze(1)).squeeze(1).to(at::kDouble);
            nll -= picked.sum().item<double>();
            scored += end - first;
            r.windows++;
        }
        prevEnd = end;
        if (end == n) break;
    }
    r.tokens = scored;
    r.meanNll = nll / static_cast<double>(scored);
    r.perplexity = std::exp(r.meanNll);
    progress.report(1.0, "perplexity");
    return r;
}

PerplexityResult evaluatePerplexity(Model& model, const Tokenizer& tokenizer, const std::vector<std::string>& lines,
                                    const PerplexityOptions& o, Progress& progress) {
    std::vector<int64_t> ids;
    if (o.addBos) {
        if (auto b = tokenizer.bosId()) ids.push_back(*b);
    }
    const std::vector<int64_t> nl = tokenizer.encode("\n", false).ids;
    size_t done = 0;
    int64_t chars = 0;
    for (const auto& line : lines) {
        if ((++done & 255) == 0) progress.checkCancelled();
        bool blank = true;
        for (char c : line)
            if (!std::isspace(static_cast<unsigned char>(c))) blank = false;
        if (blank) continue;
        const auto e = tokenizer.encode(line, false);
        ids.insert(ids.end(), e.ids.begin(), e.ids.end());
        ids.insert(ids.end(), nl.begin(), nl.end());
        for (unsigned char c : line) chars += (c & 0xC0) != 0x80;
        chars += 1;
    }
    if (ids.size() < 2) throw Error::badInput("perplexity: the held-out text is empty");
    PerplexityResult r = perplexityOfIds(model, ids, o, progress);
    r.chars = chars;
    r.bitsPerChar = chars > 0 ? r.meanNll * static_cast<double>(r.tokens) / std::log(2.0) / static_cast<double>(chars) : 0.0;
    return r;
}

}  // namespace embedlab::eval
