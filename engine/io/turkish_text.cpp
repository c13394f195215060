#include "engine/io/turkish_text.h"

#include "engine/core/utf8.h"

#include <unicode/uchar.h>

namespace embedlab {
namespace {

constexpr char32_t kDotAbove = 0x307;

// The byte offset of a combining dot above that belongs to an I ending just before `i`: one that
// follows it with only combining marks between that are neither starters (class 0) nor above-marks
// (class 230) — SpecialCasing's Before_Dot. npos when there is none.
size_t dotAboveAfter(std::string_view s, size_t i) {
    uint32_t cp;
    for (size_t n; i < s.size() && (n = decodeUtf8At(s, i, cp)) > 0; i += n) {
        if (cp == kDotAbove) return i;
        const uint8_t ccc = u_getCombiningClass(static_cast<UChar32>(cp));
        if (ccc == 0 || ccc == 230) break;
    }
    return std::string_view::npos;
}

// Maps the text code point by code point (U+FFFD for ill-formed bytes); `turkishLowerNfd` also folds
// I + U+0307 to i.
template <class F>
std::string mapCodePoints(std::string_view s, F map, bool turkishLowerNfd) {
    std::string out;
    out.reserve(s.size() + 8);
    size_t dropAt = std::string_view::npos;  // the dot above of an I already written as i
    for (size_t i = 0; i < s.size();) {
        uint32_t cp;
        size_t n = decodeUtf8At(s, i, cp);
        if (n == 0) {
            cp = 0xFFFD;
            n = illFormedUtf8Length(s, i);
        } else if (i == dropAt) {
            i += n;
            continue;
        }
        if (turkishLowerNfd && cp == U'I') {
            dropAt = dotAboveAfter(s, i + 1);
            if (dropAt != std::string_view::npos) cp = U'İ';  // lower-cases to i
        }
        appendUtf8(out, map(static_cast<char32_t>(cp)));
        i += n;
    }
    return out;
}

}  // namespace

char32_t turkishLowerChar(char32_t c) {
    if (c == U'I') return U'ı';
    if (c == U'İ') return U'i';
    if (c < 0x80) return (c >= U'A' && c <= U'Z') ? c + 32 : c;
    return static_cast<char32_t>(u_tolower(static_cast<UChar32>(c)));
}

char32_t turkishUpperChar(char32_t c) {
    if (c == U'i') return U'İ';
    if (c == U'ı') return U'I';
    if (c == U'ß') return U'ẞ';
    if (c < 0x80) return (c >= U'a' && c <= U'z') ? c - 32 : c;
    return static_cast<char32_t>(u_toupper(static_cast<UChar32>(c)));
}

std::string turkishLower(std::string_view text) { return mapCodePoints(text, turkishLowerChar, true); }

std::string turkishUpper(std::string_view text) { return mapCodePoints(text, turkishUpperChar, false); }

std::string turkishCapitalize(std::string_view text) {
    bool first = true;
    return mapCodePoints(
        text,
        [&first](char32_t c) {
            const char32_t r = first ? turkishUpperChar(c) : c;
            first = false;
            return r;
        },
        false);
}

bool startsUpper(std::string_view text) {
    uint32_t cp;
    return !text.empty() && decodeUtf8At(text, 0, cp) > 0 && turkishLowerChar(cp) != cp;
}

}  // namespace embedlab
