// The transfer task (engine/tasks/transfer_model.h): a whole model carried onto a new tokenizer is a
// Hugging Face folder that embedlab loads and runs, whose embedding rows (and untied head, and MLM bias)
// are what transfer_report.json says; the output folder is never half-written; bad input is refused.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/tasks/transfer_model.h"
#include "engine/tokenizers/tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <filesystem>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

const std::string kBpe = "sentencepiece/tr_bpe_2k_bytefallback.model";

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/transfer_task_" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A random model of `fixtureModel`'s architecture with the 2,000-token SentencePiece BPE as its tokenizer.
std::string makeSource(const std::string& dir, const std::string& fixtureModel, bool tied = true) {
    nlohmann::json cfg = nlohmann::json::parse(readFile(test::fixture("models/" + fixtureModel + "/config.json")));
    const auto tok = loadTokenizer(test::fixture(kBpe));
    cfg["vocab_size"] = tok->vocabSize();
    if (!tied) cfg["tie_word_embeddings"] = false;
    const ModelConfig c = parseModelConfig(cfg.dump());
    auto m = createRandomModel(c, 11);
    const std::string src = dir + "/source";
    writeModelFolder(*m, cfg, src);
    fs::copy_file(test::fixture(kBpe), src + "/tokenizer.model");
    return src;
}

// Σ weight · source row over a report entry's sources.
at::Tensor reportRow(const nlohmann::json& entry, const at::Tensor& src) {
    at::Tensor acc = at::zeros({src.size(1)}, at::kDouble);
    for (const auto& s : entry["sources"]) acc += s["weight"].get<double>() * src[s["id"].get<int64_t>()].to(at::kDouble);
    return acc;
}

}  // namespace

TEST(TransferTask, GemmaOntoTheSeedTokenizerReloadsAndRuns) {
    const std::string dir = scratch("gemma");
    const std::string src = makeSource(dir, "gemma3_tiny");
    tasks::TransferTaskOptions o;
    o.sourceDir = src;
    o.targetTokenizer = test::fixture("tokenizers/turkish-seed");
    o.strategy = TransferStrategy::Weighted;
    o.outDir = dir + "/out";
    Progress p;
    const auto r = tasks::transferModel(o, p);
    EXPECT_EQ(r.targetVocab, 32768);
    for (const char* f : {"config.json", "model.safetensors", "kokler.json", "ekler.json", "bpe_tokenler.json",
                          "transfer_report.json"})
        EXPECT_TRUE(fs::exists(o.outDir + "/" + f)) << f;
    EXPECT_FALSE(fs::exists(o.outDir + "/generation_config.json"));
    // Nothing is left beside the output.
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        EXPECT_TRUE(n == "source" || n == "out") << n;
    }
    const nlohmann::json cfg = nlohmann::json::parse(readFile(o.outDir + "/config.json"));
    EXPECT_EQ(cfg["vocab_size"], 32768);
    EXPECT_EQ(cfg["eos_token_id"], 6);  // the seed's <eos>
    EXPECT_EQ(cfg["pad_token_id"], 5);
    EXPECT_TRUE(cfg["bos_token_id"].is_null()) << "the seed tokenizer has no BOS; the source's id would name its space";
    const auto out = loadModel(o.outDir);
    const auto before = loadModel(src);
    const at::Tensor srcEmb = before->inputEmbeddings();
    const at::Tensor emb = out->inputEmbeddings();
    ASSERT_EQ(emb.size(0), 32768);
    const nlohmann::json rep = nlohmann::json::parse(readFile(o.outDir + "/transfer_report.json"));
    ASSERT_EQ(rep["tokens"].size(), 32768u);
    for (const char* k : {"target_tokens", "exact", "decomposed", "variant", "aux", "omp", "special", "fallback", "unmapped"})
        EXPECT_TRUE(rep["summary"].contains(k)) << k;
    for (int64_t t = 0; t < 32768; t += 97) {
        const auto& e = rep["tokens"][static_cast<size_t>(t)];
        EXPECT_EQ(e["id"], t);
        for (const char* k : {"token", "method", "surface", "sources"}) EXPECT_TRUE(e.contains(k)) << k;
        if (e["method"] == "fallback") continue;
        EXPECT_TRUE(at::allclose(emb[t].to(at::kDouble), reportRow(e, srcEmb), 1e-5, 1e-5)) << t;
    }
    // Every body tensor is the source's, bit for bit.
    for (const auto& [name, w] : out->weights()) {
        if (w.is_same(emb)) continue;
        ASSERT_TRUE(before->weights().count(name)) << name;
        EXPECT_TRUE(at::equal(w, before->weights().at(name))) << name;
    }
    // The new model runs on text the new tokenizer encodes.
    const auto tok = loadTokenizer(o.outDir);
    const Encoding e = tok->encode("Kitapları okudum.", true);
    const at::Tensor ids = at::tensor(e.ids, at::kLong).unsqueeze(0);
    const ForwardOutput f = out->forward(ids, at::Tensor());
    EXPECT_EQ(f.logits.size(2), 32768);
    EXPECT_TRUE(at::isfinite(f.logits).all().item<bool>());

    // An existing folder is refused without force and replaced whole with it.
    EXPECT_THROW(tasks::transferModel(o, p), Error);
    o.force = true;
    o.strategy = TransferStrategy::Mean;
    tasks::transferModel(o, p);
    EXPECT_EQ(nlohmann::json::parse(readFile(o.outDir + "/transfer_report.json"))["summary"]["strategy"], "mean");
}

