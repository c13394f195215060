// The trainer against the independent PyTorch reference (tests/reference/train_reference.py): one
// plain SGD step, several AdamW steps with warmup, cosine schedule, accumulation, clipping and weight
// decay, masked LM and contrastive steps — the same weights and the same log. Plus: exact resume,
// embeddings-only training leaving the body bit-identical, and bad input.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/safetensors.h"
#include "engine/jobs/progress.h"
#include "engine/models/model.h"
#include "engine/models/model_loader.h"
#include "engine/train/parameters.h"
#include "engine/train/trainer.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <numeric>
#include <random>

using namespace embedlab;
namespace fs = std::filesystem;

namespace {

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/train_" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// Random sequences of 3..maxLen ids (some containing the pad id 0, which HF's padding_idx excludes).
std::vector<std::vector<int64_t>> randomSequences(int n, int maxLen, int64_t vocab, uint32_t seed) {
    std::mt19937 gen(seed);
    std::vector<std::vector<int64_t>> out;
    for (int i = 0; i < n; ++i) {
        std::vector<int64_t> s(3 + gen() % static_cast<uint32_t>(maxLen - 2));
        for (auto& v : s) v = static_cast<int64_t>(gen() % static_cast<uint32_t>(vocab));
        out.push_back(s);
    }
    return out;
}

std::string writeIds(const std::string& path, const std::vector<std::vector<int64_t>>& seqs) {
    std::ofstream f(path);
    for (const auto& s : seqs) {
        for (size_t i = 0; i < s.size(); ++i) f << (i ? "," : "") << s[i];
        f << "\n";
    }
    return path;
}

nlohmann::json runReference(const std::string& args) {
    const std::string cmd = test::referencePython() + " " + test::sourceDir() + "/tests/reference/train_reference.py " + args + " 2>&1";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (rc != 0) throw std::runtime_error("reference failed:\n" + cmd + "\n" + out);
    const size_t last = out.rfind('\n', out.size() - 2);
    return nlohmann::json::parse(last == std::string::npos ? out : out.substr(last + 1));
}

struct Run {
    TrainResult result;
    std::string dir;
};

TrainerData dataFor(const std::string& modelDir) {
    TrainerData d;
    d.configJson = nlohmann::json::parse(readFile(modelDir + "/config.json"));
    return d;
}

// Compares every tensor the C++ run wrote with the reference's output (same Hugging Face keys).
void expectSameWeights(const std::string& ours, const std::string& reference, double atol, double rtol) {
    auto a = SafeTensorsFile::open(ours);
    auto b = SafeTensorsFile::open(reference);
    int compared = 0;
    for (const auto& info : a->tensors()) {
        ASSERT_NE(b->find(info.name), nullptr) << info.name << " is not in the reference output";
        // Attention's key bias has a zero gradient in exact arithmetic (softmax ignores a constant per
        // query); AdamW turns both sides' rounding noise into ±lr steps of random sign.
        if (info.name.find("attention.self.key.bias") != std::string::npos) continue;
        const at::Tensor x = a->tensor(info.name).to(at::kDouble), y = b->tensor(info.name).to(at::kDouble);
        const double diff = (x - y).abs().max().item<double>();
        EXPECT_TRUE(at::allclose(x, y, rtol, atol)) << info.name << " max diff " << diff;
        ++compared;
    }
    EXPECT_GT(compared, 10);
}

void expectSameLog(const TrainResult& r, const nlohmann::json& ref, double rtol) {
    std::vector<nlohmann::json> ours;
    for (const auto& l : r.log)
        if (l.contains("loss")) ours.push_back(l);
    const auto& theirs = ref.at("log");
    ASSERT_EQ(ours.size(), theirs.size());
    for (size_t i = 0; i < ours.size(); ++i) {
        for (const char* k : {"loss", "lr", "grad_norm"}) {
            const double a = ours[i][k].get<double>(), b = theirs[i][k].get<double>();
            EXPECT_NEAR(a, b, 1e-7 + rtol * std::abs(b)) << "step " << i + 1 << " " << k;
        }
        EXPECT_EQ(ours[i]["tokens"].get<int64_t>(), theirs[i]["tokens"].get<int64_t>());
    }
}

const std::string kFlags = " --threads 1";

// The device the reference comparisons train on: EMBEDLAB_TEST_DEVICE ("cuda", "mps"), else the CPU
// (as tests/engine/models/test_model_fixtures.cpp; on a GPU machine EMBEDLAB_TEST_DEVICE=cuda ctest -R engine.train).
c10::Device testDevice() {
    const char* d = std::getenv("EMBEDLAB_TEST_DEVICE");
    return d && *d ? c10::Device(std::string(d)) : c10::Device(c10::kCPU);
}

// Options of a small run: steps, batch size, sequence length (the rest as TrainerOptions has them).
TrainerOptions small(int64_t steps, int64_t batch, int64_t seqLen) {
    TrainerOptions o;
    o.steps = steps;
    o.batchSize = batch;
    o.seqLen = seqLen;
    return o;
}

}  // namespace

