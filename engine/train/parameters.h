// embedlab engine — a model's weights seen as trainable parameters: which group each belongs to
// (input embeddings, LM/MLM head, each transformer layer, the final norm and pooler), whether it is a
// norm or a bias, and which groups train (`--train all|embeddings|embeddings+head|layers:0,1,..`).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace embedlab {

class Model;

enum class ParameterGroup {
    Embeddings,  // token, position and token-type tables (a tied LM head is this same tensor)
    Head,        // an untied LM head, the MLM head (dense, norm, bias, untied decoder)
    Layer,       // a transformer block (index in ParameterInfo::layer)
    Other,       // the final norm, BERT's embedding LayerNorm and pooler
};
const char* parameterGroupName(ParameterGroup g);  // "embeddings", "head", "layer", "other"

struct ParameterInfo {
    std::string name;  // the model's canonical weight name
    ParameterGroup group = ParameterGroup::Other;
    int64_t layer = -1;          // for ParameterGroup::Layer
    bool norm = false;           // a norm's weight or bias
    bool bias = false;           // a bias (incl. the MLM output bias)
    bool embeddingTable = false; // an embedding table
    int64_t dims = 0;            // the tensor's number of dimensions
    int64_t numel = 0;
    // AdamW's weight decay applies (matrices that are not embedding tables; never norms or biases).
    bool decays() const { return !norm && !bias && !embeddingTable && dims >= 2; }
    at::Tensor tensor;           // the model's tensor (shared storage); undefined from classifyParameter
};

// Group, norm/bias/table flags of a canonical weight name with this shape (no tensor needed).
ParameterInfo classifyParameter(const std::string& name, const std::vector<int64_t>& shape);

// Every floating weight of the model, in the model's name order.
std::vector<ParameterInfo> describeParameters(const Model& model);

// Which parameters train. Parsed from "all", "embeddings", "embeddings+head", "head",
// "layers:0,2,5" (a list or ranges "0-3"), also combined with '+' ("embeddings+layers:0,1").
struct TrainSelection {
    bool all = false;
    bool embeddings = false;
    bool head = false;
    std::set<int64_t> layers;
    bool includes(const ParameterInfo& p) const;
    std::string describe() const;
};
// Throws Error(BadInput) naming what is wrong (unknown group, a layer outside 0..numLayers-1).
TrainSelection parseTrainSelection(const std::string& spec, int64_t numLayers);

// Sets requires_grad on the selected parameters and clears it on the others (the model must be
// trainable, Model::makeTrainable). Returns the selected ones. Throws when nothing is selected.
std::vector<ParameterInfo> applyTrainSelection(Model& model, const TrainSelection& selection);

}  // namespace embedlab
