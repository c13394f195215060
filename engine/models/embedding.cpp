#include "engine/models/embedding.h"

#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <limits>
#include <numeric>

namespace embedlab {

Pooling parsePooling(const std::string& name) {
    if (name == "mean") return Pooling::Mean;
    if (name == "cls" || name == "first") return Pooling::Cls;
    if (name == "last") return Pooling::Last;
    if (name == "max") return Pooling::Max;
    throw Error::badInput("unknown pooling '" + name + "': use mean, cls, last or max");
}

const char* poolingName(Pooling p) {
    switch (p) {
    case Pooling::Mean: return "mean";
    case Pooling::Cls: return "cls";
    case Pooling::Last: return "last";
    case Pooling::Max: return "max";
    }
    return "?";
}

at::Tensor poolHidden(const at::Tensor& hiddenIn, const at::Tensor& maskIn, Pooling pooling) {
    at::InferenceMode guard;
    at::Tensor h = hiddenIn.to(at::kFloat);
    const int64_t B = h.size(0), L = h.size(1);
    at::Tensor mask = maskIn.defined() ? maskIn.to(h.device()).to(at::kFloat) : at::ones({B, L}, h.options());
    switch (pooling) {
    case Pooling::Mean: {
        at::Tensor m = mask.unsqueeze(-1);
        return (h * m).sum(1) / m.sum(1).clamp_min(1e-9);
    }
    case Pooling::Cls: return h.select(1, 0).clone();
    case Pooling::Last: {
        // The last position whose mask is 1 (right padding: length-1; also right for any layout).
        at::Tensor pos = at::arange(L, h.options().dtype(at::kLong)).unsqueeze(0).expand({B, L});
        at::Tensor idx = (pos * mask.to(at::kLong)).amax(1);
        return h.gather(1, idx.view({B, 1, 1}).expand({B, 1, h.size(2)})).squeeze(1);
    }
    case Pooling::Max: {
        at::Tensor m = mask.unsqueeze(-1).to(at::kBool);
        return h.masked_fill(m.logical_not(), -std::numeric_limits<float>::infinity()).amax(1);
    }
    }
    return at::Tensor();
}

int64_t resolveLayer(const Model& model, int64_t layer) {
    const int64_t n = model.config().numLayers;
    const int64_t r = layer < 0 ? n + 1 + layer : layer;
    if (r < 0 || r > n)
        throw Error::badInput("layer " + std::to_string(layer) + " is out of range: the model has hidden states 0.." +
                              std::to_string(n) + " (or -1.." + std::to_string(-(n + 1)) + ")");
    return r;
}

at::Tensor embedIds(Model& model, const std::vector<std::vector<int64_t>>& ids, const EmbeddingOptions& o,
                    Progress& progress) {
    const ModelConfig& c = model.config();
    const int64_t layer = resolveLayer(model, o.layer);
    if (o.batchSize <= 0) throw Error::badInput("batch size must be positive");
    int64_t maxLen = o.maxLength;
    if (c.arch != Architecture::Gemma3) {
        const int64_t limit = c.maxPositions - c.positionOffset;
        maxLen = maxLen > 0 ? std::min(maxLen, limit) : limit;
    }
    const int64_t pad = c.padTokenId >= 0 ? c.padTokenId : 0;
    const int64_t N = static_cast<int64_t>(ids.size());
    at::Tensor result = at::empty({N, c.hiddenSize}, at::TensorOptions().dtype(at::kFloat));
    if (N == 0) return result;
    std::vector<int64_t> order(static_cast<size_t>(N));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return ids[static_cast<size_t>(a)].size() > ids[static_cast<size_t>(b)].size(); });
    ForwardOptions fo;
    fo.hiddenStates = false;
    fo.logits = false;
    fo.upToHiddenState = layer;
    fo.padPositionsUnused = true;  // pooling below is masked
    fo.interventions = o.interventions;
    fo.cancel = &progress;  // a batch of long texts on a large model: checked per layer
    at::InferenceMode guard;
    for (int64_t start = 0; start < N; start += o.batchSize) {
        progress.checkCancelled();
        const int64_t B = std::min(o.batchSize, N - start);
        int64_t L = 1;
        for (int64_t b = 0; b < B; ++b) {
            int64_t len = static_cast<int64_t>(ids[static_cast<size_t>(order[static_cast<size_t>(start + b)])].size());
            if (maxLen > 0) len = std::min(len, maxLen);
            L = std::max(L, len);
        }
        std::vector<int64_t> flat(static_cast<size_t>(B * L), pad), maskv(static_cast<size_t>(B * L), 0);
        for (int64_t b = 0; b < B; ++b) {
            const auto& seq = ids[static_cast<size_t>(order[static_cast<size_t>(start + b)])];
            int64_t len = static_cast<int64_t>(seq.size());
            if (maxLen > 0) len = std::min(len, maxLen);
            if (len == 0) throw Error::badInput("input " + std::to_string(order[static_cast<size_t>(start + b)] + 1) + " has no tokens");
            for (int64_t t = 0; t < len; ++t) {
                flat[static_cast<size_t>(b * L + t)] = seq[static_cast<size_t>(t)];
                maskv[static_cast<size_t>(b * L + t)] = 1;
            }
        }
        at::Tensor idsT = at::tensor(flat, at::TensorOptions().dtype(at::kLong)).view({B, L});
        at::Tensor maskT = at::tensor(maskv, at::TensorOptions().dtype(at::kLong)).view({B, L});
        ForwardOutput out = model.forward(idsT, maskT, at::Tensor(), fo);
        at::Tensor v = poolHidden(out.lastHidden, maskT, o.pooling);
        if (o.normalize) v = v / v.norm(2, {1}, true).clamp_min(1e-12);
        v = v.to(at::kCPU);
        at::Tensor idx = at::tensor(std::vector<int64_t>(order.begin() + start, order.begin() + start + B),
                                    at::TensorOptions().dtype(at::kLong));
        result.index_copy_(0, idx, v);
        progress.report(static_cast<double>(start + B) / static_cast<double>(N), "embedding");
    }
    return result;
}

at::Tensor embedTexts(Model& model, const Tokenizer& tokenizer, const std::vector<std::string>& texts,
                      const EmbeddingOptions& options, Progress& progress) {
    std::vector<std::vector<int64_t>> ids;
    ids.reserve(texts.size());
    for (const auto& t : texts) {
        ids.push_back(tokenizer.encode(t, true).ids);
        if (ids.back().empty()) throw Error::badInput("an input line produced no tokens");
    }
    return embedIds(model, ids, options, progress);
}

}  // namespace embedlab