TEST(Trainer, OnePlainSgdStepEqualsTheReference) {
    for (const char* name : {"gemma3_tiny", "gpt2_tiny"}) {
        const std::string model = test::fixture(std::string("models/") + name);
        const std::string dir = scratch(std::string("sgd_") + name);
        const std::string ids = writeIds(dir + "/ids.txt", randomSequences(5, 14, 512, 1));
        auto m = loadModel(model, testDevice());
        TrainerOptions o;
        o.steps = 1;
        o.batchSize = 5;
        o.seqLen = 64;
        o.optimizer.kind = "sgd";
        o.schedule.baseLr = 0.5;
        o.clip = 0;
        o.shuffle = false;
        o.outDir = dir + "/out";
        TrainerData d = dataFor(model);
        d.train = readIdsFile(ids, o.seqLen);
        const TrainResult r = runTraining(*m, o, d, nullProgress());
        const nlohmann::json ref = runReference("--model " + model + " --objective lm --ids " + ids +
                                                " --steps 1 --batch-size 5 --seq-len 64 --optimizer sgd --lr 0.5 --out " +
                                                dir + "/ref.safetensors" + kFlags);
        expectSameLog(r, ref, 1e-5);
        expectSameWeights(o.outDir + "/model.safetensors", dir + "/ref.safetensors", 1e-6, 1e-4);
        // The step moved the weights (a test that could not fail otherwise).
        auto before = SafeTensorsFile::open(model + "/model.safetensors");
        auto after = SafeTensorsFile::open(o.outDir + "/model.safetensors");
        const std::string key = std::string(name) == "gpt2_tiny" ? "transformer.h.0.mlp.c_fc.weight" : "model.layers.0.mlp.up_proj.weight";
        EXPECT_FALSE(at::equal(before->tensor(key), after->tensor(key)));
    }
}

TEST(Trainer, AdamWWithWarmupCosineAccumulationClipAndDecayEqualsTheReference) {
    const std::string model = test::fixture("models/gemma3_tiny");
    const std::string dir = scratch("adamw");
    const std::string ids = writeIds(dir + "/ids.txt", randomSequences(7, 20, 512, 2));
    auto m = loadModel(model, testDevice());
    TrainerOptions o = small(4, 2, 16);
    o.gradAccum = 2;
    o.optimizer.kind = "adamw";
    o.optimizer.weightDecay = 0.1;
    o.optimizer.beta2 = 0.99;
    o.schedule.baseLr = 3e-3;
    o.schedule.warmup = 1;
    o.schedule.kind = "cosine";
    o.clip = 0.5;
    o.shuffle = false;
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = readIdsFile(ids, o.seqLen);
    const TrainResult r = runTraining(*m, o, d, nullProgress());
    const nlohmann::json ref = runReference("--model " + model + " --objective lm --ids " + ids +
                                            " --steps 4 --batch-size 2 --grad-accum 2 --seq-len 16 --optimizer adamw "
                                            "--lr 3e-3 --betas 0.9,0.99 --weight-decay 0.1 --warmup 1 --schedule cosine "
                                            "--clip 0.5 --out " + dir + "/ref.safetensors" + kFlags);
    expectSameLog(r, ref, 1e-4);
    expectSameWeights(o.outDir + "/model.safetensors", dir + "/ref.safetensors", 2e-5, 1e-3);
    EXPECT_EQ(r.log.front()["lr"].get<double>(), 0.0);  // HF's warmup starts at 0
}

