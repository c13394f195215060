// Corpora: encodings (UTF-8 ± BOM, UTF-16 LE/BE, Windows-1254, ISO-8859-9) detected and overridden,
// cross-checked against Python's codecs; units; CSV (RFC 4180) / TSV / JSONL columns; Turkish sentence
// splitting and casing; de-duplication; statistics; streaming with cancel; every kind of bad input.
#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <fstream>

using namespace embedlab;

namespace {

std::string scratch(const std::string& name) {
    ::mkdir(test::tmpDir().c_str(), 0755);
    const std::string dir = test::tmpDir() + "/corpus";
    ::mkdir(dir.c_str(), 0755);
    return dir + "/" + name;
}

std::string write(const std::string& name, const std::string& bytes) {
    const std::string p = scratch(name);
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
}

// Encodes UTF-8 text with Python's codecs (the reference for the code pages and UTF-16).
std::string pythonEncode(const std::string& utf8, const std::string& codec) {
    const std::string in = write("py_in.txt", utf8);
    const std::string out = scratch("py_out_" + codec + ".bin");
    const std::string cmd = test::referencePython() + " -c \"import sys; open(sys.argv[2],'wb').write(open(sys.argv[1],"
                                                      "encoding='utf-8').read().encode('" + codec + "'))\" " + in + " " + out;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream f(out, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

const std::string kTurkish =
    "Çağdaş Türkçe ığdır, İstanbul'da şöyle dedi: “Günaydın!”\n"
    "Öğretmen ‘ışık’ – sözcüğünü… yazdı; Ş ş Ğ ğ Ü ü Ö ö Ç ç I ı İ i.\n"
    "Üçüncü satır.\n";

}  // namespace

TEST(CorpusEncoding, DetectsAndDecodesEveryEncodingAsPython) {
    struct Case {
        std::string codec;
        std::string prefix;
        TextEncoding expected;
    };
    const std::vector<Case> cases = {
        {"utf-8", "", TextEncoding::Utf8},
        {"utf-8", "\xEF\xBB\xBF", TextEncoding::Utf8},
        {"utf-16-le", "\xFF\xFE", TextEncoding::Utf16LE},
        {"utf-16-be", "\xFE\xFF", TextEncoding::Utf16BE},
        {"cp1254", "", TextEncoding::Windows1254},  // has ’ “ ” – … → bytes 0x80–0x9F
    };
    for (const auto& c : cases) {
        const std::string bytes = c.prefix + pythonEncode(kTurkish, c.codec);
        const std::string p = write("enc_" + c.codec + std::to_string(c.prefix.size()) + ".txt", bytes);
        Corpus corpus = readCorpus(p);
        EXPECT_EQ(corpus.info.encoding, c.expected) << c.codec << " " << corpus.info.encodingReason;
        ASSERT_EQ(corpus.records.size(), 3u) << c.codec;
        EXPECT_EQ(corpus.records[0].text, "Çağdaş Türkçe ığdır, İstanbul'da şöyle dedi: “Günaydın!”") << c.codec;
        EXPECT_EQ(corpus.records[1].text, "Öğretmen ‘ışık’ – sözcüğünü… yazdı; Ş ş Ğ ğ Ü ü Ö ö Ç ç I ı İ i.") << c.codec;
    }
    // ISO-8859-9 has no curly quotes: plain Turkish text
    const std::string plain = "Çağdaş Türkçe ığdır, İstanbul'da şöyle dedi.\nŞ ş Ğ ğ Ü ü Ö ö Ç ç I ı İ i\n";
    const std::string p = write("enc_8859.txt", pythonEncode(plain, "iso8859_9"));
    Corpus c = readCorpus(p);
    EXPECT_EQ(c.info.encoding, TextEncoding::Iso8859_9) << c.info.encodingReason;
    EXPECT_NE(c.info.encodingReason.find("Turkish letters"), std::string::npos);
    EXPECT_EQ(c.records[1].text, "Ş ş Ğ ğ Ü ü Ö ö Ç ç I ı İ i");
    // the override: read the cp1254 bytes as ISO-8859-9 → C1 controls instead of quotes
    const std::string p1254 = write("enc_override.txt", pythonEncode("“Merhaba”\n", "cp1254"));
    CorpusOptions o;
    o.encoding = parseEncoding("latin5");
    Corpus over = readCorpus(p1254, o);
    EXPECT_FALSE(over.info.encodingDetected);
    EXPECT_EQ(over.records[0].text, "\xC2\x93Merhaba\xC2\x94");
    o.encoding = TextEncoding::Windows1254;
    EXPECT_EQ(readCorpus(p1254, o).records[0].text, "“Merhaba”");
}

TEST(CorpusEncoding, Utf16WithoutBomAndDecodeHelper) {
    const std::string p = write("enc_u16nobom.txt", pythonEncode("ağaç\nkuş\n", "utf-16-le"));
    Corpus c = readCorpus(p);
    EXPECT_EQ(c.info.encoding, TextEncoding::Utf16LE);
    EXPECT_EQ(c.texts(), (std::vector<std::string>{"ağaç", "kuş"}));
    EXPECT_EQ(decodeToUtf8("\xFD\xFE\xF0", TextEncoding::Windows1254), "ışğ");
    EXPECT_THROW(decodeToUtf8("\xFD", TextEncoding::Utf8), Error);
    EXPECT_THROW(parseEncoding("ebcdic"), Error);
}

TEST(CorpusEncoding, MixedEncodingsNameTheFirstBadLine) {
    // detection looks at the first 64 KiB: 1000 lines of 100 bytes, then UTF-8, then a cp1254 line
    std::string utf8Start;
    for (int i = 0; i < 1000; ++i) utf8Start += std::string(99, 'a') + "\n";
    const std::string mixed = utf8Start + "çok güzel\nikinci\n" + pythonEncode("ağaç\n", "cp1254");
    const std::string p = write("mixed1.txt", mixed);
    const std::string e = errorOf([&] { readCorpus(p); });
    EXPECT_NE(e.find("mixed1.txt:1003: this line is not valid UTF-8"), std::string::npos) << e;
    EXPECT_NE(e.find("mixed encodings"), std::string::npos) << e;
    // the other way round: an 8-bit file with a UTF-8 line further down
    const std::string p2 = write("mixed2.txt", pythonEncode("ağaç\nkuş\n", "cp1254") + "güzel çiçek\n");
    const std::string e2 = errorOf([&] { readCorpus(p2); });
    EXPECT_NE(e2.find("mixed2.txt:3: this line is UTF-8"), std::string::npos) << e2;
}

TEST(CorpusBadInput, BinaryEmptyMissing) {
    const std::string bin = write("bin.txt", std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0", 20));
    const std::string e = errorOf([&] { readCorpus(bin); });
    EXPECT_NE(e.find("looks like a binary file"), std::string::npos) << e;
    const std::string empty = write("empty.txt", "");
    EXPECT_NE(errorOf([&] { readCorpus(empty); }).find("empty corpus"), std::string::npos);
    const std::string blanks = write("blanks.txt", "\n  \n\t\n");
    EXPECT_NE(errorOf([&] { readCorpus(blanks); }).find("empty corpus"), std::string::npos);
    EXPECT_NE(errorOf([&] { readCorpus(scratch("nope.txt")); }).find("no such file"), std::string::npos);
}

TEST(CorpusText, UnitsLinesParagraphsSentences) {
    const std::string p = write("units.md",
                                "# Başlık\n\nDr. Ayşe Yılmaz geldi. Prof. Dr. Mehmet Öz 15. yüzyıl\n"
                                "tarihini anlattı. Sonra gitti.\n\n\nİkinci paragraf... Bitti!\n");
    CorpusOptions o;
    EXPECT_EQ(readCorpus(p, o).records.size(), 4u);  // lines
    o.unit = TextUnit::Paragraphs;
    auto par = readCorpus(p, o);
    ASSERT_EQ(par.records.size(), 3u);
    EXPECT_EQ(par.records[1].text,
              "Dr. Ayşe Yılmaz geldi. Prof. Dr. Mehmet Öz 15. yüzyıl tarihini anlattı. Sonra gitti.");
    EXPECT_EQ(par.records[1].line, 3);
    EXPECT_EQ(par.records[2].line, 7);
    o.unit = TextUnit::Sentences;
    auto sen = readCorpus(p, o);
    EXPECT_EQ(sen.texts(), (std::vector<std::string>{"# Başlık", "Dr. Ayşe Yılmaz geldi.",
                                                     "Prof. Dr. Mehmet Öz 15. yüzyıl tarihini anlattı.", "Sonra gitti.",
                                                     "İkinci paragraf...", "Bitti!"}));
}

TEST(CorpusText, TurkishSentenceSplitting) {
    auto s = splitSentences(
        "Av. Kemal Bey, No. 5'te oturur. Elma, armut vb. Sonra eve döndük. Fiyat 3.5 TL oldu. "
        "A. Hamdi Tanpınar okudu… Ardından “Geldim.” dedi. Peki ya sen? “Ben de!” Bkz. Ek 2. "
        "Toplantı vs. yapıldı. Şirket X A.Ş. Genel Müdürü konuştu. Neden?! Bilmiyorum.");
    const std::vector<std::string> expected = {
        "Av. Kemal Bey, No. 5'te oturur.",
        "Elma, armut vb.",
        "Sonra eve döndük.",
        "Fiyat 3.5 TL oldu.",
        "A. Hamdi Tanpınar okudu…",
        "Ardından “Geldim.” dedi.",
        "Peki ya sen?",
        "“Ben de!”",
        "Bkz. Ek 2.",
        "Toplantı vs. yapıldı.",
        "Şirket X A.Ş. Genel Müdürü konuştu.",
        "Neden?!",
        "Bilmiyorum."};
    EXPECT_EQ(s, expected);
    EXPECT_EQ(splitSentences("Tek cümle"), (std::vector<std::string>{"Tek cümle"}));
    EXPECT_EQ(splitSentences("1990. Sonra 2000 geldi."), (std::vector<std::string>{"1990.", "Sonra 2000 geldi."}));
    EXPECT_TRUE(splitSentences("   ").empty());
}

TEST(CorpusText, TurkishCasing) {
    EXPECT_EQ(turkishLower("İSTANBUL IĞDIR ÇÖŞÜ"), "istanbul ığdır çöşü");
    EXPECT_EQ(turkishUpper("istanbul ığdır çöşü"), "İSTANBUL IĞDIR ÇÖŞÜ");
    EXPECT_EQ(turkishUpper(turkishLower("Iİıi")), "IİIİ");
    EXPECT_TRUE(startsUpper("İzmir"));
    EXPECT_TRUE(startsUpper("Çorum"));
    EXPECT_FALSE(startsUpper("ılık"));
    EXPECT_FALSE(startsUpper("3 kedi"));
}

TEST(CorpusTable, CsvRfc4180ColumnsByNameAndIndex) {
    const std::string p = write("t.csv",
                                "id,metin,etiket\r\n1,\"Merhaba, dünya\",selam\r\n2,\"Çok \"\"güzel\"\"\nbir gün\",övgü\r\n"
                                "3,Sade metin,nötr\r\n");
    CorpusOptions o;
    o.labelColumn = "etiket";
    auto c = readCorpus(p, o);  // text column found by name: metin
    EXPECT_EQ(c.info.format, CorpusFormat::Csv);
    EXPECT_EQ(c.info.columns, (std::vector<std::string>{"id", "metin", "etiket"}));
    ASSERT_EQ(c.records.size(), 3u);
    EXPECT_EQ(c.records[0].text, "Merhaba, dünya");
    EXPECT_EQ(c.records[1].text, "Çok \"güzel\"\nbir gün");
    EXPECT_EQ(c.records[1].label, "övgü");
    EXPECT_EQ(c.records[2].line, 5);
    EXPECT_EQ(c.info.stats.distinctLabels, 3);
    o.textColumn = "0";
    o.labelColumn = "2";
    EXPECT_EQ(readCorpus(p, o).records[2].text, "3");
    o.textColumn = "yorum";
    const std::string e = errorOf([&] { readCorpus(p, o); });
    EXPECT_NE(e.find("no column 'yorum'"), std::string::npos) << e;
    EXPECT_NE(e.find("'metin'"), std::string::npos) << e;
    const std::string unterminated = write("u.csv", "text\n\"açık tırnak\nhiç kapanmıyor\n");
    EXPECT_NE(errorOf([&] { readCorpus(unterminated); }).find("u.csv:2: a CSV quote opened here is never closed"),
              std::string::npos);
    const std::string missing = write("m.csv", "text,label\nbir,iki\nüç\n");
    CorpusOptions lo;
    lo.labelColumn = "label";
    const std::string e2 = errorOf([&] { readCorpus(missing, lo); });
    EXPECT_NE(e2.find("m.csv:3: missing column"), std::string::npos) << e2;
}

TEST(CorpusTable, TsvRaggedAndNoHeader) {
    const std::string p = write("t.tsv", "text\tlabel\nbir\tA\niki\tB\nüç\n");
    const std::string e = errorOf([&] { readCorpus(p); });
    EXPECT_NE(e.find("t.tsv:4: ragged TSV: 1 fields where the header has 2"), std::string::npos) << e;
    const std::string q = write("q.tsv", "bir\tA\niki\tB\n");
    CorpusOptions o;
    o.header = false;
    o.labelColumn = "1";
    auto c = readCorpus(q, o);
    EXPECT_EQ(c.texts(), (std::vector<std::string>{"bir", "iki"}));
    EXPECT_EQ(c.records[1].label, "B");
}

TEST(CorpusTable, JsonlFields) {
    const std::string p = write("t.jsonl",
                                "{\"text\": \"Birinci\", \"meta\": {\"lang\": \"tr\"}, \"y\": 1}\n\n"
                                "{\"text\": \"İkinci\", \"meta\": {\"lang\": \"en\"}, \"y\": 2}\n");
    CorpusOptions o;
    o.labelColumn = "meta.lang";
    auto c = readCorpus(p, o);
    EXPECT_EQ(c.texts(), (std::vector<std::string>{"Birinci", "İkinci"}));
    EXPECT_EQ(c.records[1].label, "en");
    EXPECT_EQ(c.records[1].line, 3);
    o.labelColumn = "y";
    EXPECT_EQ(readCorpus(p, o).records[0].label, "1");
    o.textColumn = "body";
    EXPECT_NE(errorOf([&] { readCorpus(p, o); }).find("t.jsonl:1: missing field 'body'"), std::string::npos);
    const std::string bad = write("bad.jsonl", "{\"text\": \"a\"}\n{\"text\": \n");
    EXPECT_NE(errorOf([&] { readCorpus(bad); }).find("bad.jsonl:2: not valid JSON"), std::string::npos);
}

TEST(CorpusTable, JsonlDefaultTextFieldAndColumns) {
    // Without a chosen field, the text is the field a table's text column would be (here "Metin", any
    // case), else the first field; the first object's fields (nested as a.b) are the columns — the
    // same for the CLI's tasks and the app (which lists them in its field chooser).
    const std::string p = write("m.jsonl",
                                "{\"id\": 7, \"meta\": {\"src\": \"x\"}, \"Metin\": \"Kedi\", \"tags\": [1]}\n"
                                "{\"id\": 8, \"meta\": {\"src\": \"y\"}, \"Metin\": \"Köpek\"}\n");
    Corpus c = readCorpus(p);
    EXPECT_EQ(c.texts(), (std::vector<std::string>{"Kedi", "Köpek"}));
    EXPECT_EQ(c.info.columns, (std::vector<std::string>{"Metin", "id", "meta.src"}));  // nlohmann orders keys
    EXPECT_EQ(c.info.textColumn, 0);
    EXPECT_EQ(c.info.labelColumn, -1);
    const std::string q = write("first.jsonl", "{\"b\": \"birinci\", \"a\": \"ikinci\"}\n");
    EXPECT_EQ(readCorpus(q).texts(), (std::vector<std::string>{"ikinci"}));  // no known name: the first field ("a")
    CorpusOptions o;
    o.labelColumn = "meta.src";
    const Corpus l = readCorpus(p, o);
    EXPECT_EQ(l.info.labelColumn, 2);
    EXPECT_EQ(l.records[1].label, "y");
}

TEST(CorpusStats, DedupeAndStatistics) {
    const std::string p = write("dup.txt", "Kedi uyuyor.\n  Kedi uyuyor.  \nKEDİ uyuyor.\n\nköpek\n");
    CorpusOptions o;
    o.dedupe = true;
    auto c = readCorpus(p, o);
    EXPECT_EQ(c.records.size(), 3u);
    const auto& s = c.info.stats;
    EXPECT_EQ(s.duplicatesRemoved, 1);
    EXPECT_EQ(s.emptySkipped, 1);
    EXPECT_EQ(s.lines, 5);
    EXPECT_EQ(s.words, 5);
    EXPECT_EQ(s.uniqueWords, 3);  // kedi (İ folded), uyuyor., köpek
    EXPECT_EQ(s.chars, 12 + 12 + 5);
    EXPECT_EQ(s.minChars, 5);
    EXPECT_EQ(s.maxChars, 12);
}

TEST(CorpusStreaming, LargeFileStreamsWithProgressAndCancel) {
    // ~24 MB: streamed in 1 MiB chunks; the sink sees every record once; progress reaches 1
    const std::string p = scratch("big.txt");
    {
        std::ofstream f(p, std::ios::binary | std::ios::trunc);
        const std::string line = "Bu satır akış testinde kullanılan uzunca bir Türkçe cümledir; sayısı çoktur.\n";
        for (int i = 0; i < 300000; ++i) f << line;
    }
    Progress progress;
    int64_t n = 0;
    auto info = streamCorpus(p, {}, [&](CorpusRecord&&) { ++n; }, progress);
    EXPECT_EQ(n, 300000);
    EXPECT_EQ(info.stats.records, 300000);
    EXPECT_DOUBLE_EQ(progress.snapshot().fraction, 1.0);
    Progress cancel;
    int64_t seen = 0;
    try {
        streamCorpus(p, {}, [&](CorpusRecord&&) {
            if (++seen == 1000) cancel.cancel();
        }, cancel);
        FAIL() << "not cancelled";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
    EXPECT_LT(seen, 300000);
    CorpusOptions o;
    o.maxRecords = 10;
    EXPECT_EQ(readCorpus(p, o).records.size(), 10u);
}
