// embedlab engine — interventions on a forward pass (issue #15): zero or mean-replace chosen attention
// heads (the head's attention output before the output projection) and skip chosen layers (the layer
// is the identity). Accepted by every model family's forward and forwardCached, and carried by the
// embedding options (embed, eval) and generation; with none, the forward is exactly today's (no extra
// operation runs). CLI syntax (../shared/design/cli.md): `--zero-heads L:H[,L:H...]`,
// `--skip-layers L[,L...]`, layers and heads counted from 0. Torch-free: task options carry it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace at {
class Tensor;
}

namespace embedlab {

// Per-layer, per-head statistics of the attention output before the output projection: the mean over
// the real (unmasked) token positions of every forward it recorded. Filled by forwards whose
// Interventions::recordHeads points at it; read by mean ablation (Interventions::meanHeads).
class HeadMeans {
public:
    HeadMeans(int64_t numLayers, int64_t numHeads, int64_t headDim);
    ~HeadMeans();
    HeadMeans(const HeadMeans&) = delete;
    HeadMeans& operator=(const HeadMeans&) = delete;

    int64_t numLayers() const;
    int64_t numHeads() const;
    int64_t headDim() const;
    // Adds a layer's attention output a [B, L, heads*headDim]; mask [B, L] (undefined = all real).
    void add(int64_t layer, const at::Tensor& a, const at::Tensor& mask);
    int64_t tokens(int64_t layer) const;
    // The mean [heads*headDim] (float32, CPU) of `layer`; Error(BadInput) when nothing was recorded.
    at::Tensor mean(int64_t layer) const;

private:
    struct State;
    std::unique_ptr<State> s_;
};

// Activation patching: hidden state `state` (0 = the embedding output, l = the input of layer l; 0 … the
// number of layers − 1, where hidden_states.l is the residual stream itself) replaced by a stored value
// (a forward's hidden state [B or 1, T, hidden], covering positions 0..T-1) at every position or at the
// listed ones. Defined in interventions.cpp; made by makeResidualPatch.
struct ResidualPatch;

struct Interventions {
    std::vector<std::pair<int64_t, int64_t>> zeroHeads;  // (layer, head): output set to 0
    std::vector<std::pair<int64_t, int64_t>> meanHeads;  // (layer, head): output set to its mean in headMeans
    std::vector<int64_t> skipLayers;
    std::shared_ptr<const HeadMeans> headMeans;  // required when meanHeads is not empty
    std::shared_ptr<HeadMeans> recordHeads;      // when set, every layer's head outputs are recorded here
    std::vector<std::shared_ptr<const ResidualPatch>> patches;  // residual stream replacements

    bool empty() const {
        return zeroHeads.empty() && meanHeads.empty() && skipLayers.empty() && !recordHeads && patches.empty();
    }
    bool patchesAt(int64_t state) const;
    bool skips(int64_t layer) const;
    bool changesHeadsIn(int64_t layer) const;
    // "3:1,0:2" and "1,4" (either may be empty). Throws Error(BadInput) naming the bad item.
    static Interventions parse(const std::string& zeroHeads, const std::string& skipLayers);
    // Throws Error(BadInput) for a layer or head beyond the model's (naming it and the valid range), and
    // for mean ablation without means of this model's shape.
    void check(int64_t numLayers, int64_t numHeads) const;
    // "zero 0:1,2:3 · skip 4" for people; "" when empty.
    std::string describe() const;
};

// A residual patch: `value` [B or 1, T, hidden] (any float dtype/device; kept as given), `positions` the
// positions to replace (empty = every position of the input, which must then be within T). Throws
// Error(BadInput) for a value that is not 3-D or a negative position.
std::shared_ptr<const ResidualPatch> makeResidualPatch(int64_t state, const at::Tensor& value,
                                                       std::vector<int64_t> positions = {});

// Hidden state `state` of a forward whose input starts at position `firstPosition` (0 without a cache),
// x [B, L, hidden], with the patches for that state applied (x itself when none). Throws Error(BadInput)
// when the value does not fit x (hidden size, batch, positions beyond the value).
at::Tensor applyResidualPatches(const at::Tensor& x, const Interventions& iv, int64_t state, int64_t firstPosition);

// The attention output a [B, L, numHeads * headDim] of `layer` after the interventions: chosen heads
// zeroed or replaced by their mean (a new tensor; `a` itself when no head of this layer is chosen), and
// recorded first when asked (mask [B, L] or undefined).
at::Tensor applyHeadInterventions(const at::Tensor& a, const Interventions& iv, int64_t layer, int64_t numHeads,
                                  int64_t headDim, const at::Tensor& mask);

}  // namespace embedlab
