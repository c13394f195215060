// `embedlab-cli forward`: one forward pass over a right-padded batch of id sequences.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/io/safetensors.h"
#include "engine/models/dtype.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"

#include <ATen/ATen.h>

#include <chrono>

namespace embedlab::cli {

// "1,2,3;4,5" → {{1,2,3},{4,5}}. Throws UsageError.
std::vector<std::vector<int64_t>> parseIdList(const std::string& s) {
    std::vector<std::vector<int64_t>> out(1);
    std::string cur;
    auto flush = [&] {
        size_t a = cur.find_first_not_of(" \t"), b = cur.find_last_not_of(" \t");
        if (a == std::string::npos) {
            cur.clear();
            return false;
        }
        const std::string t = cur.substr(a, b - a + 1);
        try {
            size_t pos = 0;
            long long v = std::stoll(t, &pos);
            if (pos != t.size() || v < 0) throw std::invalid_argument(t);
            out.back().push_back(v);
        } catch (const std::exception&) {
            throw UsageError("--ids: '" + t + "' is not a token id");
        }
        cur.clear();
        return true;
    };
    for (char c : s) {
        if (c == ',') {
            if (!flush()) throw UsageError("--ids: empty item in '" + s + "'");
        } else if (c == ';') {
            flush();
            out.emplace_back();
        } else cur += c;
    }
    flush();
    for (const auto& seq : out)
        if (seq.empty()) throw UsageError("--ids: empty sequence in '" + s + "'");
    return out;
}

namespace {

int runForward(Args& a) {
    const std::string dir = a.require("model");
    const std::string outPath = a.require("out");
    const auto seqs = parseIdList(a.require("ids"));
    const c10::Device device(deviceFromArgs(a));
    const c10::ScalarType dtype = parseDtype(dtypeFromArgs(a));
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::string> warnings;
    auto model = loadModel(dir, device, dtype, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    const auto& c = model->config();
    size_t L = 0;
    for (const auto& s : seqs) L = std::max(L, s.size());
    const int64_t B = static_cast<int64_t>(seqs.size());
    const int64_t pad = c.padTokenId >= 0 ? c.padTokenId : 0;
    at::Tensor ids = at::full({B, static_cast<int64_t>(L)}, pad, at::TensorOptions().dtype(at::kLong));
    at::Tensor mask = at::zeros({B, static_cast<int64_t>(L)}, at::TensorOptions().dtype(at::kLong));
    for (int64_t b = 0; b < B; ++b)
        for (size_t t = 0; t < seqs[static_cast<size_t>(b)].size(); ++t) {
            ids[b][static_cast<int64_t>(t)] = seqs[static_cast<size_t>(b)][t];
            mask[b][static_cast<int64_t>(t)] = 1;
        }
    ForwardOptions o;
    o.interventions = Interventions::parse(a.get("zero-heads"), a.get("skip-layers"));
    // Activation patching: --patch-residual STATE:FILE[:TENSOR] replaces hidden state STATE by a tensor
    // of another forward's output (default hidden_states.STATE), at --patch-positions or everywhere.
    if (a.has("patch-residual")) {
        const std::string spec = a.get("patch-residual");
        const auto c1 = spec.find(':');
        if (c1 == std::string::npos || c1 == 0) throw UsageError("--patch-residual expects STATE:FILE[:TENSOR]");
        const std::string stateText = spec.substr(0, c1);
        if (stateText.find_first_not_of("0123456789") != std::string::npos)
            throw UsageError("--patch-residual: '" + stateText + "' is not a hidden state number");
        const int64_t state = std::stoll(stateText);
        std::string file = spec.substr(c1 + 1), tensor = "hidden_states." + stateText;
        if (const auto c2 = file.rfind(':'); c2 != std::string::npos && c2 > 0 && file.find(".safetensors") < c2) {
            tensor = file.substr(c2 + 1);
            file = file.substr(0, c2);
        }
        std::vector<int64_t> positions;
        if (a.has("patch-positions")) {
            const auto lists = parseIdList(a.get("patch-positions"));
            if (lists.size() != 1) throw UsageError("--patch-positions takes one list: P[,P...]");
            positions = lists.front();
        }
        auto f = SafeTensorsFile::open(file);
        if (!f->find(tensor)) throw Error::badInput(file + " has no tensor '" + tensor + "'");
        o.interventions.patches.push_back(makeResidualPatch(state, f->tensor(tensor).to(at::kFloat).clone(), positions));
    } else if (a.has("patch-positions")) {
        throw UsageError("--patch-positions needs --patch-residual");
    }
    ForwardOutput out = model->forward(ids, mask, at::Tensor(), o);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (size_t i = 0; i < out.hiddenStates.size(); ++i)
        tensors.emplace_back("hidden_states." + std::to_string(i), out.hiddenStates[i].to(at::kCPU, at::kFloat));
    if (out.logits.defined())
        tensors.emplace_back(c.isCausalLM() ? "logits" : "mlm_logits", out.logits.to(at::kCPU, at::kFloat));
    if (out.pooler.defined()) tensors.emplace_back("pooler_output", out.pooler.to(at::kCPU, at::kFloat));
    tensors.emplace_back("attention_mask", mask);
    saveSafeTensors(outPath, tensors,
                    {{"format", "pt"}, {"model", dir}, {"dtype", dtypeName(dtype)}, {"device", device.str()}});
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json j = {{"out", outPath},   {"batch", B},   {"seq_len", L}, {"layers", c.numLayers},
                        {"hidden", c.hiddenSize}, {"arch", architectureName(c.arch)}, {"dtype", dtypeName(dtype)},
                        {"device", device.str()}, {"seconds", secs}};
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& t : tensors) keys.push_back(t.first);
    j["keys"] = keys;
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"forward",
                             "forward --model DIR --ids \"1,2,3[;4,5,6,7]\" [--dtype f32|bf16] [--device D] --out FILE.safetensors\n"
                             "  [--zero-heads L:H,...] [--skip-layers L,...]\n"
                             "  [--patch-residual STATE:FILE.safetensors[:TENSOR] [--patch-positions P,...]]   (activation patching)",
                             {},
                             {"model", "ids", "out", "zero-heads", "skip-layers", "patch-residual", "patch-positions"},
                             runForward});

}  // namespace embedlab::cli
