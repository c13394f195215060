#include "engine/tokenizers/hf_normalizers.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>
#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

namespace embedlab::hf {
namespace {

// Rewrites s character by character: fn(cp, out) appends the replacement of cp to out.
template <typename Fn>
void transformChars(NormalizedString& s, Fn fn) {
    NormalizedString r;
    r.text.reserve(s.text.size());
    r.align.reserve(s.text.size());
    std::string buf;
    for (size_t i = 0; i < s.text.size();) {
        size_t len = 0;
        uint32_t cp = decodeUtf8(s.text, i, &len);
        buf.clear();
        fn(cp, buf);
        const Span sp = s.originalSpan(i, i + len);
        r.append(buf, sp);
        i += len;
    }
    s = std::move(r);
}

class IcuNormalizer : public Normalizer {
public:
    explicit IcuNormalizer(const std::string& form) {
        UErrorCode ec = U_ZERO_ERROR;
        if (form == "NFC") n2_ = icu::Normalizer2::getNFCInstance(ec);
        else if (form == "NFD") n2_ = icu::Normalizer2::getNFDInstance(ec);
        else if (form == "NFKC") n2_ = icu::Normalizer2::getNFKCInstance(ec);
        else n2_ = icu::Normalizer2::getNFKDInstance(ec);
        if (U_FAILURE(ec) || !n2_) throw Error::runtime("ICU normalizer " + form + " is unavailable");
    }
    void normalize(NormalizedString& s) const override {
        UErrorCode ec = U_ZERO_ERROR;
        if (n2_->isNormalizedUTF8(icu::StringPiece(s.text.data(), static_cast<int32_t>(s.text.size())), ec) &&
            U_SUCCESS(ec))
            return;
        NormalizedString r;
        r.text.reserve(s.text.size() + 8);
        r.align.reserve(s.text.size() + 8);
        size_t segB = 0;
        auto flush = [&](size_t segE) {
            if (segE <= segB) return;
            const Span sp = s.originalSpan(segB, segE);
            UErrorCode e2 = U_ZERO_ERROR;
            icu::UnicodeString u = icu::UnicodeString::fromUTF8(
                icu::StringPiece(s.text.data() + segB, static_cast<int32_t>(segE - segB)));
            icu::UnicodeString n = n2_->normalize(u, e2);
            std::string out;
            if (U_SUCCESS(e2)) n.toUTF8String(out);
            else out.assign(s.text, segB, segE - segB);
            if (out == std::string_view(s.text).substr(segB, segE - segB)) r.appendFrom(s, segB, segE);
            else r.append(out, sp);
        };
        for (size_t i = 0; i < s.text.size();) {
            size_t len = 0;
            uint32_t cp = decodeUtf8(s.text, i, &len);
            if (i > segB && n2_->hasBoundaryBefore(static_cast<UChar32>(cp))) {
                flush(i);
                segB = i;
            }
            i += len;
        }
        flush(s.text.size());
        s = std::move(r);
    }

private:
    const icu::Normalizer2* n2_ = nullptr;
};

void appendLower(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
        return;
    }
    UChar src[2], dst[8];
    int32_t srcLen = 0;
    U16_APPEND_UNSAFE(src, srcLen, static_cast<UChar32>(cp));
    UErrorCode ec = U_ZERO_ERROR;
    int32_t n = u_strToLower(dst, 8, src, srcLen, "", &ec);  // root locale: full, language-neutral mapping
    if (U_FAILURE(ec) || n <= 0) {
        appendUtf8(out, cp);
        return;
    }
    for (int32_t k = 0; k < n;) {
        UChar32 c;
        U16_NEXT(dst, k, n, c);
        appendUtf8(out, static_cast<uint32_t>(c));
    }
}

class Lowercase : public Normalizer {
public:
    void normalize(NormalizedString& s) const override {
        transformChars(s, [](uint32_t cp, std::string& out) { appendLower(cp, out); });
    }
};

class StripAccents : public Normalizer {
public:
    void normalize(NormalizedString& s) const override {
        transformChars(s, [](uint32_t cp, std::string& out) {
            if (!isMark(cp)) appendUtf8(out, cp);
        });
    }
};

class Replace : public Normalizer {
public:
    explicit Replace(const Json& j) {
        const Json* p = jsonFind(j, "pattern");
        if (!p) throw Error::badInput("tokenizer.json: Replace normalizer without a pattern");
        re_ = regexFromJson(*p, "Replace normalizer");
        content_ = jsonString(j, "content");
    }
    void normalize(NormalizedString& s) const override { replaceIn(s, *re_, content_); }
    static void replaceIn(NormalizedString& s, const Regex& re, const std::string& content) {
        std::vector<std::pair<size_t, size_t>> m;
        re.findAll(s.text, m);
        if (m.empty()) return;
        NormalizedString r;
        r.text.reserve(s.text.size() + m.size() * content.size());
        r.align.reserve(r.text.capacity());
        size_t pos = 0;
        for (const auto& [b, e] : m) {
            r.appendFrom(s, pos, b);
            r.append(content, s.originalSpan(b, e));
            pos = e;
        }
        r.appendFrom(s, pos, s.text.size());
        s = std::move(r);
    }

private:
    std::unique_ptr<Regex> re_;
    std::string content_;
};

class Prepend : public Normalizer {
public:
    explicit Prepend(const Json& j) : content_(jsonString(j, "prepend")) {}
    void normalize(NormalizedString& s) const override {
        if (s.text.empty()) return;
        NormalizedString r;
        const uint32_t b = s.align.front().b;
        r.append(content_, Span{b, b});
        r.appendFrom(s, 0, s.text.size());
        s = std::move(r);
    }

private:
    std::string content_;
};

class Strip : public Normalizer {
public:
    explicit Strip(const Json& j) : left_(jsonBool(j, "strip_left", true)), right_(jsonBool(j, "strip_right", true)) {}
    void normalize(NormalizedString& s) const override {
        size_t b = 0, e = s.text.size();
        if (left_) {
            while (b < e) {
                size_t len = 0;
                if (!isWhitespace(decodeUtf8(s.text, b, &len))) break;
                b += len;
            }
        }
        if (right_) {
            while (e > b) {
                size_t p = e - 1;
                while (p > b && (static_cast<unsigned char>(s.text[p]) & 0xC0) == 0x80) --p;
                size_t len = 0;
                if (!isWhitespace(decodeUtf8(s.text, p, &len))) break;
                e = p;
            }
        }
        if (b != 0 || e != s.text.size()) s = s.slice(b, e);
    }

private:
    bool left_, right_;
};

bool isChineseChar(uint32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

class BertNormalizer : public Normalizer {
public:
    explicit BertNormalizer(const Json& j)
        : clean_(jsonBool(j, "clean_text", true)),
          chinese_(jsonBool(j, "handle_chinese_chars", true)),
          lower_(jsonBool(j, "lowercase", true)),
          nfd_("NFD") {
        const Json* sa = jsonFind(j, "strip_accents");
        strip_ = sa && sa->is_boolean() ? sa->get<bool>() : lower_;
    }
    void normalize(NormalizedString& s) const override {
        if (clean_)
            transformChars(s, [](uint32_t cp, std::string& out) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
                if (isWhitespace(cp)) out.push_back(' ');
                else appendUtf8(out, cp);
            });
        if (chinese_)
            transformChars(s, [](uint32_t cp, std::string& out) {
                if (isChineseChar(cp)) {
                    out.push_back(' ');
                    appendUtf8(out, cp);
                    out.push_back(' ');
                } else {
                    appendUtf8(out, cp);
                }
            });
        if (strip_) {
            nfd_.normalize(s);
            StripAccents().normalize(s);
        }
        if (lower_) Lowercase().normalize(s);
    }

private:
    bool clean_, chinese_, lower_, strip_;
    IcuNormalizer nfd_;
};

class Sequence : public Normalizer {
public:
    explicit Sequence(const Json& j) {
        const Json* list = jsonFind(j, "normalizers");
        if (!list || !list->is_array()) throw Error::badInput("tokenizer.json: Sequence normalizer without \"normalizers\"");
        for (const auto& n : *list)
            if (auto p = makeNormalizer(n)) items_.push_back(std::move(p));
    }
    void normalize(NormalizedString& s) const override {
        for (const auto& n : items_) n->normalize(s);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> items_;
};

}  // namespace

std::unique_ptr<Normalizer> makeNormalizer(const Json& j) {
    if (j.is_null()) return nullptr;
    const std::string t = jsonType(j, "normalizer");
    if (t == "Sequence") return std::make_unique<Sequence>(j);
    if (t == "NFC" || t == "NFD" || t == "NFKC" || t == "NFKD") return std::make_unique<IcuNormalizer>(t);
    if (t == "Lowercase") return std::make_unique<Lowercase>();
    if (t == "StripAccents") return std::make_unique<StripAccents>();
    if (t == "Replace") return std::make_unique<Replace>(j);
    if (t == "Prepend") return std::make_unique<Prepend>(j);
    if (t == "Strip") return std::make_unique<Strip>(j);
    if (t == "BertNormalizer") return std::make_unique<BertNormalizer>(j);
    // SentencePiece's precompiled charsmap: approximated by NFKC (see the header).
    if (t == "Precompiled") return std::make_unique<IcuNormalizer>("NFKC");
    throw Error::badInput("tokenizer.json: unsupported normalizer type '" + t + "'");
}

}  // namespace embedlab::hf
