// embedlab engine — tokenizer.json decoders (internal): ByteLevel, Metaspace, WordPiece,
// ByteFallback, Fuse, Strip, Replace, BPEDecoder, Sequence.
#pragma once

#include "engine/tokenizers/hf_common.h"

#include <memory>
#include <string>
#include <vector>

namespace embedlab::hf {

class Decoder {
public:
    virtual ~Decoder() = default;
    // Transforms the token strings (the HF "decode_chain"); the result is joined without separator.
    virtual void decodeChain(std::vector<std::string>& tokens) const = 0;
};

std::unique_ptr<Decoder> makeDecoder(const Json& j);

// transformers' clean_up_tokenization (" ." → "." etc.).
std::string cleanUpTokenization(std::string s);

}  // namespace embedlab::hf
