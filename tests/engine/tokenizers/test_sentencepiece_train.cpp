// Training new SentencePiece models in their own process (embedlab-sptrain): the .model files equal what Debian's
// python3-sentencepiece (the fixtures' producer) writes for the same corpus and arguments, and the
// trained models round-trip Turkish text.
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/jobs/progress.h"
#include "test_paths.h"
#include "engine/tokenizers/sentencepiece_library.h"
#include "engine/tokenizers/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <thread>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace embedlab;

namespace {

std::vector<std::string> corpusLines() {
    const auto j = nlohmann::json::parse(readFile(test::fixture("tokenizers/sentences.json")));
    std::vector<std::string> lines;
    for (const auto& s : j["sentences"]) {
        std::string t = s.get<std::string>();
        if (t.find('\n') == std::string::npos && !t.empty()) lines.push_back(t);
    }
    return lines;
}

std::string writeCorpus(const std::string& dir) {
    ::mkdir(dir.c_str(), 0755);
    const std::string path = dir + "/corpus.txt";
    std::ofstream f(path);
    for (int rep = 0; rep < 3; ++rep)
        for (const auto& l : corpusLines()) f << l << "\n";
    return path;
}

class SpTrain : public ::testing::TestWithParam<std::string> {};

TEST_P(SpTrain, EqualsPythonSentencePieceAndRoundTrips) {
    const std::string type = GetParam();
    const std::string dir = test::tmpDir() + "/sp_train_" + type;
    const std::string corpus = writeCorpus(dir);
    const std::string args = "--input=" + corpus + " --model_type=" + type +
                             " --vocab_size=600 --character_coverage=1.0 --num_threads=1 "
                             "--normalization_rule_name=identity --remove_extra_whitespaces=false --hard_vocab_limit=false --byte_fallback=true "
                             "--shuffle_input_sentence=false --input_sentence_size=0";
    // The reference first: Debian's python3-sentencepiece with the same arguments and the same
    // model prefix (the trainer records its arguments inside the .model file).
    const std::string prefix = dir + "/m";
    const std::string py = test::referencePython() + " -c \"import sentencepiece as s, sys; "
                           "s.SentencePieceTrainer.Train(sys.argv[1])\" '" + args + " --model_prefix=" + prefix +
                           "' > " + dir + "/py.log 2>&1";
    ASSERT_EQ(std::system(py.c_str()), 0) << "python3-sentencepiece failed; see " << dir << "/py.log";
    const std::string reference = readFile(prefix + ".model");
    ::unlink((prefix + ".model").c_str());
    Progress progress;
    SentencePieceModel::train(args + " --model_prefix=" + prefix, progress);
    EXPECT_EQ(readFile(prefix + ".model"), reference);

    auto tok = loadSentencePieceTokenizer(prefix + ".model");
    EXPECT_GE(tok->vocabSize(), 100);
    for (const auto& line : corpusLines()) {
        const Encoding e = tok->encode(line, false);
        EXPECT_FALSE(e.ids.empty());
        EXPECT_EQ(tok->decode(e.ids, true), line);
    }
    // Text with letters the corpus never had falls back to bytes and still round-trips.
    const std::string unseen = "Ǆ ẞ ☀ — Ğğ";
    EXPECT_EQ(tok->decode(tok->encode(unseen, false).ids, true), unseen);
}

INSTANTIATE_TEST_SUITE_P(Types, SpTrain, ::testing::Values("unigram", "bpe"));

TEST(SpTrainErrors, MissingCorpusIsBadInput) {
    try {
        Progress progress;
        SentencePieceModel::train("--input=/no/such/corpus.txt --model_prefix=" + test::tmpDir() +
                                  "/never --vocab_size=100", progress);
        FAIL() << "training on a missing corpus succeeded";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::BadInput);
        EXPECT_NE(std::string(e.what()).find("SentencePiece training failed"), std::string::npos);
        // The trainer's own reason, read from the helper process's messages.
        EXPECT_NE(std::string(e.what()).find("/no/such/corpus.txt\": No such file"), std::string::npos) << e.what();
    }
}

}  // namespace

namespace {

// The trainer processes this process started: pid → state letter of /proc/PID/stat ('T' = stopped).
std::map<int, char> trainerChildren() {
    std::map<int, char> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc")) {
        const std::string n = e.path().filename().string();
        if (n.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream f(e.path() / "stat");
        std::string stat;
        std::getline(f, stat);
        const size_t open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos || close + 4 >= stat.size()) continue;
        if (stat.substr(open + 1, close - open - 1).rfind("embedlab-sptra", 0) != 0) continue;
        std::istringstream rest(stat.substr(close + 2));
        char state = 0;
        int ppid = 0;
        rest >> state >> ppid;
        if (ppid == ::getpid()) out[std::stoi(n)] = state;
    }
    return out;
}

}  // namespace

TEST(SpTrainProcess, PauseStopsTheTrainerAndCancelKillsIt) {
    // A corpus that keeps the trainer busy for seconds; the job is paused (the trainer process is
    // stopped), resumed (it runs again) and cancelled (it is gone, reaped, within 200 ms).
    const std::string dir = test::tmpDir() + "/sp_train_pause";
    ::mkdir(dir.c_str(), 0755);
    const std::string corpus = dir + "/big.txt";
    {
        std::ofstream f(corpus);
        const auto lines = corpusLines();
        for (int rep = 0; rep < 400; ++rep)
            for (size_t i = 0; i < lines.size(); ++i) f << lines[i] << " " << rep * 7919 + static_cast<int>(i) << "\n";
    }
    Progress progress;
    std::atomic<int> outcome{0};  // 1 = cancelled, 2 = finished, 3 = another error
    std::thread worker([&] {
        try {
            SentencePieceModel::train("--input=" + corpus + " --model_prefix=" + dir + "/m --model_type=unigram "
                                      "--vocab_size=3000 --hard_vocab_limit=false --num_threads=1",
                                      progress);
            outcome = 2;
        } catch (const Error& e) {
            outcome = e.kind() == Error::Kind::Cancelled ? 1 : 3;
        }
    });
    struct JoinOnExit {  // an ASSERT returning early must not leave a joinable thread (std::terminate)
        Progress& p;
        std::thread& t;
        ~JoinOnExit() {
            p.cancel();
            if (t.joinable()) t.join();
        }
    } joinOnExit{progress, worker};
    auto waitFor = [](const std::function<bool()>& cond, int ms) {
        for (int i = 0; i < ms / 5 && !cond(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return cond();
    };
    ASSERT_TRUE(waitFor([] { return trainerChildren().size() == 1; }, 5000)) << "no trainer process appeared";
    const int pid = trainerChildren().begin()->first;
    progress.pause();
    EXPECT_TRUE(waitFor([&] { return trainerChildren()[pid] == 'T'; }, 1000)) << "the paused trainer still runs";
    progress.resume();
    EXPECT_TRUE(waitFor([&] { auto c = trainerChildren(); return c.count(pid) && c[pid] != 'T'; }, 1000))
        << "the resumed trainer is still stopped";
    const auto t0 = std::chrono::steady_clock::now();
    progress.cancel();
    worker.join();  // (JoinOnExit then finds it joined)
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (outcome == 2) GTEST_SKIP() << "the trainer finished before the cancel (a very fast machine)";
    EXPECT_EQ(outcome.load(), 1);
    EXPECT_LE(ms, 200.0);
    EXPECT_TRUE(trainerChildren().empty()) << "the killed trainer was not reaped";
}
