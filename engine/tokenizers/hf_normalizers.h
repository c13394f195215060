// embedlab engine — tokenizer.json normalizers (internal): Sequence, NFC, NFD, NFKC, NFKD (ICU),
// Lowercase, Replace, Prepend, Strip, StripAccents, BertNormalizer, Precompiled.
//
// Precompiled (SentencePiece charsmap) is approximated by NFKC — exact for the common nmt_nfkc
// maps on ordinary text, but the charsmap's own special cases are not applied.
#pragma once

#include "engine/tokenizers/hf_common.h"

#include <memory>

namespace embedlab::hf {

class Normalizer {
public:
    virtual ~Normalizer() = default;
    virtual void normalize(NormalizedString& s) const = 0;
};

// Throws Error::badInput naming an unsupported type.
std::unique_ptr<Normalizer> makeNormalizer(const Json& j);

}  // namespace embedlab::hf
