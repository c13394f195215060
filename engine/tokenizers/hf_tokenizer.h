// embedlab engine — Hugging Face tokenizer.json tokenizers.
//
// Supports the models BPE (byte-level as GPT-2/Llama 3/Qwen 3/GPT-4o, and SentencePiece-style with
// byte_fallback as Gemma 3), WordPiece and Unigram, with their normalizers, pre-tokenizers,
// post-processors, decoders and added tokens (see hf_*.h). An unsupported component makes loading
// fail with Error(BadInput) naming its type.
//
// Encoding follows HF tokenizers: added tokens (special and normal, leftmost-longest, with their
// lstrip/rstrip/single_word/normalized flags) are split off first, the rest is normalised,
// pre-tokenised and run through the model; addSpecial applies the post-processor. Decoding applies
// the decoder, then clean_up_tokenization_spaces when tokenizer_config.json (beside the file) sets it.
// Empty input encodes to no tokens (plus the post-processor's specials with addSpecial). Ids outside
// the vocabulary are skipped by decode, as HF does. Offsets: added tokens found in the text keep
// their position; tokens added by the post-processor have {0,0}.
#pragma once

#include "engine/tokenizers/tokenizer.h"

#include <memory>
#include <string>

namespace embedlab {

// `tokenizerJsonPath` may be gzipped (tokenizer.json.gz). Throws Error(BadInput).
std::unique_ptr<Tokenizer> loadHfTokenizer(const std::string& tokenizerJsonPath);

// Same from the JSON text itself; `configJson` is tokenizer_config.json's text or "".
std::unique_ptr<Tokenizer> loadHfTokenizerFromString(const std::string& tokenizerJson, const std::string& configJson,
                                                     const std::string& name);

}  // namespace embedlab
