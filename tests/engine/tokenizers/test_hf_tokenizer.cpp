// Hugging Face tokenizer.json: fixture tokenizers (Gemma 3, GPT-4o, Llama 3, Qwen 3) against the
// reference encodings, small hand-written WordPiece/Unigram/BPE files, and bad input.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "test_paths.h"
#include "engine/tokenizers/hf_tokenizer.h"
#include "engine/tokenizers/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

using embedlab::Encoding;
using embedlab::Error;
using embedlab::Tokenizer;
using embedlab::TokenType;
using nlohmann::json;

namespace {

const Tokenizer& fixtureTokenizer(const std::string& name) {
    static std::mutex mu;
    static std::map<std::string, std::unique_ptr<Tokenizer>> cache;
    std::lock_guard<std::mutex> lock(mu);
    auto& t = cache[name];
    if (!t) t = embedlab::loadHfTokenizer(embedlab::test::fixture("tokenizers/" + name + "/tokenizer.json.gz"));
    return *t;
}

std::vector<int64_t> ids(const json& j) { return j.get<std::vector<int64_t>>(); }

class HfFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(HfFixture, MatchesReferenceEncodingsAndDecodes) {
    const std::string name = GetParam();
    const Tokenizer& tok = fixtureTokenizer(name);
    const json exp = json::parse(
        embedlab::readFile(embedlab::test::fixture("tokenizers/" + name + "/expected_encodings.json")));
    int pass = 0, total = 0;
    for (const auto& item : exp["items"]) {
        ++total;
        const std::string text = item["text"].get<std::string>();
        const Encoding noSpecial = tok.encode(text, false);
        const Encoding withSpecial = tok.encode(text, true);
        const auto withIds = ids(item["ids_with_special_tokens"]);
        bool ok = true;
        ok &= noSpecial.ids == ids(item["ids_no_special_tokens"]);
        ok &= withSpecial.ids == withIds;
        ok &= noSpecial.tokens == item["tokens_no_special_tokens"].get<std::vector<std::string>>();
        ok &= tok.decode(withIds, false) == item["decoded_with_special_tokens"].get<std::string>();
        ok &= tok.decode(withIds, true) == item["decoded_skip_special_tokens"].get<std::string>();
        EXPECT_EQ(noSpecial.ids, ids(item["ids_no_special_tokens"])) << name << ": " << text;
        EXPECT_EQ(withSpecial.ids, withIds) << name << ": " << text;
        EXPECT_EQ(noSpecial.tokens, item["tokens_no_special_tokens"].get<std::vector<std::string>>()) << name << ": " << text;
        EXPECT_EQ(tok.decode(withIds, false), item["decoded_with_special_tokens"].get<std::string>()) << name << ": " << text;
        EXPECT_EQ(tok.decode(withIds, true), item["decoded_skip_special_tokens"].get<std::string>()) << name << ": " << text;
        // shape invariants
        EXPECT_EQ(noSpecial.tokens.size(), noSpecial.ids.size());
        EXPECT_EQ(noSpecial.types.size(), noSpecial.ids.size());
        EXPECT_EQ(noSpecial.offsets.size(), noSpecial.ids.size());
        for (const auto& [b, e] : noSpecial.offsets) {
            EXPECT_LE(b, e);
            EXPECT_LE(e, text.size());
        }
        pass += ok;
    }
    std::printf("[ fixture  ] %s: %d/%d sentences match (ids with/without specials, tokens, decodes)\n", name.c_str(),
                pass, total);
    EXPECT_EQ(pass, total);
    EXPECT_GT(total, 40);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HfFixture, ::testing::Values("gemma3", "gpt4o", "llama3", "qwen3"));

TEST(HfTokenizer, FixtureMetadata) {
    const Tokenizer& g = fixtureTokenizer("gemma3");
    EXPECT_EQ(g.kind(), "hf-bpe");
    EXPECT_EQ(g.name(), "gemma3");
    EXPECT_EQ(g.vocabSize(), 262145);  // 262,144 + <image_soft_token>
    EXPECT_EQ(g.bosId(), 2);
    EXPECT_EQ(g.tokenToId("<bos>"), 2);
    EXPECT_EQ(g.idToToken(2), "<bos>");
    EXPECT_EQ(g.tokenType(2), TokenType::Special);
    EXPECT_EQ(g.idToToken(-1), "");
    EXPECT_EQ(g.idToToken(1 << 30), "");
    EXPECT_FALSE(g.tokenToId("no such token here").has_value());
    const auto byteId = g.tokenToId("<0xE2>");
    ASSERT_TRUE(byteId.has_value());
    EXPECT_EQ(g.tokenType(*byteId), TokenType::Byte);
    EXPECT_EQ(g.tokenType(*g.unkId()), TokenType::Special);  // <unk> is a special added token in Gemma 3

    // Offsets map tokens back to the input: "Merhaba dünya!" → Merhaba | ▁dünya | !
    const Encoding e = g.encode("Merhaba dünya!", true);
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e.types[0], TokenType::Special);
    EXPECT_EQ(e.offsets[0], (std::pair<size_t, size_t>{0, 0}));
    EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{0, 7}));
    EXPECT_EQ(e.offsets[2], (std::pair<size_t, size_t>{7, 14}));
    EXPECT_EQ(e.offsets[3], (std::pair<size_t, size_t>{14, 15}));

    const Encoding l = fixtureTokenizer("llama3").encode("Merhaba dünya!", false);
    ASSERT_EQ(l.size(), 5u);
    EXPECT_EQ(l.offsets[3], (std::pair<size_t, size_t>{7, 14}));  // "Ġdünya"
}

