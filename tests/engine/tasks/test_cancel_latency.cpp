// Every long job stops within 200 ms of a cancel, whatever it is doing at that moment (issue #19):
// training (lm, mlm, contrastive, distill), vocabulary transfer, an ablation sweep, static embeddings
// and tokenizer training. Each task starts on a worker thread and is cancelled at fixed delays after
// its start — so a cancel lands while it loads, tokenises, trains, evaluates, samples or writes a
// checkpoint, not only right after a report — and the time from cancel() to the task's return is
// measured on the worker thread itself (no UI loop in between; a stop over the bound is retried twice
// at the same delay, so that a moment the scheduler gave the core to another process does not count as
// a stretch without a cancel check — such a stretch is there every time). A cancelled task leaves
// no partial output: no `.partial` folder, no half-written output folder.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/jobs/progress.h"
#include "engine/models/model.h"
#include "engine/models/model_config.h"
#include "engine/models/model_loader.h"
#include "engine/models/model_writer.h"
#include "engine/tasks/ablation_study.h"
#include "engine/tasks/train_model.h"
#include "engine/tasks/train_static.h"
#include "engine/tasks/train_tokenizer.h"
#include "engine/tasks/transfer_model.h"
#include "engine/tokenizers/tokenizer.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

using namespace embedlab;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

#ifdef EMBEDLAB_SANITIZED
constexpr double kBoundMs = 1000.0;  // ASan at -O1: the same checks, a looser clock
#else
constexpr double kBoundMs = 200.0;
#endif

const std::string kBpe = "sentencepiece/tr_bpe_2k_bytefallback.model";

std::string scratch(const std::string& name) {
    const std::string d = test::tmpDir() + "/cancel_" + name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

// A random model of a fixture's architecture over the 2,000-token SentencePiece BPE, with the
// tokenizer in its folder.
std::string makeModel(const std::string& dir, const std::string& fixtureModel) {
    nlohmann::json cfg = nlohmann::json::parse(readFile(test::fixture("models/" + fixtureModel + "/config.json")));
    const auto tok = loadTokenizer(test::fixture(kBpe));
    cfg["vocab_size"] = tok->vocabSize();
    auto m = createRandomModel(parseModelConfig(cfg.dump()), 7);
    const std::string out = dir + "/" + fixtureModel;
    writeModelFolder(*m, cfg, out);
    fs::copy_file(test::fixture(kBpe), out + "/tokenizer.model");
    return out;
}

// Turkish-looking lines (root + suffix pairs), `pairs` = tab-separated pairs of them.
std::string writeText(const std::string& path, int lines, bool pairs = false) {
    static const char* roots[] = {"ev", "kitap", "okul", "kalem", "masa", "deniz", "yol", "göz", "kapı", "çocuk"};
    static const char* sufs[] = {"", "ler", "de", "den", "i", "imiz", "lerde", "e", "in"};
    std::ofstream f(path);
    for (int i = 0; i < lines; ++i) {
        auto w = [&](int k) { return std::string(roots[(i * 7 + k) % 10]) + sufs[(i + 3 * k) % 9]; };
        f << "bu " << w(0) << " çok güzel ve " << w(1) << " yakın " << w(2);
        if (pairs) f << "\t" << w(0) << " güzel, " << w(1) << " yakın";
        f << "\n";
    }
    return path;
}

struct Outcome {
    bool finishedBeforeCancel = false;
    bool cancelled = false;  // returned by Error::cancelled()
    double latencyMs = 0.0;  // cancel() → the task's return, on the worker thread
    std::string error;       // any other exception
    std::string stage;       // the task's last progress message when it was cancelled
};

// Starts `task` on a thread, cancels it `delayMs` after the start and measures how long it takes to stop.
Outcome cancelAfter(const std::function<void(Progress&)>& task, int delayMs) {
    Progress progress;
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    Clock::time_point cancelAt{}, endAt{};
    Outcome out;
    std::mutex logMutex;
    std::string lastLog;
    progress.setLogListener([&](const std::string& line) {
        std::lock_guard<std::mutex> lock(logMutex);
        lastLog = line;
    });
    std::thread worker([&] {
        try {
            task(progress);
        } catch (const Error& e) {
            if (e.kind() == Error::Kind::Cancelled)
                out.cancelled = true;
            else
                out.error = e.what();
        } catch (const std::exception& e) {
            out.error = std::string("not an embedlab error: ") + e.what();
        }
        std::lock_guard<std::mutex> lock(m);
        endAt = Clock::now();
        done = true;
        cv.notify_all();
    });
    {
        std::unique_lock<std::mutex> lock(m);
        cv.wait_for(lock, std::chrono::milliseconds(delayMs), [&] { return done; });
        if (!done) {
            cancelAt = Clock::now();
            progress.cancel();
            std::lock_guard<std::mutex> logLock(logMutex);
            out.stage = progress.snapshot().message + "', last log line '" + lastLog;
        }
    }
    worker.join();
    if (cancelAt == Clock::time_point{}) {
        out.finishedBeforeCancel = true;
    } else {
        out.latencyMs = std::chrono::duration<double, std::milli>(endAt - cancelAt).count();
    }
    return out;
}

// No folder or file a killed or cancelled writer leaves behind, anywhere under `dir`.
std::vector<std::string> leftovers(const std::string& dir) {
    std::vector<std::string> found;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return found;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.find(".partial") != std::string::npos || n.find(".tmp") != std::string::npos ||
            (n.size() > 4 && n.compare(n.size() - 4, 4, ".old") == 0))
            found.push_back(it->path().string());
    }
    return found;
}

