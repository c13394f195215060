// embedlab engine — the text a vocabulary token stands for, across tokenizer conventions.
//
// Vocabulary strings mark their position in a word differently: SentencePiece and Gemma write a word's
// leading space as ▁ ("▁kitap"), GPT-2-style byte-level BPE maps every byte to a printable character
// (a space is Ġ, "ı" is "Ä±"), WordPiece marks a continuation with ## ("##lar"), byte-fallback tokens
// are `<0xNN>`, and the seed Turkish format gives one id several surface forms (allomorphs) with the
// space as its own token. Vocabulary transfer (engine/transfer) compares two tokenizers through this
// common description: a surface = the raw bytes of the text plus where in a word it stands.
#pragma once

#include "engine/tokenizers/tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace embedlab {

enum class SurfaceStyle {
    Metaspace,  // ▁ marks a word start (SentencePiece, Gemma, XLM-R, Llama 2); <0xNN> byte fallback
    ByteLevel,  // GPT-2's byte ↔ unicode mapping; Ġ marks a word start (GPT-2, Llama 3, Qwen 3, GPT-4o)
    WordPiece,  // ## marks a continuation (BERT)
    Seed        // the seed Turkish format: plain forms, roots start words, suffixes continue them
};
const char* surfaceStyleName(SurfaceStyle s);  // "metaspace", "byte-level", "wordpiece", "seed"

// From the tokenizer's kind and, for hf-bpe, how it writes a space.
SurfaceStyle detectSurfaceStyle(const Tokenizer& tok);

enum class SurfacePosition { WordInitial, Continuation, Either };
const char* surfacePositionName(SurfacePosition p);  // "initial", "continuation", "either"

struct TokenSurface {
    std::string text;  // raw bytes (a byte token's single byte may not be valid UTF-8 on its own)
    SurfacePosition position = SurfacePosition::Either;
    bool byte = false;  // a byte-fallback token (<0xNN>) or a byte-level token that is not valid UTF-8
};

// A control token: special or unknown in the tokenizer's eyes and written as a tag (<bos>, [CLS], <s>,
// <unused3>, special_7 …). Its text is not text: transfer maps it by role.
bool isControlToken(const Tokenizer& tok, int64_t id);

// The surfaces of a token (several for the seed format's allomorph groups, none for a control token or
// an id outside the vocabulary). A lone space token is " " with position Either.
std::vector<TokenSurface> tokenSurfaces(const Tokenizer& tok, SurfaceStyle style, int64_t id);

// The vocabulary string a tokenizer of this style uses for `text` in this position, for an exact
// lookup ("kitap", initial → "▁kitap" / "Ġkitap" / "kitap"; "lar", continuation → "lar" / "lar" /
// "##lar"). Either is taken as WordInitial.
std::string vocabularyString(SurfaceStyle style, const std::string& text, SurfacePosition position);

// The id of the token for one raw byte (<0xNN> in Metaspace, the mapped character in ByteLevel), if any.
std::optional<int64_t> byteTokenId(const Tokenizer& tok, SurfaceStyle style, unsigned char byte);

}  // namespace embedlab
