#include "engine/models/bert_model.h"

#include "engine/core/error.h"
#include "engine/jobs/progress.h"
#include "engine/device/device.h"
#include "engine/models/nn_ops.h"

#include <ATen/ATen.h>

#include <optional>

#include <cmath>

namespace embedlab {

BertModel::BertModel(ModelConfig config, std::map<std::string, at::Tensor> weights, c10::Device device,
                     c10::ScalarType dtype)
    : Model(std::move(config), std::move(weights), device, dtype) {
    bind();
}

std::map<std::string, std::vector<int64_t>> BertModel::expectedShapes(const ModelConfig& c) {
    std::map<std::string, std::vector<int64_t>> s;
    const int64_t H = c.hiddenSize, I = c.intermediateSize;
    s["embeddings.word_embeddings.weight"] = {c.vocabSize, H};
    s["embeddings.position_embeddings.weight"] = {c.maxPositions, H};
    s["embeddings.token_type_embeddings.weight"] = {c.typeVocabSize, H};
    s["embeddings.LayerNorm.weight"] = {H};
    s["embeddings.LayerNorm.bias"] = {H};
    for (int64_t i = 0; i < c.numLayers; ++i) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        for (const char* n : {"attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"}) {
            s[p + n + ".weight"] = {H, H};
            s[p + n + ".bias"] = {H};
        }
        s[p + "attention.output.LayerNorm.weight"] = {H};
        s[p + "attention.output.LayerNorm.bias"] = {H};
        s[p + "intermediate.dense.weight"] = {I, H};
        s[p + "intermediate.dense.bias"] = {I};
        s[p + "output.dense.weight"] = {H, I};
        s[p + "output.dense.bias"] = {H};
        s[p + "output.LayerNorm.weight"] = {H};
        s[p + "output.LayerNorm.bias"] = {H};
    }
    return s;
}

std::map<std::string, std::vector<int64_t>> BertModel::optionalShapes(const ModelConfig& c) {
    const int64_t H = c.hiddenSize;
    std::map<std::string, std::vector<int64_t>> s;
    s["pooler.dense.weight"] = {H, H};
    s["pooler.dense.bias"] = {H};
    {  // the MLM head: XLM-R's lm_head.*, BERT's cls.predictions.* (renamed by the loader)
        s["lm_head.dense.weight"] = {H, H};
        s["lm_head.dense.bias"] = {H};
        s["lm_head.layer_norm.weight"] = {H};
        s["lm_head.layer_norm.bias"] = {H};
        s["lm_head.bias"] = {c.vocabSize};
        s["lm_head.decoder.weight"] = {c.vocabSize, H};
        s["lm_head.decoder.bias"] = {c.vocabSize};
    }
    return s;
}

const std::vector<std::pair<std::string, std::string>>& BertModel::bertHeadPrefixes() {
    static const std::vector<std::pair<std::string, std::string>> kPrefixes = {
        {"cls.predictions.transform.dense.", "lm_head.dense."},
        {"cls.predictions.transform.LayerNorm.", "lm_head.layer_norm."},
        {"cls.predictions.decoder.", "lm_head.decoder."},
        {"cls.predictions.bias", "lm_head.bias"}};
    return kPrefixes;
}

std::string BertModel::lmHeadKey() const {
    // XLM-R's decoder is the (tied) MLM output layer; a BERT checkpoint has one only with its MLM head.
    return config_.arch == Architecture::XlmRoberta || hasMlmHead() ? "lm_head.decoder.weight" : "";
}

bool BertModel::isEmbeddingTable(const std::string& name) const {
    return name == "embeddings.word_embeddings.weight" || name == "embeddings.position_embeddings.weight" ||
           name == "embeddings.token_type_embeddings.weight";
}