TEST(HfTokenizer, SpecialTokensInTextAreMatchedBeforeTheModel) {
    const Tokenizer& g = fixtureTokenizer("gemma3");
    const Encoding e = g.encode("<start_of_turn>user\nMerhaba<end_of_turn>", false);
    ASSERT_GE(e.size(), 3u);
    EXPECT_EQ(e.ids.front(), 105);
    EXPECT_EQ(e.ids.back(), 106);
    EXPECT_EQ(g.decode(e.ids, true), "user\nMerhaba");
    EXPECT_EQ(g.decode(e.ids, false), "<start_of_turn>user\nMerhaba<end_of_turn>");

    const Tokenizer& q = fixtureTokenizer("qwen3");
    const Encoding qe = q.encode("a<|im_start|>b<think>c", false);
    EXPECT_EQ(qe.ids, (std::vector<int64_t>{64, 151644, 65, *q.tokenToId("<think>"), 66}));
    EXPECT_EQ(q.decode(qe.ids, true), "ab<think>c");  // <think> is an added but not a special token
}

TEST(HfTokenizer, EmptyInput) {
    for (const char* n : {"gemma3", "gpt4o", "llama3", "qwen3"}) {
        const Tokenizer& t = fixtureTokenizer(n);
        EXPECT_EQ(t.encode("", false).size(), 0u) << n;
        EXPECT_EQ(t.decode({}, false), "") << n;
    }
    EXPECT_EQ(fixtureTokenizer("gemma3").encode("", true).ids, (std::vector<int64_t>{2}));
}

TEST(HfTokenizer, InvalidUtf8IsReplacedNotFatal) {
    const Tokenizer& l = fixtureTokenizer("llama3");
    const std::string bad = std::string("ka\xC3") + "\x28" + "lem\xFF";
    const Encoding e = l.encode(bad, false);
    EXPECT_GT(e.size(), 0u);
    EXPECT_EQ(l.decode(e.ids, true), "ka\xEF\xBF\xBD(lem\xEF\xBF\xBD");
    const Tokenizer& g = fixtureTokenizer("gemma3");
    EXPECT_EQ(g.decode(g.encode(bad, false).ids, true), "ka\xEF\xBF\xBD(lem\xEF\xBF\xBD");
    // Decoding a lone byte token gives U+FFFD, as the reference's ByteFallback does.
    EXPECT_EQ(g.decode({*g.tokenToId("<0xE2>")}, true), "\xEF\xBF\xBD");
    // Out-of-range ids are skipped by decode.
    EXPECT_EQ(l.decode({-5, 1 << 30}, false), "");
}

