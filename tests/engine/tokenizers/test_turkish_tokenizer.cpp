// The seed-format Turkish tokenizer: reference-exact ids/tokens/types and lossless decoding.
#include "engine/core/error.h"
#include "engine/io/turkish_text.h"
#include "engine/tokenizers/turkish_tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

using namespace embedlab;

namespace {

std::string seedDir() { return test::fixture("tokenizers/turkish-seed"); }

const Tokenizer& seed() {  // the default: lossless encoding
    static std::unique_ptr<Tokenizer> t = loadTurkishTokenizer(seedDir());
    return *t;
}

const Tokenizer& reference() {  // the seed reference implementation's ids
    static std::unique_ptr<Tokenizer> t = loadTurkishTokenizer(seedDir(), TurkishEncoding::Reference);
    return *t;
}

nlohmann::json expectedCases() {
    std::ifstream f(seedDir() + "/expected.json");
    return nlohmann::json::parse(f)["cases"];
}

TokenType ourType(int64_t id, const std::string& seedType) {
    if (id <= 6) return TokenType::Special;
    if (seedType == "ROOT") return TokenType::Root;
    if (seedType == "SUFFIX") return TokenType::Suffix;
    return TokenType::Bpe;
}

// Decoding the reference's ids (what a model trained on the seed's encoding produces).
std::string roundTrip(const std::string& text) {
    return reference().decode(reference().encode(text, false).ids, false);
}

bool hasUnknown(const std::string& text) {
    const auto ids = reference().encode(text, false).ids;
    return std::find(ids.begin(), ids.end(), 1) != ids.end();
}

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/turkish_tokenizer_" + name;
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
}

void write(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
}

}  // namespace

TEST(TurkishTokenizer, LoadsSeedFolder) {
    EXPECT_EQ(seed().kind(), "turkish-seed");
    EXPECT_EQ(seed().vocabSize(), 32768);
    EXPECT_EQ(seed().idToToken(0), "<uppercase>");
    EXPECT_EQ(seed().idToToken(20000), "lar");
    EXPECT_EQ(seed().tokenToId("ler").value(), 20000);
    EXPECT_EQ(seed().tokenToId("kitab").value(), 227);
    EXPECT_EQ(seed().tokenToId(" ").value(), 2);
    EXPECT_FALSE(seed().tokenToId("no such token").has_value());
    EXPECT_EQ(seed().tokenType(0), TokenType::Special);
    EXPECT_EQ(seed().tokenType(6), TokenType::Special);
    EXPECT_EQ(seed().tokenType(227), TokenType::Root);
    EXPECT_EQ(seed().tokenType(20000), TokenType::Suffix);
    EXPECT_EQ(seed().tokenType(32275), TokenType::Bpe);
    EXPECT_EQ(seed().eosId().value(), 6);
    EXPECT_EQ(seed().padId().value(), 5);
    EXPECT_EQ(seed().unkId().value(), 1);
    EXPECT_EQ(seed().idToToken(-1), "");
    EXPECT_EQ(seed().idToToken(40000), "");
    EXPECT_TRUE(isTurkishTokenizerDir(seedDir()));
}

TEST(TurkishTokenizer, MatchesReferenceOnEveryFixtureCase) {
    const auto cases = expectedCases();
    ASSERT_EQ(cases.size(), 40u);
    for (const auto& c : cases) {
        const std::string text = c["text"];
        SCOPED_TRACE(text);
        const Encoding e = reference().encode(text, false);
        EXPECT_EQ(e.ids, c["ids"].get<std::vector<int64_t>>());
        EXPECT_EQ(e.tokens, c["tokens"].get<std::vector<std::string>>());
        ASSERT_EQ(e.types.size(), c["types"].size());
        for (size_t i = 0; i < e.types.size(); ++i)
            EXPECT_EQ(e.types[i], ourType(e.ids[i], c["types"][i])) << "token " << i;
        ASSERT_EQ(e.offsets.size(), e.ids.size());
        for (size_t i = 0; i < e.offsets.size(); ++i) {
            EXPECT_LE(e.offsets[i].first, e.offsets[i].second);
            EXPECT_LE(e.offsets[i].second, text.size());
        }
        // addSpecial: the reference adds nothing
        EXPECT_EQ(reference().encode(text, true).ids, e.ids);
        // The lossless encoding keeps the reference's ids wherever they decode back exactly.
        if (reference().decode(e.ids, false) == text) {
            EXPECT_EQ(seed().encode(text, false).ids, e.ids);
        }
    }
}

