#include "engine/tokenizers/tokenizer.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/hf_tokenizer.h"
#include "engine/tokenizers/sentencepiece_tokenizer.h"
#include "engine/tokenizers/turkish_tokenizer.h"

namespace embedlab {

const char* tokenTypeName(TokenType t) {
    switch (t) {
    case TokenType::Normal: return "normal";
    case TokenType::Special: return "special";
    case TokenType::Root: return "root";
    case TokenType::Suffix: return "suffix";
    case TokenType::Bpe: return "bpe";
    case TokenType::Byte: return "byte";
    case TokenType::Unknown: return "unknown";
    }
    return "unknown";
}

size_t sanitizeUtf8(std::string& text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    // Fast path: nothing to do for valid text.
    size_t i = 0;
    auto validAt = [&](size_t p, size_t* len) -> bool {
        // Returns whether a complete valid sequence starts at p; *len is the length of the maximal
        // subpart (valid prefix) when it is not valid (at least 1).
        const unsigned char c = s[p];
        if (c < 0x80) {
            *len = 1;
            return true;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c == 0xE0) need = 2, lo = 0xA0;
        else if (c >= 0xE1 && c <= 0xEC) need = 2;
        else if (c == 0xED) need = 2, hi = 0x9F;
        else if (c >= 0xEE && c <= 0xEF) need = 2;
        else if (c == 0xF0) need = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3) need = 3;
        else if (c == 0xF4) need = 3, hi = 0x8F;
        else {
            *len = 1;
            return false;
        }
        size_t k = 1;
        for (; k <= need; ++k) {
            if (p + k >= n) break;
            const unsigned char d = s[p + k];
            const unsigned char l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
            if (d < l || d > h) break;
        }
        if (k == need + 1) {
            *len = need + 1;
            return true;
        }
        *len = k;  // the lead byte plus the valid continuation bytes seen
        return false;
    };
    size_t len = 0;
    while (i < n && validAt(i, &len)) i += len;
    if (i == n) return 0;
    std::string out;
    out.reserve(n + 16);
    out.append(text, 0, i);
    size_t replaced = 0;
    while (i < n) {
        if (validAt(i, &len)) {
            out.append(text, i, len);
        } else {
            out.append("\xEF\xBF\xBD");
            ++replaced;
        }
        i += len;
    }
    text = std::move(out);
    return replaced;
}

namespace {
bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path) {
    if (path.empty()) throw Error::badInput("no tokenizer path given");
    if (isDirectory(path)) {
        for (const char* f : {"tokenizer.json", "tokenizer.json.gz"}) {
            const std::string p = joinPath(path, f);
            if (isRegularFile(p)) return loadHfTokenizer(p);
        }
        const std::string sp = joinPath(path, "tokenizer.model");
        if (isRegularFile(sp)) return loadSentencePieceTokenizer(sp);
        if (isRegularFile(joinPath(path, "kokler.json")) && isRegularFile(joinPath(path, "ekler.json")) &&
            isRegularFile(joinPath(path, "bpe_tokenler.json")))
            return loadTurkishTokenizer(path);
        throw Error::badInput(path +
                              " holds no tokenizer: expected tokenizer.json, tokenizer.json.gz, tokenizer.model, or "
                              "the Turkish seed files kokler.json, ekler.json and bpe_tokenler.json");
    }
    if (!isRegularFile(path)) throw Error::badInput("tokenizer not found: " + path);
    if (endsWith(path, ".json") || endsWith(path, ".json.gz")) return loadHfTokenizer(path);
    if (endsWith(path, ".model")) return loadSentencePieceTokenizer(path);
    throw Error::badInput(path +
                          ": unrecognised tokenizer file; expected a tokenizer.json (.json or .json.gz), a "
                          "SentencePiece .model, or a folder holding one of them or the Turkish seed files");
}

}  // namespace embedlab
