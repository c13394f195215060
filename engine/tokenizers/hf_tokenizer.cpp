#include "engine/tokenizers/hf_tokenizer.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/tokenizers/hf_decoders.h"
#include "engine/tokenizers/hf_json.h"
#include "engine/tokenizers/hf_models.h"
#include "engine/tokenizers/hf_normalizers.h"
#include "engine/tokenizers/hf_postprocessors.h"
#include "engine/tokenizers/hf_pretokenizers.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bitset>
#include <unordered_map>

namespace embedlab {
namespace {

using hf::Json;
using hf::NormalizedString;
using hf::PieceToken;
using hf::Span;

struct AddedToken {
    int32_t id = 0;
    std::string content;
    bool special = false, lstrip = false, rstrip = false, singleWord = false, normalized = false;
};

// Leftmost-longest matcher over a set of strings (a byte trie).
class AddedMatcher {
public:
    struct Match {
        size_t b, e;
        int index;  // into the added tokens
    };
    void add(const std::string& s, int index) {
        if (s.empty()) return;
        uint32_t node = 0;
        for (unsigned char c : s) {
            const uint64_t k = (static_cast<uint64_t>(node) << 8) | c;
            if (const uint64_t* ch = edges_.find(k)) {
                node = static_cast<uint32_t>(*ch);
            } else {
                const auto n = static_cast<uint32_t>(term_.size());
                term_.push_back(-1);
                edges_.insert(k, n);
                node = n;
            }
        }
        if (term_[node] < 0) term_[node] = index;
        first_.set(static_cast<unsigned char>(s[0]));
        any_ = true;
    }
    bool empty() const { return !any_; }
    void findAll(const std::string& text, const std::vector<AddedToken>& toks, std::vector<Match>& out) const {
        out.clear();
        if (!any_) return;
        size_t consumed = 0;  // end of the previous match (after rstrip)
        for (size_t i = 0; i < text.size();) {
            if (!first_.test(static_cast<unsigned char>(text[i]))) {
                ++i;
                continue;
            }
            uint32_t node = 0;
            int best = -1;
            size_t bestEnd = 0;
            for (size_t k = i; k < text.size(); ++k) {
                const uint64_t* ch = edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(text[k]));
                if (!ch) break;
                node = static_cast<uint32_t>(*ch);
                if (term_[node] >= 0) {
                    best = term_[node];
                    bestEnd = k + 1;
                }
            }
            if (best < 0) {
                ++i;
                continue;
            }
            const AddedToken& t = toks[static_cast<size_t>(best)];
            size_t b = i, e = bestEnd;
            if (t.singleWord && (wordCharBefore(text, b) || wordCharAt(text, e))) {
                i = bestEnd;  // the automaton would continue after this match
                continue;
            }
            if (t.lstrip) {
                size_t nb = b;
                while (nb > consumed) {
                    size_t p = nb - 1;
                    while (p > consumed && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
                    size_t len = 0;
                    if (!hf::isWhitespace(hf::decodeUtf8(text, p, &len))) break;
                    nb = p;
                }
                b = nb;
            }
            if (t.rstrip) {
                while (e < text.size()) {
                    size_t len = 0;
                    if (!hf::isWhitespace(hf::decodeUtf8(text, e, &len))) break;
                    e += len;
                }
            }
            out.push_back({b, e, best});
            consumed = e;
            i = e;
        }
    }

private:
    hf::U64Map edges_;
    std::vector<int32_t> term_{-1};
    std::bitset<256> first_;
    bool any_ = false;