TEST(TurkishTokenizer, OffsetsPointIntoTheOriginalText) {
    const std::string text = "İstanbul'da IŞIK";
    const Encoding e = seed().encode(text, false);
    ASSERT_GE(e.size(), 3u);
    EXPECT_EQ(e.ids[0], 0);
    EXPECT_EQ(text.substr(e.offsets[1].first, e.offsets[1].second - e.offsets[1].first), "İstanbul");
}

TEST(TurkishTokenizer, DecodesEveryFixtureCaseLosslessly) {
    size_t checked = 0;
    for (const auto& c : expectedCases()) {
        const std::string text = c["text"];
        const auto ids = c["ids"].get<std::vector<int64_t>>();
        if (std::find(ids.begin(), ids.end(), 1) != ids.end()) continue;  // <unknown>: the emoji case
        ++checked;
        EXPECT_EQ(seed().decode(ids, false), text);
    }
    EXPECT_EQ(checked, 39u);
}

TEST(TurkishTokenizer, DecodesTheSeedsLossyWords) {
    for (const char* w : {"Kitabı", "İstanbul", "YouTube", "Nasılsınız", "IŞIK", "Ağacın", "İzmir'e", "boşluk",
                          "Çekoslovakyalılaştıramadıklarımızdanmışsınız", "Saat 14:30'da buluşalım.",
                          "Birinci satır\nİkinci satır", "yaşıyorum", "ortalamasını"}) {
        EXPECT_EQ(roundTrip(w), w);
    }
}

TEST(TurkishTokenizer, DecodesHarderTurkishWords) {
    for (const char* w : {"kitaplığı", "ağacı", "renginde", "burnu", "oğlu", "küçücük", "sıcacık", "söylüyor",
                          "yapmayacak", "gelmeyecek", "gideceğiz", "saatler", "saati", "kalbi", "hayatı",
                          "sonucu", "rengi", "yüreğim", "çocuğu", "gözlükçüden", "evlerimizden", "kitaplarımızdan",
                          "arabayla", "gösterilecek", "açılan", "kapısını", "ekmekçi", "sokakta", "Ankara'ya",
                          "2024'te", "5'te", "3'ü", "1990'da", "%50'si", "gereken", "belirten", "alınan",
                          "çıkmak", "türleri", "okuyabileceklerimizden", "güzelleştirilmiş", "değiştirebilirsiniz",
                          "Türkiye'nin", "İĞNE", "ŞİŞE", "ÇAĞRI", "GÜNEŞ", "ÖĞRETMEN"}) {
        EXPECT_EQ(roundTrip(w), w);
    }
}

TEST(TurkishTokenizer, DecodesCasingPunctuationDigitsAndWhitespace) {
    for (const char* t : {"  çift  boşluk  ", "a\tb\nc", "   ", "Merhaba, dünya! (test) [1] {2} 3.14 -5 +6",
                          "e-posta: ali@ornek.com", "Ctrl+S ve Alt+F4", "McDonald's", "iPhone", "PowerPoint",
                          "YouTube ve Twitter", "ABD'de", "x = y * 2;", "\"tırnak\" 'tek'", "satır\n\nboş satır",
                          "Kırmızı, yeşil ve mavi renkler.", "Ölçüler değiştirilemez mi?"}) {
        ASSERT_FALSE(hasUnknown(t)) << t;
        EXPECT_EQ(roundTrip(t), t);
    }
}