TEST(Trainer, MaskedLmStepsEqualTheReference) {
    const std::string model = test::fixture("models/xlmr_tiny");
    const std::string dir = scratch("mlm");
    auto seqs = randomSequences(6, 14, 512, 3);
    for (auto& s : seqs)
        for (auto& v : s) v = 5 + v % 500;  // no special ids
    const std::string ids = writeIds(dir + "/ids.txt", seqs);
    TrainerOptions o = small(2, 3, 32);
    o.objective = "mlm";
    o.schedule.baseLr = 1e-3;
    o.clip = 1.0;
    o.shuffle = false;
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = readIdsFile(ids, o.seqLen);
    d.padId = 1;
    d.maskId = 4;
    d.specialIds = {0, 1, 2, 3};
    // The masked inputs and labels the trainer draws, written for the reference.
    {
        std::ofstream mi(dir + "/masked.txt"), lb(dir + "/labels.txt");
        for (int64_t j = 0; j < o.steps; ++j) {
            const auto rows = batchRows(j, o.batchSize, d.train.size(), false, o.seed);
            const MlmBatch b = maskForMlm(makeBatch(d.train, rows, d.padId), j, o, d, 512);
            for (int64_t i = 0; i < b.ids.size(0); ++i) {
                const int64_t len = b.mask[i].sum().item<int64_t>();
                for (int64_t t = 0; t < len; ++t) {
                    mi << (t ? "," : "") << b.ids[i][t].item<int64_t>();
                    lb << (t ? "," : "") << b.labels[i][t].item<int64_t>();
                }
                mi << "\n";
                lb << "\n";
            }
        }
    }
    auto m = loadModel(model, testDevice());
    const TrainResult r = runTraining(*m, o, d, nullProgress());
    const nlohmann::json ref = runReference("--model " + model + " --objective mlm --ids " + dir + "/masked.txt --labels " +
                                            dir + "/labels.txt --steps 2 --batch-size 3 --seq-len 32 --optimizer adamw "
                                            "--lr 1e-3 --clip 1.0 --out " + dir + "/ref.safetensors" + kFlags);
    expectSameLog(r, ref, 1e-4);
    expectSameWeights(o.outDir + "/model.safetensors", dir + "/ref.safetensors", 2e-5, 1e-3);
}

TEST(Trainer, ContrastiveStepsWithMatryoshkaEqualTheReference) {
    const std::string model = test::fixture("models/bert_tiny");
    const std::string dir = scratch("contrastive");
    auto a = randomSequences(6, 12, 512, 4), b = randomSequences(6, 12, 512, 5);
    {
        std::ofstream f(dir + "/pairs.txt");
        for (size_t i = 0; i < a.size(); ++i) {
            for (size_t t = 0; t < a[i].size(); ++t) f << (t ? "," : "") << a[i][t];
            f << "\t";
            for (size_t t = 0; t < b[i].size(); ++t) f << (t ? "," : "") << b[i][t];
            f << "\n";
        }
    }
    TrainerOptions o = small(2, 3, 32);
    o.objective = "contrastive";
    o.schedule.baseLr = 1e-3;
    o.clip = 0;
    o.shuffle = false;
    o.temperature = 0.1;
    o.matryoshka = {64, 32, 16};
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.trainPairs = readIdPairsFile(dir + "/pairs.txt", o.seqLen);
    auto m = loadModel(model, testDevice());
    const TrainResult r = runTraining(*m, o, d, nullProgress());
    const nlohmann::json ref = runReference("--model " + model + " --objective contrastive --pairs " + dir +
                                            "/pairs.txt --steps 2 --batch-size 3 --seq-len 32 --optimizer adamw --lr 1e-3 "
                                            "--temperature 0.1 --matryoshka 64,32,16 --pooling mean --out " + dir +
                                            "/ref.safetensors" + kFlags);
    expectSameLog(r, ref, 1e-4);
    expectSameWeights(o.outDir + "/model.safetensors", dir + "/ref.safetensors", 2e-5, 1e-3);
}

