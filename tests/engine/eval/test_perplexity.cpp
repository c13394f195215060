// Perplexity with a sliding window on the gpt2_tiny fixture: one window equals exp(mean NLL) of a
// single forward pass; non-overlapping and overlapping windows score every token but the first once.
#include "engine/eval/perplexity.h"
#include "engine/core/error.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/hf_pretokenizers.h"
#include "engine/tokenizers/hf_tokenizer.h"
#include "reference.h"

#include <ATen/ATen.h>

#include <cmath>

#include <nlohmann/json.hpp>

using namespace embedlab;
using namespace embedlab::eval;

namespace {

std::vector<int64_t> randomIds(size_t n, int64_t vocab, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<int64_t> ids(n);
    for (auto& i : ids) i = static_cast<int64_t>(rng() % static_cast<uint64_t>(vocab));
    return ids;
}

// Σ -log p(ids[p] | ids[begin..p-1]) for p in [first, end), from one forward pass over [begin, end).
double windowNll(Model& m, const std::vector<int64_t>& ids, int64_t begin, int64_t first, int64_t end) {
    at::Tensor in = at::tensor(std::vector<int64_t>(ids.begin() + begin, ids.begin() + end), at::kLong).unsqueeze(0);
    auto out = m.forward(in, at::Tensor());
    at::Tensor lp = at::log_softmax(out.logits[0].to(at::kDouble), -1);
    double s = 0;
    for (int64_t p = first; p < end; ++p) s -= lp[p - 1 - begin][ids[static_cast<size_t>(p)]].item<double>();
    return s;
}

}  // namespace

TEST(Perplexity, SlidingWindowOnGpt2Tiny) {
    auto model = loadModel(test::fixture("models/gpt2_tiny"));
    const auto ids = randomIds(150, model->config().vocabSize, 3);
    // one window of the whole text (n_positions is 64, so use 60 tokens)
    std::vector<int64_t> shortIds(ids.begin(), ids.begin() + 60);
    PerplexityOptions o;
    o.maxLength = 64;
    auto r1 = perplexityOfIds(*model, shortIds, o);
    EXPECT_EQ(r1.tokens, 59);
    EXPECT_EQ(r1.windows, 1);
    EXPECT_NEAR(r1.perplexity, std::exp(windowNll(*model, shortIds, 0, 1, 60) / 59), 1e-6 * r1.perplexity);

    // non-overlapping windows (stride = window): a window's first token has no context inside it, so
    // it is not scored (as in Hugging Face's guide, where the label shift drops it)
    o.stride = 64;
    auto r2 = perplexityOfIds(*model, ids, o);
    EXPECT_EQ(r2.tokens, 147);
    EXPECT_EQ(r2.windows, 3);
    const double nll2 = windowNll(*model, ids, 0, 1, 64) + windowNll(*model, ids, 64, 65, 128) +
                        windowNll(*model, ids, 128, 129, 150);
    EXPECT_NEAR(r2.perplexity, std::exp(nll2 / 147), 1e-6 * r2.perplexity);
    // overlapping windows: stride 16, window 64
    o.stride = 16;
    auto r3 = perplexityOfIds(*model, ids, o);
    EXPECT_EQ(r3.tokens, 149);
    EXPECT_TRUE(std::isfinite(r3.perplexity));
    // the 2nd window [16,80) scores 64..79 with 48 tokens of context
    const double nll3 = windowNll(*model, ids, 0, 1, 64) + windowNll(*model, ids, 16, 64, 80) +
                        windowNll(*model, ids, 32, 80, 96) + windowNll(*model, ids, 48, 96, 112) +
                        windowNll(*model, ids, 64, 112, 128) + windowNll(*model, ids, 80, 128, 144) +
                        windowNll(*model, ids, 96, 144, 150);
    EXPECT_NEAR(r3.perplexity, std::exp(nll3 / 149), 1e-6 * r3.perplexity);
}

TEST(Perplexity, RejectsEncodersAndTooLongWindows) {
    auto bert = loadModel(test::fixture("models/bert_tiny"));
    PerplexityOptions o;
    EXPECT_THROW(perplexityOfIds(*bert, {1, 2, 3}, o), Error);
    auto gpt2 = loadModel(test::fixture("models/gpt2_tiny"));
    o.maxLength = 100;
    EXPECT_THROW(perplexityOfIds(*gpt2, {1, 2, 3}, o), Error);
    o.maxLength = 0;
    EXPECT_THROW(perplexityOfIds(*gpt2, {1}, o), Error);
    EXPECT_THROW(perplexityOfIds(*gpt2, {1, 5000}, o), Error);
}

// Bits per character: Σ NLL of the scored tokens / ln 2 / the text's characters (each line + its newline),
// with a byte-level tokenizer (ids = bytes) on gpt2_tiny, against one forward pass.
TEST(Perplexity, BitsPerCharacterOverTheTextsCharacters) {
    nlohmann::json vocab = nlohmann::json::object();
    for (int b = 0; b < 256; ++b) vocab[hf::byteToUnicode(static_cast<unsigned char>(b))] = b;
    const nlohmann::json j = {{"version", "1.0"},
                              {"added_tokens", nlohmann::json::array()},
                              {"normalizer", nullptr},
                              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
                              {"post_processor", nullptr},
                              {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}},
                              {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", nlohmann::json::array()}}}};
    const auto tok = loadHfTokenizerFromString(j.dump(), "", "bytes");
    auto model = loadModel(test::fixture("models/gpt2_tiny"));
    const std::vector<std::string> lines{"merhaba dünya", "", "ab"};  // ü is 2 bytes, 1 character
    PerplexityOptions o;
    o.addBos = false;
    const auto r = evaluatePerplexity(*model, *tok, lines, o);
    std::vector<int64_t> ids;
    for (const char* s : {"merhaba dünya\n", "ab\n"})
        for (unsigned char c : std::string(s)) ids.push_back(c);
    ASSERT_EQ(r.inputTokens, static_cast<int64_t>(ids.size()));
    EXPECT_EQ(r.chars, 13 + 1 + 2 + 1);
    const double nll = windowNll(*model, ids, 0, 1, static_cast<int64_t>(ids.size()));
    EXPECT_NEAR(r.bitsPerChar, nll / std::log(2.0) / 17.0, 1e-6 * r.bitsPerChar);
}
