// Turkish casing (engine/io/turkish_text.h): hand-checked Turkish words and the dotted/dotless i, the
// decomposed İ (I + U+0307), ill-formed UTF-8, and every other code point against CPython's own
// Unicode database (an independent implementation of the case mappings; ICU is what the engine uses).
#include "engine/io/turkish_text.h"

#include "run_python.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace embedlab;

namespace {

// (input, expected output) pairs for one of the string functions.
using Cases = std::vector<std::pair<std::string, std::string>>;

void expectMapped(std::string (*f)(std::string_view), const char* name, const Cases& cases) {
    for (const auto& [in, out] : cases) EXPECT_EQ(f(in), out) << name << "(\"" << in << "\")";
}

}  // namespace

TEST(TurkishText, DottedAndDotlessI) {
    expectMapped(turkishLower, "turkishLower",
                 {{"İSTANBUL IĞDIR ÇÖŞÜ", "istanbul ığdır çöşü"},
                  {"DİYARBAKIR ISPARTA ŞIRNAK", "diyarbakır ısparta şırnak"},
                  {"Iİıi", "ıiıi"}});
    expectMapped(turkishUpper, "turkishUpper",
                 {{"istanbul ığdır çöşü", "İSTANBUL IĞDIR ÇÖŞÜ"},
                  {"diyarbakır ısparta şırnak", "DİYARBAKIR ISPARTA ŞIRNAK"},
                  {"Iİıi", "IİIİ"}});
    expectMapped(turkishCapitalize, "turkishCapitalize",
                 {{"istanbul", "İstanbul"}, {"ışık", "Işık"}, {"çiçek", "Çiçek"}, {"", ""}});
    EXPECT_EQ(turkishLowerChar(U'I'), U'ı');
    EXPECT_EQ(turkishLowerChar(U'İ'), U'i');  // not "i̇", Unicode's language-neutral full mapping
    EXPECT_EQ(turkishUpperChar(U'i'), U'İ');
    EXPECT_EQ(turkishUpperChar(U'ı'), U'I');
    EXPECT_EQ(turkishUpperChar(U'ß'), U'ẞ');  // and back
    EXPECT_EQ(turkishLowerChar(U'ẞ'), U'ß');
}

TEST(TurkishText, DecomposedCapitalIWithDot) {
    // I + U+0307 is İ decomposed (NFD); Turkish lower case drops the dot (SpecialCasing.txt, tr).
    // Marks that are neither starters nor above-marks may stand between (cedilla, class 202); an
    // above-mark (acute, class 230) or a starter may not. Only the first dot belongs to the I; a dot
    // after i or ı stays.
    expectMapped(turkishLower, "turkishLower",
                 {{"I\u0307STANBUL", "istanbul"},
                  {"DI\u0307YARBAKIR", "diyarbakır"},
                  {"I\u0327\u0307", "i\u0327"},
                  {"I\u0301\u0307", "ı\u0301\u0307"},
                  {"IA\u0307", "ıa\u0307"},
                  {"I\u0307\u0307", "i\u0307"},
                  {"i\u0307 ı\u0307", "i\u0307 ı\u0307"},
                  {"II\u0307", "ıi"}});
    // One code point without context keeps the dot: the seed tokenizer's reference encoding.
    EXPECT_EQ(turkishLowerChar(U'\u0307'), U'\u0307');
    EXPECT_EQ(turkishUpper("i\u0307"), "İ\u0307");
}

TEST(TurkishText, OtherScriptsAndIllFormedInput) {
    // One U+FFFD per maximal ill-formed subpart; the output is always valid UTF-8.
    expectMapped(turkishLower, "turkishLower",
                 {{"ΑΘΉΝΑ Ελλάδα", "αθήνα ελλάδα"},
                  {"ՀԱՅԱՍՏԱՆ", "հայաստան"},
                  {"\u212A", "k"},  // Kelvin sign
                  {"ǅ", "ǆ"},
                  {"Ａ", "ａ"},
                  {"A\xC3", "a\uFFFD"},
                  {"A\xE2\x82" "B", "a\uFFFDb"},
                  {"I\xCC", "ı\uFFFD"}});  // a dot cut off is no dot
    expectMapped(turkishUpper, "turkishUpper",
                 {{"ґанок київ", "ҐАНОК КИЇВ"},
                  {"ǅ", "Ǆ"},
                  {"\xF0\x80i", "\uFFFD\uFFFDİ"},
                  {"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"}});  // a surrogate
    EXPECT_EQ(turkishCapitalize("\xFFi"), "\uFFFDi");  // the U+FFFD is the first letter
}