TEST(Trainer, ResumingReproducesTheUninterruptedRunBitForBit) {
    const std::string model = test::fixture("models/gpt2_tiny");
    const std::string dir = scratch("resume");
    const std::string ids = writeIds(dir + "/ids.txt", randomSequences(9, 20, 512, 6));
    TrainerOptions o = small(6, 2, 16);
    o.schedule.baseLr = 2e-3;
    o.schedule.kind = "linear";
    o.schedule.warmup = 2;
    o.saveEvery = 3;
    o.keep = 5;
    o.shuffle = true;
    o.seed = 9;
    TrainerData d = dataFor(model);
    d.train = readIdsFile(ids, o.seqLen);
    o.outDir = dir + "/whole";
    o.logPath = dir + "/whole.jsonl";
    auto m1 = loadModel(model);
    const TrainResult whole = runTraining(*m1, o, d, nullProgress());

    // The same run, cancelled after step 3 (its checkpoint written) …
    o.outDir = dir + "/parts";
    o.logPath = dir + "/parts.jsonl";
    Progress cancelAfter3;
    cancelAfter3.setLogListener([&](const std::string& line) {
        if (line == "checkpoint written: step 3") cancelAfter3.cancel();
    });
    auto m2 = loadModel(model);
    try {
        runTraining(*m2, o, d, cancelAfter3);
        FAIL() << "the run was not cancelled";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
    const std::string ckpt = latestCheckpoint(o.outDir);
    ASSERT_EQ(fs::path(ckpt).filename().string(), "checkpoint-3");
    // … and resumed from its checkpoint (the model loaded from it, as the CLI does).
    o.resumeDir = o.outDir;
    auto m3 = loadModel(ckpt);
    const TrainResult rest = runTraining(*m3, o, d, nullProgress());
    EXPECT_EQ(rest.resumedFrom, 3);
    ASSERT_EQ(rest.log.size(), whole.log.size());
    for (size_t i = 0; i < whole.log.size(); ++i) {
        nlohmann::json a = whole.log[i], b = rest.log[i];
        a.erase("seconds");
        b.erase("seconds");
        EXPECT_EQ(a.dump(), b.dump()) << "line " << i;
    }
    // The JSONL logs agree too, and the final weights are bit-identical.
    auto stripSeconds = [](const std::string& path) {
        std::ifstream f(path);
        std::string line, out;
        while (std::getline(f, line)) {
            auto j = nlohmann::json::parse(line);
            j.erase("seconds");
            out += j.dump() + "\n";
        }
        return out;
    };
    EXPECT_EQ(stripSeconds(dir + "/whole.jsonl"), stripSeconds(dir + "/parts.jsonl"));
    auto wa = SafeTensorsFile::open(dir + "/whole/model.safetensors");
    auto wb = SafeTensorsFile::open(dir + "/parts/model.safetensors");
    for (const auto& info : wa->tensors()) EXPECT_TRUE(at::equal(wa->tensor(info.name), wb->tensor(info.name))) << info.name;
    // Checkpoints: 3 and 6 kept; trainer_state.json holds the log; no partial folder is left.
    EXPECT_TRUE(fs::exists(dir + "/whole/checkpoint-3/optimizer.safetensors"));
    EXPECT_TRUE(fs::exists(dir + "/whole/checkpoint-6/trainer_state.json"));
    for (const auto& e : fs::directory_iterator(dir + "/whole")) EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos);
    // A resume with other settings is refused, naming the setting.
    TrainerOptions other = o;
    other.batchSize = 3;
    auto m4 = loadModel(ckpt);
    try {
        runTraining(*m4, other, d, nullProgress());
        FAIL() << "a mismatched resume was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("batch_size"), std::string::npos) << e.what();
    }
}

