// embedlab engine — fast loading of tokenizer.json (internal).
//
// Parses with nlohmann's SAX interface: model.vocab and model.merges (hundreds of thousands of
// entries in Gemma 3's 33 MB file) go straight into compact vectors; everything else becomes a
// small nlohmann::json document.
#pragma once

#include "engine/tokenizers/hf_common.h"
#include "engine/tokenizers/hf_models.h"

#include <nlohmann/json.hpp>

#include <string>

namespace embedlab::hf {

struct LoadedTokenizerJson {
    Json root;  // without model.vocab / model.merges
    ModelData model;
};

// Throws Error::badInput with the parse error's position for malformed JSON.
LoadedTokenizerJson parseTokenizerJson(const std::string& text);

}  // namespace embedlab::hf