void BertModel::bind() {
    auto opt = [&](const std::string& n) {
        auto it = weights_.find(n);
        return it == weights_.end() ? at::Tensor() : it->second;
    };
    layers_.clear();
    for (int64_t i = 0; i < config_.numLayers; ++i) {
        const std::string p = "encoder.layer." + std::to_string(i) + ".";
        Layer l;
        l.qW = w(p + "attention.self.query.weight");
        l.qB = w(p + "attention.self.query.bias");
        l.kW = w(p + "attention.self.key.weight");
        l.kB = w(p + "attention.self.key.bias");
        l.vW = w(p + "attention.self.value.weight");
        l.vB = w(p + "attention.self.value.bias");
        l.oW = w(p + "attention.output.dense.weight");
        l.oB = w(p + "attention.output.dense.bias");
        l.ln1w = w(p + "attention.output.LayerNorm.weight");
        l.ln1b = w(p + "attention.output.LayerNorm.bias");
        l.iW = w(p + "intermediate.dense.weight");
        l.iB = w(p + "intermediate.dense.bias");
        l.outW = w(p + "output.dense.weight");
        l.outB = w(p + "output.dense.bias");
        l.ln2w = w(p + "output.LayerNorm.weight");
        l.ln2b = w(p + "output.LayerNorm.bias");
        layers_.push_back(std::move(l));
    }
    word_ = w("embeddings.word_embeddings.weight");
    pos_ = w("embeddings.position_embeddings.weight");
    type_ = w("embeddings.token_type_embeddings.weight");
    embLnW_ = w("embeddings.LayerNorm.weight");
    embLnB_ = w("embeddings.LayerNorm.bias");
    poolerW_ = opt("pooler.dense.weight");
    poolerB_ = opt("pooler.dense.bias");
    mlmDenseW_ = opt("lm_head.dense.weight");
    mlmDenseB_ = opt("lm_head.dense.bias");
    mlmLnW_ = opt("lm_head.layer_norm.weight");
    mlmLnB_ = opt("lm_head.layer_norm.bias");
    mlmBias_ = opt("lm_head.bias");
    if (!mlmBias_.defined()) mlmBias_ = opt("lm_head.decoder.bias");
    mlmDecoder_ = opt("lm_head.decoder.weight");
    if (!mlmDecoder_.defined()) mlmDecoder_ = word_;
}

at::Tensor BertModel::positionIds(const ModelConfig& c, const at::Tensor& ids) {
    const int64_t L = ids.size(1);
    if (c.arch == Architecture::XlmRoberta) {
        at::Tensor m = ids.ne(c.padTokenId).to(at::kLong);
        return at::cumsum(m, 1).mul_(m).add_(c.padTokenId);
    }
    return at::arange(L, ids.options().dtype(at::kLong)).unsqueeze(0).expand({ids.size(0), L});
}

