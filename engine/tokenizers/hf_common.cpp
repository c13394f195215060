#include "engine/tokenizers/hf_common.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>
#include <pcre2.h>
#include <unicode/uchar.h>

namespace embedlab::hf {

NormalizedString NormalizedString::fromOriginal(std::string_view s, size_t base) {
    NormalizedString n;
    n.text.assign(s.data(), s.size());
    n.align.resize(s.size());
    for (size_t i = 0; i < s.size();) {
        size_t len = utf8Len(static_cast<unsigned char>(s[i]));
        if (i + len > s.size()) len = s.size() - i;
        const Span sp{static_cast<uint32_t>(base + i), static_cast<uint32_t>(base + i + len)};
        for (size_t k = 0; k < len; ++k) n.align[i + k] = sp;
        i += len;
    }
    return n;
}

NormalizedString NormalizedString::slice(size_t b, size_t e) const {
    NormalizedString n;
    n.appendFrom(*this, b, e);
    return n;
}

Span NormalizedString::originalSpan(size_t b, size_t e) const {
    if (align.empty()) return {};
    if (b >= align.size()) return {align.back().e, align.back().e};
    if (e <= b) return {align[b].b, align[b].b};
    return {align[b].b, align[std::min(e, align.size()) - 1].e};
}

bool isWhitespace(uint32_t cp) { return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_WHITE_SPACE); }
bool isPunctuation(uint32_t cp) {
    if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
                          (cp >= 123 && cp <= 126);
    return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_P_MASK) != 0;
}
bool isNumeric(uint32_t cp) { return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_N_MASK) != 0; }
bool isAlphanumeric(uint32_t cp) {
    return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_ALPHABETIC) || isNumeric(cp);
}
bool isControl(uint32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return false;
    return (U_GET_GC_MASK(static_cast<UChar32>(cp)) & U_GC_C_MASK) != 0;
}
bool isMark(uint32_t cp) { return u_charType(static_cast<UChar32>(cp)) == U_NON_SPACING_MARK; }
uint32_t toLowerSimple(uint32_t cp) { return static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cp))); }

// ---- Regex ----
namespace {
struct MatchState {
    pcre2_match_data* md = nullptr;
    pcre2_match_context* mc = nullptr;
    pcre2_jit_stack* js = nullptr;
    MatchState() {
        md = pcre2_match_data_create(1, nullptr);
        mc = pcre2_match_context_create(nullptr);
        js = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
        if (js) pcre2_jit_stack_assign(mc, nullptr, js);
    }
    ~MatchState() {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
        if (js) pcre2_jit_stack_free(js);
    }
};
MatchState& matchState() {
    thread_local MatchState st;
    return st;
}
}  // namespace

Regex::Regex(const std::string& pattern, bool literal) : pattern_(pattern), literal_(literal) {
    if (literal_) {
        if (pattern_.empty()) throw Error::badInput("tokenizer.json: empty split pattern");
        return;
    }
    int err = 0;
    PCRE2_SIZE off = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &err, &off, nullptr);
    if (!code) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(err, buf, sizeof(buf));
        throw Error::badInput("tokenizer.json: invalid regex '" + pattern + "' at offset " + std::to_string(off) +
                              ": " + reinterpret_cast<const char*>(buf));
    }
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
    code_ = code;
}

Regex::~Regex() {
    if (code_) pcre2_code_free(static_cast<pcre2_code*>(code_));
}

void Regex::findAll(std::string_view s, std::vector<std::pair<size_t, size_t>>& out) const {
    out.clear();
    if (literal_) {
        for (size_t p = s.find(pattern_); p != std::string_view::npos; p = s.find(pattern_, p + pattern_.size()))
            out.emplace_back(p, p + pattern_.size());
        return;
    }
    auto* code = static_cast<pcre2_code*>(code_);
    MatchState& st = matchState();
    size_t start = 0;
    while (start <= s.size()) {
        int rc = pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), start, PCRE2_NO_UTF_CHECK,
                             st.md, st.mc);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR buf[256];
            pcre2_get_error_message(rc, buf, sizeof(buf));
            throw Error::badInput(std::string("regex match failed: ") + reinterpret_cast<const char*>(buf));
        }
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.md);
        size_t b = ov[0], e = ov[1];
        if (e > b) {
            out.emplace_back(b, e);
            start = e;
        } else {  // empty match: step one character
            if (b >= s.size()) break;
            start = b + utf8Len(static_cast<unsigned char>(s[b]));
        }
    }
}

