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

#include <cstdlib>
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