// A cancel that arrives during the backward pass stops it there (the trainer's gradient hooks), not at
// the end of the step: with a large model one backward takes seconds. The test's own hook on the last
// block's MLP output weight — whose gradient comes early in the backward pass — cancels, as a click
// would; the tied token embedding, whose gradient comes last, must then never get one.
TEST(Trainer, ACancelDuringTheBackwardPassStopsItThere) {
    const std::string model = test::fixture("models/gpt2_tiny");
    const std::string dir = scratch("cancel-backward");
    TrainerOptions o = small(3, 2, 16);
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = readIdsFile(writeIds(dir + "/ids.txt", randomSequences(6, 20, 512, 3)), o.seqLen);
    auto m = loadModel(model);
    m->makeTrainable();
    at::Tensor early, embedding;
    int64_t lastLayer = -1;
    for (const ParameterInfo& p : describeParameters(*m)) {
        if (p.name.find("mlp.c_proj.weight") != std::string::npos && p.layer > lastLayer) {
            lastLayer = p.layer;
            early = p.tensor;
        }
        if (p.name.find("wte.weight") != std::string::npos) embedding = p.tensor;
    }
    ASSERT_TRUE(early.defined() && embedding.defined());
    Progress progress;
    int cancels = 0, embeddingGrads = 0;
    early.register_hook([&](const at::Tensor&) {
        ++cancels;
        progress.cancel();
    });
    embedding.register_hook([&](const at::Tensor&) { ++embeddingGrads; });
    try {
        runTraining(*m, o, d, progress);
        FAIL() << "the run was not cancelled";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled) << e.what();
    }
    EXPECT_EQ(cancels, 1);         // the first step's backward
    EXPECT_EQ(embeddingGrads, 0);  // … went no further
    // Without a cancel the same hooks see every step's backward reach the embedding.
    auto m2 = loadModel(model);
    m2->makeTrainable();
    at::Tensor emb2;
    for (const ParameterInfo& p : describeParameters(*m2))
        if (p.name.find("wte.weight") != std::string::npos) emb2 = p.tensor;
    int grads2 = 0;
    emb2.register_hook([&](const at::Tensor&) { ++grads2; });
    o.outDir = dir + "/whole";
    runTraining(*m2, o, d, nullProgress());
    EXPECT_EQ(grads2, 3);
}

TEST(Trainer, EmbeddingsOnlyTrainingLeavesEveryBodyTensorBitIdentical) {
    const std::string model = test::fixture("models/gemma3_tiny");
    const std::string dir = scratch("embeddings_only");
    const std::string ids = writeIds(dir + "/ids.txt", randomSequences(6, 16, 512, 7));
    TrainerOptions o = small(3, 3, 16);
    o.schedule.baseLr = 1e-2;
    o.optimizer.weightDecay = 0.1;
    o.train = "embeddings";
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = readIdsFile(ids, o.seqLen);
    auto m = loadModel(model);
    runTraining(*m, o, d, nullProgress());
    auto before = SafeTensorsFile::open(model + "/model.safetensors");
    auto after = SafeTensorsFile::open(o.outDir + "/model.safetensors");
    int same = 0;
    for (const auto& info : before->tensors()) {
        const bool embedding = info.name == "model.embed_tokens.weight";
        const bool equal = at::equal(before->tensor(info.name), after->tensor(info.name));
        EXPECT_EQ(equal, !embedding) << info.name;
        same += equal;
    }
    EXPECT_GT(same, 50);
}

