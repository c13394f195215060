// embedlab engine — tokenizer.json post-processors (internal): TemplateProcessing (single
// sequences), BertProcessing, RobertaProcessing, ByteLevel (no change to ids), Sequence.
#pragma once

#include "engine/tokenizers/hf_common.h"

#include <functional>
#include <memory>
#include <optional>

namespace embedlab::hf {

struct PieceToken {
    int32_t id;
    Span span;     // original byte range
    bool special;  // an added special token (or one added by the post-processor)
};

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    // Adds the special tokens of a single sequence (called only when addSpecial is true).
    virtual void process(std::vector<PieceToken>& toks) const = 0;
};

// lookup resolves a token string to an id (added tokens first, then the model).
std::unique_ptr<PostProcessor> makePostProcessor(
    const Json& j, const std::function<std::optional<int32_t>(const std::string&)>& lookup);

}  // namespace embedlab::hf
