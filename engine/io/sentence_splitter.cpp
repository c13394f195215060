#include "engine/io/sentence_splitter.h"

#include "engine/core/utf8.h"
#include "engine/io/turkish_text.h"

#include <cctype>
#include <set>

namespace embedlab {
namespace {

const std::set<std::string>& abbreviations() {
    static const std::set<std::string> a = {
        "dr", "prof", "doç", "av", "no", "nu", "sn", "bkz", "bk", "örn", "ör", "vb", "vs", "vd", "yrd", "yard",
        "alb", "gen", "org", "ort", "tuğg", "kur", "bnb", "yzb", "ütğm", "tğm", "asb", "çvş", "müd", "mah",
        "cad", "sok", "sk", "apt", "blv", "bul", "tel", "faks", "tic", "ltd", "şti", "san", "hz", "st", "mr",
        "mrs", "ms", "jr", "sr", "vol", "ss", "yy", "sy", "ed", "haz", "çev", "der", "akt", "age", "op", "uzm",
        "öğr", "gör", "arş", "ens", "fak", "üniv", "böl", "bşk", "md", "mim", "müh", "ecz", "dt", "vet", "kom",
        "krş", "karş", "bilg", "yay", "bas", "vb", "etc", "e.g", "i.e", "cf", "vol", "pp", "fig", "eq"};
    return a;
}
// Abbreviations that also often end a sentence: split after them before an upper-case word.
bool sentenceFinalAbbreviation(const std::string& w) { return w == "vb" || w == "vs" || w == "vd" || w == "etc"; }

bool isOpeningAt(std::string_view s, size_t i) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '(' || c == '[' || c == '-') return true;
    uint32_t cp;
    const size_t n = decodeUtf8At(s, i, cp);
    return n > 1 && (cp == 0x201C || cp == 0x2018 || cp == 0xAB || cp == 0x2013 || cp == 0x2014 || cp == 0x201E);
}

// Length of a closing quote/bracket at i (0 if none).
size_t closingAt(std::string_view s, size_t i) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == ')' || c == ']') return 1;
    uint32_t cp;
    const size_t n = decodeUtf8At(s, i, cp);
    if (n > 1 && (cp == 0x201D || cp == 0x2019 || cp == 0xBB)) return n;
    return 0;
}

// Length of a terminator at i: . ! ? or … (0 if none).
size_t terminatorAt(std::string_view s, size_t i) {
    const char c = s[i];
    if (c == '.' || c == '!' || c == '?') return 1;
    if (s.compare(i, 3, "\xE2\x80\xA6") == 0) return 3;
    return 0;
}

}  // namespace

std::vector<std::string> splitSentences(std::string_view s) {
    std::vector<std::string> out;
    size_t start = 0, i = 0, n;
    auto emit = [&](size_t end) {
        std::string t = trimSpaces(s.substr(start, end - start));
        if (!t.empty()) out.push_back(std::move(t));
    };
    while (i < s.size()) {
        const size_t tl = terminatorAt(s, i);
        if (tl == 0) {
            ++i;
            continue;
        }
        const size_t termBegin = i;
        size_t j = i;
        size_t dots = 0;
        bool ellipsis = false;
        while (j < s.size()) {
            const size_t t = terminatorAt(s, j);
            if (!t) break;
            if (t == 3) ellipsis = true;
            if (s[j] == '.') ++dots;
            j += t;
        }
        if (dots >= 2) ellipsis = true;
        const bool singleDot = !ellipsis && j - termBegin == 1 && s[termBegin] == '.';
        while (j < s.size()) {
            const size_t c = closingAt(s, j);
            if (!c) break;
            j += c;
        }
        i = j;
        // whitespace must follow (or the end)
        if (j < s.size() && utf8SpaceAt(s, j) == 0) continue;
        size_t k = j;
        while (k < s.size() && (n = utf8SpaceAt(s, k)) > 0) k += n;
        if (k >= s.size()) break;  // the end: the last sentence is emitted below
        const bool nextUpper = startsUpper(s.substr(k)) || std::isdigit(static_cast<unsigned char>(s[k])) ||
                               isOpeningAt(s, k);
        if (!nextUpper) continue;
        if (singleDot) {
            // the word before the dot
            size_t w = termBegin;
            while (w > start && utf8SpaceAt(s, w - 1) == 0) --w;
            std::string word(s.substr(w, termBegin - w));
            while (!word.empty() && (word[0] == '(' || word[0] == '"' || word[0] == '\'' || word[0] == '[')) word.erase(0, 1);
            const std::string lw = turkishLower(word);
            size_t cps = 0;
            for (unsigned char c : word)
                if ((c & 0xC0) != 0x80) ++cps;
            if (abbreviations().count(lw) && !sentenceFinalAbbreviation(lw)) continue;
            if (cps == 1 && !isAsciiDigits(word)) continue;  // an initial: "A. Hamdi", "s. 12"
            if (word.find('.') != std::string::npos) {  // A.Ş. T.C. a.g.e.
                bool shortSegments = true;
                size_t seg = 0;
                for (unsigned char c : word) {
                    if (c == '.') {
                        if (seg > 3) shortSegments = false;
                        seg = 0;
                    } else if ((c & 0xC0) != 0x80) {
                        ++seg;
                    }
                }
                if (seg > 3) shortSegments = false;
                if (shortSegments) continue;
            }
        }
        emit(j);
        start = k;
        i = k;
    }
    if (start < s.size()) emit(s.size());
    return out;
}

}  // namespace embedlab
