#include "engine/tokenizers/hf_pretokenizers.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <array>
#include <functional>

namespace embedlab::hf {
namespace {

struct ByteTables {
    std::array<std::string, 256> toUni;
    std::array<int, 324> fromUni;  // code points 0..323 cover every mapped character
    ByteTables() {
        fromUni.fill(-1);
        int n = 0;
        for (int b = 0; b < 256; ++b) {
            const bool keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
            const uint32_t cp = keep ? static_cast<uint32_t>(b) : static_cast<uint32_t>(256 + n++);
            appendUtf8(toUni[b], cp);
            fromUni[cp] = b;
        }
    }
};
const ByteTables& tables() {
    static const ByteTables t;
    return t;
}

// Applies `fn` to every piece, collecting its sub-pieces.
template <typename Fn>
void forEachPiece(std::vector<NormalizedString>& pieces, Fn fn) {
    std::vector<NormalizedString> out;
    out.reserve(pieces.size());
    for (auto& p : pieces) fn(p, out);
    pieces = std::move(out);
}

// Per-character matches of a predicate.
void charMatches(const std::string& s, const std::function<bool(uint32_t)>& pred,
                 std::vector<std::pair<size_t, size_t>>& m) {
    m.clear();
    for (size_t i = 0; i < s.size();) {
        size_t len = 0;
        uint32_t cp = decodeUtf8(s, i, &len);
        if (pred(cp)) m.emplace_back(i, i + len);
        i += len;
    }
}

const char* kGpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

class ByteLevel : public PreTokenizer {
public:
    explicit ByteLevel(const Json& j)
        : addPrefixSpace_(jsonBool(j, "add_prefix_space", true)), useRegex_(jsonBool(j, "use_regex", true)) {
        if (useRegex_) re_ = std::make_unique<Regex>(kGpt2Pattern);
    }
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        const auto& t = tables();
        std::vector<std::pair<size_t, size_t>> m;
        std::vector<NormalizedString> split;
        forEachPiece(pieces, [&](NormalizedString& p, std::vector<NormalizedString>& out) {
            if (addPrefixSpace_ && (p.text.empty() || p.text[0] != ' ')) {
                NormalizedString r;
                const uint32_t b = p.originalBegin();
                r.append(" ", Span{b, b});
                r.appendFrom(p, 0, p.text.size());
                p = std::move(r);
            }
            split.clear();
            if (useRegex_) {
                re_->findAll(p.text, m);
                splitByMatches(p, m, SplitBehavior::Isolated, false, split);
            } else {
                split.push_back(std::move(p));
            }
            for (auto& s : split) {
                NormalizedString r;
                r.text.reserve(s.text.size() * 2);
                r.align.reserve(s.text.size() * 2);
                for (size_t i = 0; i < s.text.size(); ++i)
                    r.append(t.toUni[static_cast<unsigned char>(s.text[i])], s.align[i]);
                out.push_back(std::move(r));
            }
        });
    }

private:
    bool addPrefixSpace_, useRegex_;
    std::unique_ptr<Regex> re_;
};

class Split : public PreTokenizer {
public:
    explicit Split(const Json& j)
        : behavior_(splitBehaviorFromJson(j, SplitBehavior::Isolated)), invert_(jsonBool(j, "invert", false)) {
        const Json* p = jsonFind(j, "pattern");
        if (!p) throw Error::badInput("tokenizer.json: Split pre-tokenizer without a pattern");
        re_ = regexFromJson(*p, "Split pre-tokenizer");
    }
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        std::vector<std::pair<size_t, size_t>> m;
        forEachPiece(pieces, [&](NormalizedString& p, std::vector<NormalizedString>& out) {
            re_->findAll(p.text, m);
            if (m.empty() && !invert_) {
                if (!p.text.empty()) out.push_back(std::move(p));
                return;
            }
            splitByMatches(p, m, behavior_, invert_, out);
        });
    }

private:
    SplitBehavior behavior_;
    bool invert_;
    std::unique_ptr<Regex> re_;
};

class Metaspace : public PreTokenizer {
public:
    enum class Scheme { Always, First, Never };
    explicit Metaspace(const Json& j) : replacement_(jsonString(j, "replacement", "\xE2\x96\x81")) {
        if (replacement_.empty()) throw Error::badInput("tokenizer.json: Metaspace with an empty replacement");
        const std::string ps = jsonString(j, "prepend_scheme", "");
        if (ps.empty()) scheme_ = jsonBool(j, "add_prefix_space", true) ? Scheme::Always : Scheme::Never;
        else if (ps == "always") scheme_ = Scheme::Always;
        else if (ps == "first") scheme_ = Scheme::First;
        else if (ps == "never") scheme_ = Scheme::Never;
        else throw Error::badInput("tokenizer.json: unsupported Metaspace prepend_scheme '" + ps + "'");
        split_ = jsonBool(j, "split", true);
    }
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        std::vector<std::pair<size_t, size_t>> m;
        forEachPiece(pieces, [&](NormalizedString& p, std::vector<NormalizedString>& out) {
            NormalizedString r;
            const bool starts = p.text.compare(0, replacement_.size(), replacement_) == 0 ||
                                (!p.text.empty() && p.text[0] == ' ');
            const bool prepend = !starts && (scheme_ == Scheme::Always ||
                                             (scheme_ == Scheme::First && p.originalBegin() == 0));
            if (prepend) r.append(replacement_, Span{p.originalBegin(), p.originalBegin()});
            for (size_t i = 0; i < p.text.size(); ++i) {
                if (p.text[i] == ' ') r.append(replacement_, p.align[i]);
                else r.appendFrom(p, i, i + 1);
            }
            if (!split_) {
                if (!r.text.empty()) out.push_back(std::move(r));
                return;
            }
            m.clear();
            for (size_t pos = r.text.find(replacement_); pos != std::string::npos;
                 pos = r.text.find(replacement_, pos + replacement_.size()))
                m.emplace_back(pos, pos + replacement_.size());
            splitByMatches(r, m, SplitBehavior::MergedWithNext, false, out);
        });
    }