TEST(HfTokenizer, LongSingleLineIsNotQuadratic) {
#ifdef EMBEDLAB_SANITIZED
    GTEST_SKIP() << "a scaling measurement; under the sanitizers it takes minutes and measures them";
#endif
    // Linear, not quadratic, in the line's length, whatever the machine's speed: a line 4× as long
    // takes less than 10× as long (quadratic would be 16×). Both sizes lie beyond the caches: on an
    // AMD EPYC Llama 3's encoder ran 11× slower from 2 to 8 MB (2 MB still fit), but 3.6× from 4 to 16.
    const std::string unit = "Çekoslovakyalılaştıramadıklarımızdan mışsınız, kitaplarınızı bıraktım. ";
    auto lineOf = [&](size_t bytes) {
        std::string line;
        while (line.size() < bytes) line += unit;
        return line;
    };
    const std::string small = lineOf(4u << 20), large = lineOf(16u << 20);
    for (const char* n : {"gemma3", "llama3"}) {
        const Tokenizer& t = fixtureTokenizer(n);
        auto timed = [&](const std::string& line) {
            const auto t0 = std::chrono::steady_clock::now();
            const Encoding e = t.encode(line, false);
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            EXPECT_GT(e.size(), line.size() / 20) << n;
            EXPECT_EQ(t.decode(e.ids, true), line) << n;
            return s;
        };
        // Each size twice, the faster kept: the first run of a size also pays for fresh memory.
        const double s1 = std::min(timed(small), timed(small)), s4 = std::min(timed(large), timed(large));
        EXPECT_LT(s4, 10.0 * s1 + 0.05) << n << ": 4 MB " << s1 << " s, 16 MB " << s4 << " s";
        std::printf("[ long     ] %s: 4 MB line in %.2f s, 16 MB in %.2f s\n", n, s1, s4);
    }
    // One 4 MB "word" with no spaces at all.
    const std::string word(4u << 20, 'a');
    const Encoding e = fixtureTokenizer("gemma3").encode(word, false);
    EXPECT_EQ(fixtureTokenizer("gemma3").decode(e.ids, true), word);
}

// ---- small hand-written tokenizer.json files ----

std::unique_ptr<Tokenizer> fromJson(const json& j, const std::string& config = "") {
    return embedlab::loadHfTokenizerFromString(j.dump(), config, "test");
}

json addedToken(int id, const std::string& content, bool special, bool lstrip = false, bool rstrip = false,
                bool singleWord = false, bool normalized = false) {
    return {{"id", id},         {"content", content}, {"special", special},          {"lstrip", lstrip},
            {"rstrip", rstrip}, {"single_word", singleWord}, {"normalized", normalized}};
}

json bertJson() {
    return {{"version", "1.0"},
            {"added_tokens", json::array({addedToken(0, "[PAD]", true), addedToken(1, "[UNK]", true),
                                          addedToken(2, "[CLS]", true), addedToken(3, "[SEP]", true),
                                          addedToken(9, "[MASK]", true, true)})},
            {"normalizer",
             {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
              {"strip_accents", nullptr}, {"lowercase", true}}},
            {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
            {"post_processor", {{"type", "BertProcessing"}, {"sep", {"[SEP]", 3}}, {"cls", {"[CLS]", 2}}}},
            {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
            {"model",
             {{"type", "WordPiece"},
              {"unk_token", "[UNK]"},
              {"continuing_subword_prefix", "##"},
              {"max_input_chars_per_word", 100},
              {"vocab",
               {{"[PAD]", 0}, {"[UNK]", 1}, {"[CLS]", 2}, {"[SEP]", 3}, {"kitap", 4}, {"##lar", 5}, {"##ı", 6},
                {"!", 7}, {"ev", 8}, {"[MASK]", 9}, {"istanbul", 10}, {"##da", 11}, {"'", 12}}}}}};
}

TEST(HfTokenizer, WordPieceBert) {
    auto t = fromJson(bertJson());
    EXPECT_EQ(t->kind(), "hf-wordpiece");
    const Encoding e = t->encode("Kitapları EV!", true);
    EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 4, 5, 6, 8, 7, 3}));
    EXPECT_EQ(e.tokens, (std::vector<std::string>{"[CLS]", "kitap", "##lar", "##ı", "ev", "!", "[SEP]"}));
    EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{0, 5}));
    EXPECT_EQ(e.offsets[4], (std::pair<size_t, size_t>{11, 13}));
    EXPECT_EQ(t->decode(e.ids, true), "kitapları ev!");
    EXPECT_EQ(t->decode(e.ids, false), "[CLS] kitapları ev! [SEP]");
    // İ → i̇ → (accents stripped) i ; unknown words become [UNK]
    EXPECT_EQ(t->encode("İSTANBUL'da xyz", false).ids, (std::vector<int64_t>{10, 12, 1, 1}));  // "da" alone is unknown
    // lstrip on [MASK] swallows the space before it
    const Encoding m = t->encode("ev [MASK]!", false);
    EXPECT_EQ(m.ids, (std::vector<int64_t>{8, 9, 7}));
    EXPECT_EQ(m.offsets[1], (std::pair<size_t, size_t>{2, 9}));
}