    static bool isWordChar(uint32_t cp) { return cp == '_' || hf::isAlphanumeric(cp); }
    static bool wordCharBefore(const std::string& s, size_t b) {
        if (b == 0) return false;
        size_t p = b - 1;
        while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
        size_t len = 0;
        return isWordChar(hf::decodeUtf8(s, p, &len));
    }
    static bool wordCharAt(const std::string& s, size_t e) {
        if (e >= s.size()) return false;
        size_t len = 0;
        return isWordChar(hf::decodeUtf8(s, e, &len));
    }
};

std::string configTokenString(const Json& cfg, const char* key) {
    if (!cfg.is_object()) return {};
    auto it = cfg.find(key);
    if (it == cfg.end()) return {};
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
        return (*it)["content"].get<std::string>();
    return {};
}

class HfTokenizer : public Tokenizer {
public:
    HfTokenizer(hf::LoadedTokenizerJson&& loaded, const Json& config, std::string name) : name_(std::move(name)) {
        Json& root = loaded.root;
        const Json* model = hf::jsonFind(root, "model");
        if (!model || !model->is_object()) throw Error::badInput("tokenizer.json has no \"model\"");
        model_ = hf::makeModel(*model, std::move(loaded.model));
        normalizer_ = hf::makeNormalizer(root.value("normalizer", Json()));
        preTokenizer_ = hf::makePreTokenizer(root.value("pre_tokenizer", Json()));
        decoder_ = hf::makeDecoder(root.value("decoder", Json()));

        vocabSize_ = model_->vocab().size();
        if (const Json* added = hf::jsonFind(root, "added_tokens")) {
            if (!added->is_array()) throw Error::badInput("tokenizer.json: \"added_tokens\" must be a list");
            for (const auto& a : *added) {
                if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
                    !a["content"].is_string())
                    throw Error::badInput("tokenizer.json: an added token lacks \"id\" or \"content\"");
                AddedToken t;
                const int64_t id = a["id"].get<int64_t>();
                if (id < 0 || id > (1 << 30)) throw Error::badInput("tokenizer.json: added token id out of range");
                t.id = static_cast<int32_t>(id);
                t.content = a["content"].get<std::string>();
                t.special = hf::jsonBool(a, "special", false);
                t.lstrip = hf::jsonBool(a, "lstrip", false);
                t.rstrip = hf::jsonBool(a, "rstrip", false);
                t.singleWord = hf::jsonBool(a, "single_word", false);
                t.normalized = hf::jsonBool(a, "normalized", !t.special);
                vocabSize_ = std::max<int64_t>(vocabSize_, t.id + 1);
                addedByContent_[t.content] = t.id;
                added_.push_back(std::move(t));
            }
        }
        special_.assign(static_cast<size_t>(vocabSize_), 0);
        addedIndex_.assign(static_cast<size_t>(vocabSize_), -1);
        for (size_t i = 0; i < added_.size(); ++i) {
            const AddedToken& t = added_[i];
            addedIndex_[static_cast<size_t>(t.id)] = static_cast<int32_t>(i);
            if (t.special) special_[static_cast<size_t>(t.id)] = 1;
            if (t.normalized && normalizer_) {
                NormalizedString ns = NormalizedString::fromOriginal(t.content, 0);
                normalizer_->normalize(ns);
                normMatcher_.add(ns.text, static_cast<int>(i));
            } else if (t.normalized) {
                normMatcher_.add(t.content, static_cast<int>(i));
            } else {
                rawMatcher_.add(t.content, static_cast<int>(i));
            }
        }
        postProcessor_ = hf::makePostProcessor(root.value("post_processor", Json()),
                                               [this](const std::string& s) { return lookup(s); });

        if (config.is_object()) {
            if (auto it = config.find("clean_up_tokenization_spaces"); it != config.end() && it->is_boolean())
                cleanup_ = it->get<bool>();
        }
        auto idOf = [&](const char* key) -> std::optional<int64_t> {
            const std::string s = configTokenString(config, key);
            if (s.empty()) return std::nullopt;
            if (auto id = lookup(s)) return *id;
            return std::nullopt;
        };
        bos_ = idOf("bos_token");
        eos_ = idOf("eos_token");
        pad_ = idOf("pad_token");
        unk_ = idOf("unk_token");
        if (!unk_ && model_->unkId()) unk_ = *model_->unkId();
    }

    std::string kind() const override { return model_->kind(); }
    std::string name() const override { return name_; }