TEST(TurkishTokenizer, DecodeSpecialTokens) {
    EXPECT_EQ(seed().decode({}, false), "");
    EXPECT_EQ(seed().decode({2608, 6, 5}, false), "dünya<eos><pad>");
    EXPECT_EQ(seed().decode({2608, 6, 5}, true), "dünya");
    EXPECT_EQ(seed().decode({199, 2, 1}, false), "çok \xEF\xBF\xBD");  // <unknown> → U+FFFD
    EXPECT_EQ(seed().decode({199, 2, 1}, true), "çok ");
    EXPECT_EQ(seed().decode({-3, 99999, 199}, false), "çok");  // ids outside the vocabulary are skipped
    EXPECT_EQ(seed().decode({0}, false), "");
}

TEST(TurkishTokenizer, InvalidUtf8BecomesReplacementCharacter) {
    const std::string bad = std::string("kitap") + "\xFF" + "lar";
    for (const Tokenizer* t : {&seed(), &reference()}) {
        const Encoding e = t->encode(bad, false);
        EXPECT_EQ(e.ids, t->encode("kitap\xEF\xBF\xBDlar", false).ids);
        EXPECT_EQ(e.ids.front(), 227);
    }
    EXPECT_EQ(seed().decode(seed().encode(bad, false).ids, false), "kitap\xEF\xBF\xBDlar");
}

TEST(TurkishTokenizer, WhitespaceOnlyPartsAreDroppedLikeTheReference) {
    // The reference drops a part between two spaces that is only whitespace: that text cannot come back.
    EXPECT_EQ(reference().encode("a \n b", false).ids, reference().encode("a  b", false).ids);
    EXPECT_EQ(seed().decode(seed().encode("a \n b", false).ids, false), "a \n b");
}

// Every class of text the reference's ids lose (docs/tokenizers.md) comes back from the lossless
// encoding: forms the decoder's rules would choose differently, the clitic after a disharmonic word,
// English, circumflexes, whitespace-only parts, characters no token spells (emoji, NBSP), casing
// that does not survive lowercasing (Kelvin sign, titlecase digraphs), literal special-token names,
// digits next to escapes.
TEST(TurkishTokenizer, LosslessEncodingGivesEveryTextBack) {
    const std::vector<std::string> texts = {
        "adına", "ab de", "Deep learning", "noktasına ortalamasını", "bilinen bilenen", "hizala hizayla",
        "veritabanı", "Belma", "Calc'ta Calc'de", "de", "zekâ zeka istikbâl", "a \n b", "  \t  ",
        "emoji \xF0\x9F\x98\x80 ve \xF0\x9F\x98\x80""5 5\xF0\x9F\x98\x80", "no\xC2\xA0""break", "\xE2\x84\xAA""elvin", "\xC7\x85ungla",
        "<uppercase> <unknown> <eos> <pad>", "int main() { return 0; }", "--debug #include <stdio.h>",
        "İSTANBUL'DA ıIiİ", "Ωmega \xE2\x84\xA6hm", "x\xE2\x80\x8By", "çok güzel, değil mi?"};
    for (const auto& t : texts) {
        SCOPED_TRACE(t);
        const Encoding e = seed().encode(t, false);
        EXPECT_EQ(seed().decode(e.ids, false), t);
        EXPECT_EQ(seed().decode(e.ids, true), t);  // no <pad>/<eos>/bare <unknown> is ever emitted
        ASSERT_EQ(e.offsets.size(), e.ids.size());
        for (const auto& [b, en] : e.offsets) {
            EXPECT_LE(b, en);
            EXPECT_LE(en, t.size());
        }
    }
    // A long part without spaces whose greedy ids do not come back (a bounded search, then fallbacks).
    std::string longPart;
    for (int i = 0; i < 400; ++i) longPart += i % 3 ? "adına" : "Deep😀zekâ";
    EXPECT_EQ(seed().decode(seed().encode(longPart, false).ids, false), longPart);
    // Escapes: <unknown> digits <unknown>; the reference gives one bare <unknown> (→ U+FFFD).
    const Encoding e = seed().encode("\xF0\x9F\x98\x80", false);  // U+1F600 = 128512
    ASSERT_EQ(e.ids.size(), 8u);
    EXPECT_EQ(e.ids.front(), 1);
    EXPECT_EQ(e.ids.back(), 1);
    EXPECT_EQ(reference().encode("\xF0\x9F\x98\x80", false).ids, std::vector<int64_t>{1});
    EXPECT_EQ(reference().decode({1}, false), "\xEF\xBF\xBD");
}

