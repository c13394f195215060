// embedlab engine — static embeddings: skip-gram with negative sampling over any units (words, a
// tokenizer's pieces), with fastText's character n-grams so that every word — unseen inflections too —
// gets a vector (`embedlab-cli train static`, docs/static-embeddings.md).
//
// The model is fastText's skip-gram (Bojanowski et al. 2017): a unit's input vector is the mean of its
// own row and the rows of its hashed character n-grams of "<unit>" (lengths minn..maxn, counted in
// characters; FNV-1a into `buckets` rows, as fastText hashes them); each (centre, context) pair is a
// logistic loss on the context's output row against `negatives` draws from the unigram distribution
// raised to the power 0.5 (fastText's table); frequent units are discarded with probability
// 1 − (√(t/f) + t/f); the window of each centre is drawn uniformly from 1..window; the learning rate
// falls linearly to 0 over all epochs.
//
// One difference from fastText, for speed (the batching of Ji et al. 2016, "Parallelizing Word2Vec in
// Shared and Distributed Memory"): the centre's input vector is computed once per centre, not once per
// context, and the input-side gradient of all its contexts is applied once, after them. Output rows are
// updated at once, as in fastText. docs/static-embeddings.md compares quality and speed with Debian's
// fastText on the same corpus.
//
// Threads update shared rows without locks (Hogwild, as word2vec and fastText); with one thread and a
// seed a run is reproducible bit for bit on one instruction-set path (AVX-512, AVX2 and the portable
// kernels round differently).
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace embedlab::train {

// fastText's end-of-sentence unit (each line of `train static` ends in it; it has no n-grams).
inline constexpr const char* kEndOfSentence = "</s>";
// Lines longer than this many units continue as new lines (fastText's MAX_LINE_SIZE).
inline constexpr int64_t kMaxLineUnits = 1024;

struct StaticOptions {
    int dim = 100;
    int epochs = 5;
    int window = 5;
    int negatives = 5;
    int64_t minCount = 5;
    double lr = 0.05;
    int minn = 3, maxn = 6;     // character n-gram lengths; maxn = 0 → no subwords
    int64_t buckets = 2000000;  // hashed n-gram rows (fastText's default); unused without subwords
    double sample = 1e-4;       // subsampling threshold t (0 = keep every unit)
    int threads = 0;            // 0 → LibTorch's intra-op thread count
    bool perPairUpdates = false;  // true: fastText's order (input rows updated after each context)
    uint64_t seed = 1;
};

// The corpus as vocabulary ids: units seen fewer than minCount times are dropped; the vocabulary is
// sorted by count (descending, ties by first occurrence).
struct StaticCorpus {
    std::vector<std::string> words;
    std::vector<int64_t> counts;
    std::vector<int32_t> ids;            // all kept units, line after line
    std::vector<int64_t> lineStarts;     // lines.size() + 1 offsets into ids
    int64_t unitsRead = 0;               // every unit, kept or not
    int64_t rareDropped = 0;             // occurrences of units under minCount
    int64_t lines() const { return static_cast<int64_t>(lineStarts.size()) - 1; }
};

// Builds the corpus from lines that are already split into units.
class StaticCorpusBuilder {
public:
    void addLine(const std::vector<std::string>& units);
    StaticCorpus finish(int64_t minCount);

private:
    std::unordered_map<std::string, int32_t> index_;
    std::vector<std::string> words_;
    std::vector<int64_t> counts_;
    std::vector<int32_t> ids_;
    std::vector<int64_t> lineStarts_{0};
};

// fastText's 32-bit FNV-1a over the bytes of `s` (each byte sign-extended first, as fastText does).
uint32_t fastTextHash(const std::string& s);
// The character n-grams of "<word>" with lengths minn..maxn (UTF-8 characters), in fastText's order;
// single-character n-grams at either end ("<", ">") excluded as fastText excludes them.
std::vector<std::string> characterNgrams(const std::string& word, int minn, int maxn);

struct StaticTrainStats {
    int64_t unitsProcessed = 0;  // epochs × units read (kept by min-count), as fastText counts words
    double seconds = 0;
    double unitsPerSecond = 0;
    double finalLoss = 0;        // mean logistic loss over the last 5% of the run
    int threads = 1;
};

class StaticModel {
public:
    // Allocates input rows (words + buckets, uniform in ±1/dim) and output rows (zeros).
    StaticModel(const std::vector<std::string>& words, const StaticOptions& options);

    int dim() const { return dim_; }
    int64_t wordCount() const { return static_cast<int64_t>(words_.size()); }
    const std::vector<std::string>& words() const { return words_; }
    bool hasWord(const std::string& word) const { return lookup_.count(word) != 0; }
    // Input rows that make up vocabulary word `i`: its own row first, then its n-gram rows.
    std::vector<int32_t> rowsOf(int64_t i) const;
    // Rows of a word that need not be in the vocabulary (its row when it is, then its n-grams).
    std::vector<int32_t> rowsOfWord(const std::string& word) const;
    // The mean of those rows; all zeros when a word has none (no subwords and not in the vocabulary).
    std::vector<float> wordVector(const std::string& word) const;
    std::vector<float> vocabularyVector(int64_t i) const;

    float* inputRow(int64_t r) { return input_.data() + r * dim_; }
    float* outputRow(int64_t r) { return output_.data() + r * dim_; }
    const float* inputRow(int64_t r) const { return input_.data() + r * dim_; }
    const float* outputRow(int64_t r) const { return output_.data() + r * dim_; }
    int64_t inputRows() const { return static_cast<int64_t>(input_.size()) / dim_; }

    // The training run over `corpus` (whose words are this model's vocabulary). Cancellable.
    StaticTrainStats train(const StaticCorpus& corpus, const StaticOptions& options, Progress& progress);

    // word2vec text (.vec, "N D" header) or binary (.bin) of every vocabulary word, plus those of
    // `extraWords` outside the vocabulary that have n-grams (composed from them), written atomically. Spaces inside a label are written as U+2581.
    // Returns how many of `extraWords` were written (distinct, outside the vocabulary, with n-grams).
    int64_t write(const std::string& path, bool binary, const std::vector<std::string>& extraWords = {}) const;
    // The same rows in memory: [vocabulary + extra, dim] float32 and their labels (as written: spaces
    // inside a label become U+2581). `extraOut` receives the extra words kept (those with n-grams).
    std::pair<std::vector<float>, std::vector<std::string>> rows(const std::vector<std::string>& extraWords,
                                                                 std::vector<std::string>* extraOut = nullptr) const;

private:
    std::vector<std::string> words_;
    std::vector<int32_t> subOffsets_, subRows_;  // CSR: rows of each vocabulary word
    std::vector<float> input_, output_;
    int dim_ = 0, minn_ = 0, maxn_ = 0;
    int64_t buckets_ = 0;
    std::unordered_map<std::string, int32_t> lookup_;
};

// One centre step (exposed for the reference test): h = mean of input rows `rows`; for each context c
// (targets[c] with label 1, then negatives[c][…] with label 0), g = lr·(label − σ(out[t]·h)),
// gh += g·out[t], out[t] += g·h; finally every input row in `rows` += gh. Returns the summed logistic
// loss. `isa` -1 = the CPU's best kernels, else a CpuIsa value (tests run every path).
double sgnsCentreStep(StaticModel& model, const std::vector<int32_t>& rows, const std::vector<int32_t>& targets,
                      const std::vector<std::vector<int32_t>>& negatives, float lr, int isa = -1);

}  // namespace embedlab::train