TEST(TransferTask, UntiedHeadAndMlmBiasAreTransferredToo) {
    {
        const std::string dir = scratch("untied");
        const std::string src = makeSource(dir, "gemma3_tiny", /*tied=*/false);
        tasks::TransferTaskOptions o;
        o.sourceDir = src;
        o.targetTokenizer = test::fixture("sentencepiece/tr_unigram_2k.model");
        o.headStrategy = TransferStrategy::First;
        o.outDir = dir + "/out";
        Progress p;
        const auto r = tasks::transferModel(o, p);
        EXPECT_TRUE(r.report.contains("head_summary"));
        EXPECT_TRUE(fs::exists(o.outDir + "/tokenizer.model"));
        const auto out = loadModel(o.outDir);
        const auto before = loadModel(src);
        ASSERT_FALSE(out->tiedLmHead());
        EXPECT_EQ(out->lmHead().size(0), r.targetVocab);
        // The head follows "first": a decomposed token's head row is its first piece's head row.
        const auto target = loadTokenizer(o.targetTokenizer);
        int checked = 0;
        for (const auto& e : r.report["tokens"]) {
            if (e["method"] != "decomposed" || e["sources"].size() < 2) continue;
            const int64_t t = e["id"];
            const auto first = e["sources"][0]["id"].get<int64_t>();
            // The report lists the embedding's (mean) sources; "first" uses the first of them.
            EXPECT_TRUE(at::equal(out->lmHead()[t], before->lmHead()[first])) << t;
            if (++checked == 50) break;
        }
        EXPECT_EQ(checked, 50);
    }
    {
        const std::string dir = scratch("xlmr");
        const std::string src = makeSource(dir, "xlmr_tiny");
        tasks::TransferTaskOptions o;
        o.sourceDir = src;
        o.targetTokenizer = test::fixture("sentencepiece/tr_unigram_2k.model");
        o.outDir = dir + "/out";
        Progress p;
        const auto r = tasks::transferModel(o, p);
        const auto out = loadModel(o.outDir);
        const auto before = loadModel(src);
        ASSERT_TRUE(out->weights().count("lm_head.bias"));
        const at::Tensor b = out->weights().at("lm_head.bias"), b0 = before->weights().at("lm_head.bias");
        EXPECT_EQ(b.size(0), r.targetVocab);
        for (const auto& e : r.report["tokens"]) {
            if (e["method"] == "fallback") continue;
            double v = 0;
            for (const auto& s : e["sources"]) v += s["weight"].get<double>() * b0[s["id"].get<int64_t>()].item<double>();
            EXPECT_NEAR(b[e["id"].get<int64_t>()].item<double>(), v, 1e-5);
        }
        const ForwardOutput f = out->forward(at::tensor({0, 10, 20, 2}, at::kLong).unsqueeze(0), at::Tensor());
        EXPECT_EQ(f.logits.size(2), r.targetVocab);
    }
}

TEST(TransferTask, BadInputIsRefusedWithAMessage) {
    const std::string dir = scratch("bad");
    const std::string src = makeSource(dir, "gemma3_tiny");
    tasks::TransferTaskOptions o;
    o.sourceDir = src;
    o.targetTokenizer = test::fixture("sentencepiece/tr_unigram_2k.model");
    o.outDir = dir + "/out";
    Progress p;
    auto message = [&](const tasks::TransferTaskOptions& opts) {
        try {
            tasks::transferModel(opts, p);
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), Error::Kind::BadInput) << e.what();
            return std::string(e.what());
        }
        return std::string("no error");
    };
    // A tokenizer that is not the model's (32,768 tokens for 2,000 rows).
    auto o1 = o;
    o1.sourceTokenizer = test::fixture("tokenizers/turkish-seed");
    EXPECT_NE(message(o1).find("--allow-vocab-mismatch"), std::string::npos);
    o1.allowVocabMismatch = true;
    o1.outDir = dir + "/out-mismatch";
    const auto r = tasks::transferModel(o1, p);
    EXPECT_EQ(r.summary["vocab_mismatch"], 2000 - 32768);
    // focus without auxiliary vectors; aux vectors that name no target token.
    auto o2 = o;
    o2.strategy = TransferStrategy::Focus;
    EXPECT_NE(message(o2).find("--aux-vectors"), std::string::npos);
    writeFileAtomic(dir + "/aux.vec", "1 3\nnothing 1 2 3\n");
    o2.auxVectors = dir + "/aux.vec";
    EXPECT_NE(message(o2).find("no row"), std::string::npos);
    // The source folder as the output; a missing target tokenizer.
    auto o3 = o;
    o3.force = true;
    for (const std::string& same : {src, src + "/", src + "/."}) {
        o3.outDir = same;
        EXPECT_NE(message(o3).find("must not be the source"), std::string::npos) << same;
    }
    EXPECT_TRUE(fs::exists(src + "/model.safetensors"));
    // An output named with a trailing slash is that folder.
    auto o5 = o;
    o5.outDir = dir + "/slash/";
    tasks::transferModel(o5, p);
    EXPECT_TRUE(fs::exists(dir + "/slash/transfer_report.json"));
    for (const auto& e : fs::directory_iterator(dir))
        EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
    auto o4 = o;
    o4.targetTokenizer = dir + "/missing.model";
    EXPECT_NE(message(o4), "no error");
    EXPECT_FALSE(fs::exists(o.outDir));
}
