// Embedding distillation (engine/train/distill.h): the alignment of two real tokenizations (the seed
// Turkish tokenizer and a SentencePiece BPE) pairs each student token with teacher tokens that spell
// exactly its bytes; the loss equals the arithmetic over the models' own hidden states; a teacher
// identical to the student gives zero; embeddings-only distillation lowers the held-out loss and
// leaves every body tensor bit-identical; a teacher of another hidden size is refused.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/jobs/progress.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/tokenizers/tokenizer.h"
#include "engine/train/distill.h"
#include "engine/train/trainer.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

const char* kSentences[] = {"Kitapları masanın üstüne bıraktık.", "Yarın İstanbul'a gidiyoruz, hava güzel olacak.",
                            "Öğrenciler sınavdan önce çok çalıştılar.", "Bu bir denemedir; 1923'te kuruldu."};

std::string trimmedText(const std::string& text, std::pair<size_t, size_t> s) {
    size_t b = s.first, e = s.second;
    while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    return text.substr(b, e - b);
}

std::unique_ptr<Model> gemma(int64_t vocab, int64_t hidden, uint64_t seed) {
    nlohmann::json cfg = nlohmann::json::parse(readFile(test::fixture("models/gemma3_tiny/config.json")));
    cfg["vocab_size"] = vocab;
    cfg["hidden_size"] = hidden;
    return createRandomModel(parseModelConfig(cfg.dump()), seed);
}

}  // namespace

