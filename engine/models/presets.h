// embedlab engine — named model configurations: the config.json (Hugging Face style) of the presets
// behind `embedlab-cli init --preset` and `embedlab-cli bench`. Their weight layouts are
// engine/models/weight_layout.h; engine/models/random_model_writer.h writes them as model folders.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace embedlab {

// gemma3-270m, gemma3-270m-tr, gpt2, bert-base, xlm-roberta-base.
std::vector<std::string> modelPresetNames();
// The config.json of a preset. Throws Error(BadInput) for an unknown name.
nlohmann::json modelPreset(const std::string& name);

}  // namespace embedlab