TEST(Trainer, BadInputGetsClearMessages) {
    const std::string model = test::fixture("models/gpt2_tiny");
    const std::string dir = scratch("bad");
    TrainerOptions o = small(2, 2, 16);
    o.outDir = dir + "/out";
    auto expectMessage = [&](TrainerOptions opts, TrainerData d, const char* model_, const std::string& needle) {
        auto m = loadModel(test::fixture(std::string("models/") + model_));
        try {
            runTraining(*m, opts, d, nullProgress());
            ADD_FAILURE() << "accepted; expected: " << needle;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    TrainerData d = dataFor(model);
    d.train = TokenSequences::fromVectors({{1, 2, 3}, {4, 600, 6}});
    expectMessage(o, d, "gpt2_tiny", "outside the model's vocabulary");
    d.train = TokenSequences::fromVectors({{1}, {2}});
    expectMessage(o, d, "gpt2_tiny", "no token to predict");
    d.train = TokenSequences::fromVectors({{1, 2, 3}, {4, 5, 6}});
    TrainerOptions mlm = o;
    mlm.objective = "mlm";
    expectMessage(mlm, d, "gpt2_tiny", "mlm needs an encoder");
    expectMessage(o, dataFor(test::fixture("models/bert_tiny")), "bert_tiny", "lm needs a causal LM");
    TrainerOptions lr = o;
    lr.schedule.baseLr = -1;
    expectMessage(lr, d, "gpt2_tiny", "--lr");
    // A NaN loss stops the run and names the last good checkpoint, which stays loadable.
    TrainerOptions nan = o;
    nan.steps = 4;
    nan.saveEvery = 1;
    nan.optimizer.kind = "sgd";
    nan.schedule.baseLr = 1e30;
    nan.clip = 0;
    auto m = loadModel(model);
    try {
        runTraining(*m, nan, d, nullProgress());
        ADD_FAILURE() << "a diverging run did not stop";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Runtime);
        EXPECT_NE(std::string(e.what()).find("checkpoint-"), std::string::npos) << e.what();
        const std::string last = latestCheckpoint(nan.outDir);
        ASSERT_FALSE(last.empty());
        auto good = loadModel(last);
        for (const auto& [name, t] : good->weights()) EXPECT_TRUE(at::isfinite(t).all().item<bool>()) << name;
    }
}

TEST(Trainer, KeepsTheLastKCheckpointsAndNeverMixesRuns) {
    const std::string model = test::fixture("models/gpt2_tiny");
    const std::string dir = scratch("keep");
    TrainerOptions o = small(4, 2, 8);
    o.saveEvery = 1;
    o.keep = 2;
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = TokenSequences::fromVectors({{1, 2, 3, 4}, {5, 6, 7}, {8, 9, 10, 11, 12}});
    auto m = loadModel(model);
    runTraining(*m, o, d, nullProgress());
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(o.outDir))
        if (e.is_directory()) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"checkpoint-3", "checkpoint-4"}));
    // A fresh run into the same folder is refused (its pruning would take the other run's checkpoints).
    auto m2 = loadModel(model);
    try {
        runTraining(*m2, o, d, nullProgress());
        ADD_FAILURE() << "a second run into a folder with checkpoints was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
    }
    // Resuming with other data is refused; with a trailing slash the checkpoint is found.
    TrainerOptions more = o;
    more.steps = 5;
    more.resumeDir = o.outDir + "/checkpoint-4/";
    TrainerData other = d;
    other.train = TokenSequences::fromVectors({{1, 2, 3, 4}, {5, 6, 7}, {8, 9, 10, 11, 13}});
    auto m3 = loadModel(model);
    try {
        runTraining(*m3, more, other, nullProgress());
        ADD_FAILURE() << "a resume with other data was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("data differ"), std::string::npos) << e.what();
    }
    auto m4 = loadModel(model);  // the base model: the checkpoint's weights are loaded by the trainer
    EXPECT_EQ(runTraining(*m4, more, d, nullProgress()).resumedFrom, 4);
}