// Every alignment spells the same bytes on both sides, and the teacher run is contiguous; most words
// of the seed tokenizer that the BPE also keeps whole align.
TEST(Distill, AlignmentSpellsTheSameBytes) {
    const auto seed = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const auto bpe = loadTokenizer(test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"));
    int64_t aligned = 0, studentTokens = 0;
    for (const char* s : kSentences) {
        const std::string text(s);
        const Encoding es = seed->encode(text, true), et = bpe->encode(text, true);
        const auto al = alignTokenizations(text, es, et, es.size(), et.size());
        for (const auto& a : al) {
            const std::string want = trimmedText(text, es.offsets[static_cast<size_t>(a.student)]);
            std::string got;
            for (int32_t j = a.teacherBegin; j < a.teacherEnd; ++j) got += trimmedText(text, et.offsets[static_cast<size_t>(j)]);
            EXPECT_EQ(got, want) << text << " student token " << a.student;
            EXPECT_LT(a.teacherBegin, a.teacherEnd);
        }
        aligned += static_cast<int64_t>(al.size());
        for (size_t i = 0; i < es.size(); ++i) studentTokens += !trimmedText(text, es.offsets[i]).empty();
    }
    EXPECT_GT(aligned, studentTokens / 3);
    // The same tokenizer on both sides: every token with text aligns with itself.
    const std::string text = kSentences[1];
    const Encoding e = bpe->encode(text, true);
    const auto self = alignTokenizations(text, e, e, e.size(), e.size());
    size_t withText = 0;
    for (size_t i = 0; i < e.size(); ++i) withText += !trimmedText(text, e.offsets[i]).empty();
    ASSERT_EQ(self.size(), withText);
    for (const auto& a : self) {
        EXPECT_EQ(a.teacherBegin, a.student);
        EXPECT_EQ(a.teacherEnd, a.student + 1);
    }
    // Truncation: nothing aligns beyond the kept positions.
    for (const auto& a : alignTokenizations(text, e, e, 3, 2)) {
        EXPECT_LT(a.student, 3);
        EXPECT_LE(a.teacherEnd, 2);
    }
}

// The loss against the models' own hidden states: zero for a teacher equal to the student; mse and
// cosine over the aligned pairs otherwise.
TEST(Distill, LossIsTheArithmeticOfTheHiddenStates) {
    const auto seed = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const auto bpe = loadTokenizer(test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"));
    auto student = gemma(seed->vocabSize(), 64, 1);
    auto teacher = gemma(bpe->vocabSize(), 64, 2);
    const std::string text = kSentences[0];
    const Encoding es = seed->encode(text, true), et = bpe->encode(text, true);
    const auto al = alignTokenizations(text, es, et, es.size(), et.size());
    ASSERT_FALSE(al.empty());
    const TokenBatch sb = makeBatch(TokenSequences::fromVectors({es.ids}), {0}, 0);
    const TokenBatch tb = makeBatch(TokenSequences::fromVectors({et.ids}), {0}, 0);
    for (int64_t layer : {0, 2, 6}) {
        for (const char* kind : {"mse", "cosine"}) {
            const DistillLoss l = distillLoss(*student, *teacher, sb, tb, {&al}, layer, kind);
            ASSERT_EQ(l.pairs, static_cast<int64_t>(al.size()));
            const auto hs = student->forward(sb.ids, sb.mask).hiddenStates[static_cast<size_t>(layer)][0].to(at::kDouble);
            const auto ht = teacher->forward(tb.ids, tb.mask).hiddenStates[static_cast<size_t>(layer)][0].to(at::kDouble);
            double want = 0;
            for (const auto& a : al) {
                const at::Tensor t = ht.slice(0, a.teacherBegin, a.teacherEnd).mean(0);
                const at::Tensor s = hs[a.student];
                want += std::string(kind) == "mse" ? (s - t).pow(2).mean().item<double>()
                                                   : 1.0 - (s.dot(t) / (s.norm() * t.norm())).item<double>();
            }
            want /= static_cast<double>(al.size());
            EXPECT_NEAR(l.loss.item<double>(), want, 1e-4 * std::max(1.0, std::fabs(want))) << layer << " " << kind;
        }
    }
    // A teacher identical to the student, on the same tokenization: zero.
    const auto self = alignTokenizations(text, es, es, es.size(), es.size());
    EXPECT_NEAR(distillLoss(*student, *student, sb, sb, {&self}, 3, "mse").loss.item<double>(), 0.0, 1e-12);
}

// Embeddings-only distillation through the trainer: the held-out loss falls, every body tensor is
// bit-identical afterwards, and a teacher of another hidden size is refused.
TEST(Distill, EmbeddingsOnlyTrainingLowersTheLossAndKeepsTheBody) {
    const auto seed = loadTokenizer(test::fixture("tokenizers/turkish-seed"));
    const auto bpe = loadTokenizer(test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"));
    auto student = gemma(seed->vocabSize(), 64, 3);
    auto teacher = gemma(bpe->vocabSize(), 64, 4);
    const std::string dir = test::tmpDir() + "/distill_train";
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream f(dir + "/corpus.txt");
        for (int r = 0; r < 12; ++r)
            for (const char* s : kSentences) f << s << "\n";
    }
    Progress p;
    DistillCorpus dc = prepareDistillCorpus(dir + "/corpus.txt", "", *seed, *bpe, 32, p);
    ASSERT_EQ(dc.train.first.size() + dc.heldOut.first.size(), 48u);
    ASSERT_EQ(dc.heldOut.first.size(), 2u);  // the last 5%
    std::map<std::string, at::Tensor> before;
    for (const auto& [n, t] : student->weights()) before[n] = t.clone();
    TrainerOptions o;
    o.objective = "distill";
    o.steps = 12;
    o.batchSize = 4;
    o.seqLen = 32;
    o.train = "embeddings";
    o.distillLayer = 1;
    o.schedule.baseLr = 1e-2;
    o.optimizer.kind = "adamw";
    o.optimizer.weightDecay = 0.0;
    o.evalEvery = 12;
    o.outDir = dir + "/out";
    TrainerData d;
    d.trainPairs = dc.train;
    d.heldOutPairs = dc.heldOut;
    d.trainAlign = dc.trainAlign;
    d.heldOutAlign = dc.heldOutAlign;
    d.teacher = teacher.get();
    d.configJson = nlohmann::json::parse(readFile(test::fixture("models/gemma3_tiny/config.json")));
    d.configJson["vocab_size"] = seed->vocabSize();
    const TrainResult r = runTraining(*student, o, d, p);
    double first = -1, last = -1;
    for (const auto& line : r.log)
        if (line.contains("eval_loss")) (first < 0 ? first : last) = line["eval_loss"].get<double>();
    ASSERT_GT(first, 0);
    EXPECT_LT(last, 0.9 * first);
    for (const auto& [n, t] : student->weights()) {
        if (n == "embed_tokens.weight") {
            EXPECT_FALSE(at::equal(t, before[n]));
        } else {
            EXPECT_TRUE(at::equal(t, before[n])) << n;
        }
    }
    // Another hidden size.
    auto wide = gemma(bpe->vocabSize(), 128, 5);
    d.teacher = wide.get();
    o.outDir = dir + "/out2";
    try {
        runTraining(*student, o, d, p);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("hidden size"), std::string::npos) << e.what();
    }
}