    Encoding encode(std::string_view input, bool addSpecial) const override {
        std::string text(input);
        sanitizeUtf8(text);
        std::vector<PieceToken> toks;
        std::vector<AddedMatcher::Match> m;
        rawMatcher_.findAll(text, added_, m);
        size_t pos = 0;
        for (const auto& x : m) {
            if (x.b > pos) encodeSegment(std::string_view(text).substr(pos, x.b - pos), pos, toks);
            pushAdded(x.index, Span{static_cast<uint32_t>(x.b), static_cast<uint32_t>(x.e)}, toks);
            pos = x.e;
        }
        if (pos < text.size()) encodeSegment(std::string_view(text).substr(pos), pos, toks);
        if (addSpecial && postProcessor_) postProcessor_->process(toks);

        Encoding enc;
        enc.ids.reserve(toks.size());
        enc.tokens.reserve(toks.size());
        enc.types.reserve(toks.size());
        enc.offsets.reserve(toks.size());
        for (const auto& t : toks) {
            enc.ids.push_back(t.id);
            enc.tokens.push_back(idToToken(t.id));
            enc.types.push_back(t.special ? TokenType::Special : producedType(t.id));
            enc.offsets.emplace_back(t.span.b, t.span.e);  // {0,0} for the post-processor's tokens
        }
        return enc;
    }

    std::string decode(const std::vector<int64_t>& ids, bool skipSpecial) const override {
        std::vector<std::string> toks;
        toks.reserve(ids.size());
        for (int64_t id : ids) {
            if (id < 0 || id >= vocabSize_) continue;
            if (skipSpecial && special_[static_cast<size_t>(id)]) continue;
            toks.push_back(idToToken(id));
        }
        std::string out;
        if (decoder_) {
            decoder_->decodeChain(toks);
            for (const auto& t : toks) out += t;
        } else {
            for (size_t i = 0; i < toks.size(); ++i) {
                if (i) out += ' ';
                out += toks[i];
            }
        }
        if (cleanup_) out = hf::cleanUpTokenization(std::move(out));
        return out;
    }

    int64_t vocabSize() const override { return vocabSize_; }
    std::string idToToken(int64_t id) const override {
        if (id >= 0 && id < vocabSize_ && addedIndex_[static_cast<size_t>(id)] >= 0)
            return added_[static_cast<size_t>(addedIndex_[static_cast<size_t>(id)])].content;
        if (id < 0 || id >= model_->vocab().size()) return {};
        return model_->vocab().token(static_cast<int32_t>(id));
    }
    std::optional<int64_t> tokenToId(const std::string& token) const override {
        if (auto id = lookup(token)) return *id;
        return std::nullopt;
    }
    TokenType tokenType(int64_t id) const override {
        if (id < 0 || id >= vocabSize_) return TokenType::Unknown;
        if (special_[static_cast<size_t>(id)]) return TokenType::Special;
        if (addedIndex_[static_cast<size_t>(id)] >= 0) return TokenType::Normal;
        const auto i32 = static_cast<int32_t>(id);
        if (model_->unkId() && *model_->unkId() == i32) return TokenType::Unknown;
        if (model_->isByteToken(i32)) return TokenType::Byte;
        return TokenType::Normal;
    }
    std::optional<int64_t> bosId() const override { return bos_; }
    std::optional<int64_t> eosId() const override { return eos_; }
    std::optional<int64_t> padId() const override { return pad_; }
    std::optional<int64_t> unkId() const override { return unk_; }

private:
    std::string name_;
    std::unique_ptr<hf::Model> model_;
    std::unique_ptr<hf::Normalizer> normalizer_;
    std::unique_ptr<hf::PreTokenizer> preTokenizer_;
    std::unique_ptr<hf::PostProcessor> postProcessor_;
    std::unique_ptr<hf::Decoder> decoder_;
    std::vector<AddedToken> added_;
    std::vector<int32_t> addedIndex_;  // id → index into added_, or -1
    std::unordered_map<std::string, int32_t> addedByContent_;
    AddedMatcher rawMatcher_, normMatcher_;
    std::vector<uint8_t> special_;
    int64_t vocabSize_ = 0;
    bool cleanup_ = false;
    std::optional<int64_t> bos_, eos_, pad_, unk_;

