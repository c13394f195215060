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

bool Interventions::skips(int64_t layer) const {
    return std::find(skipLayers.begin(), skipLayers.end(), layer) != skipLayers.end();
}

bool Interventions::zeroesIn(int64_t layer) const {
    return std::any_of(zeroHeads.begin(), zeroHeads.end(), [&](const auto& p) { return p.first == layer; });
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
    for (const auto& [l, h] : zeroHeads) {
        if (l < 0 || l >= numLayers)
            throw Error::badInput("--zero-heads " + std::to_string(l) + ":" + std::to_string(h) + ": layer " +
                                  std::to_string(l) + " is beyond the model's " + std::to_string(numLayers) +
                                  " layers (0–" + std::to_string(numLayers - 1) + ")");
        if (h < 0 || h >= numHeads)
            throw Error::badInput("--zero-heads " + std::to_string(l) + ":" + std::to_string(h) + ": head " +
                                  std::to_string(h) + " is beyond the model's " + std::to_string(numHeads) +
                                  " heads (0–" + std::to_string(numHeads - 1) + ")");
    }
    for (int64_t l : skipLayers)
        if (l < 0 || l >= numLayers)
            throw Error::badInput("--skip-layers " + std::to_string(l) + ": layer " + std::to_string(l) +
                                  " is beyond the model's " + std::to_string(numLayers) + " layers (0–" +
                                  std::to_string(numLayers - 1) + ")");
}

at::Tensor zeroChosenHeads(const at::Tensor& a, const Interventions& iv, int64_t layer, int64_t numHeads,
                           int64_t headDim) {
    if (!iv.zeroesIn(layer)) return a;
    // A 0/1 mask over the last dimension, multiplied out of place (exact: x·1 = x, x·0 = 0), so that a
    // recorded graph stays valid.
    at::Tensor keep = at::ones({numHeads, headDim}, a.options());
    for (const auto& [l, h] : iv.zeroHeads)
        if (l == layer) keep.select(0, h).zero_();
    return a * keep.reshape({numHeads * headDim});
}

}  // namespace embedlab
