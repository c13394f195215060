// `embedlab-cli init`: writes a randomly initialised model as a Hugging Face folder
// (config.json, generation_config.json for causal LMs, model.safetensors).
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/models/presets.h"
#include "engine/models/random_model_writer.h"
#include "engine/models/weight_layout.h"

#include <chrono>

namespace embedlab::cli {
namespace {

const char* kUsage =
    "init --arch gemma3|gpt2|bert|xlm-roberta (--preset NAME | --config FILE) [--seed S] [--dtype f32|bf16]\n"
    "     --out DIR   (presets: gemma3-270m, gemma3-270m-tr, gpt2, bert-base, xlm-roberta-base)";

int runInit(Args& a) {
    const std::string arch = a.require("arch");
    if (arch != "gemma3" && arch != "gpt2" && arch != "bert" && arch != "xlm-roberta")
        throw UsageError("--arch must be gemma3, gpt2, bert or xlm-roberta, got '" + arch + "'");
    const bool hasPreset = a.has("preset"), hasConfig = a.has("config");
    if (hasPreset == hasConfig) throw UsageError("give exactly one of --preset NAME and --config FILE");
    const std::string out = a.require("out");
    if (out.empty()) throw UsageError("--out needs a folder");
    const long long seed = a.getInt("seed", 0);
    if (seed < 0) throw UsageError("--seed must be a non-negative whole number");
    const std::string dtype = dtypeFromArgs(a);

    nlohmann::json config;
    std::string source;
    if (hasPreset) {
        source = a.get("preset");
        try {
            config = modelPreset(source);
        } catch (const Error& e) {
            throw UsageError(e.what());
        }
        if (modelFamily(config) != arch)
            throw UsageError("--arch " + arch + " does not match preset " + source + " (a " + modelFamily(config) +
                             " model)");
    } else {
        source = a.get("config");
        const std::string text = readFile(source, 64ull << 20);
        try {
            config = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            throw Error::badInput(source + " is not valid JSON: " + e.what());
        }
        std::string fam;
        try {
            fam = modelFamily(config);
        } catch (const Error& e) {
            throw Error::badInput(source + ": " + e.what());
        }
        if (fam != arch)
            throw Error::badInput(source + " describes a " + fam + " model (model_type '" +
                                  config.value("model_type", std::string()) + "'), but --arch is " + arch);
    }
    try {
        parseWritableConfig(config);
    } catch (const Error& e) {
        throw Error::badInput(source + ": " + e.what());
    }

    const auto t0 = std::chrono::steady_clock::now();
    StderrProgress progress(a, "init");
    const RandomModelSummary r = writeRandomModel(config, out, static_cast<uint64_t>(seed), dtype, &progress);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    nlohmann::json j = {{"path", r.path},       {"arch", arch},          {"parameters", r.parameters},
                        {"bytes", r.bytes},     {"dtype", dtype},        {"seed", seed},
                        {"files", r.files},     {"seconds", seconds}};
    j[hasPreset ? "preset" : "config"] = source;
    printJson(j);
    return 0;
}

}  // namespace

EMBEDLAB_CLI_COMMAND(Command{"init", kUsage, {}, {"arch", "preset", "config", "seed", "out"}, runInit});

}  // namespace embedlab::cli
