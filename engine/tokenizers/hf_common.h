// embedlab engine — shared pieces of the Hugging Face tokenizer.json implementation (internal).
//
// NormalizedString: text that has been through normalisers/pre-tokenisers, with for every byte the
// byte range of the original input it came from (so that encodings carry offsets into the input).
// Regex: a PCRE2 pattern compiled with PCRE2_UTF|PCRE2_UCP (and JIT when available).
// Text given to these helpers is valid UTF-8 (the tokenizer sanitises its input first).
#pragma once

#include "engine/core/utf8.h"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace embedlab::hf {

using Json = nlohmann::json;

struct Span {
    uint32_t b = 0, e = 0;
};

struct NormalizedString {
    std::string text;
    std::vector<Span> align;  // one entry per byte of text: the original byte range it came from

    static NormalizedString fromOriginal(std::string_view s, size_t base);
    NormalizedString slice(size_t b, size_t e) const;
    // The original range covered by text bytes [b, e).
    Span originalSpan(size_t b, size_t e) const;
    bool empty() const { return text.empty(); }
    // Original start of the whole string (0 if empty).
    uint32_t originalBegin() const { return align.empty() ? 0 : align.front().b; }
    void append(std::string_view s, Span sp) {
        text.append(s);
        align.insert(align.end(), s.size(), sp);
    }
    void appendFrom(const NormalizedString& o, size_t b, size_t e) {
        text.append(o.text, b, e - b);
        align.insert(align.end(), o.align.begin() + static_cast<std::ptrdiff_t>(b),
                     o.align.begin() + static_cast<std::ptrdiff_t>(e));
    }
};

// ---- UTF-8 helpers (input must be valid UTF-8) ----
inline size_t utf8Len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }
inline uint32_t decodeUtf8(std::string_view s, size_t i, size_t* len) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = utf8Len(c);
    if (i + n > s.size()) n = 1;
    *len = n;
    if (n == 1) return c;
    uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return cp;
}
using embedlab::appendUtf8;  // core/utf8.h

// Unicode properties (ICU).
bool isWhitespace(uint32_t cp);   // White_Space (as Rust char::is_whitespace)
bool isPunctuation(uint32_t cp);  // general category P* or ASCII punctuation
bool isAlphanumeric(uint32_t cp);
bool isNumeric(uint32_t cp);  // Nd, Nl, No
bool isControl(uint32_t cp);  // Cc/Cf etc. except \t \n \r
bool isMark(uint32_t cp);     // Mn
uint32_t toLowerSimple(uint32_t cp);

// A pattern from tokenizer.json: {"String": "..."} (literal) or {"Regex": "..."}.
class Regex {
public:
    explicit Regex(const std::string& pattern, bool literal = false);
    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;
    // All non-empty matches [b, e) of the pattern in s, left to right.
    void findAll(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const;
    const std::string& pattern() const { return pattern_; }

private:
    std::string pattern_;
    bool literal_ = false;
    void* code_ = nullptr;  // pcre2_code*
};
std::unique_ptr<Regex> regexFromJson(const Json& pattern, const char* what);

// Split behaviour of Split / Punctuation / Digits pre-tokenisers.
enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };
SplitBehavior splitBehaviorFromJson(const Json& j, SplitBehavior def);
// Splits `s` given the matched ranges (sorted, non-overlapping); `invert` swaps matches and gaps.
void splitByMatches(const NormalizedString& s, const std::vector<std::pair<size_t, size_t>>& matches,
                    SplitBehavior behavior, bool invert, std::vector<NormalizedString>& out);

// JSON field helpers that raise Error::badInput naming the field.
std::string jsonString(const Json& j, const char* key, const std::string& def = {});
bool jsonBool(const Json& j, const char* key, bool def);
const Json* jsonFind(const Json& j, const char* key);  // nullptr if absent or null
std::string jsonType(const Json& j, const char* what);  // j["type"], or throws

}  // namespace embedlab::hf
