// embedlab engine — a SentencePiece .model as a Tokenizer (kind "sentencepiece").
//
// Encoding and decoding are libsentencepiece's own (through SentencePieceModel and its shim).
// addSpecial adds the model's BOS and EOS (when the model defines them), as
// encode(text, add_bos=True, add_eos=True). Token types: control → Special, byte → Byte,
// unknown → Unknown, everything else → Normal. Offsets are recovered by aligning the pieces with
// the input (▁ ↔ space, <0xXX> ↔ one byte); where the model's normaliser changed the text they
// degrade to the position reached so far. As EncodeAsPieces does, the token string of an unknown
// piece is the input text it covers (e.g. "☀️"), not "<unk>".
#pragma once

#include "engine/tokenizers/tokenizer.h"

#include <memory>
#include <string>

namespace embedlab {

// Throws Error(BadInput) for a missing or invalid .model.
std::unique_ptr<Tokenizer> loadSentencePieceTokenizer(const std::string& modelPath);

}  // namespace embedlab