// Cancels `task` at each delay; each run starts from `reset()` (a clean output). Every cancel that
// lands is within the bound and ends in Error::cancelled() or a finished task; at least `minCancelled`
// runs were really cancelled (the task ran long enough for the delays to mean something).
void expectPromptCancel(const std::string& what, const std::function<void(Progress&)>& task,
                        const std::function<void()>& reset, const std::string& outDir,
                        const std::vector<int>& delaysMs = {5, 40, 150, 400, 900, 1600}, int minCancelled = 4) {
    int cancelled = 0;
    double worst = 0.0;
    for (int d : delaysMs) {
        // A stop later than the bound is tried twice more at the same delay: a stretch without a
        // cancel check is there every time, a moment when the scheduler ran something else is not.
        Outcome o;
        std::string slow;
        for (int attempt = 0; attempt < 3; ++attempt) {
            reset();
            o = cancelAfter(task, d);
            if (!o.error.empty() || o.finishedBeforeCancel || o.latencyMs <= kBoundMs) break;
            slow += (slow.empty() ? "" : ", ") + std::to_string(static_cast<int>(o.latencyMs)) + " ms ('" + o.stage + "')";
        }
        if (!slow.empty()) std::printf("%s, cancel at %d ms: slow stops %s\n", what.c_str(), d, slow.c_str());
        EXPECT_TRUE(o.error.empty()) << what << ", cancelled after " << d << " ms: " << o.error;
        if (o.finishedBeforeCancel) continue;
        worst = std::max(worst, o.latencyMs);
        EXPECT_LE(o.latencyMs, kBoundMs) << what << ": a cancel " << d << " ms after the start took " << o.latencyMs
                                      << " ms three times (last report: '" << o.stage << "')";
        if (o.cancelled) {
            ++cancelled;
            const auto left = leftovers(outDir);
            EXPECT_TRUE(left.empty()) << what << ", cancelled after " << d << " ms, left " << left.front();
        }
    }
    EXPECT_GE(cancelled, minCancelled) << what << " finished before most cancels: make it longer";
    std::printf("%s: %d of %zu runs cancelled, slowest stop %.1f ms\n", what.c_str(), cancelled, delaysMs.size(), worst);
}

struct Fixture {
    std::string dir, gemma, bert, text, heldOut, pairs;
};

const Fixture& fixture() {
    static Fixture f = [] {
        Fixture x;
        x.dir = scratch("inputs");
        x.gemma = makeModel(x.dir, "gemma3_tiny");
        x.bert = makeModel(x.dir, "bert_tiny");
        x.text = writeText(x.dir + "/text.txt", 3000);
        x.heldOut = writeText(x.dir + "/held.txt", 200);
        x.pairs = writeText(x.dir + "/pairs.tsv", 2000, true);
        return x;
    }();
    return f;
}

tasks::TrainTaskOptions trainOptions(const std::string& objective, const std::string& model, const std::string& out) {
    tasks::TrainTaskOptions o;
    o.trainer.objective = objective;
    o.trainer.steps = 100000;  // never reached: every run is cancelled or the test fails
    o.trainer.batchSize = 4;
    o.trainer.seqLen = 32;
    o.trainer.saveEvery = 3;  // checkpoints all the time, so that cancels land in their writes
    o.trainer.evalEvery = 5;
    o.trainer.keep = 2;
    o.trainer.outDir = out;
    o.modelDir = model;
    o.cacheDir = fixture().dir + "/token-cache";
    return o;
}

}  // namespace

