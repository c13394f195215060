// SentencePiece .model as a Tokenizer: the fixture models against libsentencepiece's reference output.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "test_paths.h"
#include "engine/tokenizers/sentencepiece_tokenizer.h"
#include "engine/tokenizers/tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using embedlab::Encoding;
using embedlab::Error;
using embedlab::TokenType;
using nlohmann::json;

namespace {

class SpFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(SpFixture, MatchesLibSentencePiece) {
    const std::string name = GetParam();
    auto tok = embedlab::loadSentencePieceTokenizer(embedlab::test::fixture("sentencepiece/" + name + ".model"));
    EXPECT_EQ(tok->kind(), "sentencepiece");
    EXPECT_EQ(tok->name(), name);
    const json exp = json::parse(embedlab::readFile(embedlab::test::fixture("sentencepiece/" + name + ".expected.json")));
    EXPECT_EQ(tok->vocabSize(), exp["vocab_size"].get<int64_t>());
    EXPECT_EQ(tok->bosId(), exp["bos_id"].get<int64_t>());
    EXPECT_EQ(tok->eosId(), exp["eos_id"].get<int64_t>());
    EXPECT_EQ(tok->unkId(), exp["unk_id"].get<int64_t>());
    EXPECT_FALSE(tok->padId().has_value());
    int pass = 0, total = 0;
    for (const auto& item : exp["items"]) {
        ++total;
        const std::string text = item["text"].get<std::string>();
        const auto ids = item["ids"].get<std::vector<int64_t>>();
        const Encoding e = tok->encode(text, false);
        const Encoding s = tok->encode(text, true);
        bool ok = e.ids == ids && e.tokens == item["pieces"].get<std::vector<std::string>>() &&
                  s.ids == item["ids_with_bos_eos"].get<std::vector<int64_t>>() &&
                  tok->decode(ids, true) == item["decoded"].get<std::string>();
        EXPECT_EQ(e.ids, ids) << text;
        EXPECT_EQ(e.tokens, item["pieces"].get<std::vector<std::string>>()) << text;
        EXPECT_EQ(s.ids, item["ids_with_bos_eos"].get<std::vector<int64_t>>()) << text;
        EXPECT_EQ(tok->decode(ids, true), item["decoded"].get<std::string>()) << text;
        EXPECT_EQ(tok->decode(s.ids, false), item["decoded"].get<std::string>()) << text;
        ASSERT_EQ(e.offsets.size(), e.ids.size());
        for (size_t i = 0; i < e.size(); ++i) {
            EXPECT_LE(e.offsets[i].first, e.offsets[i].second);
            EXPECT_LE(e.offsets[i].second, text.size());
            if (i) {
                EXPECT_GE(e.offsets[i].first, e.offsets[i - 1].first);
            }
        }
        pass += ok;
    }
    std::printf("[ fixture  ] %s: %d/%d sentences match (ids, pieces, ids_with_bos_eos, decoded)\n", name.c_str(),
                pass, total);
    EXPECT_EQ(pass, total);
}

INSTANTIATE_TEST_SUITE_P(Models, SpFixture, ::testing::Values("tr_bpe_2k_bytefallback", "tr_unigram_2k"));

TEST(SentencePieceTokenizer, TypesOffsetsAndEdgeCases) {
    auto tok = embedlab::loadSentencePieceTokenizer(
        embedlab::test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"));
    EXPECT_EQ(tok->tokenType(0), TokenType::Unknown);
    EXPECT_EQ(tok->tokenType(1), TokenType::Special);
    EXPECT_EQ(tok->tokenType(2), TokenType::Special);
    EXPECT_EQ(tok->tokenType(*tok->tokenToId("<0xE2>")), TokenType::Byte);
    EXPECT_EQ(tok->tokenType(*tok->tokenToId("▁M")), TokenType::Normal);
    EXPECT_EQ(tok->tokenType(-1), TokenType::Unknown);
    EXPECT_EQ(tok->idToToken(1 << 20), "");
    EXPECT_FALSE(tok->tokenToId("definitely not a piece").has_value());

    const Encoding e = tok->encode("Merhaba dünya!", true);
    EXPECT_EQ(e.types.front(), TokenType::Special);
    EXPECT_EQ(e.types.back(), TokenType::Special);
    // "▁M" covers "M" (the dummy prefix is not in the input), "▁d" covers " d"
    EXPECT_EQ(e.offsets[1], (std::pair<size_t, size_t>{0, 1}));
    EXPECT_EQ(e.offsets[6], (std::pair<size_t, size_t>{7, 9}));

    EXPECT_TRUE(tok->encode("", false).ids.empty());
    EXPECT_EQ(tok->encode("", true).ids, (std::vector<int64_t>{1, 2}));
    EXPECT_EQ(tok->decode({}, false), "");
    EXPECT_EQ(tok->decode({-1, 99999}, false), "");

    const std::string bad = "a\xFF" "b";
    const Encoding b = tok->encode(bad, false);
    EXPECT_EQ(tok->decode(b.ids, true), "a\xEF\xBF\xBD" "b");
}

TEST(SentencePieceTokenizer, BadFiles) {
    EXPECT_THROW(embedlab::loadSentencePieceTokenizer("/nonexistent.model"), Error);
    try {
        embedlab::loadSentencePieceTokenizer(embedlab::test::fixture("tokenizers/sentences.json"));
        ADD_FAILURE();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
    }
}

}  // namespace
