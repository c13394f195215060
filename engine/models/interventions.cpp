// Interventions on a forward pass. See interventions.h.
#include "engine/models/interventions.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <sstream>

namespace embedlab {
namespace {

int64_t parseIndex(const std::string& s, const std::string& flag, const std::string& item) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 18)
        throw Error::badInput(flag + ": '" + item + "' is not " +
                              (flag == "--zero-heads" ? "LAYER:HEAD (numbers from 0)" : "a layer number (from 0)"));
    return std::stoll(s);
}

std::vector<std::string> items(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, ',')) {
        cur.erase(0, cur.find_first_not_of(" \t"));
        cur.erase(cur.find_last_not_of(" \t") + 1);
        out.push_back(cur);
    }
    if (!s.empty() && s.back() == ',') out.emplace_back();  // "0:1," has an empty last item
    return out;
}

}  // namespace

struct HeadMeans::State {
    int64_t layers = 0, heads = 0, dim = 0;
    std::vector<at::Tensor> sums;  // float64 [heads*dim] per layer, CPU
    std::vector<int64_t> counts;
};

HeadMeans::HeadMeans(int64_t numLayers, int64_t numHeads, int64_t headDim) : s_(std::make_unique<State>()) {
    s_->layers = numLayers, s_->heads = numHeads, s_->dim = headDim;
    s_->sums.assign(static_cast<size_t>(numLayers), at::Tensor());
    s_->counts.assign(static_cast<size_t>(numLayers), 0);
}
HeadMeans::~HeadMeans() = default;
int64_t HeadMeans::numLayers() const { return s_->layers; }
int64_t HeadMeans::numHeads() const { return s_->heads; }
int64_t HeadMeans::headDim() const { return s_->dim; }

void HeadMeans::add(int64_t layer, const at::Tensor& a, const at::Tensor& mask) {
    if (layer < 0 || layer >= s_->layers) return;
    // float64 on the CPU (MPS has no float64; the sums are small)
    at::Tensor x = a.detach().to(at::kCPU).to(at::kDouble).reshape({-1, s_->heads * s_->dim});
    int64_t n = x.size(0);
    at::Tensor sum;
    if (mask.defined()) {
        at::Tensor m = mask.detach().reshape({-1}).to(at::kCPU).to(at::kDouble);
        sum = (x * m.unsqueeze(1)).sum(0);
        n = static_cast<int64_t>(m.sum().item<double>() + 0.5);
    } else {
        sum = x.sum(0);
    }
    sum = sum.to(at::kCPU);
    at::Tensor& acc = s_->sums[static_cast<size_t>(layer)];
    acc = acc.defined() ? acc + sum : sum;
    s_->counts[static_cast<size_t>(layer)] += n;
}

int64_t HeadMeans::tokens(int64_t layer) const {
    return layer >= 0 && layer < s_->layers ? s_->counts[static_cast<size_t>(layer)] : 0;
}

at::Tensor HeadMeans::mean(int64_t layer) const {
    if (tokens(layer) <= 0)
        throw Error::badInput("no head outputs were recorded for layer " + std::to_string(layer) +
                              ", so its heads cannot be mean-ablated");
    return (s_->sums[static_cast<size_t>(layer)] / static_cast<double>(tokens(layer))).to(at::kFloat);
}

struct ResidualPatch {
    int64_t state = 0;
    at::Tensor value;  // [B or 1, T, hidden]
    std::vector<int64_t> positions;
};

std::shared_ptr<const ResidualPatch> makeResidualPatch(int64_t state, const at::Tensor& value,
                                                       std::vector<int64_t> positions) {
    if (state < 0) throw Error::badInput("a residual patch's hidden state must be 0 or more");
    if (!value.defined() || value.dim() != 3 || !value.is_floating_point())
        throw Error::badInput("a residual patch needs a float tensor [batch, positions, hidden]");
    for (int64_t p : positions)
        if (p < 0 || p >= value.size(1))
            throw Error::badInput("patch position " + std::to_string(p) + " is beyond the patch's " +
                                  std::to_string(value.size(1)) + " positions");
    auto r = std::make_shared<ResidualPatch>();
    r->state = state;
    r->value = value.detach();
    r->positions = std::move(positions);
    return r;
}