std::unique_ptr<Regex> regexFromJson(const Json& pattern, const char* what) {
    if (pattern.is_object()) {
        if (auto it = pattern.find("String"); it != pattern.end() && it->is_string())
            return std::make_unique<Regex>(it->get<std::string>(), true);
        if (auto it = pattern.find("Regex"); it != pattern.end() && it->is_string())
            return std::make_unique<Regex>(it->get<std::string>(), false);
    }
    if (pattern.is_string()) return std::make_unique<Regex>(pattern.get<std::string>(), true);
    throw Error::badInput(std::string("tokenizer.json: ") + what + " has an invalid pattern (expected {\"String\":..} or {\"Regex\":..})");
}

SplitBehavior splitBehaviorFromJson(const Json& j, SplitBehavior def) {
    const Json* b = jsonFind(j, "behavior");
    if (!b) return def;
    const std::string s = b->is_string() ? b->get<std::string>() : "";
    if (s == "Removed") return SplitBehavior::Removed;
    if (s == "Isolated") return SplitBehavior::Isolated;
    if (s == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
    if (s == "MergedWithNext") return SplitBehavior::MergedWithNext;
    if (s == "Contiguous") return SplitBehavior::Contiguous;
    throw Error::badInput("tokenizer.json: unsupported split behavior '" + s + "'");
}

void splitByMatches(const NormalizedString& s, const std::vector<std::pair<size_t, size_t>>& matches,
                    SplitBehavior behavior, bool invert, std::vector<NormalizedString>& out) {
    // Segments covering s: (b, e, isMatch).
    struct Seg {
        size_t b, e;
        bool m;
    };
    std::vector<Seg> segs;
    size_t pos = 0;
    for (const auto& [b, e] : matches) {
        if (b > pos) segs.push_back({pos, b, invert});
        segs.push_back({b, e, !invert});
        pos = e;
    }
    if (pos < s.text.size()) segs.push_back({pos, s.text.size(), invert});

    auto emit = [&](size_t b, size_t e) {
        if (e > b) out.push_back(s.slice(b, e));
    };
    switch (behavior) {
    case SplitBehavior::Removed:
        for (const auto& g : segs)
            if (!g.m) emit(g.b, g.e);
        break;
    case SplitBehavior::Isolated:
        for (const auto& g : segs) emit(g.b, g.e);
        break;
    case SplitBehavior::Contiguous: {
        size_t i = 0;
        while (i < segs.size()) {
            size_t j = i + 1;
            while (j < segs.size() && segs[j].m == segs[i].m && segs[i].m) ++j;
            emit(segs[i].b, segs[j - 1].e);
            i = j;
        }
        break;
    }
    case SplitBehavior::MergedWithPrevious: {
        size_t curB = 0;
        bool open = false;
        for (const auto& g : segs) {
            if (g.m) {
                emit(open ? curB : g.b, g.e);
                open = false;
            } else {
                if (open) emit(curB, g.b);
                curB = g.b;
                open = true;
            }
        }
        if (open) emit(curB, s.text.size());
        break;
    }
    case SplitBehavior::MergedWithNext: {
        size_t curB = 0;
        bool open = false;
        for (const auto& g : segs) {
            if (g.m) {
                if (open) emit(curB, g.b);
                curB = g.b;
                open = true;
            } else {
                emit(open ? curB : g.b, g.e);
                open = false;
            }
        }
        if (open) emit(curB, s.text.size());
        break;
    }
    }
}

const Json* jsonFind(const Json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return nullptr;
    return &*it;
}

std::string jsonString(const Json& j, const char* key, const std::string& def) {
    const Json* v = jsonFind(j, key);
    if (!v) return def;
    if (!v->is_string()) throw Error::badInput(std::string("tokenizer.json: field '") + key + "' must be a string");
    return v->get<std::string>();
}

bool jsonBool(const Json& j, const char* key, bool def) {
    const Json* v = jsonFind(j, key);
    if (!v) return def;
    if (!v->is_boolean()) throw Error::badInput(std::string("tokenizer.json: field '") + key + "' must be true or false");
    return v->get<bool>();
}

std::string jsonType(const Json& j, const char* what) {
    if (!j.is_object()) throw Error::badInput(std::string("tokenizer.json: ") + what + " must be an object");
    const Json* t = jsonFind(j, "type");
    if (!t || !t->is_string()) throw Error::badInput(std::string("tokenizer.json: ") + what + " has no \"type\"");
    return t->get<std::string>();
}

}  // namespace embedlab::hf
