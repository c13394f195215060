#include "engine/train/parameters.h"

#include "engine/core/error.h"
#include "engine/models/model.h"

#include <cstdlib>
#include <sstream>

namespace embedlab {

const char* parameterGroupName(ParameterGroup g) {
    switch (g) {
    case ParameterGroup::Embeddings: return "embeddings";
    case ParameterGroup::Head: return "head";
    case ParameterGroup::Layer: return "layer";
    case ParameterGroup::Other: return "other";
    }
    return "other";
}

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool endsWith(const std::string& s, const std::string& p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// "layers.3.", "h.3.", "encoder.layer.3." → 3; else -1.
int64_t layerIndex(const std::string& name) {
    for (const char* p : {"layers.", "h.", "encoder.layer."}) {
        const std::string prefix(p);
        if (!startsWith(name, prefix)) continue;
        const size_t dot = name.find('.', prefix.size());
        if (dot == std::string::npos) continue;
        const std::string digits = name.substr(prefix.size(), dot - prefix.size());
        if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
        return std::strtoll(digits.c_str(), nullptr, 10);
    }
    return -1;
}

bool isNormName(const std::string& n) {
    return n.find("norm") != std::string::npos || n.find("LayerNorm") != std::string::npos || startsWith(n, "ln_") ||
           n.find(".ln_") != std::string::npos;
}

}  // namespace

ParameterInfo classifyParameter(const std::string& name, const std::vector<int64_t>& shape) {
    ParameterInfo p;
    p.name = name;
    p.dims = static_cast<int64_t>(shape.size());
    p.numel = 1;
    for (int64_t d : shape) p.numel *= d;
    p.norm = isNormName(name);
    p.bias = endsWith(name, ".bias") || name == "lm_head.bias";
    p.layer = layerIndex(name);
    p.embeddingTable = name == "embed_tokens.weight" || name == "wte.weight" || name == "wpe.weight" ||
                       (startsWith(name, "embeddings.") && endsWith(name, "_embeddings.weight"));
    if (p.embeddingTable) p.group = ParameterGroup::Embeddings;
    else if (p.layer >= 0) p.group = ParameterGroup::Layer;
    else if (startsWith(name, "lm_head.")) p.group = ParameterGroup::Head;
    else p.group = ParameterGroup::Other;
    return p;
}

std::vector<ParameterInfo> describeParameters(const Model& model) {
    std::vector<ParameterInfo> out;
    for (const auto& [name, t] : model.weights()) {
        if (!t.is_floating_point()) continue;
        ParameterInfo p = classifyParameter(name, t.sizes().vec());
        p.tensor = t;
        out.push_back(std::move(p));
    }
    return out;
}

bool TrainSelection::includes(const ParameterInfo& p) const {
    if (all) return true;
    switch (p.group) {
    case ParameterGroup::Embeddings: return embeddings;
    case ParameterGroup::Head: return head;
    case ParameterGroup::Layer: return layers.count(p.layer) > 0;
    case ParameterGroup::Other: return false;
    }
    return false;
}

std::string TrainSelection::describe() const {
    if (all) return "all";
    std::ostringstream s;
    const char* sep = "";
    if (embeddings) s << sep << "embeddings", sep = "+";
    if (head) s << sep << "head", sep = "+";
    if (!layers.empty()) {
        s << sep << "layers:";
        const char* c = "";
        for (int64_t l : layers) s << c << l, c = ",";
    }
    return s.str();
}

TrainSelection parseTrainSelection(const std::string& spec, int64_t numLayers) {
    TrainSelection sel;
    if (spec.empty()) throw Error::badInput("--train: empty (use all, embeddings, embeddings+head or layers:0,1,..)");
    std::string rest = spec;
    while (!rest.empty()) {
        // "layers:" lists may contain commas but no '+'.
        const size_t plus = rest.find('+');
        const std::string part = rest.substr(0, plus);
        rest = plus == std::string::npos ? std::string() : rest.substr(plus + 1);
        if (part == "all") sel.all = true;
        else if (part == "embeddings") sel.embeddings = true;
        else if (part == "head") sel.head = true;
        else if (startsWith(part, "layers:")) {
            std::stringstream list(part.substr(7));
            std::string item;
            while (std::getline(list, item, ',')) {
                const size_t dash = item.find('-');
                char* end = nullptr;
                const long long a = std::strtoll(item.c_str(), &end, 10);
                long long b = a;
                if (end == item.c_str()) throw Error::badInput("--train: '" + item + "' is not a layer number");
                if (dash != std::string::npos) b = std::strtoll(item.c_str() + dash + 1, nullptr, 10);
                if (a < 0 || b < a || b >= numLayers)
                    throw Error::badInput("--train: layer '" + item + "' is outside 0.." + std::to_string(numLayers - 1));
                for (long long l = a; l <= b; ++l) sel.layers.insert(l);
            }
            if (sel.layers.empty()) throw Error::badInput("--train: layers: needs at least one layer");
        } else {
            throw Error::badInput("--train: unknown group '" + part + "' (use all, embeddings, head, embeddings+head or layers:0,1,..)");
        }
    }
    return sel;
}

std::vector<ParameterInfo> applyTrainSelection(Model& model, const TrainSelection& selection) {
    if (!model.isTrainable()) throw Error::runtime("internal: the model is not trainable (call makeTrainable first)");
    std::vector<ParameterInfo> chosen;
    auto params = describeParameters(model);
    // A tied LM head is the embedding tensor itself: it trains when the embeddings do.
    for (auto& p : params) {
        const bool on = selection.includes(p);
        p.tensor.requires_grad_(on);
        if (on) chosen.push_back(p);
    }
    if (chosen.empty()) throw Error::badInput("--train " + selection.describe() + " selects no parameter of this model");
    return chosen;
}

}  // namespace embedlab