TEST(Trainer, MaskedLmDrawsFifteenPercentWithTheEightyTenTenRule) {
    TrainerOptions o;
    o.objective = "mlm";
    TrainerData d;
    d.maskId = 4;
    d.specialIds = {0, 2};
    std::vector<std::vector<int64_t>> seqs;
    std::mt19937 gen(1);
    for (int i = 0; i < 64; ++i) {
        std::vector<int64_t> s = {0};
        for (int t = 0; t < 98; ++t) s.push_back(10 + static_cast<int64_t>(gen() % 400));
        s.push_back(2);
        seqs.push_back(s);
    }
    seqs.push_back({0, 50, 2});  // one maskable token: still one prediction
    const TokenSequences ts = TokenSequences::fromVectors(seqs);
    std::vector<size_t> rows(seqs.size());
    std::iota(rows.begin(), rows.end(), size_t{0});
    const TokenBatch b = makeBatch(ts, rows, 1);
    const MlmBatch m = maskForMlm(b, 0, o, d, 512);
    int64_t predicted = 0, masked = 0, kept = 0, random = 0;
    for (int64_t i = 0; i < b.ids.size(0); ++i) {
        int64_t row = 0;
        for (int64_t t = 0; t < b.ids.size(1); ++t) {
            const int64_t label = m.labels[i][t].item<int64_t>(), orig = b.ids[i][t].item<int64_t>(), in = m.ids[i][t].item<int64_t>();
            if (label < 0) {
                EXPECT_EQ(in, orig);
                continue;
            }
            EXPECT_EQ(label, orig);
            EXPECT_NE(orig, 0);
            EXPECT_NE(orig, 2);
            EXPECT_EQ(b.mask[i][t].item<int64_t>(), 1);
            ++predicted, ++row;
            if (in == 4) ++masked;
            else if (in == orig) ++kept;
            else ++random;
        }
        EXPECT_GE(row, 1) << "row " << i;
    }
    EXPECT_EQ(predicted, m.predictions);
    const double frac = double(predicted) / (64 * 98 + 1);
    EXPECT_NEAR(frac, 0.15, 0.015);
    EXPECT_NEAR(double(masked) / predicted, 0.8, 0.04);
    EXPECT_NEAR(double(kept) / predicted, 0.1, 0.03);
    EXPECT_NEAR(double(random) / predicted, 0.1, 0.03);
    // The same micro-batch index draws the same masks; another one draws others.
    EXPECT_TRUE(at::equal(maskForMlm(b, 0, o, d, 512).labels, m.labels));
    EXPECT_FALSE(at::equal(maskForMlm(b, 1, o, d, 512).labels, m.labels));
}

TEST(Trainer, BertMaskedLmWritesTheHeadUnderHuggingFaceKeysAndReadsItBack) {
    const std::string model = test::fixture("models/bert_tiny");
    const std::string dir = scratch("bert_mlm");
    TrainerOptions o = small(2, 2, 16);
    o.objective = "mlm";
    o.schedule.baseLr = 1e-3;
    o.outDir = dir + "/out";
    TrainerData d = dataFor(model);
    d.train = TokenSequences::fromVectors({{101, 7, 8, 9, 10, 102}, {101, 20, 21, 22, 102}, {101, 30, 31, 102}});
    d.maskId = 103;
    d.specialIds = {0, 101, 102, 103};
    auto m = loadModel(model);
    ASSERT_FALSE(m->weights().count("lm_head.dense.weight"));  // BertModel: no head, one is made
    Progress p;
    std::vector<std::string> logs;
    p.setLogListener([&](const std::string& l) { logs.push_back(l); });
    runTraining(*m, o, d, p);
    EXPECT_NE(std::find_if(logs.begin(), logs.end(), [](const std::string& l) { return l.find("new MLM head") != std::string::npos; }),
              logs.end());
    auto f = SafeTensorsFile::open(o.outDir + "/model.safetensors");
    for (const char* k : {"cls.predictions.transform.dense.weight", "cls.predictions.transform.LayerNorm.bias", "cls.predictions.bias",
                          "bert.embeddings.word_embeddings.weight", "bert.encoder.layer.1.output.dense.weight"})
        EXPECT_NE(f->find(k), nullptr) << k;
    const auto config = nlohmann::json::parse(readFile(o.outDir + "/config.json"));
    EXPECT_EQ(config["architectures"][0], "BertForMaskedLM");
    // Read back: the head is there and gives the MLM logits of the trained weights.
    auto back = loadModel(o.outDir);
    ASSERT_TRUE(back->weights().count("lm_head.dense.weight"));
    EXPECT_TRUE(at::equal(back->weights().at("lm_head.dense.weight"), f->tensor("cls.predictions.transform.dense.weight")));
    ForwardOptions fo;
    const ForwardOutput out = back->forward(at::tensor({101, 7, 8, 102}, at::kLong).view({1, -1}), at::Tensor(), at::Tensor(), fo);
    ASSERT_TRUE(out.logits.defined());
    EXPECT_EQ(out.logits.size(-1), 512);
}