private:
    std::string replacement_;
    Scheme scheme_ = Scheme::Always;
    bool split_ = true;
};

// A pre-tokenizer defined by a character predicate (Punctuation, Digits, WhitespaceSplit, ...).
class CharSplit : public PreTokenizer {
public:
    CharSplit(std::function<bool(uint32_t)> pred, SplitBehavior b) : pred_(std::move(pred)), behavior_(b) {}
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        std::vector<std::pair<size_t, size_t>> m;
        forEachPiece(pieces, [&](NormalizedString& p, std::vector<NormalizedString>& out) {
            charMatches(p.text, pred_, m);
            splitByMatches(p, m, behavior_, false, out);
        });
    }

private:
    std::function<bool(uint32_t)> pred_;
    SplitBehavior behavior_;
};

class RegexKeep : public PreTokenizer {  // keeps the matches of a regex (Whitespace)
public:
    explicit RegexKeep(const char* pattern) : re_(pattern) {}
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        std::vector<std::pair<size_t, size_t>> m;
        forEachPiece(pieces, [&](NormalizedString& p, std::vector<NormalizedString>& out) {
            re_.findAll(p.text, m);
            splitByMatches(p, m, SplitBehavior::Removed, true, out);
        });
    }

private:
    Regex re_;
};

class Sequence : public PreTokenizer {
public:
    explicit Sequence(std::vector<std::unique_ptr<PreTokenizer>> items) : items_(std::move(items)) {}
    void preTokenize(std::vector<NormalizedString>& pieces) const override {
        for (const auto& p : items_) p->preTokenize(pieces);
    }

private:
    std::vector<std::unique_ptr<PreTokenizer>> items_;
};

}  // namespace

const std::string& byteToUnicode(unsigned char b) { return tables().toUni[b]; }
int unicodeToByte(uint32_t cp) { return cp < 324 ? tables().fromUni[cp] : -1; }

std::unique_ptr<PreTokenizer> makePreTokenizer(const Json& j) {
    if (j.is_null()) return nullptr;
    const std::string t = jsonType(j, "pre_tokenizer");
    if (t == "Sequence") {
        const Json* list = jsonFind(j, "pretokenizers");
        if (!list || !list->is_array())
            throw Error::badInput("tokenizer.json: Sequence pre-tokenizer without \"pretokenizers\"");
        std::vector<std::unique_ptr<PreTokenizer>> items;
        for (const auto& p : *list)
            if (auto x = makePreTokenizer(p)) items.push_back(std::move(x));
        return std::make_unique<Sequence>(std::move(items));
    }
    if (t == "ByteLevel") return std::make_unique<ByteLevel>(j);
    if (t == "Split") return std::make_unique<Split>(j);
    if (t == "Metaspace") return std::make_unique<Metaspace>(j);
    if (t == "Whitespace")
        return std::make_unique<RegexKeep>("[\\p{L}\\p{N}\\p{M}\\p{Pc}]+|[^\\p{L}\\p{N}\\p{M}\\p{Pc}\\s]+");
    if (t == "WhitespaceSplit") return std::make_unique<CharSplit>(isWhitespace, SplitBehavior::Removed);
    if (t == "BertPreTokenizer") {
        std::vector<std::unique_ptr<PreTokenizer>> items;
        items.push_back(std::make_unique<CharSplit>(isWhitespace, SplitBehavior::Removed));
        items.push_back(std::make_unique<CharSplit>(isPunctuation, SplitBehavior::Isolated));
        return std::make_unique<Sequence>(std::move(items));
    }
    if (t == "Punctuation")
        return std::make_unique<CharSplit>(isPunctuation, splitBehaviorFromJson(j, SplitBehavior::Isolated));
    if (t == "Digits")
        return std::make_unique<CharSplit>(isNumeric, jsonBool(j, "individual_digits", false)
                                                          ? SplitBehavior::Isolated
                                                          : SplitBehavior::Contiguous);
    if (t == "CharDelimiterSplit") {
        const std::string d = jsonString(j, "delimiter");
        size_t len = 0;
        if (d.empty()) throw Error::badInput("tokenizer.json: CharDelimiterSplit without a delimiter");
        const uint32_t cp = decodeUtf8(d, 0, &len);
        return std::make_unique<CharSplit>([cp](uint32_t c) { return c == cp; }, SplitBehavior::Removed);
    }
    throw Error::badInput("tokenizer.json: unsupported pre_tokenizer type '" + t + "'");
}

}  // namespace embedlab::hf
