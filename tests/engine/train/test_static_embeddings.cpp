// Static embeddings (engine/train/static_embeddings.h): the character n-grams are fastText's own (its
// `print-ngrams` on a real model), the hash is FNV-1a as a Python reference computes it, one centre
// step on every ISA path equals a float64 numpy reference, one thread and a seed reproduce a run bit for
// bit, vectors written are the mean of the model's rows (out-of-vocabulary words: of their n-grams),
// and on a corpus with known word classes the nearest neighbours find the classes as well as Debian's
// fastText trained on the same text.
#include "engine/core/cpu_isa.h"
#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/vectors.h"
#include "engine/jobs/progress.h"
#include "engine/train/static_embeddings.h"
#include "run_python.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

using namespace embedlab;
using namespace embedlab::train;

namespace {

std::string scratch(const std::string& name) {
    const std::string dir = test::tmpDir() + "/static_embeddings";
    std::system(("mkdir -p '" + dir + "'").c_str());
    return dir + "/" + name;
}

bool haveFastText() { return std::system("command -v fasttext > /dev/null 2>&1") == 0; }

std::string runText(const std::string& cmd) {
    std::FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << cmd << "\n" << out;
    return out;
}

// A corpus with known classes: sentences "<animal> <verb> the <food>" style, from disjoint word sets,
// so that words of one class share contexts and words of different classes never do.
const std::vector<std::vector<std::string>> kClasses = {
    {"kedi", "köpek", "kuş", "at", "inek", "koyun", "tavşan", "fare"},
    {"elma", "armut", "muz", "kiraz", "erik", "üzüm", "incir", "kayısı"},
    {"koşuyor", "uyuyor", "bekliyor", "oturuyor", "bakıyor", "duruyor", "geliyor", "gidiyor"},
    {"mavi", "kırmızı", "yeşil", "sarı", "mor", "turuncu", "beyaz", "siyah"}};

std::string classCorpus(int lines, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::ostringstream s;
    const auto pick = [&](int c) { return kClasses[static_cast<size_t>(c)][rng() % 8]; };
    for (int i = 0; i < lines; ++i) {
        // colour animal verb ; colour fruit is-eaten (fixed frame words tie the positions together)
        if (rng() % 2) s << pick(3) << " " << pick(0) << " bahçede " << pick(2) << "\n";
        else s << pick(3) << " " << pick(1) << " sepette duruyor ve " << pick(3) << " " << pick(1) << " yanında\n";
    }
    return s.str();
}

StaticCorpus corpusOf(const std::string& text, int64_t minCount) {
    StaticCorpusBuilder b;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::vector<std::string> units;
        std::string u;
        while (w >> u) units.push_back(u);
        b.addLine(units);
    }
    return b.finish(minCount);
}

// Share of the class words whose nearest neighbour (cosine, among the class words) is of the same class.
double classPrecision(const VectorSet& v) {
    std::map<std::string, int64_t> row;
    for (int64_t i = 0; i < v.size(); ++i) row[v.labels[static_cast<size_t>(i)]] = i;
    std::vector<std::pair<int, at::Tensor>> items;
    for (size_t c = 0; c < kClasses.size(); ++c)
        for (const std::string& w : kClasses[c])
            if (row.count(w)) items.emplace_back(static_cast<int>(c), v.data[row[w]] / v.data[row[w]].norm());
    int hits = 0;
    for (size_t i = 0; i < items.size(); ++i) {
        double best = -2;
        int cls = -1;
        for (size_t j = 0; j < items.size(); ++j) {
            if (i == j) continue;
            const double s = (items[i].second * items[j].second).sum().item<double>();
            if (s > best) {
                best = s;
                cls = items[j].first;
            }
        }
        hits += cls == items[i].first;
    }
    return items.empty() ? 0 : static_cast<double>(hits) / static_cast<double>(items.size());
}

}  // namespace

