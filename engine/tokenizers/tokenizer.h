// embedlab engine — the common interface of every tokenizer kind.
//
// Kinds: Hugging Face tokenizer.json (hf_tokenizer.*), SentencePiece .model (sentencepiece_tokenizer.*),
// the seed's Turkish morphological format (turkish_tokenizer.*). loadTokenizer() picks the kind from
// a path. All tokenizers are immutable after loading and safe to use from several threads.
// Text is UTF-8; invalid UTF-8 is replaced by U+FFFD before encoding (see docs/tokenizers.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace embedlab {

// What a token is, for colouring in the tokenizer lab and the map.
enum class TokenType { Normal, Special, Root, Suffix, Bpe, Byte, Unknown };
const char* tokenTypeName(TokenType t);  // "normal", "special", "root", "suffix", "bpe", "byte", "unknown"

struct Encoding {
    std::vector<int64_t> ids;
    std::vector<std::string> tokens;  // the vocabulary string of each id (e.g. "Ġthe", "▁kitap", "<bos>")
    std::vector<TokenType> types;
    // Byte offsets [begin, end) into the (normalised-before-mapping) input text; {0,0} for added specials.
    std::vector<std::pair<size_t, size_t>> offsets;
    size_t size() const { return ids.size(); }
};

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // "hf-bpe", "hf-wordpiece", "hf-unigram", "sentencepiece", "turkish-seed".
    virtual std::string kind() const = 0;
    // A display name (the folder or file name by default).
    virtual std::string name() const = 0;

    // addSpecial applies the post-processor (BOS/CLS/SEP ...) exactly as the reference does.
    virtual Encoding encode(std::string_view text, bool addSpecial) const = 0;
    virtual std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const = 0;

    virtual int64_t vocabSize() const = 0;
    // "" for an id outside the vocabulary.
    virtual std::string idToToken(int64_t id) const = 0;
    virtual std::optional<int64_t> tokenToId(const std::string& token) const = 0;
    virtual TokenType tokenType(int64_t id) const = 0;
    // Every vocabulary string of an id: one for most kinds (idToToken), several for the seed format's
    // allomorph groups (20026 = dı, di, du, dü, tı, ti, tu, tü). Empty for an id outside the vocabulary.
    virtual std::vector<std::string> tokenForms(int64_t id) const {
        std::string t = idToToken(id);
        if (t.empty()) return {};
        return {std::move(t)};
    }

    virtual std::optional<int64_t> bosId() const { return std::nullopt; }
    virtual std::optional<int64_t> eosId() const { return std::nullopt; }
    virtual std::optional<int64_t> padId() const { return std::nullopt; }
    virtual std::optional<int64_t> unkId() const { return std::nullopt; }
};

// Loads a tokenizer from a tokenizer.json (optionally .gz), a SentencePiece .model, or a folder
// holding one of them (tokenizer.json is preferred, then tokenizer.model, then the seed's
// kokler.json/ekler.json/bpe_tokenler.json). Throws Error(BadInput) with a clear message; an
// unsupported feature is named in the message.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path);

// Replaces invalid UTF-8 sequences with U+FFFD (each maximal invalid subpart, as the Unicode
// standard's recommended practice and Python's errors="replace"). Returns the number replaced.
size_t sanitizeUtf8(std::string& text);

}  // namespace embedlab
