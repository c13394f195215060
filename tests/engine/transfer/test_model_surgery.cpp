// Model surgery (engine/tasks/model_surgery.h, engine/tokenizers/tokenizer_pruning.h): kept layers run
// exactly as in the full model; a vocabulary pruned to a corpus encodes that corpus to the same tokens
// (ids remapped) with the real Gemma 3 tokenizer.json and the seed format, and the embedding rows follow
// their tokens; the accounting equals the tensors' own sizes; bad input is refused.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/tasks/model_surgery.h"
#include "engine/tokenizers/tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/surgery_" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A random Gemma-shaped model (fixture config) with `vocab` rows and the tokenizer files of `tokDir`.
std::string makeModel(const std::string& dir, int64_t vocab, const std::string& tokDir, int64_t hidden = 64) {
    nlohmann::json cfg = nlohmann::json::parse(readFile(test::fixture("models/gemma3_tiny/config.json")));
    cfg["vocab_size"] = vocab;
    cfg["hidden_size"] = hidden;
    auto m = createRandomModel(parseModelConfig(cfg.dump()), 5);
    const std::string out = dir + "/model";
    writeModelFolder(*m, cfg, out);
    copyTokenizerFiles(tokDir, out);
    return out;
}

const char* kText[] = {"Kitapları masanın üstüne bıraktık.", "Yarın İstanbul'a gidiyoruz, hava güzel olacak.",
                       "Öğrenciler sınavdan önce çok çalıştılar.", "Bu bir denemedir."};

std::string writeCorpus(const std::string& dir) {
    std::ofstream f(dir + "/corpus.txt");
    for (const char* s : kText) f << s << "\n";
    return dir + "/corpus.txt";
}

int64_t sumNumel(const Model& m) {
    int64_t n = 0;
    for (const auto& [k, t] : m.weights()) {
        (void)k;
        n += t.numel();
    }
    return n;
}

}  // namespace

TEST(Surgery, LayerListParsing) {
    EXPECT_EQ(tasks::parseLayerList("0-3", 6), (std::vector<int64_t>{0, 1, 2, 3}));
    EXPECT_EQ(tasks::parseLayerList("5,0,2", 6), (std::vector<int64_t>{0, 2, 5}));
    EXPECT_EQ(tasks::parseLayerList("1-2, 4", 6), (std::vector<int64_t>{1, 2, 4}));
    EXPECT_THROW(tasks::parseLayerList("0-6", 6), Error);
    EXPECT_THROW(tasks::parseLayerList("3-1", 6), Error);
    EXPECT_THROW(tasks::parseLayerList("a", 6), Error);
}