TEST(TurkishText, StartsUpper) {
    EXPECT_TRUE(startsUpper("İzmir"));
    EXPECT_TRUE(startsUpper("Çorum"));
    EXPECT_TRUE(startsUpper("Işık"));
    EXPECT_TRUE(startsUpper("Ǆemal"));
    EXPECT_TRUE(startsUpper("Ελλάδα"));
    EXPECT_FALSE(startsUpper("ılık"));
    EXPECT_FALSE(startsUpper("iğne"));
    EXPECT_FALSE(startsUpper("3 kedi"));
    EXPECT_FALSE(startsUpper("“Tırnak"));
    EXPECT_FALSE(startsUpper(""));
    EXPECT_FALSE(startsUpper("\xC3"));
}

// Every assigned code point against CPython's str.lower() / str.upper() of that one character (full
// mappings: where they give several code points the simple mapping is not comparable and is skipped).
// I, İ, i, ı and ß's upper case are the Turkish rules above.
TEST(TurkishText, EveryCodePointMatchesPythonsCaseMapping) {
    const nlohmann::json ref = test::runPython(R"PY(
import json, unicodedata
changed, unassigned, start = [], [], None
for cp in range(0x110000):
    ch = chr(cp)
    if unicodedata.category(ch) in ('Cn', 'Cs'):
        if start is None: start = cp
        continue
    if start is not None: unassigned.append([start, cp - 1]); start = None
    lo, up = ch.lower(), ch.upper()
    if lo != ch or up != ch:
        changed.append([cp, ord(lo) if len(lo) == 1 else -1, ord(up) if len(up) == 1 else -1])
if start is not None: unassigned.append([start, 0x10FFFF])
print(json.dumps({'unicode': unicodedata.unidata_version, 'changed': changed, 'unassigned': unassigned}))
)PY",
                                                  "turkish_case");
    std::map<uint32_t, std::pair<int64_t, int64_t>> changed;
    for (const auto& e : ref["changed"]) changed[e[0].get<uint32_t>()] = {e[1].get<int64_t>(), e[2].get<int64_t>()};
    ASSERT_GT(changed.size(), 2000u);
    std::vector<bool> skip(0x110000, false);
    for (const auto& r : ref["unassigned"])
        for (uint32_t cp = r[0].get<uint32_t>(); cp <= r[1].get<uint32_t>(); ++cp) skip[cp] = true;
    for (char32_t t : {U'I', U'İ', U'i', U'ı', U'ß'}) skip[t] = true;

    size_t checked = 0, mismatches = 0;
    for (uint32_t cp = 0; cp < 0x110000; ++cp) {
        if (skip[cp]) continue;
        auto it = changed.find(cp);
        const int64_t lo = it == changed.end() ? cp : it->second.first;
        const int64_t up = it == changed.end() ? cp : it->second.second;
        const auto c = static_cast<char32_t>(cp);
        if (lo >= 0 && turkishLowerChar(c) != static_cast<char32_t>(lo) && ++mismatches <= 10)
            ADD_FAILURE() << "lower U+" << std::hex << cp << ": " << uint32_t(turkishLowerChar(c)) << ", Python " << lo;
        if (up >= 0 && turkishUpperChar(c) != static_cast<char32_t>(up) && ++mismatches <= 10)
            ADD_FAILURE() << "upper U+" << std::hex << cp << ": " << uint32_t(turkishUpperChar(c)) << ", Python " << up;
        ++checked;
    }
    EXPECT_EQ(mismatches, 0u) << "Python's Unicode " << ref["unicode"].get<std::string>();
    EXPECT_GT(checked, 200000u);
}
