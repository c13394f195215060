// embedlab engine — Turkish casing of UTF-8 text: one set of rules for the corpus reader, the sentence
// splitter, the tokenizers and the evaluation tasks.
//
// I ↔ ı and İ ↔ i; every other letter follows Unicode's simple case mapping (one code point to one, in
// every script; ICU's u_tolower / u_toupper), except that ß upper-cases to ẞ (U+1E9E), whose lower case
// it is. Ill-formed UTF-8 becomes U+FFFD, one per maximal ill-formed subpart (as the decoders do).
//
// The combining dot above (U+0307): "I" + U+0307 is İ written decomposed (NFD), and Unicode's Turkish
// casing (SpecialCasing.txt, tr: After_I / Not_Before_Dot) lower-cases it to "i", dropping the dot —
// turkishLower() does the same. turkishLowerChar(), one code point without context, cannot: it gives
// ı for I, which is what the seed Turkish tokenizer's reference encoding expects (its `_tr_lower`
// replaces İ and I, then calls Python's str.lower(), on text that is never normalised).
#pragma once

#include <string>
#include <string_view>

namespace embedlab {

// One code point: I → ı, İ → i, else the simple lower case.
char32_t turkishLowerChar(char32_t c);
// One code point: i → İ, ı → I, ß → ẞ, else the simple upper case.
char32_t turkishUpperChar(char32_t c);

// Lower case, with I + U+0307 → i (other combining marks that are not above-marks may stand between
// them: "I\u0327\u0307" → "i\u0327").
std::string turkishLower(std::string_view text);
// Upper case, code point by code point.
std::string turkishUpper(std::string_view text);
// The first code point upper-cased (istanbul → İstanbul, ışık → Işık), the rest as it is.
std::string turkishCapitalize(std::string_view text);
// Does the text start with a letter that has a lower case (an upper- or title-case letter)? For the
// sentence splitter.
bool startsUpper(std::string_view text);

}  // namespace embedlab