ForwardOutput BertModel::forward(const at::Tensor& idsIn, const at::Tensor& maskIn, const at::Tensor& typesIn,
                                 const ForwardOptions& o) {
    // A training forward records a graph (plain ATen ops, OpenBLAS threaded); otherwise inference:
    // InferenceMode, and one pool of threads on CPU (OpenBLAS single-threaded, products split over
    // OpenMP in nn_ops).
    const bool grad = recordsGradients();
    std::optional<at::InferenceMode> inference;
    if (!grad) inference.emplace();
    SingleThreadedBlas oneBlasPool(device_.is_cpu() && !grad);
    const auto& c = config_;
    at::Tensor ids = nn::checkedInputIds(idsIn, c.vocabSize, device_);
    const int64_t B = ids.size(0), L = ids.size(1), nh = c.numHeads, hd = c.headDim;
    at::Tensor posIds = positionIds(c, ids);
    if (posIds.max().item<int64_t>() >= c.maxPositions)
        throw Error::badInput("sequence of " + std::to_string(L) + " tokens exceeds the model's " +
                              std::to_string(c.maxPositions - c.positionOffset) + " positions");
    at::Tensor types = typesIn.defined() ? typesIn.to(device_, at::kLong) : at::zeros_like(ids);
    if (types.sizes() != ids.sizes()) throw Error::badInput("token_type_ids must have the shape of input_ids");
    if (types.min().item<int64_t>() < 0 || types.max().item<int64_t>() >= c.typeVocabSize)
        throw Error::badInput("token type id outside 0.." + std::to_string(c.typeVocabSize - 1));
    const at::Tensor mask = effectiveMask(maskIn);
    const int64_t last = layersToRun(o);

    ForwardOutput out;
    // padding_idx as HF's embeddings: the pad row gets no gradient (word; and XLM-R's positions).
    const int64_t posPad = c.arch == Architecture::XlmRoberta ? c.paddingIdx() : -1;
    at::Tensor x = at::embedding(word_, ids, c.paddingIdx()) + at::embedding(type_, types) + at::embedding(pos_, posIds, posPad);
    x = nn::layerNorm(x, embLnW_, embLnB_, c.normEps);
    x = applyResidualPatches(x, o.interventions, 0, 0);
    // Unpadded execution: with padding present and no attention maps asked for, the dense layers run
    // on the N real tokens only ([N, H]); attention alone sees the padded [B, L] layout.
    const bool packed = mask.defined() && o.padPositionsUnused && !o.attentions && o.interventions.patches.empty();
    at::Tensor realIdx;
    if (packed) realIdx = mask.reshape({-1}).to(at::kBool).nonzero().squeeze(1);
    const int64_t H = c.hiddenSize;
    auto unpack = [&](const at::Tensor& t) {  // [N, H] → [B, L, H] with zeros at padded positions
        if (!packed) return t;
        at::Tensor p = at::zeros({B * L, t.size(-1)}, t.options());
        p.index_copy_(0, realIdx, t);
        return p.view({B, L, t.size(-1)});
    };
    if (packed) x = x.reshape({B * L, H}).index_select(0, realIdx);
    if (o.hiddenStates) out.hiddenStates.push_back(unpack(x));
    at::Tensor allowed = mask.defined() ? nn::allowedMask(L, 0, L, 0, false, 0, mask, ids) : at::Tensor();
    const double scaling = 1.0 / std::sqrt(static_cast<double>(hd));
    auto heads = [&](const at::Tensor& t) { return unpack(t).view({B, L, nh, hd}).transpose(1, 2); };
    for (int64_t i = 0; i < last; ++i) {
        if (o.cancel) o.cancel->checkCancelled();
        if (o.interventions.skips(i)) {  // the identity
            x = applyResidualPatches(x, o.interventions, i + 1, 0);
            if (o.hiddenStates) out.hiddenStates.push_back(unpack(x));
            if (o.attentions) out.attentions.emplace_back();  // undefined: the layer attended to nothing
            continue;
        }
        const Layer& l = layers_[static_cast<size_t>(i)];
        at::Tensor q = heads(nn::linear(x, l.qW, l.qB)).mul(scaling);
        at::Tensor k = heads(nn::linear(x, l.kW, l.kB));
        at::Tensor v = heads(nn::linear(x, l.vW, l.vB));
        at::Tensor probs;
        at::Tensor a = nn::attention(q, k, v, allowed, std::nullopt, o.attentions, &probs);
        if (o.attentions) out.attentions.push_back(probs);
        a = applyHeadInterventions(a, o.interventions, i, nh, hd, mask);
        if (packed) a = a.reshape({B * L, H}).index_select(0, realIdx);
        // In place only on the fast path: under autocast the product is bf16 and x is f32.
        const bool fast = nn::fastPathsAllowed();
        at::Tensor ao = nn::linear(a, l.oW, l.oB);
        x = nn::layerNorm(fast ? ao.add_(x) : ao + x, l.ln1w, l.ln1b, c.normEps);
        at::Tensor h = nn::activation(nn::linear(x, l.iW, l.iB), c.activation);
        at::Tensor fo = nn::linear(h, l.outW, l.outB);
        x = nn::layerNorm(fast ? fo.add_(x) : fo + x, l.ln2w, l.ln2b, c.normEps);
        x = applyResidualPatches(x, o.interventions, i + 1, 0);
        if (o.hiddenStates) out.hiddenStates.push_back(unpack(x));
    }
    x = unpack(x);
    if (!o.hiddenStates) out.hiddenStates.push_back(x);
    out.lastHidden = x;
    if (last < c.numLayers || !o.logits) return out;
    if (poolerW_.defined()) out.pooler = at::tanh(nn::linear(x.select(1, 0), poolerW_, poolerB_));
    if (mlmDenseW_.defined()) {
        at::Tensor h = o.lastPositionOnly ? x.narrow(1, L - 1, 1) : x;
        // RobertaLMHead applies gelu; BertPredictionHeadTransform the config's hidden_act.
        h = c.arch == Architecture::XlmRoberta ? nn::geluErf(nn::linear(h, mlmDenseW_, mlmDenseB_))
                                               : nn::activation(nn::linear(h, mlmDenseW_, mlmDenseB_), c.activation);
        h = nn::layerNorm(h, mlmLnW_, mlmLnB_, c.normEps);
        out.logits = nn::linear(h, mlmDecoder_, mlmBias_);
    }
    return out;
}

}  // namespace embedlab
