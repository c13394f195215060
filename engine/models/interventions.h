// embedlab engine — interventions on a forward pass (issue #15): zero chosen attention heads (the
// head's attention output before the output projection) and skip chosen layers (the layer is the
// identity). Accepted by every model family's forward and forwardCached; with none, the forward is
// exactly today's (no extra operation runs). CLI syntax (../shared/design/cli.md):
// `--zero-heads L:H[,L:H...]`, `--skip-layers L[,L...]`, layers and heads counted from 0.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedlab {

struct Interventions {
    std::vector<std::pair<int64_t, int64_t>> zeroHeads;  // (layer, head)
    std::vector<int64_t> skipLayers;

    bool empty() const { return zeroHeads.empty() && skipLayers.empty(); }
    bool skips(int64_t layer) const;
    bool zeroesIn(int64_t layer) const;
    // "3:1,0:2" and "1,4" (either may be empty). Throws Error(BadInput) naming the bad item.
    static Interventions parse(const std::string& zeroHeads, const std::string& skipLayers);
    // Throws Error(BadInput) for a layer or head beyond the model's (naming it and the valid range).
    void check(int64_t numLayers, int64_t numHeads) const;
};

// The attention output a [..., numHeads * headDim] of `layer` with the chosen heads set to zero (a new
// tensor; `a` itself when no head of this layer is chosen).
at::Tensor zeroChosenHeads(const at::Tensor& a, const Interventions& iv, int64_t layer, int64_t numHeads,
                           int64_t headDim);

}  // namespace embedlab
