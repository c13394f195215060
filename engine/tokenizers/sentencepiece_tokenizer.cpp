#include "engine/tokenizers/sentencepiece_tokenizer.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/sentencepiece_library.h"

#include <algorithm>

namespace embedlab {
namespace {

class SentencePieceTokenizer : public Tokenizer {
public:
    SentencePieceTokenizer(std::unique_ptr<SentencePieceModel> m, std::string name)
        : m_(std::move(m)), name_(std::move(name)) {
        const int32_t n = m_->vocabSize();
        pieces_.reserve(static_cast<size_t>(n));
        types_.reserve(static_cast<size_t>(n));
        for (int32_t i = 0; i < n; ++i) {
            pieces_.push_back(m_->idToPiece(i));
            switch (m_->pieceType(i)) {
            case SentencePieceModel::PieceType::Control: types_.push_back(TokenType::Special); break;
            case SentencePieceModel::PieceType::Byte: types_.push_back(TokenType::Byte); break;
            case SentencePieceModel::PieceType::Unknown: types_.push_back(TokenType::Unknown); break;
            default: types_.push_back(TokenType::Normal); break;
            }
        }
    }

    std::string kind() const override { return "sentencepiece"; }
    std::string name() const override { return name_; }

    Encoding encode(std::string_view input, bool addSpecial) const override {
        std::string text(input);
        sanitizeUtf8(text);
        Encoding enc;
        const std::vector<int32_t> ids = text.empty() ? std::vector<int32_t>{} : m_->encode(text);
        const int32_t bos = m_->bosId(), eos = m_->eosId();
        if (addSpecial && bos >= 0) push(enc, bos, 0, 0);
        // Surfaces: ▁ stands for a space; a leading ▁ may be the dummy prefix (absent from the input).
        std::vector<std::string> surface(ids.size());
        for (size_t k = 0; k < ids.size(); ++k) {
            const std::string& p = piece(ids[k]);
            for (size_t i = 0; i < p.size();) {
                if (p.compare(i, 3, "\xE2\x96\x81") == 0) {
                    surface[k] += ' ';
                    i += 3;
                } else {
                    surface[k] += p[i++];
                }
            }
        }
        auto matchAt = [&](size_t pos, const std::string& sf) -> size_t {  // length matched at pos, or npos
            if (text.compare(pos, sf.size(), sf) == 0) return sf.size();
            if (!sf.empty() && sf[0] == ' ' && text.compare(pos, sf.size() - 1, sf, 1, std::string::npos) == 0)
                return sf.size() - 1;
            return std::string::npos;
        };
        size_t pos = 0;
        for (size_t k = 0; k < ids.size(); ++k) {
            const int32_t id = ids[k];
            const TokenType type = types_.at(static_cast<size_t>(id));
            size_t b = std::min(pos, text.size()), e = b;
            if (type == TokenType::Byte) {
                e = std::min(text.size(), b + 1);
            } else if (type == TokenType::Unknown) {
                // libsentencepiece reports the covered input text as the piece: it runs up to where
                // the next ordinary piece matches.
                e = text.size();
                for (size_t j = k + 1; j < ids.size(); ++j) {
                    const TokenType tj = types_.at(static_cast<size_t>(ids[j]));
                    if (tj == TokenType::Unknown || tj == TokenType::Byte || surface[j].empty()) continue;
                    const std::string& sf = surface[j];
                    const std::string bare = sf[0] == ' ' ? sf.substr(1) : sf;
                    for (size_t q = b + 1; q <= text.size(); ++q) {
                        if ((q < text.size() && (static_cast<unsigned char>(text[q]) & 0xC0) == 0x80)) continue;
                        if (matchAt(q, sf) != std::string::npos || (!bare.empty() && text.compare(q, bare.size(), bare) == 0)) {
                            e = q;
                            break;
                        }
                    }
                    break;
                }
            } else {
                const size_t len = matchAt(b, surface[k]);
                if (len != std::string::npos) e = b + len;
            }
            pos = e;
            push(enc, id, b, e);
            if (type == TokenType::Unknown && e > b) enc.tokens.back() = text.substr(b, e - b);
        }
        if (addSpecial && eos >= 0) push(enc, eos, 0, 0);
        return enc;
    }

    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        std::vector<int32_t> v;
        v.reserve(ids.size());
        for (int64_t id : ids) {
            if (id < 0 || id >= static_cast<int64_t>(pieces_.size())) continue;
            if (skipSpecial && types_[static_cast<size_t>(id)] == TokenType::Special) continue;
            v.push_back(static_cast<int32_t>(id));
        }
        return m_->decode(v);
    }

    int64_t vocabSize() const override { return static_cast<int64_t>(pieces_.size()); }
    std::string idToToken(int64_t id) const override {
        return id >= 0 && id < vocabSize() ? pieces_[static_cast<size_t>(id)] : std::string();
    }
    std::optional<int64_t> tokenToId(const std::string& token) const override {
        const int32_t id = m_->pieceToId(token);
        if (id < 0 || id >= vocabSize()) return std::nullopt;
        // pieceToId answers unk for unknown pieces
        if (id == m_->unkId() && pieces_[static_cast<size_t>(id)] != token) return std::nullopt;
        return id;
    }
    TokenType tokenType(int64_t id) const override {
        return id >= 0 && id < vocabSize() ? types_[static_cast<size_t>(id)] : TokenType::Unknown;
    }
    std::optional<int64_t> bosId() const override { return opt(m_->bosId()); }
    std::optional<int64_t> eosId() const override { return opt(m_->eosId()); }
    std::optional<int64_t> padId() const override { return opt(m_->padId()); }
    std::optional<int64_t> unkId() const override { return opt(m_->unkId()); }

private:
    std::unique_ptr<SentencePieceModel> m_;
    std::string name_;
    std::vector<std::string> pieces_;
    std::vector<TokenType> types_;

    static std::optional<int64_t> opt(int32_t id) { return id >= 0 ? std::optional<int64_t>(id) : std::nullopt; }
    const std::string& piece(int32_t id) const { return pieces_.at(static_cast<size_t>(id)); }
    void push(Encoding& enc, int32_t id, size_t b, size_t e) const {
        enc.ids.push_back(id);
        enc.tokens.push_back(piece(id));
        enc.types.push_back(types_.at(static_cast<size_t>(id)));
        enc.offsets.emplace_back(b, e);
    }
};

}  // namespace

std::unique_ptr<Tokenizer> loadSentencePieceTokenizer(const std::string& modelPath) {
    if (!isRegularFile(modelPath)) throw Error::badInput("SentencePiece model not found: " + modelPath);
    auto m = SentencePieceModel::load(modelPath);
    std::string name = baseName(modelPath);
    if (name == "tokenizer.model") {
        const auto slash = modelPath.rfind('/');
        if (slash != std::string::npos && slash > 0) name = baseName(modelPath.substr(0, slash));
    } else if (name.size() > 6 && name.compare(name.size() - 6, 6, ".model") == 0) {
        name.resize(name.size() - 6);
    }
    return std::make_unique<SentencePieceTokenizer>(std::move(m), std::move(name));
}

}  // namespace embedlab
