// `embedlab-cli lens`: the logit lens of a causal LM on one prompt (engine/tasks/logit_lens.h).
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/models/dtype.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/logit_lens.h"
#include "engine/tokenizers/tokenizer.h"

namespace embedlab::cli {

namespace {

int runLens(Args& a) {
    const std::string dir = a.require("model");
    tasks::LensOptions o;
    o.topK = a.getInt("top", 5);
    if (o.topK < 1) throw UsageError("--top must be ≥ 1");
    o.interventions = Interventions::parse(a.get("zero-heads"), a.get("skip-layers"));
    std::unique_ptr<Tokenizer> tok;
    o.ids = promptIdsFromArgs(a, dir, tok, "lens");
    const c10::Device device(deviceFromArgs(a));
    const c10::ScalarType dtype = parseDtype(dtypeFromArgs(a));
    std::vector<std::string> warnings;
    auto model = loadModel(dir, device, dtype, &warnings);
    for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    for (int64_t id : o.ids)
        if (id < 0 || id >= model->config().vocabSize)
            throw Error::badInput("token id " + std::to_string(id) + " is outside the vocabulary (0–" +
                                  std::to_string(model->config().vocabSize - 1) + ")");
    StderrProgress progress(a, "lens");
    const tasks::LensResult r = tasks::logitLens(*model, o, progress);
    auto tokenOf = [&](int64_t id) { return tok ? tok->idToToken(id) : std::string(); };
    nlohmann::json tokens = nlohmann::json::array();
    for (int64_t id : o.ids) tokens.push_back(tokenOf(id));
    nlohmann::json layers = nlohmann::json::array();
    for (size_t l = 0; l < r.layers.size(); ++l) {
        nlohmann::json positions = nlohmann::json::array();
        for (const auto& top : r.layers[l]) {
            nlohmann::json t = nlohmann::json::array();
            for (const auto& x : top) t.push_back({{"id", x.id}, {"token", tokenOf(x.id)}, {"prob", x.prob}});
            positions.push_back({{"top", t}});
        }
        layers.push_back({{"layer", l}, {"positions", positions}});
    }
    nlohmann::json j = {{"ids", o.ids},
                        {"tokens", tokens},
                        {"layers", layers},
                        {"next_token_prob", r.nextTokenProb},
                        {"next_token", {{"id", r.finalToken}, {"token", tokenOf(r.finalToken)}}},
                        {"dtype", dtypeName(dtype)},
                        {"device", device.str()}};
    printJson(nlohmann::json::parse(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{
    "lens",
    "lens --model DIR (--prompt TEXT | --ids \"1,2,3\") [--top 5] [--zero-heads L:H,...] [--skip-layers L,...]\n"
    "  [--add-special]   (the logit lens: each layer read through the final norm and the LM head)",
    {"add-special"},
    {"model", "prompt", "ids", "top", "zero-heads", "skip-layers"},
    runLens});

}  // namespace embedlab::cli