TEST(StaticEmbeddings, NgramsAreFastTextsOwn) {
    if (!haveFastText()) GTEST_SKIP() << "Debian's fasttext is not installed (packaging/install-deps.sh installs it)";
    const std::string corpus = scratch("ngram_corpus.txt");
    writeFileAtomic(corpus, "ev evler kitap\nkitaplar ev\n");
    const std::string model = scratch("ngram_model");
    runText("fasttext skipgram -input '" + corpus + "' -output '" + model +
            "' -minCount 1 -epoch 1 -dim 4 -bucket 1000 -minn 2 -maxn 5 -thread 1 -verbose 0");
    for (const std::string word : {"ağaçlık", "İstanbul", "x", "çğ", "kitaplarımızdan"}) {
        std::istringstream out(runText("fasttext print-ngrams '" + model + ".bin' '" + word + "'"));
        std::vector<std::string> theirs;
        std::string line;
        while (std::getline(out, line))
            if (!line.empty()) theirs.push_back(line.substr(0, line.find(' ')));
        EXPECT_EQ(characterNgrams(word, 2, 5), theirs) << word;
    }
    EXPECT_TRUE(characterNgrams("kitap", 3, 0).empty());
}

TEST(StaticEmbeddings, HashIsFnv1aWithSignExtendedBytes) {
    const std::vector<std::string> words = {"ağaç", "<ki", "abc", "ığüşöç>", ""};
    std::string args;
    for (const std::string& w : words) args += " '" + w + "'";
    const nlohmann::json ref = test::runReferenceScript("static_reference.py", "hash" + args);
    for (size_t i = 0; i < words.size(); ++i) EXPECT_EQ(fastTextHash(words[i]), ref[i].get<uint32_t>()) << words[i];
}

// One centre step equals the float64 reference on every kernel path, a row named twice included.
TEST(StaticEmbeddings, CentreStepMatchesNumpyOnEveryIsa) {
    StaticOptions o;
    o.dim = 37;  // not a multiple of any vector width
    o.buckets = 50;
    o.minn = 2;
    o.maxn = 3;
    const std::vector<std::string> words = {"ev", "evler", "kitap", "kitaplar", "okul", "okullar"};
    for (int isa : {0, 1, 2}) {
        if (isa > static_cast<int>(detectedCpuIsa())) continue;
        StaticModel m(words, o);
        // Non-zero output rows so that every term matters.
        std::mt19937 rng(7);
        std::normal_distribution<float> nd(0.f, 0.3f);
        for (int64_t r = 0; r < m.wordCount(); ++r)
            for (int d = 0; d < m.dim(); ++d) m.outputRow(r)[d] = nd(rng);
        std::vector<int32_t> rows = m.rowsOf(3);
        rows.push_back(rows[1]);
        const std::vector<int32_t> targets = {0, 2, 5};
        const std::vector<std::vector<int32_t>> negatives = {{1, 4}, {3, 3}, {0, 1}};
        nlohmann::json in;
        in["rows"] = rows;
        in["targets"] = targets;
        in["negatives"] = negatives;
        in["lr"] = 0.7;
        for (int64_t r = 0; r < m.inputRows(); ++r) in["input"].push_back(std::vector<float>(m.inputRow(r), m.inputRow(r) + m.dim()));
        for (int64_t r = 0; r < m.wordCount(); ++r) in["output"].push_back(std::vector<float>(m.outputRow(r), m.outputRow(r) + m.dim()));
        const std::string path = scratch("step.json");
        writeFileAtomic(path, in.dump());
        const nlohmann::json ref = test::runReferenceScript("static_reference.py", "step '" + path + "'");
        const double loss = sgnsCentreStep(m, rows, targets, negatives, 0.7f, isa);
        EXPECT_NEAR(loss, ref["loss"].get<double>(), 1e-4) << cpuIsaName(static_cast<CpuIsa>(isa));
        double worst = 0;
        for (int64_t r = 0; r < m.inputRows(); ++r)
            for (int d = 0; d < m.dim(); ++d) worst = std::max(worst, std::abs(m.inputRow(r)[d] - ref["input"][static_cast<size_t>(r)][static_cast<size_t>(d)].get<double>()));
        for (int64_t r = 0; r < m.wordCount(); ++r)
            for (int d = 0; d < m.dim(); ++d) worst = std::max(worst, std::abs(m.outputRow(r)[d] - ref["output"][static_cast<size_t>(r)][static_cast<size_t>(d)].get<double>()));
        EXPECT_LT(worst, 1e-5) << cpuIsaName(static_cast<CpuIsa>(isa));
    }
}