// Bundled Turkish sentences, plus a sample of every corpus packaging/install-data.sh installed (Debian
// text, the npm news corpus): each line comes back exactly. The whole corpora: bench_turkish_roundtrip.
TEST(TurkishTokenizer, LosslessOnCorpusSamples) {
    std::vector<std::string> files = {test::sourceDir() + "/resources/samples/turkce_cumleler.txt"};
    for (const char* rel : {"/data/tr/corpus.txt", "/data/npm/nlptoolkit-corpus/corpus.txt"})
        if (std::filesystem::exists(test::sourceDir() + rel)) files.push_back(test::sourceDir() + rel);
    size_t lines = 0;
    for (const auto& f : files) {
        std::ifstream in(f);
        ASSERT_TRUE(in) << f;
        std::string line;
        for (size_t i = 0; std::getline(in, line); ++i) {
            if (i % 97 != 0 && f.find("samples") == std::string::npos) continue;  // every 97th line
            if (lines >= 1500 + 20) break;
            ++lines;
            EXPECT_EQ(seed().decode(seed().encode(line, false).ids, false), line) << f << ":" << i + 1;
        }
    }
    EXPECT_GE(lines, 20u);
}

TEST(TurkishTokenizer, TurkishCasingHelpers) {
    EXPECT_EQ(turkishLower("İSTANBUL IŞIK"), "istanbul ışık");
    EXPECT_EQ(turkishCapitalize("istanbul"), "İstanbul");
    EXPECT_EQ(turkishCapitalize("ışık"), "Işık");
}

TEST(TurkishTokenizer, MissingFilesAreBadInput) {
    const std::string d = scratch("missing");
    try {
        loadTurkishTokenizer(d);
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("kokler.json"), std::string::npos) << e.what();
    }
    try {
        loadTurkishTokenizer(d + "/nope");
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
    EXPECT_FALSE(isTurkishTokenizerDir(d));
}

TEST(TurkishTokenizer, MalformedJsonIsBadInput) {
    const std::string d = scratch("malformed");
    std::filesystem::copy_file(seedDir() + "/kokler.json", d + "/kokler.json");
    std::filesystem::copy_file(seedDir() + "/bpe_tokenler.json", d + "/bpe_tokenler.json");
    write(d + "/ekler.json", "{\"lar\": 20000, ");
    try {
        loadTurkishTokenizer(d);
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("ekler.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
    }
    write(d + "/ekler.json", "[1, 2]");
    EXPECT_THROW(loadTurkishTokenizer(d), Error);
    write(d + "/ekler.json", "{\"lar\": \"x\"}");
    EXPECT_THROW(loadTurkishTokenizer(d), Error);
    write(d + "/ekler.json", "{}");
    write(d + "/kokler.json", "{\"kitap\": 7}");  // no special tokens
    try {
        loadTurkishTokenizer(d);
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("special token"), std::string::npos) << e.what();
    }
}

TEST(TurkishTokenizer, SuffixList) {
    const auto s = loadTurkishSuffixList(seedDir() + "/ekler.json");
    EXPECT_NE(std::find(s.begin(), s.end(), "ler"), s.end());
    EXPECT_NE(std::find(s.begin(), s.end(), "yacak"), s.end());
    for (const auto& x : s) EXPECT_EQ(x.rfind("ek_temp_", 0), std::string::npos);
}
