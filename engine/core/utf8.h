// embedlab engine — small text helpers shared by the tokenizers and the corpus reader: UTF-8 encoding and
// decoding, Unicode spaces, ASCII names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace embedlab {

// Appends code point `cp` (≤ 0x10FFFF) to `out` as UTF-8.
void appendUtf8(std::string& out, uint32_t cp);

// Decodes the code point that starts at s[i] (i < s.size()) into `cp` and returns its length in bytes;
// 0 when the bytes there are ill-formed (a stray continuation or bad lead byte, a missing continuation
// byte, an overlong form, a surrogate, a value above U+10FFFF, a sequence cut off by the end).
size_t decodeUtf8At(std::string_view s, size_t i, uint32_t& cp);
// The length (≥ 1) of the maximal ill-formed subpart at s[i], where decodeUtf8At() gives 0: the bytes
// that one U+FFFD replaces (Unicode §3.9, "U+FFFD substitution of maximal subparts").
size_t illFormedUtf8Length(std::string_view s, size_t i);
// Decodes UTF-8 text to code points, each maximal ill-formed subpart becoming U+FFFD. offsets[k] is the
// byte offset of code point k; offsets.back() == text.size().
void decodeUtf8(std::string_view text, std::u32string& cps, std::vector<size_t>& offsets);
// true when `s` is well-formed UTF-8 (no overlongs, surrogates or values above U+10FFFF).
bool isValidUtf8(std::string_view s);

// The length of the white space at s[i] (ASCII space, tab, CR, LF, FF, VT; U+00A0, U+2000–U+200A,
// U+202F, U+3000), or 0 when there is none.
size_t utf8SpaceAt(std::string_view s, size_t i);
// `s` without that white space at both ends.
std::string trimSpaces(std::string_view s);

// ASCII letters lower-cased, every other byte as it is (for names, options and file extensions).
std::string asciiLower(std::string_view s);
// true when `s` is a non-empty run of ASCII digits.
bool isAsciiDigits(std::string_view s);

}  // namespace embedlab