bool Interventions::patchesAt(int64_t state) const {
    return std::any_of(patches.begin(), patches.end(), [&](const auto& p) { return p && p->state == state; });
}

at::Tensor applyResidualPatches(const at::Tensor& x, const Interventions& iv, int64_t state, int64_t firstPosition) {
    if (iv.patches.empty() || !iv.patchesAt(state)) return x;
    at::Tensor out = x;
    const int64_t B = x.size(0), L = x.size(1), H = x.size(2);
    for (const auto& p : iv.patches) {
        if (!p || p->state != state) continue;
        const at::Tensor& v = p->value;
        if (v.size(2) != H)
            throw Error::badInput("the residual patch at hidden state " + std::to_string(state) + " has width " +
                                  std::to_string(v.size(2)) + "; the model's hidden size is " + std::to_string(H));
        if (v.size(0) != 1 && v.size(0) != B)
            throw Error::badInput("the residual patch holds " + std::to_string(v.size(0)) + " sequences; the input has " +
                                  std::to_string(B));
        std::vector<int64_t> pos = p->positions;
        if (pos.empty()) {
            if (firstPosition + L > v.size(1))
                throw Error::badInput("the residual patch covers " + std::to_string(v.size(1)) + " positions; the input has " +
                                      std::to_string(firstPosition + L));
            for (int64_t i = 0; i < L; ++i) pos.push_back(firstPosition + i);
        }
        std::vector<int64_t> rows, src;  // rows of x (this chunk) and of the value
        for (int64_t a : pos)
            if (a >= firstPosition && a < firstPosition + L) rows.push_back(a - firstPosition), src.push_back(a);
        if (rows.empty()) continue;
        at::Tensor vals = v.index_select(1, at::tensor(src, at::kLong).to(v.device()))
                              .to(x.device(), x.scalar_type())
                              .expand({B, static_cast<int64_t>(rows.size()), H});
        out = out.index_copy(1, at::tensor(rows, at::kLong).to(x.device()), vals.contiguous());
    }
    return out;
}

bool Interventions::skips(int64_t layer) const {
    return std::find(skipLayers.begin(), skipLayers.end(), layer) != skipLayers.end();
}

bool Interventions::changesHeadsIn(int64_t layer) const {
    auto in = [&](const auto& v) { return std::any_of(v.begin(), v.end(), [&](const auto& p) { return p.first == layer; }); };
    return in(zeroHeads) || in(meanHeads);
}

Interventions Interventions::parse(const std::string& zeroHeads, const std::string& skipLayers) {
    Interventions iv;
    if (!zeroHeads.empty())
        for (const std::string& it : items(zeroHeads)) {
            const auto colon = it.find(':');
            if (colon == std::string::npos)
                throw Error::badInput("--zero-heads: '" + it + "' is not LAYER:HEAD (numbers from 0)");
            iv.zeroHeads.emplace_back(parseIndex(it.substr(0, colon), "--zero-heads", it),
                                      parseIndex(it.substr(colon + 1), "--zero-heads", it));
        }
    if (!skipLayers.empty())
        for (const std::string& it : items(skipLayers)) iv.skipLayers.push_back(parseIndex(it, "--skip-layers", it));
    return iv;
}

