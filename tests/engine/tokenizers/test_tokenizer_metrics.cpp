// Tokenizer corpus statistics (tokstats) against hand-computed values.
#include "engine/core/error.h"
#include "engine/tokenizers/tokenizer_metrics.h"
#include "engine/tokenizers/turkish_tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

using namespace embedlab;

namespace {

// A toy tokenizer: one "▁word" token per whitespace-separated word, id 0 is a special <s> it never emits.
class WordTokenizer final : public Tokenizer {
public:
    std::string kind() const override { return "toy"; }
    std::string name() const override { return "toy"; }
    Encoding encode(std::string_view text, bool) const override {
        Encoding e;
        std::string t(text);
        size_t b = 0;
        while (b < t.size()) {
            size_t s = t.find_first_not_of(' ', b);
            if (s == std::string::npos) break;
            size_t x = t.find(' ', s);
            if (x == std::string::npos) x = t.size();
            const std::string w = "\xE2\x96\x81" + t.substr(s, x - s);
            auto it = ids_.find(w);
            int64_t id;
            if (it == ids_.end()) {
                id = static_cast<int64_t>(words_.size());
                ids_[w] = id;
                words_.push_back(w);
            } else {
                id = it->second;
            }
            e.ids.push_back(id);
            e.tokens.push_back(w);
            e.types.push_back(TokenType::Normal);
            e.offsets.push_back({s, x});
            b = x;
        }
        return e;
    }
    std::string decode(const std::vector<int64_t>& ids, bool) const override {
        std::string out;
        for (auto id : ids) out += words_.at(id);
        return out;
    }
    int64_t vocabSize() const override { return static_cast<int64_t>(words_.size()); }
    std::string idToToken(int64_t id) const override { return words_.at(id); }
    std::optional<int64_t> tokenToId(const std::string& t) const override {
        auto it = ids_.find(t);
        if (it == ids_.end()) return std::nullopt;
        return it->second;
    }
    TokenType tokenType(int64_t id) const override { return id == 0 ? TokenType::Special : TokenType::Normal; }

private:
    mutable std::vector<std::string> words_{"<s>"};
    mutable std::map<std::string, int64_t> ids_{{"<s>", 0}};
};

std::string scratchFile(const std::string& name, const std::string& content) {
    const std::string p = test::tmpDir() + "/tokenizer_metrics_" + name;
    std::ofstream f(p, std::ios::binary);
    f << content;
    return p;
}

}  // namespace

TEST(TokenizerMetrics, StripSpaceMarkers) {
    EXPECT_EQ(stripSpaceMarkers("\xE2\x96\x81kitap"), "kitap");
    EXPECT_EQ(stripSpaceMarkers("\xC4\xA0the"), "the");
    EXPECT_EQ(stripSpaceMarkers("##ler"), "ler");
    EXPECT_EQ(stripSpaceMarkers(" ev "), "ev");
    EXPECT_EQ(stripSpaceMarkers("##"), "##");
    EXPECT_EQ(stripSpaceMarkers("\xE2\x96\x81"), "");
}

TEST(TokenizerMetrics, TurkishTokenizerHandComputed) {
    auto tok = loadTurkishTokenizer(test::fixture("tokenizers/turkish-seed"));
    // "kitaplar masa!" → kitap lar ␠ masa !   (5)   "Kitap" → <uppercase> kitap   (2)
    const std::vector<std::string> lines = {"kitaplar masa!", "Kitap"};
    const TokenizerStats s = computeTokenizerStats(*tok, lines, nullProgress());
    EXPECT_EQ(s.lines, 2);
    EXPECT_EQ(s.tokens, 7);
    EXPECT_EQ(s.words, 3);
    EXPECT_EQ(s.chars, 19);
    EXPECT_DOUBLE_EQ(s.fertility, 7.0 / 3.0);
    EXPECT_EQ(s.unique_tokens, 6);  // 227 20000 2 3312 32275 0
    // non-special unique tokens: kitap (root), lar (suffix), masa (root), "!" (BPE, no letter)
    EXPECT_DOUBLE_EQ(s.tr_pct, 75.0);
    EXPECT_DOUBLE_EQ(s.pure_pct, 75.0);
    EXPECT_GE(s.seconds, 0.0);
}

TEST(TokenizerMetrics, CountsCodePointsAndUnicodeWhitespace) {
    WordTokenizer tok;
    const std::vector<std::string> lines = {"çığ  öğün", "\t", "ş\u00A0ı"};  // NBSP separates words
    const TokenizerStats s = computeTokenizerStats(tok, lines, nullProgress());
    EXPECT_EQ(s.chars, 9 + 1 + 3);
    EXPECT_EQ(s.words, 2 + 0 + 2);
}

TEST(TokenizerMetrics, OtherTokenizerWithSuffixListAndHunspell) {
    WordTokenizer tok;
    TokenizerStatsOptions opt;
    opt.suffixes = {"ler", "lar"};
    const std::vector<std::string> lines = {"kitap kitaplar", "xqzw ler kitap"};
    const TokenizerStats s = computeTokenizerStats(tok, lines, nullProgress(), opt);
    EXPECT_EQ(s.tokens, 5);
    EXPECT_EQ(s.words, 5);
    EXPECT_DOUBLE_EQ(s.fertility, 1.0);
    EXPECT_EQ(s.unique_tokens, 4);
    if (TurkishSpeller::instance().available()) {
        EXPECT_TRUE(s.lexicon);
        // Turkish: kitap, kitaplar (hunspell), ler (suffix list); whole units: kitap (a bare stem), ler
        EXPECT_DOUBLE_EQ(s.tr_pct, 75.0);
        EXPECT_DOUBLE_EQ(s.pure_pct, 50.0);
    } else {
        EXPECT_DOUBLE_EQ(s.tr_pct, 25.0);
        EXPECT_DOUBLE_EQ(s.pure_pct, 25.0);
    }
}

TEST(TokenizerMetrics, HunspellDictionary) {
    const TurkishSpeller& sp = TurkishSpeller::instance();
    if (!sp.available()) GTEST_SKIP() << "hunspell-tr not available";
    EXPECT_TRUE(sp.check("kitabı"));
    EXPECT_FALSE(sp.check("kitapı"));
    EXPECT_TRUE(sp.check("İstanbul"));
    EXPECT_TRUE(sp.isStem("kitap"));
    EXPECT_FALSE(sp.isStem("kitaplar"));
    EXPECT_EQ(sp.rejectedRuns("kitabı, kitapı ve xqzw"), 2u);
}

TEST(TokenizerMetrics, ReadsFilesAndReportsInvalidUtf8) {
    const std::string p = scratchFile("bad_utf8.txt", "ilk satır\r\nbo\xC3zuk\nson\n");
    std::vector<size_t> bad;
    const auto lines = readCorpusLines(p, &bad);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "ilk satır");
    EXPECT_EQ(lines[1], "bo\xEF\xBF\xBDzuk");
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_EQ(bad[0], 2u);
    WordTokenizer tok;
    EXPECT_EQ(computeTokenizerStatsFile(tok, p, nullProgress()).words, 4);
}

TEST(TokenizerMetrics, EmptyOrMissingInputIsBadInput) {
    for (const std::string& content : {std::string(), std::string("\n  \n\t\n")}) {
        const std::string p = scratchFile("empty.txt", content);
        try {
            readCorpusLines(p);
            FAIL() << "expected Error";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput);
            EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
        }
    }
    try {
        readCorpusLines(test::tmpDir() + "/tokenizer_metrics_does_not_exist.txt");
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
}
