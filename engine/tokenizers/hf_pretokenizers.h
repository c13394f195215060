// embedlab engine — tokenizer.json pre-tokenizers (internal): ByteLevel, Split (PCRE2 regex or
// literal), Metaspace, Whitespace, WhitespaceSplit, BertPreTokenizer, Digits, Punctuation,
// CharDelimiterSplit, Sequence.
#pragma once

#include "engine/tokenizers/hf_common.h"

#include <memory>
#include <string>

namespace embedlab::hf {

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Replaces each piece by its sub-pieces (in order).
    virtual void preTokenize(std::vector<NormalizedString>& pieces) const = 0;
};

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j);

// GPT-2's byte ↔ unicode mapping used by ByteLevel pre-tokenizer and decoder.
const std::string& byteToUnicode(unsigned char b);  // UTF-8 of the mapped character
int unicodeToByte(uint32_t cp);                     // -1 if cp is not a mapped character

}  // namespace embedlab::hf
