// The embed-corpus task (engine/tasks/embed_corpus.h): chunks stream to the sink in order and equal
// one embedding of all the texts; progress follows the reader; cancel stops between chunks; bad input.
#include "engine/core/error.h"
#include "engine/models/embedding.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/tasks/embed_corpus.h"
#include "engine/tokenizers/tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

using namespace embedlab;

namespace {

// Bytes as ids (the fixture models have 512 tokens).
class ByteTokenizer final : public Tokenizer {
public:
    std::string kind() const override { return "bytes"; }
    std::string name() const override { return "bytes"; }
    Encoding encode(std::string_view text, bool) const override {
        Encoding e;
        for (size_t i = 0; i < text.size(); ++i) {
            e.ids.push_back(static_cast<unsigned char>(text[i]));
            e.tokens.push_back(std::string(1, text[i]));
            e.types.push_back(TokenType::Normal);
            e.offsets.push_back({i, i + 1});
        }
        return e;
    }
    std::string decode(const std::vector<int64_t>&, bool) const override { return {}; }
    int64_t vocabSize() const override { return 256; }
    std::string idToToken(int64_t) const override { return {}; }
    std::optional<int64_t> tokenToId(const std::string&) const override { return std::nullopt; }
    TokenType tokenType(int64_t) const override { return TokenType::Normal; }
};

std::vector<std::string> texts(int n) {
    std::vector<std::string> t;
    for (int i = 0; i < n; ++i) t.push_back("cümle " + std::to_string(i) + (i % 3 ? " ve biraz daha" : ""));
    return t;
}

}  // namespace

TEST(EmbedCorpusTask, ChunksArriveInOrderAndEqualOneEmbedding) {
    auto model = loadModel(test::fixture("models/gpt2_tiny"));
    ByteTokenizer tok;
    const auto all = texts(700);
    Progress progress;
    std::vector<double> readerFractions;
    const tasks::TextReader read = [&](const std::function<void(tasks::TextRecord&&)>& emit, Progress& p) {
        for (size_t i = 0; i < all.size(); ++i) {
            emit({all[i], "", int64_t(i) + 1});
            if (i % 100 == 0) p.report(double(i) / double(all.size()), "reading");
        }
    };
    std::vector<at::Tensor> chunks;
    std::vector<int64_t> lines;
    const tasks::EmbeddingSink sink = [&](const at::Tensor& v, const std::vector<tasks::TextRecord>& recs) {
        EXPECT_EQ(v.size(0), static_cast<int64_t>(recs.size()));
        chunks.push_back(v.clone());
        for (const auto& r : recs) lines.push_back(r.line);
        readerFractions.push_back(progress.snapshot().fraction);
    };
    tasks::EmbedCorpusOptions o;
    o.embed.batchSize = 16;
    o.chunk = 256;
    const tasks::EmbedCorpusResult r = tasks::embedCorpus(*model, tok, read, sink, o, progress);
    EXPECT_EQ(r.count, 700);
    EXPECT_EQ(r.dim, model->config().hiddenSize);
    ASSERT_EQ(chunks.size(), 3u);  // 256 + 256 + 188
    EXPECT_EQ(chunks[2].size(0), 188);
    for (size_t i = 0; i < lines.size(); ++i) ASSERT_EQ(lines[i], int64_t(i) + 1);
    // Progress follows the reader and never goes back.
    for (size_t i = 1; i < readerFractions.size(); ++i) EXPECT_GE(readerFractions[i], readerFractions[i - 1]);
    EXPECT_GT(readerFractions[1], 0.2);
    const at::Tensor whole = embedTexts(*model, tok, all, o.embed);
    EXPECT_TRUE(at::allclose(at::cat(chunks, 0), whole, 1e-5, 1e-5));
}

TEST(EmbedCorpusTask, CancelStopsBetweenChunksAndEmptyInputIsNamed) {
    auto model = loadModel(test::fixture("models/gpt2_tiny"));
    ByteTokenizer tok;
    const auto all = texts(600);
    Progress progress;
    int sinks = 0;
    const tasks::TextReader read = [&](const std::function<void(tasks::TextRecord&&)>& emit, Progress&) {
        for (const auto& t : all) emit({t, "", 0});
    };
    const tasks::EmbeddingSink sink = [&](const at::Tensor&, const std::vector<tasks::TextRecord>&) {
        ++sinks;
        progress.cancel();
    };
    tasks::EmbedCorpusOptions o;
    o.chunk = 256;
    try {
        tasks::embedCorpus(*model, tok, read, sink, o, progress);
        FAIL() << "a cancelled run finished";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
    EXPECT_EQ(sinks, 1);

    const tasks::TextReader none = [](const std::function<void(tasks::TextRecord&&)>&, Progress&) {};
    o.source = "bos.txt";
    try {
        tasks::embedCorpus(*model, tok, none, sink, o, nullProgress());
        FAIL() << "an empty corpus was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("bos.txt: empty corpus"), std::string::npos) << e.what();
    }
}