    std::optional<int32_t> lookup(const std::string& s) const {
        if (auto it = addedByContent_.find(s); it != addedByContent_.end()) return it->second;
        return model_->vocab().find(s);
    }

    // The type of a token produced by the model or a normal added token.
    TokenType producedType(int32_t id) const {
        if (model_->unkId() && *model_->unkId() == id) return TokenType::Unknown;
        if (id >= 0 && id < vocabSize_ && addedIndex_[static_cast<size_t>(id)] >= 0) return TokenType::Normal;
        if (model_->isByteToken(id)) return TokenType::Byte;
        return TokenType::Normal;
    }

    void pushAdded(int index, Span sp, std::vector<PieceToken>& toks) const {
        const AddedToken& t = added_[static_cast<size_t>(index)];
        toks.push_back(PieceToken{t.id, sp, t.special});
    }

    void encodeSegment(std::string_view seg, size_t base, std::vector<PieceToken>& toks) const {
        NormalizedString ns = NormalizedString::fromOriginal(seg, base);
        if (normalizer_) normalizer_->normalize(ns);
        if (ns.empty()) return;
        if (normMatcher_.empty()) {
            runModel(std::move(ns), toks);
            return;
        }
        std::vector<AddedMatcher::Match> m;
        normMatcher_.findAll(ns.text, added_, m);
        size_t pos = 0;
        for (const auto& x : m) {
            if (x.b > pos) runModel(ns.slice(pos, x.b), toks);
            pushAdded(x.index, ns.originalSpan(x.b, x.e), toks);
            pos = x.e;
        }
        if (pos == 0) runModel(std::move(ns), toks);
        else if (pos < ns.text.size()) runModel(ns.slice(pos, ns.text.size()), toks);
    }

    void runModel(NormalizedString&& ns, std::vector<PieceToken>& toks) const {
        std::vector<NormalizedString> pieces;
        pieces.push_back(std::move(ns));
        if (preTokenizer_) preTokenizer_->preTokenize(pieces);
        std::vector<hf::ModelToken> mt;
        for (const auto& p : pieces) {
            mt.clear();
            model_->tokenize(p.text, mt);
            for (const auto& t : mt) toks.push_back(PieceToken{t.id, p.originalSpan(t.b, t.e), false});
        }
    }
};

}  // namespace

std::unique_ptr<Tokenizer> loadHfTokenizerFromString(const std::string& tokenizerJson, const std::string& configJson,
                                                     const std::string& name) {
    hf::LoadedTokenizerJson loaded = hf::parseTokenizerJson(tokenizerJson);
    Json config;
    if (!configJson.empty()) {
        config = Json::parse(configJson, nullptr, false);
        if (config.is_discarded()) throw Error::badInput("tokenizer_config.json is not valid JSON");
    }
    // Each component reads its fields with nlohmann's typed accessors; a field of the wrong type (found
    // by fuzz_hf_tokenizer: a boolean where a post-processor expects a token string) is bad input with
    // nlohmann's description, not an exception of another kind.
    try {
        return std::make_unique<HfTokenizer>(std::move(loaded), config, name);
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(std::string("tokenizer.json: a field has the wrong type or is missing (") + e.what() + ")");
    }
}

std::unique_ptr<Tokenizer> loadHfTokenizer(const std::string& tokenizerJsonPath) {
    const std::string text = readMaybeGzip(tokenizerJsonPath);
    const std::string dir = dirName(tokenizerJsonPath);
    std::string config;
    const std::string cfgPath = joinPath(dir, "tokenizer_config.json");
    if (isRegularFile(cfgPath)) config = readFile(cfgPath, 64ull << 20);
    std::string name = baseName(dir == "." ? tokenizerJsonPath : dir);
    try {
        return loadHfTokenizerFromString(text, config, name);
    } catch (const Error& e) {
        if (e.kind() != Error::Kind::BadInput) throw;
        throw Error::badInput(tokenizerJsonPath + ": " + e.what());
    }
}

}  // namespace embedlab