void Interventions::check(int64_t numLayers, int64_t numHeads) const {
    auto checkHeads = [&](const std::vector<std::pair<int64_t, int64_t>>& v, const std::string& flag) {
        for (const auto& [l, h] : v) {
            if (l < 0 || l >= numLayers)
                throw Error::badInput(flag + " " + std::to_string(l) + ":" + std::to_string(h) + ": layer " +
                                      std::to_string(l) + " is beyond the model's " + std::to_string(numLayers) +
                                      " layers (0–" + std::to_string(numLayers - 1) + ")");
            if (h < 0 || h >= numHeads)
                throw Error::badInput(flag + " " + std::to_string(l) + ":" + std::to_string(h) + ": head " +
                                      std::to_string(h) + " is beyond the model's " + std::to_string(numHeads) +
                                      " heads (0–" + std::to_string(numHeads - 1) + ")");
        }
    };
    checkHeads(zeroHeads, "--zero-heads");
    checkHeads(meanHeads, "mean-ablated head");
    for (int64_t l : skipLayers)
        if (l < 0 || l >= numLayers)
            throw Error::badInput("--skip-layers " + std::to_string(l) + ": layer " + std::to_string(l) +
                                  " is beyond the model's " + std::to_string(numLayers) + " layers (0–" +
                                  std::to_string(numLayers - 1) + ")");
    if (!meanHeads.empty()) {
        if (!headMeans) throw Error::badInput("mean ablation needs the heads' means (none were recorded)");
        if (headMeans->numLayers() != numLayers || headMeans->numHeads() != numHeads)
            throw Error::badInput("the recorded head means are of a model with " + std::to_string(headMeans->numLayers()) +
                                  " layers × " + std::to_string(headMeans->numHeads()) + " heads, not " +
                                  std::to_string(numLayers) + " × " + std::to_string(numHeads));
        for (const auto& [l, h] : meanHeads) (void)headMeans->mean(l);  // throws when layer l has none
    }
    for (const auto& p : patches)
        if (p && p->state >= numLayers)
            throw Error::badInput("residual patch at hidden state " + std::to_string(p->state) +
                                  ": a patch replaces the input of a layer, hidden states 0–" + std::to_string(numLayers - 1));
    if (recordHeads && (recordHeads->numLayers() != numLayers || recordHeads->numHeads() != numHeads))
        throw Error::badInput("the head recorder is shaped for another model");
}

std::string Interventions::describe() const {
    std::string s;
    auto list = [&](const char* what, const std::vector<std::pair<int64_t, int64_t>>& v) {
        if (v.empty()) return;
        if (!s.empty()) s += " · ";
        s += what;
        for (size_t i = 0; i < v.size(); ++i)
            s += (i ? "," : " ") + std::to_string(v[i].first) + ":" + std::to_string(v[i].second);
    };
    list("zero", zeroHeads);
    list("mean", meanHeads);
    if (!skipLayers.empty()) {
        if (!s.empty()) s += " · ";
        s += "skip";
        for (size_t i = 0; i < skipLayers.size(); ++i) s += (i ? "," : " ") + std::to_string(skipLayers[i]);
    }
    for (const auto& p : patches) {
        if (!p) continue;
        if (!s.empty()) s += " · ";
        s += "patch " + std::to_string(p->state);
        if (!p->positions.empty()) {
            s += " at";
            for (size_t i = 0; i < p->positions.size(); ++i) s += (i ? "," : " ") + std::to_string(p->positions[i]);
        }
    }
    return s;
}

at::Tensor applyHeadInterventions(const at::Tensor& a, const Interventions& iv, int64_t layer, int64_t numHeads,
                                  int64_t headDim, const at::Tensor& mask) {
    if (iv.recordHeads) iv.recordHeads->add(layer, a, mask);
    if (!iv.changesHeadsIn(layer)) return a;
    // The chosen heads' columns filled with 0 out of place (masked_fill: exact for the other heads, and 0
    // even where an overflowed output is inf), so that a recorded graph stays valid; mean-ablated heads
    // then get their mean added (0 + m = m).
    at::Tensor drop = at::zeros({numHeads, headDim}, at::TensorOptions().dtype(at::kBool));
    bool anyMean = false;
    for (const auto& [l, h] : iv.zeroHeads)
        if (l == layer) drop.select(0, h).fill_(true);
    for (const auto& [l, h] : iv.meanHeads)
        if (l == layer) drop.select(0, h).fill_(true), anyMean = true;
    at::Tensor out = a.masked_fill(drop.reshape({numHeads * headDim}).to(a.device()), 0);
    if (!anyMean) return out;
    at::Tensor mean = iv.headMeans->mean(layer).view({numHeads, headDim});
    at::Tensor fill = at::zeros({numHeads, headDim}, at::TensorOptions().dtype(at::kFloat));
    for (const auto& [l, h] : iv.meanHeads)
        if (l == layer) fill.select(0, h).copy_(mean.select(0, h));
    return out + fill.reshape({numHeads * headDim}).to(a.device(), a.scalar_type());
}

}  // namespace embedlab
