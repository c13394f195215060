#include "engine/io/text_encoding.h"

#include "engine/core/error.h"

#include <algorithm>

namespace embedlab {
namespace {

// ---------------------------------------------------------------------------------------------
// 8-bit Turkish code pages: code points of bytes 0x80–0xFF.

uint32_t cp1254(unsigned char b) {
    static const uint16_t hi[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                    0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x008E, 0x008F,
                                    0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x009E, 0x0178};
    if (b >= 0x80 && b <= 0x9F) return hi[b - 0x80];
    switch (b) {  // ISO-8859-9 / Windows-1254 differ from Latin-1 in these six
    case 0xD0: return 0x011E;  // Ğ
    case 0xDD: return 0x0130;  // İ
    case 0xDE: return 0x015E;  // Ş
    case 0xF0: return 0x011F;  // ğ
    case 0xFD: return 0x0131;  // ı
    case 0xFE: return 0x015F;  // ş
    default: return b;
    }
}

uint32_t iso88599(unsigned char b) {
    if (b >= 0x80 && b <= 0x9F) return b;  // C1 controls
    return cp1254(b);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Pieces for streaming decoders

bool isValidUtf8Sample(std::string_view s, bool& hasMultibyte) {
    size_t i = 0;
    uint32_t cp;
    hasMultibyte = false;
    while (i < s.size()) {
        const size_t n = decodeUtf8At(s, i, cp);
        if (n == 0) {
            if (s.size() - i < 4) {
                // a truncated but otherwise plausible lead + continuation bytes
                const unsigned char c = static_cast<unsigned char>(s[i]);
                if (c < 0xC2 || c > 0xF4) return false;
                for (size_t k = i + 1; k < s.size(); ++k)
                    if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return false;
                return true;
            }
            return false;
        }
        if (n > 1) hasMultibyte = true;
        i += n;
    }
    return true;
}

void appendDecoded8bit(std::string_view in, TextEncoding e, std::string& out) {
    out.reserve(out.size() + in.size() + in.size() / 4);
    for (char ch : in) {
        const unsigned char b = static_cast<unsigned char>(ch);
        if (b < 0x80) {
            out.push_back(ch);
            continue;
        }
        appendUtf8(out, e == TextEncoding::Windows1254 ? cp1254(b) : iso88599(b));
    }
}

void Utf16Decoder::feed(std::string_view in, std::string& out) {
    size_t i = 0;
    auto unit = [&](unsigned char a, unsigned char b) -> uint32_t {
        return bigEndian_ ? (static_cast<uint32_t>(a) << 8 | b) : (static_cast<uint32_t>(b) << 8 | a);
    };
    if (pendingByte_ >= 0 && !in.empty()) {
        push(unit(static_cast<unsigned char>(pendingByte_), static_cast<unsigned char>(in[0])), out);
        pendingByte_ = -1;
        i = 1;
    }
    for (; i + 1 < in.size(); i += 2) push(unit(static_cast<unsigned char>(in[i]), static_cast<unsigned char>(in[i + 1])), out);
    if (i < in.size()) pendingByte_ = static_cast<unsigned char>(in[i]);
}

void Utf16Decoder::push(uint32_t u, std::string& out) {
    if (highSurrogate_) {
        if (u >= 0xDC00 && u <= 0xDFFF) {
            appendUtf8(out, 0x10000 + ((highSurrogate_ - 0xD800) << 10) + (u - 0xDC00));
            highSurrogate_ = 0;
            return;
        }
        appendUtf8(out, 0xFFFD);
        highSurrogate_ = 0;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
        highSurrogate_ = u;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
        appendUtf8(out, 0xFFFD);
    } else {
        appendUtf8(out, u);
    }
}

void Utf16Decoder::finish(std::string& out) {
    if (highSurrogate_ || pendingByte_ >= 0) appendUtf8(out, 0xFFFD);
    highSurrogate_ = 0;
    pendingByte_ = -1;
}

// ---------------------------------------------------------------------------------------------
// Names, detection, whole-buffer decoding

const char* encodingName(TextEncoding e) {
    switch (e) {
    case TextEncoding::Auto: return "auto";
    case TextEncoding::Utf8: return "utf-8";
    case TextEncoding::Utf16LE: return "utf-16le";
    case TextEncoding::Utf16BE: return "utf-16be";
    case TextEncoding::Windows1254: return "windows-1254";
    case TextEncoding::Iso8859_9: return "iso-8859-9";
    }
    return "?";
}

TextEncoding parseEncoding(const std::string& name) {
    std::string n = asciiLower(name);
    n.erase(std::remove(n.begin(), n.end(), '_'), n.end());
    if (n == "auto" || n.empty()) return TextEncoding::Auto;
    if (n == "utf-8" || n == "utf8" || n == "utf-8-sig") return TextEncoding::Utf8;
    if (n == "utf-16le" || n == "utf16le" || n == "utf-16" || n == "utf16") return TextEncoding::Utf16LE;
    if (n == "utf-16be" || n == "utf16be") return TextEncoding::Utf16BE;
    if (n == "windows-1254" || n == "cp1254" || n == "win1254" || n == "windows1254") return TextEncoding::Windows1254;
    if (n == "iso-8859-9" || n == "iso8859-9" || n == "iso88599" || n == "latin5" || n == "latin-5")
        return TextEncoding::Iso8859_9;
    throw Error::badInput("unknown encoding '" + name +
                          "': use auto, utf-8, utf-16le, utf-16be, windows-1254 or iso-8859-9");
}

EncodingGuess detectEncoding(std::string_view s) {
    EncodingGuess g;
    const auto u = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    if (s.size() >= 3 && u(0) == 0xEF && u(1) == 0xBB && u(2) == 0xBF) {
        g.encoding = TextEncoding::Utf8;
        g.bomBytes = 3;
        g.reason = "UTF-8 byte order mark";
        return g;
    }
    if (s.size() >= 2 && u(0) == 0xFF && u(1) == 0xFE) {
        g.encoding = TextEncoding::Utf16LE;
        g.bomBytes = 2;
        g.reason = "UTF-16 little-endian byte order mark";
        return g;
    }
    if (s.size() >= 2 && u(0) == 0xFE && u(1) == 0xFF) {
        g.encoding = TextEncoding::Utf16BE;
        g.bomBytes = 2;
        g.reason = "UTF-16 big-endian byte order mark";
        return g;
    }
    // NUL bytes: UTF-16 without BOM (NULs at every other position) or binary
    size_t nulEven = 0, nulOdd = 0, ctrl = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = u(i);
        if (c == 0) (i % 2 ? nulOdd : nulEven)++;
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1B) ++ctrl;
    }
    const size_t half = s.size() / 2;
    if (nulEven + nulOdd > 0) {
        if (half > 0 && nulOdd > half * 3 / 10 && nulEven == 0) {
            g.encoding = TextEncoding::Utf16LE;
            g.reason = "UTF-16 little-endian (no BOM; NUL high bytes)";
            return g;
        }
        if (half > 0 && nulEven > half * 3 / 10 && nulOdd == 0) {
            g.encoding = TextEncoding::Utf16BE;
            g.reason = "UTF-16 big-endian (no BOM; NUL high bytes)";
            return g;
        }
        g.binary = true;
        g.reason = "it contains NUL bytes";
        return g;
    }
    if (ctrl * 20 > s.size() + 1) {
        g.binary = true;
        g.reason = "it contains many control characters";
        return g;
    }
    bool multi = false;
    if (isValidUtf8Sample(s, multi)) {
        g.encoding = TextEncoding::Utf8;
        g.reason = multi ? "valid UTF-8" : "ASCII (valid UTF-8)";
        return g;
    }
    // an 8-bit code page: count the Turkish letters and the bytes 0x80–0x9F
    size_t turkish = 0, high = 0, c1 = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = u(i);
        if (c >= 0x80) ++high;
        if (c >= 0x80 && c <= 0x9F) ++c1;
        switch (c) {
        case 0xE7: case 0xC7: case 0xF0: case 0xD0: case 0xFD: case 0xDD:
        case 0xF6: case 0xD6: case 0xFE: case 0xDE: case 0xFC: case 0xDC: ++turkish; break;
        default: break;
        }
    }
    const std::string stats = std::to_string(turkish) + " of " + std::to_string(high) +
                              " non-ASCII bytes are Turkish letters (ç ğ ı İ ö ş ü)";
    if (c1 > 0) {
        g.encoding = TextEncoding::Windows1254;
        g.reason = "not UTF-8; " + std::to_string(c1) + " bytes in 0x80–0x9F (printable in Windows-1254: ’ “ ” – … €, " +
                   "control codes in ISO-8859-9); " + stats;
    } else {
        g.encoding = TextEncoding::Iso8859_9;
        g.reason = "not UTF-8; no bytes in 0x80–0x9F (ISO-8859-9 and Windows-1254 read it identically); " + stats;
    }
    return g;
}

std::string decodeToUtf8(std::string_view bytes, TextEncoding e) {
    std::string out;
    switch (e) {
    case TextEncoding::Auto:
    case TextEncoding::Utf8:
        if (!isValidUtf8(bytes)) throw Error::badInput("the text is not valid UTF-8");
        return std::string(bytes);
    case TextEncoding::Utf16LE:
    case TextEncoding::Utf16BE: {
        Utf16Decoder d(e == TextEncoding::Utf16BE);
        d.feed(bytes, out);
        d.finish(out);
        return out;
    }
    case TextEncoding::Windows1254:
    case TextEncoding::Iso8859_9: appendDecoded8bit(bytes, e, out); return out;
    }
    return out;
}

}  // namespace embedlab
