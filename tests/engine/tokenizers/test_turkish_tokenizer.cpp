// The seed-format Turkish tokenizer: reference-exact ids/tokens/types and lossless decoding.
#include "core/error.h"
#include "tokenizers/turkish_tokenizer.h"
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

const Tokenizer& seed() {
    static std::unique_ptr<Tokenizer> t = loadTurkishTokenizer(seedDir());
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

std::string roundTrip(const std::string& text) {
    return seed().decode(seed().encode(text, false).ids, false);
}

bool hasUnknown(const std::string& text) {
    const auto ids = seed().encode(text, false).ids;
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
        const Encoding e = seed().encode(text, false);
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
        EXPECT_EQ(seed().encode(text, true).ids, e.ids);
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
    const Encoding e = seed().encode(bad, false);
    EXPECT_EQ(e.ids, seed().encode("kitap\xEF\xBF\xBDlar", false).ids);
    EXPECT_EQ(e.ids.front(), 227);
}

TEST(TurkishTokenizer, WhitespaceOnlyPartsAreDroppedLikeTheReference) {
    // The reference drops a part between two spaces that is only whitespace: that text cannot come back.
    EXPECT_EQ(seed().encode("a \n b", false).ids, seed().encode("a  b", false).ids);
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