TEST(HfTokenizer, UnigramWithMetaspaceAndTemplate) {
    json j = {{"added_tokens", json::array({addedToken(0, "<unk>", true), addedToken(1, "<s>", true),
                                            addedToken(2, "</s>", true)})},
              {"normalizer", {{"type", "Sequence"}, {"normalizers", json::array({{{"type", "NFKC"}}})}}},
              {"pre_tokenizer",
               {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}, {"split", true}}},
              {"post_processor",
               {{"type", "TemplateProcessing"},
                {"single", json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                        {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                                        {{"SpecialToken", {{"id", "</s>"}, {"type_id", 0}}}}})},
                {"special_tokens",
                 {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}},
                  {"</s>", {{"id", "</s>"}, {"ids", {2}}, {"tokens", {"</s>"}}}}}}}},
              {"decoder", {{"type", "Metaspace"}, {"replacement", "▁"}, {"prepend_scheme", "always"}}},
              {"model",
               {{"type", "Unigram"},
                {"unk_id", 0},
                {"byte_fallback", false},
                {"vocab", json::array({{"<unk>", 0.0}, {"<s>", 0.0}, {"</s>", 0.0}, {"▁ev", -1.0}, {"▁", -2.0},
                                       {"e", -3.0}, {"v", -3.0}, {"ler", -1.5}, {"l", -4.0}, {"r", -4.0},
                                       {"▁evler", -5.0}, {"de", -2.0}})}}}};
    auto t = fromJson(j);
    EXPECT_EQ(t->kind(), "hf-unigram");
    const Encoding e = t->encode("evler evde", true);
    EXPECT_EQ(e.tokens, (std::vector<std::string>{"<s>", "▁ev", "ler", "▁ev", "de", "</s>"}));
    EXPECT_EQ(t->decode(e.ids, true), "evler evde");
    // unknown characters fuse into one <unk>
    const Encoding u = t->encode("evxyz", false);
    EXPECT_EQ(u.ids, (std::vector<int64_t>{3, 0}));
    EXPECT_EQ(u.types[1], TokenType::Unknown);
    // NFKC: the ligature "ﬁ" is two unknown letters here; fullwidth "ｅｖ" becomes "ev"
    EXPECT_EQ(t->encode("ｅｖ", false).ids, (std::vector<int64_t>{3}));
}

TEST(HfTokenizer, ByteLevelBpeWithPrefixSpaceAndAddedTokenFlags) {
    // A tiny GPT-2-style tokenizer: ByteLevel pre-tokenizer (with its own regex) and decoder.
    json vocab = json::object();
    int next = 0;
    const std::vector<std::string> alphabet = {"Ġ", "e", "v", "l", "r", "!", "a", "Ã", "¼"};
    for (const auto& a : alphabet) vocab[a] = next++;
    for (const auto& m : {"Ġe", "Ġev", "le", "ler"}) vocab[m] = next++;
    vocab["<|end|>"] = next++;
    json j = {{"added_tokens", json::array({addedToken(vocab["<|end|>"].get<int>(), "<|end|>", true, false, true, true)})},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}},
              {"decoder", {{"type", "ByteLevel"}}},
              {"model",
               {{"type", "BPE"},
                {"vocab", vocab},
                {"merges", json::array({"Ġ e", json::array({"Ġe", "v"}), "l e", "le r"})}}}};
    auto t = fromJson(j);
    const Encoding e = t->encode("evler!", false);
    EXPECT_EQ(e.tokens, (std::vector<std::string>{"Ġev", "ler", "!"}));
    EXPECT_EQ(e.offsets[0], (std::pair<size_t, size_t>{0, 2}));
    EXPECT_EQ(t->decode(e.ids, false), " evler!");
    // single_word: "<|end|>" inside a word is not an added token; rstrip eats the following spaces
    const Encoding s = t->encode("ev <|end|>  ev", false);
    EXPECT_EQ(s.tokens, (std::vector<std::string>{"Ġev", "Ġ", "<|end|>", "Ġev"}));
    const Encoding w = t->encode("ev<|end|>", false);
    for (const auto& tk : w.tokens) EXPECT_NE(tk, "<|end|>");
}

// ---- malformed files ----

