#include "engine/core/utf8.h"

#include <algorithm>

namespace embedlab {
namespace {

// Scans the sequence at s[i]: returns the bytes it spans — the whole sequence when it is well-formed
// (`ok` true, `cp` set), else its maximal ill-formed subpart (≥ 1).
size_t scanUtf8(std::string_view s, size_t i, uint32_t& cp, bool& ok) {
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b = byte(i);
    ok = false;
    if (b < 0x80) {
        cp = b;
        ok = true;
        return 1;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        cp = b & 0x0F;
        if (b == 0xE0) lo = 0xA0;  // no overlongs
        if (b == 0xED) hi = 0x9F;  // no surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        cp = b & 0x07;
        if (b == 0xF0) lo = 0x90;  // no overlongs
        if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
    } else {
        return 1;
    }
    size_t j = i + 1;
    for (size_t k = 1; k < len; ++k, ++j) {
        const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (j >= s.size() || byte(j) < l || byte(j) > h) return j - i;
        cp = (cp << 6) | (byte(j) & 0x3F);
    }
    ok = true;
    return len;
}

}  // namespace

void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

size_t decodeUtf8At(std::string_view s, size_t i, uint32_t& cp) {
    bool ok;
    const size_t n = scanUtf8(s, i, cp, ok);
    return ok ? n : 0;
}

size_t illFormedUtf8Length(std::string_view s, size_t i) {
    uint32_t cp;
    bool ok;
    return scanUtf8(s, i, cp, ok);
}

void decodeUtf8(std::string_view text, std::u32string& cps, std::vector<size_t>& offsets) {
    cps.clear();
    offsets.clear();
    for (size_t i = 0; i < text.size();) {
        offsets.push_back(i);
        uint32_t cp;
        bool ok;
        const size_t n = scanUtf8(text, i, cp, ok);
        cps.push_back(ok ? static_cast<char32_t>(cp) : U'\uFFFD');
        i += n;
    }
    offsets.push_back(text.size());
}

bool isValidUtf8(std::string_view s) {
    uint32_t cp;
    for (size_t i = 0; i < s.size();) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        const size_t n = decodeUtf8At(s, i, cp);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

size_t utf8SpaceAt(std::string_view s, size_t i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    if (c < 0x80) return 0;
    uint32_t cp;
    const size_t n = decodeUtf8At(s, i, cp);
    return n > 1 && (cp == 0xA0 || cp == 0x202F || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A)) ? n : 0;
}

std::string trimSpaces(std::string_view s) {
    size_t b = 0, e = s.size(), n;
    while (b < e && (n = utf8SpaceAt(s, b)) > 0) b += n;
    while (e > b) {
        // step back over one code point
        size_t k = e - 1;
        while (k > b && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;
        if (k + utf8SpaceAt(s, k) == e) e = k;
        else break;
    }
    return std::string(s.substr(b, e - b));
}

std::string asciiLower(std::string_view s) {
    std::string r(s);
    for (auto& c : r)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return r;
}

bool isAsciiDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace embedlab
