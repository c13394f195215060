#include "engine/tokenizers/token_surface.h"

#include "engine/core/utf8.h"
#include "engine/tokenizers/hf_pretokenizers.h"

#include <cctype>

namespace embedlab {
namespace {

const std::string kMeta = "\xE2\x96\x81";  // ▁ U+2581

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    for (size_t i = 0; (i = s.find(from, i)) != std::string::npos; i += to.size()) s.replace(i, from.size(), to);
    return s;
}

// "<0x4A>" → 0x4A.
std::optional<unsigned char> parseByteToken(const std::string& t) {
    if (t.size() != 6 || t.compare(0, 3, "<0x") != 0 || t[5] != '>') return std::nullopt;
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int h = hex(t[3]), l = hex(t[4]);
    if (h < 0 || l < 0) return std::nullopt;
    return static_cast<unsigned char>(h * 16 + l);
}

bool allWhitespace(const std::string& s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
    return true;
}

bool looksLikeTag(const std::string& s) {
    if (s.size() >= 3 && ((s.front() == '<' && s.back() == '>') || (s.front() == '[' && s.back() == ']'))) return true;
    if (startsWith(s, "special_") && s.size() > 8) {
        for (size_t i = 8; i < s.size(); ++i)
            if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
        return true;
    }
    return false;
}

TokenSurface fromPrefixed(std::string text, bool hadMarker) {
    TokenSurface s;
    if (hadMarker && text.empty()) {
        s.text = " ";
        s.position = SurfacePosition::Either;
    } else {
        s.text = std::move(text);
        s.position = hadMarker ? SurfacePosition::WordInitial : SurfacePosition::Continuation;
    }
    return s;
}

}  // namespace

const char* surfaceStyleName(SurfaceStyle s) {
    switch (s) {
    case SurfaceStyle::Metaspace: return "metaspace";
    case SurfaceStyle::ByteLevel: return "byte-level";
    case SurfaceStyle::WordPiece: return "wordpiece";
    case SurfaceStyle::Seed: return "seed";
    }
    return "?";
}

const char* surfacePositionName(SurfacePosition p) {
    switch (p) {
    case SurfacePosition::WordInitial: return "initial";
    case SurfacePosition::Continuation: return "continuation";
    case SurfacePosition::Either: return "either";
    }
    return "?";
}

SurfaceStyle detectSurfaceStyle(const Tokenizer& tok) {
    const std::string kind = tok.kind();
    if (kind == "turkish-seed" || kind == "embedlab-morph") return SurfaceStyle::Seed;
    if (kind == "hf-wordpiece") return SurfaceStyle::WordPiece;
    if (kind == "hf-bpe") {
        // A byte-level BPE writes the space of " a" as Ġ (U+0120); a SentencePiece-style one as ▁.
        const Encoding e = tok.encode("a b", false);
        for (const auto& t : e.tokens)
            if (t.find("\xC4\xA0") != std::string::npos) return SurfaceStyle::ByteLevel;
        if (tok.tokenToId("\xC4\xA0") && !tok.tokenToId(kMeta)) return SurfaceStyle::ByteLevel;
    }
    return SurfaceStyle::Metaspace;
}

bool isControlToken(const Tokenizer& tok, int64_t id) {
    const TokenType t = tok.tokenType(id);
    const std::string s = tok.idToToken(id);
    if (t == TokenType::Special || t == TokenType::Unknown) return !allWhitespace(s);
    // The seed format stores its reserved ids (special_7 …) as roots.
    return (tok.kind() == "turkish-seed" || tok.kind() == "embedlab-morph") && looksLikeTag(s);
}

std::vector<TokenSurface> tokenSurfaces(const Tokenizer& tok, SurfaceStyle style, int64_t id) {
    std::vector<TokenSurface> out;
    if (id < 0 || id >= tok.vocabSize() || isControlToken(tok, id)) return out;
    const TokenType type = tok.tokenType(id);
    for (const std::string& form : tok.tokenForms(id)) {
        if (form.empty()) continue;
        if (auto b = parseByteToken(form); b && (type == TokenType::Byte || style == SurfaceStyle::Metaspace)) {
            out.push_back(TokenSurface{std::string(1, static_cast<char>(*b)), SurfacePosition::Either, true});
            continue;
        }
        switch (style) {
        case SurfaceStyle::Metaspace: {
            const bool marker = startsWith(form, kMeta);
            out.push_back(fromPrefixed(replaceAll(marker ? form.substr(kMeta.size()) : form, kMeta, " "), marker));
            break;
        }
        case SurfaceStyle::ByteLevel: {
            std::string bytes;
            bool mapped = true;
            size_t i = 0;
            while (i < form.size()) {
                uint32_t cp = 0;
                const size_t n = decodeUtf8At(form, i, cp);
                const int b = n ? hf::unicodeToByte(cp) : -1;
                if (b < 0) {
                    mapped = false;
                    break;
                }
                bytes.push_back(static_cast<char>(b));
                i += n;
            }
            if (!mapped) bytes = form;  // an added token written as plain text
            const bool marker = !bytes.empty() && bytes[0] == ' ';
            TokenSurface s = fromPrefixed(marker ? bytes.substr(1) : bytes, marker);
            s.byte = !isValidUtf8(s.text);
            out.push_back(std::move(s));
            break;
        }
        case SurfaceStyle::WordPiece:
            if (startsWith(form, "##") && form.size() > 2)
                out.push_back(TokenSurface{form.substr(2), SurfacePosition::Continuation, false});
            else
                out.push_back(TokenSurface{form, SurfacePosition::WordInitial, false});
            break;
        case SurfaceStyle::Seed:
            out.push_back(TokenSurface{form,
                                       allWhitespace(form)         ? SurfacePosition::Either
                                       : type == TokenType::Root   ? SurfacePosition::WordInitial
                                       : type == TokenType::Suffix ? SurfacePosition::Continuation
                                                                   : SurfacePosition::Either,
                                       false});
            break;
        }
    }
    return out;
}

std::string vocabularyString(SurfaceStyle style, const std::string& text, SurfacePosition position) {
    const bool initial = position != SurfacePosition::Continuation;
    switch (style) {
    case SurfaceStyle::Metaspace:
        if (text == " " && position == SurfacePosition::Either) return kMeta;
        return (initial ? kMeta : std::string()) + replaceAll(text, " ", kMeta);
    case SurfaceStyle::ByteLevel: {
        std::string out;
        if (text == " " && position == SurfacePosition::Either) return hf::byteToUnicode(' ');
        if (initial) out += hf::byteToUnicode(' ');
        for (unsigned char c : text) out += hf::byteToUnicode(c);
        return out;
    }
    case SurfaceStyle::WordPiece: return initial ? text : "##" + text;
    case SurfaceStyle::Seed: return text;
    }
    return text;
}

std::optional<int64_t> byteTokenId(const Tokenizer& tok, SurfaceStyle style, unsigned char byte) {
    if (style == SurfaceStyle::ByteLevel) return tok.tokenToId(hf::byteToUnicode(byte));
    static const char* hex = "0123456789ABCDEF";
    const std::string t = std::string("<0x") + hex[byte >> 4] + hex[byte & 15] + ">";
    if (auto id = tok.tokenToId(t)) return id;
    if (byte < 0x80) {
        // An ASCII byte as plain text in vocabularies without byte tokens.
        const std::string c(1, static_cast<char>(byte));
        if (style == SurfaceStyle::WordPiece) {
            if (auto id = tok.tokenToId("##" + c)) return id;
        }
        return tok.tokenToId(c);
    }
    return std::nullopt;
}

}  // namespace embedlab