void expectBadInput(const std::string& text, const std::string& needle) {
    try {
        embedlab::loadHfTokenizerFromString(text, "", "bad");
        ADD_FAILURE() << "no error for: " << text.substr(0, 200);
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(HfTokenizer, MalformedFilesGiveClearErrors) {
    expectBadInput("", "not valid JSON");
    expectBadInput("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}", "not valid JSON");
    expectBadInput("[1,2,3]", "not an object");
    expectBadInput("{\"version\": \"1.0\"}", "no \"model\"");
    expectBadInput(R"({"model": {"type": "Foo", "vocab": {"a": 0}}})", "'Foo'");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0}}})", "without \"merges\"");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})",
                   "not in the vocabulary");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b c"]}})", "merges");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a"]]}})", "merges");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}})", "vocab");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 0}, "merges": []}})", "twice");
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": -3}, "merges": []}})", "invalid id");
    // Found by fuzz_hf_tokenizer: a field of the wrong type escaped as nlohmann's type_error.
    expectBadInput(R"({"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": true, "type_id": 0}}], "pair": [], "special_tokens": {}}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "wrong type");
    // Found by fuzz_hf_tokenizer: one id of two billion sized a 64 GB table.
    expectBadInput(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 2000000000}, "merges": []}})",
                   "2 tokens but an id of 2000000000");
    expectBadInput(R"({"normalizer": {"type": "Magic"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "'Magic'");
    expectBadInput(R"({"pre_tokenizer": {"type": "UnicodeScripts"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "'UnicodeScripts'");
    expectBadInput(R"({"decoder": {"type": "CTC"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "'CTC'");
    expectBadInput(R"({"post_processor": {"type": "Odd"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "'Odd'");
    expectBadInput(R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(["}, "behavior": "Isolated"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}})",
                   "invalid regex");
    expectBadInput(R"({"model": {"type": "WordPiece", "vocab": {"a": 0}}})", "unk_token");
    expectBadInput(R"({"model": {"type": "Unigram", "vocab": [["a"]]}})", "Unigram");
}

TEST(HfTokenizer, MissingAndCorruptFiles) {
    EXPECT_THROW(embedlab::loadHfTokenizer("/nonexistent/tokenizer.json"), Error);
    const std::string p = embedlab::test::tmpDir() + "/hf_corrupt_tokenizer.json.gz";
    embedlab::writeFileAtomic(p, std::string("\x1f\x8b\x08\x00garbage", 12));
    try {
        embedlab::loadHfTokenizer(p);
        ADD_FAILURE() << "corrupt gzip accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
}

// ---- loadTokenizer dispatch and helpers ----

TEST(LoadTokenizer, Dispatch) {
    EXPECT_EQ(embedlab::loadTokenizer(embedlab::test::fixture("tokenizers/qwen3"))->kind(), "hf-bpe");
    EXPECT_EQ(embedlab::loadTokenizer(embedlab::test::fixture("sentencepiece/tr_unigram_2k.model"))->kind(),
              "sentencepiece");
    try {
        embedlab::loadTokenizer(embedlab::test::fixture("tokenizers/sentences.json.missing"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
    try {
        embedlab::loadTokenizer(embedlab::test::fixture("sentencepiece"));  // a folder with no tokenizer
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
    }
    try {
        embedlab::loadTokenizer(embedlab::test::fixture("README.md"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("expected"), std::string::npos) << e.what();
    }
}

TEST(Utf8, SanitizeLikePythonReplace) {
    struct Case {
        std::string in, out;
        size_t n;
    };
    const std::string R = "\xEF\xBF\xBD";
    const std::vector<Case> cases = {
        {"", "", 0},
        {"çğıöşü İ", "çğıöşü İ", 0},
        {"a\xFF" "b", "a" + R + "b", 1},
        {"\xE0\x80", R + R, 2},                 // overlong lead: each byte is its own maximal subpart
        {"\xF0\x9F\x98", R, 1},                 // truncated 4-byte sequence: one replacement
        {"\xF0\x9F\x98" "a", R + "a", 1},
        {"\xED\xA0\x80", R + R + R, 3},         // surrogate
        {"\xC3\x28", R + "(", 1},
        {"\x80\x80", R + R, 2},
        {"\xF4\x90\x80\x80", R + R + R + R, 4}, // above U+10FFFF
        {"\xE2\x82", R, 1},
    };
    for (const auto& c : cases) {
        std::string s = c.in;
        EXPECT_EQ(embedlab::sanitizeUtf8(s), c.n);
        EXPECT_EQ(s, c.out);
    }
    EXPECT_STREQ(embedlab::tokenTypeName(TokenType::Byte), "byte");
    EXPECT_STREQ(embedlab::tokenTypeName(TokenType::Special), "special");
    EXPECT_STREQ(embedlab::tokenTypeName(TokenType::Root), "root");
}

}  // namespace
