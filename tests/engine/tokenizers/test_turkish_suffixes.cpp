// Turkish suffix templates against the forms a Turkish grammar gives (vowel harmony, consonant
// alternation, buffer consonants, final-k softening), chain allomorph groups and residue parsing.
#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/tokenizers/turkish_suffixes.h"

#include <gtest/gtest.h>

using namespace embedlab;

namespace {
std::u32string u(const std::string& s) {
    std::u32string cps;
    std::vector<size_t> offs;
    decodeUtf8(s, cps, offs);
    return cps;
}
std::string s8(const std::u32string& s) {
    std::string out;
    for (char32_t c : s) appendUtf8(out, c);
    return out;
}
std::string realize(const std::string& t, const std::string& stem) { return s8(realizeSuffix(t, u(stem))); }
}  // namespace

TEST(TurkishSuffixes, RealiseByHarmonyAndAlternation) {
    EXPECT_EQ(realize("lAr", "kitap"), "lar");
    EXPECT_EQ(realize("lAr", "ev"), "ler");
    EXPECT_EQ(realize("DA", "kitap"), "ta");
    EXPECT_EQ(realize("DA", "ev"), "de");
    EXPECT_EQ(realize("DAn", "ağaç"), "tan");
    EXPECT_EQ(realize("DAn", "göz"), "den");
    EXPECT_EQ(realize("(y)lA", "araba"), "yla");
    EXPECT_EQ(realize("(y)lA", "kitap"), "la");
    EXPECT_EQ(realize("(n)Hn", "araba"), "nın");
    EXPECT_EQ(realize("(n)Hn", "okul"), "un");
    EXPECT_EQ(realize("(n)Hn", "köprü"), "nün");
    EXPECT_EQ(realize("(H)m", "göz"), "üm");
    EXPECT_EQ(realize("(H)m", "kedi"), "m");
    EXPECT_EQ(realize("(s)H", "kapı"), "sı");
    EXPECT_EQ(realize("(s)H", "ev"), "i");
    EXPECT_EQ(realize("CH", "iş"), "çi");
    EXPECT_EQ(realize("CH", "yol"), "cu");
    EXPECT_EQ(realize("(y)AcAk", "gel"), "ecek");
    EXPECT_EQ(realize("(y)AcAk", "oku"), "yacak");
    EXPECT_EQ(realize("Hyor", "gel"), "iyor");
    EXPECT_EQ(realize("Hyor", "kork"), "uyor");
    EXPECT_EQ(realize("DH", "yap"), "tı");
    EXPECT_EQ(realize("DH", "gör"), "dü");
    EXPECT_EQ(realize("mHş", "gül"), "müş");
    EXPECT_EQ(realize("(H)mHz", "okul"), "umuz");
    EXPECT_THROW(realizeSuffix("(x)A", u("ev")), Error);
    EXPECT_THROW(realizeSuffix("(yA", u("ev")), Error);
}

TEST(TurkishSuffixes, ChainsSoftenAFinalKBeforeAVowel) {
    EXPECT_EQ(s8(realizeSuffixChain({"lHk", "(y)H"}, u("kitap"))), "lığı");
    EXPECT_EQ(s8(realizeSuffixChain({"lHk", "DA"}, u("kitap"))), "lıkta");
    EXPECT_EQ(s8(realizeSuffixChain({"(y)AcAk", "(H)m"}, u("gel"))), "eceğim");
    EXPECT_EQ(s8(realizeSuffixChain({"lAr", "(H)mHz", "DAn"}, u("kitap"))), "larımızdan");
    EXPECT_EQ(s8(realizeSuffixChain({"lAr", "(H)mHz", "DAn"}, u("ev"))), "lerimizden");
}

TEST(TurkishSuffixes, ChainFormsAreTheAllomorphGroup) {
    auto forms = [](std::vector<std::string> c) {
        std::vector<std::string> out;
        for (const auto& f : suffixChainForms(c)) out.push_back(s8(f));
        return out;
    };
    EXPECT_EQ(forms({"lAr"}), (std::vector<std::string>{"lar", "ler"}));
    EXPECT_EQ(forms({"DA"}), (std::vector<std::string>{"da", "de", "ta", "te"}));
    EXPECT_EQ(forms({"(y)H"}), (std::vector<std::string>{"i", "u", "yi", "yu", "yü", "yı", "ü", "ı"}));
    EXPECT_EQ(forms({"lAr", "DA"}), (std::vector<std::string>{"larda", "lerde"}));
}

TEST(TurkishSuffixes, ParseFindsTheFewestTemplates) {
    const SuffixParser p;
    EXPECT_EQ(p.parse(u("kitap"), u("larımızdan")), (std::vector<std::string>{"lAr", "(H)mHz", "DAn"}));
    EXPECT_EQ(p.parse(u("kitap"), u("lığı")), (std::vector<std::string>{"lHk", "(y)H"}));
    EXPECT_EQ(p.parse(u("gel"), u("eceğim")), (std::vector<std::string>{"(y)AcAk", "(H)m"}));
    // harmony is checked: "lar" does not follow "ev"; a bare ğ cannot end a word
    EXPECT_TRUE(p.parse(u("ev"), u("lar")).empty());
    EXPECT_TRUE(p.parse(u("kitap"), u("lığ")).empty());
    EXPECT_TRUE(p.parse(u("ev"), u("xyz")).empty());
    EXPECT_TRUE(p.parse(u("ev"), u("")).empty());
    // at most maxLength templates; a rest longer than maxLength of the longest is refused at once (a
    // 100,000-letter run once overflowed the stack)
    EXPECT_TRUE(p.parse(u("kitap"), u("larımızdan"), 2).empty());
    EXPECT_TRUE(p.parse(u("kitap"), std::u32string(100000, U't')).empty());
}
