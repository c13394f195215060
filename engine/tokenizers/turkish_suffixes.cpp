// Turkish suffix templates and their realisation. See turkish_suffixes.h.
#include "engine/tokenizers/turkish_suffixes.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"

#include <algorithm>
#include <functional>
#include <set>

namespace embedlab {
namespace {

bool isVowel(char32_t c) { return isTurkishVowel(c); }
bool isBack(char32_t v) { return isVowel(v) && !isTurkishFrontVowel(v); }
bool isRound(char32_t v) { return isTurkishRoundVowel(v); }
bool isVoiceless(char32_t c) { return isTurkishVoiceless(c); }

std::u32string u32(const std::string& s) {
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(s, cps, offs);
    return cps;
}

// The last vowel of a + b (e when there is none: loans like "bilgi" never get here without one).
char32_t lastVowel(const std::u32string& a, const std::u32string& b) {
    for (size_t i = b.size(); i-- > 0;)
        if (isVowel(b[i])) return b[i];
    for (size_t i = a.size(); i-- > 0;)
        if (isVowel(a[i])) return a[i];
    return U'e';
}
char32_t lastChar(const std::u32string& a, const std::u32string& b) {
    if (!b.empty()) return b.back();
    if (!a.empty()) return a.back();
    return U'a';
}

// Templates whose final k softens to ğ before a vowel.
bool softens(const std::string& t) {
    return t == "lHk" || t == "DHk" || t == "(y)AcAk" || t == "CHk" || t == "mAk";
}

}  // namespace

bool isTurkishVowel(char32_t c) {
    switch (c) {
    case U'a': case U'e': case 0x131: case U'i': case U'o': case 0xF6: case U'u': case 0xFC:
    case 0xE2: case 0xEE: case 0xFB:
        return true;
    default:
        return false;
    }
}
bool isTurkishFrontVowel(char32_t c) { return c == U'e' || c == U'i' || c == 0xF6 || c == 0xFC || c == 0xEE; }
bool isTurkishRoundVowel(char32_t c) { return c == U'o' || c == 0xF6 || c == U'u' || c == 0xFC || c == 0xFB; }
bool isTurkishHighVowel(char32_t c) {
    return c == 0x131 || c == U'i' || c == U'u' || c == 0xFC || c == 0xEE || c == 0xFB;
}
bool isTurkishVoiceless(char32_t c) {
    return c == U'f' || c == U's' || c == U't' || c == U'k' || c == 0xE7 || c == 0x15F || c == U'h' || c == U'p';
}

const std::vector<std::string>& turkishSuffixTemplates() {
    static const std::vector<std::string> t = {
        // nouns: plural, case, possessive, relative ki
        "lAr", "(y)H", "(y)A", "DA", "DAn", "(n)Hn", "(y)lA", "(H)m", "(H)n", "(s)H", "(H)mHz", "(H)nHz", "lArH",
        "ki", "nDA", "nDAn", "nA", "nH", "(y)ken",
        // person and copula
        "(y)Hm", "sHn", "(y)Hz", "sHnHz", "DHr", "(y)DH", "(y)mHş", "(y)sA",
        // verbs: negation, tense, mood, participles, converbs, voice
        "mA", "mAz", "(y)AmA", "(y)AmAz", "DH", "mHş", "(y)AcAk", "Hyor", "yor", "mHyor", "(A)r", "(H)r", "mAlH", "mAk",
        "mAktA", "(y)Hp", "(y)ArAk", "(y)An", "DHk", "(y)Hş", "(y)Abil", "(y)HncA", "mAdAn", "(y)AlH",
        "mAksHzHn", "(y)Hver", "DHkçA", "(y)AsH", "mAsH", "(H)l", "(H)ş", "t", "Ar", "Ht", "DHr", "(H)ncH",
        // derivation
        "lHk", "lH", "sHz", "CH", "CA", "CHk", "lAş", "lA", "lAn", "sA", "(H)msH", "DAş", "GH", "GAn", "GHn",
        "sAl", "(y)HcH", "HyAt", "mAn", "lAt", "CAsHnA"};
    static const std::vector<std::string> unique = [] {
        std::vector<std::string> u;
        std::set<std::string> seen;
        for (const auto& x : t)
            if (seen.insert(x).second) u.push_back(x);
        return u;
    }();
    return unique;
}

std::u32string realizeSuffix(const std::string& tmpl, const std::u32string& stem) {
    const std::u32string t = u32(tmpl);
    std::u32string out;
    for (size_t i = 0; i < t.size(); ++i) {
        const char32_t c = t[i];
        if (c == U'(') {
            const size_t j = t.find(U')', i);
            if (j == std::u32string::npos || j != i + 2)
                throw Error::badInput("suffix template \"" + tmpl + "\": a parenthesis holds one letter");
            const char32_t x = t[i + 1];
            const bool afterVowel = isVowel(lastChar(stem, out));
            if (x == U'y' || x == U'n' || x == U's') {
                if (afterVowel) out += x;
            } else if (x == U'H' || x == U'A') {
                if (!afterVowel) out += realizeSuffix(x == U'H' ? "H" : "A", stem + out);
            } else {
                throw Error::badInput("suffix template \"" + tmpl + "\": only (y), (n), (s), (H), (A) are optional");
            }
            i = j;
            continue;
        }
        const char32_t v = lastVowel(stem, out);
        const bool voiceless = isVoiceless(lastChar(stem, out));
        switch (c) {
        case U'A': out += isBack(v) ? U'a' : U'e'; break;
        case U'H': out += isBack(v) ? (isRound(v) ? U'u' : char32_t(0x131)) : (isRound(v) ? char32_t(0xFC) : U'i'); break;
        case U'D': out += voiceless ? U't' : U'd'; break;
        case U'C': out += voiceless ? char32_t(0xE7) : U'c'; break;
        case U'G': out += voiceless ? U'k' : U'g'; break;
        default:
            if (c == U')' || (c >= U'A' && c <= U'Z'))
                throw Error::badInput("suffix template \"" + tmpl + "\": unknown archiphoneme");
            out += c;
        }
    }
    return out;
}

std::u32string realizeSuffixChain(const std::vector<std::string>& chain, const std::u32string& stem) {
    std::u32string out;
    for (size_t k = 0; k < chain.size(); ++k) {
        const std::u32string piece = realizeSuffix(chain[k], stem + out);
        if (k > 0 && !out.empty() && !piece.empty() && isVowel(piece[0]) && out.back() == U'k' && softens(chain[k - 1]))
            out.back() = 0x11F;
        out += piece;
    }
    return out;
}

std::vector<std::u32string> suffixChainForms(const std::vector<std::string>& chain) {
    static const char32_t vowels[] = {U'a', U'e', 0x131, U'i', U'o', 0xF6, U'u', 0xFC};
    std::set<std::u32string> forms;
    for (char32_t v : vowels) {
        for (const std::u32string& stem : {std::u32string(1, v), std::u32string{U'b', v, U'r'},
                                           std::u32string{U'b', v, U't'}}) {
            std::u32string f = realizeSuffixChain(chain, stem);
            if (!f.empty()) forms.insert(std::move(f));
        }
    }
    return {forms.begin(), forms.end()};
}

namespace {
// The context of a stem: harmony class of its last vowel (0 a/ı, 1 e/i, 2 o/u, 3 ö/ü) × its last letter
// (0 a vowel, 1 a voiced, 2 a voiceless consonant); and a stem of each context.
int contextOf(const std::u32string& a, const std::u32string& b) {
    const char32_t v = lastVowel(a, b);
    const int h = (isBack(v) ? 0 : 1) + (isRound(v) ? 2 : 0);
    const char32_t c = lastChar(a, b);
    return h * 3 + (isVowel(c) ? 0 : isVoiceless(c) ? 2 : 1);
}
std::u32string stemOfContext(int ctx) {
    static const char32_t vowels[] = {U'a', U'e', U'o', 0xF6};
    const char32_t v = vowels[ctx / 3];
    const int k = ctx % 3;
    return k == 0 ? std::u32string(1, v) : std::u32string{U'b', v, k == 1 ? U'r' : U't'};
}
}  // namespace

SuffixParser::SuffixParser(std::vector<std::string> templates) : templates_(std::move(templates)) {
    realised_.assign(12, {});
    for (int c = 0; c < 12; ++c)
        for (const auto& t : templates_) realised_[static_cast<size_t>(c)].push_back(realizeSuffix(t, stemOfContext(c)));
    for (const auto& t : templates_) softens_.push_back(softens(t));
    for (const auto& row : realised_)
        for (const auto& r : row) longest_ = std::max(longest_, r.size());
}

std::vector<std::string> SuffixParser::parse(const std::u32string& stem, const std::u32string& rest,
                                             int maxLength) const {
    // At most maxLength pieces of at most longest_ letters: a longer rest cannot parse (and the recursion
    // below stays as shallow as that bound).
    if (rest.empty() || maxLength < 1 || rest.size() > static_cast<size_t>(maxLength) * longest_) return {};
    // best[(pos, mustVowel)]: the fewest templates from pos to the end (mustVowel: the previous piece's
    // final k was read as ğ, so this piece starts with a vowel).
    const size_t n = rest.size();
    constexpr int kNone = 1 << 20;
    std::vector<int> best(2 * (n + 1), -1), next(2 * (n + 1), -1), len(2 * (n + 1), 0), soft(2 * (n + 1), 0);
    std::function<int(size_t, int)> solve = [&](size_t pos, int mustVowel) -> int {
        const size_t key = 2 * pos + static_cast<size_t>(mustVowel);
        if (best[key] >= 0) return best[key];
        if (pos == n) return best[key] = mustVowel ? kNone : 0;
        best[key] = kNone;
        const auto& table = realised_[static_cast<size_t>(contextOf(stem, rest.substr(0, pos)))];
        for (size_t t = 0; t < table.size(); ++t) {
            const std::u32string& piece = table[t];
            if (piece.empty() || (mustVowel && !isVowel(piece[0])) || piece.size() > n - pos) continue;
            for (int s = 0; s < 2; ++s) {
                if (s && (!softens_[t] || piece.back() != U'k')) continue;
                bool match = rest.compare(pos, piece.size() - 1, piece, 0, piece.size() - 1) == 0;
                match = match && rest[pos + piece.size() - 1] == (s ? char32_t(0x11F) : piece.back());
                if (!match) continue;
                const int sub = solve(pos + piece.size(), s);
                if (sub < kNone && sub + 1 < best[key]) {
                    best[key] = sub + 1;
                    next[key] = static_cast<int>(t);
                    len[key] = static_cast<int>(piece.size());
                    soft[key] = s;
                }
            }
        }
        return best[key];
    };
    const int fewest = solve(0, 0);
    if (fewest >= kNone || fewest > maxLength) return {};
    std::vector<std::string> chain;
    size_t pos = 0;
    int mv = 0;
    while (pos < n) {
        const size_t key = 2 * pos + static_cast<size_t>(mv);
        chain.push_back(templates_[static_cast<size_t>(next[key])]);
        mv = soft[key];
        pos += static_cast<size_t>(len[key]);
    }
    return chain;
}

std::vector<std::string> parseSuffixChain(const std::u32string& stem, const std::u32string& rest,
                                          const std::vector<std::string>& templates, int maxLength) {
    return SuffixParser(templates).parse(stem, rest, maxLength);
}

}  // namespace embedlab