TEST(StaticEmbeddings, CorpusKeepsFrequentUnitsSortedByCount) {
    const StaticCorpus c = corpusOf("a b a c\nb a d\n\na a\n", 2);
    EXPECT_EQ(c.words, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(c.counts, (std::vector<int64_t>{5, 2}));
    EXPECT_EQ(c.unitsRead, 9);
    EXPECT_EQ(c.rareDropped, 2);
    EXPECT_EQ(c.lines(), 4);
    EXPECT_EQ(c.ids, (std::vector<int32_t>{0, 1, 0, 1, 0, 0, 0}));
    EXPECT_EQ(c.lineStarts, (std::vector<int64_t>{0, 3, 5, 5, 7}));
}

// fastText's MAX_LINE_SIZE: a line of 2,500 units trains as lines of 1,024, 1,024 and 452, so that one
// huge line (text8) still gets a falling learning rate, both threads and a prompt cancel.
TEST(StaticEmbeddings, LongLinesAreCut) {
    std::string line;
    for (int i = 0; i < 2500; ++i) line += kClasses[static_cast<size_t>(i % 4)][static_cast<size_t>((i / 4) % 8)] + " ";
    const StaticCorpus c = corpusOf(line + "\n", 1);
    EXPECT_EQ(c.lines(), 3);
    EXPECT_EQ(c.lineStarts, (std::vector<int64_t>{0, 1024, 2048, 2500}));
    // One 40,000-unit line: the loss falls below ln 2 (the untrained value) as with short lines.
    std::string big;
    for (int r = 0; r < 16; ++r) big += line;
    const StaticCorpus b = corpusOf(big + "\n", 1);
    StaticOptions o;
    o.dim = 16;
    o.epochs = 1;
    o.buckets = 5000;
    o.threads = 1;
    o.sample = 0;
    StaticModel m(b.words, o);
    const StaticTrainStats s = m.train(b, o, nullProgress());
    EXPECT_LT(s.finalLoss, 0.6);
}

TEST(StaticEmbeddings, OneThreadAndASeedReproduceARun) {
    const StaticCorpus c = corpusOf(classCorpus(400, 3), 1);
    StaticOptions o;
    o.dim = 16;
    o.epochs = 2;
    o.buckets = 5000;
    o.threads = 1;
    StaticModel a(c.words, o), b(c.words, o);
    a.train(c, o, nullProgress());
    b.train(c, o, nullProgress());
    for (int64_t r = 0; r < a.inputRows(); ++r)
        ASSERT_EQ(std::memcmp(a.inputRow(r), b.inputRow(r), sizeof(float) * 16), 0) << r;
    o.seed = 2;
    StaticModel d(c.words, o);
    d.train(c, o, nullProgress());
    EXPECT_NE(std::memcmp(a.inputRow(0), d.inputRow(0), sizeof(float) * 16), 0);
}

// Written vectors: the mean of the word's own row and its n-gram rows; an out-of-vocabulary word the
// mean of its n-grams; text and binary hold the same numbers.
TEST(StaticEmbeddings, WrittenVectorsAreMeansOfRows) {
    const StaticCorpus c = corpusOf(classCorpus(200, 4), 1);
    StaticOptions o;
    o.dim = 8;
    o.epochs = 1;
    o.buckets = 1000;
    o.threads = 2;
    StaticModel m(c.words, o);
    m.train(c, o, nullProgress());
    const std::string vec = scratch("w.vec"), bin = scratch("w.bin");
    m.write(vec, false, {"kedicikler", "kedi", "kedicikler"});
    m.write(bin, true, {"kedicikler"});
    const VectorSet t = readVectors(vec), b = readVectors(bin);
    ASSERT_EQ(t.size(), m.wordCount() + 1);  // the duplicate and the vocabulary word are not repeated
    ASSERT_EQ(b.size(), t.size());
    EXPECT_TRUE(at::allclose(t.data, b.data, 1e-5, 1e-5));
    for (int64_t i : {int64_t(0), m.wordCount() - 1, m.wordCount()}) {
        const std::string w = t.labels[static_cast<size_t>(i)];
        const std::vector<int32_t> rows = m.rowsOfWord(w);
        ASSERT_FALSE(rows.empty()) << w;
        EXPECT_EQ(m.hasWord(w), i < m.wordCount());
        for (int d = 0; d < 8; ++d) {
            double s = 0;
            for (int32_t r : rows) s += m.inputRow(r)[d];
            EXPECT_NEAR(t.data[i][d].item<double>(), s / static_cast<double>(rows.size()), 1e-5) << w;
        }
    }
    EXPECT_EQ(m.rowsOfWord("kedicikler").size(), characterNgrams("kedicikler", 3, 6).size());
    StaticModel withMarker({"ev", kEndOfSentence}, o);  // as fastText: the marker has no n-grams
    EXPECT_EQ(withMarker.rowsOf(1).size(), 1u);
    EXPECT_EQ(withMarker.rowsOf(0).size(), 1u + characterNgrams("ev", 3, 6).size());
    EXPECT_EQ(m.rowsOfWord("kedi").front(), static_cast<int32_t>(std::find(m.words().begin(), m.words().end(), "kedi") - m.words().begin()));
}

// On text whose word classes are known, nearest neighbours find them at least as well as Debian's
// fastText with the same settings on the same file (both far above chance, 1/4).
TEST(StaticEmbeddings, NeighboursFindClassesAsWellAsFastText) {
    const std::string text = classCorpus(3000, 11);
    const std::string path = scratch("classes.txt");
    writeFileAtomic(path, text);
    const StaticCorpus c = corpusOf(text, 5);
    StaticOptions o;
    o.dim = 32;
    o.epochs = 5;
    o.buckets = 20000;
    o.threads = 2;
    o.sample = 0;  // forty word types: subsampling at 1e-4 would drop nearly every occurrence
    StaticModel m(c.words, o);
    const StaticTrainStats s = m.train(c, o, nullProgress());
    EXPECT_EQ(s.unitsProcessed, static_cast<int64_t>(c.ids.size()) * 5);
    EXPECT_GT(s.finalLoss, 0.0);
    m.write(scratch("classes.vec"), false);
    const double ours = classPrecision(readVectors(scratch("classes.vec")));
    EXPECT_GE(ours, 0.9);
    if (!haveFastText()) GTEST_SKIP() << "fasttext not installed; ours: " << ours;
    runText("fasttext skipgram -input '" + path + "' -output '" + scratch("classes_ft") +
            "' -dim 32 -epoch 5 -ws 5 -neg 5 -minCount 5 -bucket 20000 -t 1 -thread 2 -verbose 0");
    const double theirs = classPrecision(readVectors(scratch("classes_ft.vec")));
    std::cout << "class precision@1: embedlab " << ours << ", fastText " << theirs << "\n";
    EXPECT_GE(ours, theirs - 0.05);
}

TEST(StaticEmbeddings, BadOptionsAreRefused) {
    StaticOptions o;
    o.dim = 0;
    EXPECT_THROW(StaticModel({"a"}, o), Error);
    o.dim = 8;
    o.minn = 5;
    o.maxn = 3;
    EXPECT_THROW(StaticModel({"a"}, o), Error);
    o.minn = 3;
    o.maxn = 6;
    o.buckets = 100;
    StaticModel m({"a"}, o);
    StaticCorpus empty = corpusOf("a b c\n", 5);
    o.epochs = 0;
    EXPECT_THROW(m.train(corpusOf("a a a a a\n", 5), o, nullProgress()), Error);
    o.epochs = 1;
    EXPECT_THROW(m.train(empty, o, nullProgress()), Error);
}

TEST(StaticEmbeddings, CancelStopsTraining) {
    const StaticCorpus c = corpusOf(classCorpus(20000, 5), 1);
    StaticOptions o;
    o.dim = 64;
    o.epochs = 200;
    o.buckets = 10000;
    o.threads = 2;
    StaticModel m(c.words, o);
    Progress p;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        p.cancel();
    });
    const auto t0 = std::chrono::steady_clock::now();
    try {
        m.train(c, o, p);
        ADD_FAILURE() << "not cancelled";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), Error::Kind::Cancelled);
    }
    canceller.join();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}