TEST(CancelLatency, TrainingEveryObjective) {
    const Fixture& fx = fixture();
    const std::string out = fx.dir + "/train-out";
    auto reset = [&] { fs::remove_all(out); };

    tasks::TrainTaskOptions lm = trainOptions("lm", fx.gemma, out);
    lm.dataPath = fx.text;
    lm.evalDataPath = fx.heldOut;
    lm.trainer.sampleEvery = 4;
    lm.trainer.sampleTokens = 8;
    expectPromptCancel("train lm", [&](Progress& p) { tasks::trainModel(lm, p); }, reset, out);

    tasks::TrainTaskOptions mlm = trainOptions("mlm", fx.bert, out);
    mlm.dataPath = fx.text;
    mlm.evalDataPath = fx.heldOut;
    mlm.maskId = 3;
    expectPromptCancel("train mlm", [&](Progress& p) { tasks::trainModel(mlm, p); }, reset, out);

    tasks::TrainTaskOptions con = trainOptions("contrastive", fx.bert, out);
    con.dataPath = fx.pairs;
    expectPromptCancel("train contrastive", [&](Progress& p) { tasks::trainModel(con, p); }, reset, out);
}

TEST(CancelLatency, TransferAndDistillation) {
    const Fixture& fx = fixture();
    const std::string out = fx.dir + "/transfer-out";
    tasks::TransferTaskOptions t;
    t.sourceDir = fx.gemma;
    t.targetTokenizer = test::fixture("tokenizers/turkish-seed");
    t.strategy = TransferStrategy::Weighted;
    t.corpus = fx.text;
    t.outDir = out;
    // The transfer itself is short on the tiny model: cancels early in it, then one complete run to
    // distil from.
    expectPromptCancel("transfer", [&](Progress& p) { tasks::transferModel(t, p); }, [&] { fs::remove_all(out); }, fx.dir,
                       {1, 5, 20, 60}, 1);
    fs::remove_all(out);
    Progress whole;
    tasks::transferModel(t, whole);

    const std::string dout = fx.dir + "/distill-out";
    tasks::TrainTaskOptions d = trainOptions("distill", out, dout);
    d.teacherDir = fx.gemma;
    d.dataPath = fx.text;
    d.evalDataPath = fx.heldOut;
    d.trainer.train = "embeddings";
    expectPromptCancel("train distill", [&](Progress& p) { tasks::trainModel(d, p); }, [&] { fs::remove_all(dout); }, dout);
}

TEST(CancelLatency, AblationSweep) {
    const Fixture& fx = fixture();
    const std::string sts = fx.dir + "/sts.tsv";
    {
        std::ofstream f(sts);
        f << "sentence1\tsentence2\tscore\n";
        for (int i = 0; i < 60; ++i) f << "bu ev " << i << " güzel\tbu kitap " << i % 7 << " yakın\t" << (i % 6) << "\n";
    }
    nlohmann::json j = {{"model", fx.gemma},
                        {"type", "heads"},
                        {"heads", {{"mode", "mean"}}},
                        {"metrics", {{{"task", "sts"}, {"data", sts}}, {{"task", "perplexity"}, {"data", fx.heldOut}}}}};
    const tasks::AblationStudy study = tasks::parseStudy(j, fx.dir);
    expectPromptCancel("ablation sweep (heads, mean)", [&](Progress& p) { tasks::runAblation(study, p); }, [] {}, fx.dir);
}

TEST(CancelLatency, StaticEmbeddingsAndTokenizers) {
    const Fixture& fx = fixture();
    const std::string out = fx.dir + "/static-out";
    tasks::StaticTrainOptions s;
    s.input = fx.text;
    s.model.dim = 32;
    s.model.epochs = 400;
    s.model.minCount = 1;
    s.model.buckets = 20000;
    s.outPath = out + "/vectors.vec";
    expectPromptCancel("static embeddings", [&](Progress& p) { tasks::trainStaticEmbeddings(s, p); },
                       [&] { fs::remove_all(out); fs::create_directories(out); }, out);

    const std::string tout = fx.dir + "/tokenizer-out";
    // A corpus large enough that SentencePiece's trainer runs for seconds.
    const std::string big = writeText(fx.dir + "/big.txt", 200000);
    tasks::TokenizerTrainOptions b;
    b.kind = "unigram";
    b.input = big;
    b.vocabSize = 400;
    b.outDir = tout;
    expectPromptCancel("tokenizer (unigram)", [&](Progress& p) { tasks::trainTokenizer(b, p); },
                       [&] { fs::remove_all(tout); }, fx.dir, {5, 40, 150, 400, 900}, 3);
}