// Keeping layers 0-2 of 6: the first hidden states are the full model's, bit for bit; the layer types
// follow the kept layers; the parameter count drops by exactly the removed layers' tensors.
TEST(Surgery, KeptLayersRunAsInTheFullModel) {
    const std::string dir = scratch("layers");
    const std::string src = makeModel(dir, 2000, test::fixture("sentencepiece"));
    fs::copy_file(test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"), src + "/tokenizer.model");
    tasks::SurgeryOptions o;
    o.modelDir = src;
    o.keepLayers = "0-2";
    o.outDir = dir + "/out";
    Progress p;
    const auto r = tasks::modelSurgery(o, p);
    const auto full = loadModel(src), cut = loadModel(o.outDir);
    EXPECT_EQ(cut->config().numLayers, 3);
    for (int l = 0; l < 3; ++l) EXPECT_EQ(cut->config().slidingLayers[l], full->config().slidingLayers[l]);
    const at::Tensor ids = at::tensor({2, 10, 200, 300, 400, 500, 600, 700}, at::kLong).unsqueeze(0);
    const auto a = full->forward(ids, at::Tensor()), b = cut->forward(ids, at::Tensor());
    for (int k = 0; k <= 2; ++k) EXPECT_TRUE(at::equal(a.hiddenStates[k], b.hiddenStates[k])) << k;
    EXPECT_EQ(r.paramsBefore, sumNumel(*full));
    EXPECT_EQ(r.paramsAfter, sumNumel(*cut));
    EXPECT_EQ(r.bytesAfter, sumNumel(*cut) * 4);
    EXPECT_TRUE(fs::exists(o.outDir + "/tokenizer.model"));
    // Keeping 0,5 takes the last (full-attention) layer as the new layer 1.
    o.keepLayers = "0,5";
    o.force = true;
    tasks::modelSurgery(o, p);
    const auto two = loadModel(o.outDir);
    EXPECT_EQ(two->config().slidingLayers, (std::vector<bool>{full->config().slidingLayers[0], full->config().slidingLayers[5]}));
    EXPECT_TRUE(at::equal(two->weights().at("layers.1.mlp.up_proj.weight"), full->weights().at("layers.5.mlp.up_proj.weight")));
}

// The real Gemma 3 tokenizer.json (262,145 ids) pruned to a corpus: the pruned tokenizer encodes the
// corpus to the same tokens, the ids are remapped in order, and each kept row is the original row.
TEST(Surgery, PrunedGemmaVocabularyEncodesTheCorpusTheSame) {
    const std::string dir = scratch("prune_gemma");
    const std::string src = makeModel(dir, 262144, test::fixture("tokenizers/gemma3"), 8);
    tasks::SurgeryOptions o;
    o.modelDir = src;
    o.pruneCorpus = writeCorpus(dir);
    o.outDir = dir + "/out";
    Progress p;
    const auto r = tasks::modelSurgery(o, p);
    EXPECT_LT(r.vocabAfter, 30000);  // control (~6,000 unused), byte and one-character tokens stay
    EXPECT_GT(r.vocabAfter, 300);
    const auto before = loadTokenizer(src), after = loadTokenizer(o.outDir);
    EXPECT_EQ(after->vocabSize(), r.vocabAfter);
    const auto full = loadModel(src), cut = loadModel(o.outDir);
    EXPECT_EQ(cut->inputEmbeddings().size(0), r.vocabAfter);
    for (const char* s : kText) {
        const Encoding e0 = before->encode(s, true), e1 = after->encode(s, true);
        EXPECT_EQ(e0.tokens, e1.tokens) << s;
        ASSERT_EQ(e0.ids.size(), e1.ids.size());
        for (size_t i = 0; i < e0.ids.size(); ++i)
            EXPECT_TRUE(at::equal(cut->inputEmbeddings()[e1.ids[i]], full->inputEmbeddings()[e0.ids[i]])) << s;
        EXPECT_EQ(after->decode(e1.ids, true), s);
    }
    // Text outside the corpus still encodes (byte and one-character tokens are kept) and decodes back.
    const std::string other = "Zürafa çok uzun.";
    EXPECT_EQ(after->decode(after->encode(other, false).ids, false), other);
    const nlohmann::json cfg = nlohmann::json::parse(readFile(o.outDir + "/config.json"));
    EXPECT_EQ(cfg["vocab_size"], r.vocabAfter);
    EXPECT_EQ(cfg["bos_token_id"].get<int64_t>(), *after->tokenToId("<bos>"));
    EXPECT_EQ(r.paramsBefore - r.paramsAfter, (262144 - r.vocabAfter) * 8);
}

TEST(Surgery, PrunedSeedVocabularyEncodesTheCorpusTheSame) {
    const std::string dir = scratch("prune_seed");
    const std::string src = makeModel(dir, 32768, test::fixture("tokenizers/turkish-seed"), 8);
    tasks::SurgeryOptions o;
    o.modelDir = src;
    o.pruneCorpus = writeCorpus(dir);
    o.outDir = dir + "/out";
    Progress p;
    const auto r = tasks::modelSurgery(o, p);
    EXPECT_LT(r.vocabAfter, 5000);
    const auto before = loadTokenizer(src), after = loadTokenizer(o.outDir);
    const auto full = loadModel(src), cut = loadModel(o.outDir);
    for (const char* s : kText) {
        const Encoding e0 = before->encode(s, false), e1 = after->encode(s, false);
        EXPECT_EQ(e0.tokens, e1.tokens) << s;
        for (size_t i = 0; i < std::min(e0.ids.size(), e1.ids.size()); ++i)
            EXPECT_TRUE(at::equal(cut->inputEmbeddings()[e1.ids[i]], full->inputEmbeddings()[e0.ids[i]])) << s;
        EXPECT_EQ(after->decode(e1.ids, false), s);
    }
    // Bad input: an existing folder, a SentencePiece .model that cannot be rewritten.
    EXPECT_THROW(tasks::modelSurgery(o, p), Error);
    const std::string spm = makeModel(dir + "/sp", 2000, test::fixture("sentencepiece"));
    fs::copy_file(test::fixture("sentencepiece/tr_bpe_2k_bytefallback.model"), spm + "/tokenizer.model");
    o.modelDir = spm;
    o.outDir = dir + "/sp-out";
    try {
        tasks::modelSurgery(o, p);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("tokenizer.json"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(o.outDir));
}
