// Corpus statistics of a tokenizer; the definitions are in docs/tokenizers.md ("Tokenizer metrics").
#include "engine/tokenizers/tokenizer_metrics.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/turkish_text.h"
#include "engine/tokenizers/turkish_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <chrono>
#include <unordered_set>

namespace embedlab {
namespace {

// Counts code points and whitespace-separated words (Unicode White_Space) of valid UTF-8.
void countText(const std::string& s, int64_t& chars, int64_t& words) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const int32_t n = static_cast<int32_t>(s.size());
    int32_t i = 0;
    bool inWord = false;
    while (i < n) {
        UChar32 c;
        U8_NEXT(p, i, n, c);
        ++chars;
        const bool space = c >= 0 && u_isUWhiteSpace(c);
        if (!space && !inWord) ++words;
        inWord = !space;
    }
}

bool hasLetter(const std::string& s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    const int32_t n = static_cast<int32_t>(s.size());
    int32_t i = 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(p, i, n, c);
        if (c >= 0 && u_isalpha(c)) return true;
    }
    return false;
}

}  // namespace

std::string stripSpaceMarkers(const std::string& token) {
    std::string t = token;
    for (;;) {
        if (t.rfind("\xE2\x96\x81", 0) == 0) t.erase(0, 3);       // ▁
        else if (t.rfind("\xC4\xA0", 0) == 0) t.erase(0, 2);       // Ġ
        else if (t.rfind("##", 0) == 0 && t.size() > 2) t.erase(0, 2);
        else break;
    }
    const char* ws = " \t\n\r\f\v";
    const size_t b = t.find_first_not_of(ws);
    if (b == std::string::npos) return {};
    const size_t e = t.find_last_not_of(ws);
    return t.substr(b, e - b + 1);
}

TokenizerStats computeTokenizerStats(const Tokenizer& tok, const std::vector<std::string>& lines, Progress& progress,
                                     const TokenizerStatsOptions& options) {
    TokenizerStats st;
    st.name = tok.name();
    st.lines = static_cast<int64_t>(lines.size());
    std::unordered_set<int64_t> seen;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t i = 0; i < lines.size(); ++i) {
        if ((i & 255) == 0) progress.report(lines.empty() ? 1.0 : 0.9 * double(i) / double(lines.size()),
                                            "encoding " + tok.name());
        const Encoding enc = tok.encode(lines[i], false);
        st.tokens += static_cast<int64_t>(enc.ids.size());
        seen.insert(enc.ids.begin(), enc.ids.end());
    }
    st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& l : lines) countText(l, st.chars, st.words);
    st.fertility = st.words > 0 ? double(st.tokens) / double(st.words) : 0.0;
    st.unique_tokens = static_cast<int64_t>(seen.size());

    // tr_pct / pure_pct over the unique non-special tokens.
    progress.report(0.9, "checking tokens of " + tok.name());
    const TurkishSpeller& speller = TurkishSpeller::instance();
    st.lexicon = speller.available();
    const std::unordered_set<std::string> suffixes(options.suffixes.begin(), options.suffixes.end());
    const std::unordered_set<std::string> roots(options.roots.begin(), options.roots.end());
    const bool turkish = tok.kind() == "turkish-seed" || tok.kind() == "embedlab-morph";
    int64_t denom = 0, tr = 0, pure = 0;
    for (int64_t id : seen) {
        const TokenType type = tok.tokenType(id);
        if (type == TokenType::Special) continue;
        ++denom;
        if (turkish && (type == TokenType::Root || type == TokenType::Suffix)) {
            ++tr;
            ++pure;
            continue;
        }
        std::string text = stripSpaceMarkers(tok.decode({id}, true));
        if (text.empty() || text.find("\xEF\xBF\xBD") != std::string::npos) text = stripSpaceMarkers(tok.idToToken(id));
        if (!hasLetter(text)) continue;
        const std::string lower = turkishLower(text);
        const bool known = suffixes.count(lower) > 0 || roots.count(lower) > 0;
        const bool word = speller.check(text) || speller.check(lower) || speller.check(turkishCapitalize(lower));
        if (known || word) ++tr;
        const bool stem = speller.isStem(lower) || speller.isStem(turkishCapitalize(lower));
        if (suffixes.count(lower) > 0 || roots.count(lower) > 0 || stem) ++pure;
    }
    st.tr_pct = denom > 0 ? 100.0 * double(tr) / double(denom) : 0.0;
    st.pure_pct = denom > 0 ? 100.0 * double(pure) / double(denom) : 0.0;
    progress.report(1.0, "done");
    return st;
}

std::vector<std::string> readCorpusLines(const std::string& path, std::vector<size_t>* invalidLines) {
    const std::string data = readFile(path);
    std::vector<std::string> lines;
    bool anyText = false;
    size_t b = 0, lineNo = 0;
    while (b < data.size()) {
        size_t e = data.find('\n', b);
        if (e == std::string::npos) e = data.size();
        std::string line = data.substr(b, e - b);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        ++lineNo;
        if (sanitizeUtf8(line) > 0 && invalidLines) invalidLines->push_back(lineNo);
        if (line.find_first_not_of(" \t\r\f\v") != std::string::npos) anyText = true;
        lines.push_back(std::move(line));
        b = e + 1;
    }
    if (!anyText) throw Error::badInput(path + " is empty: it holds no text lines to tokenize");
    return lines;
}

TokenizerStats computeTokenizerStatsFile(const Tokenizer& tok, const std::string& path, Progress& progress,
                                         const TokenizerStatsOptions& options) {
    return computeTokenizerStats(tok, readCorpusLines(path), progress, options);
}

}  // namespace embedlab
