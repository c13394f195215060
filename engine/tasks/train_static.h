// embedlab engine task — static embeddings trained on a corpus: `embedlab-cli train static` and the
// Training view. Reads the corpus (any format and encoding the corpus reader knows, one record per
// line), splits each record into units — whitespace-separated words, or a tokenizer's pieces — ends it
// in fastText's end-of-sentence unit "</s>" (a context, and a row of the output, as in fastText), trains
// fastText-style skip-gram (engine/train/static_embeddings.h) and writes word2vec text (.vec) or
// binary (.bin) with a vector for every vocabulary unit, plus `--oov-words` composed from subwords — or
// TensorFlow Projector TSV with a metadata file (count, part of speech from a treebank) that the map
// colours by.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/train/static_embeddings.h"

#include <cstdint>
#include <string>

namespace embedlab::tasks {

struct StaticTrainOptions {
    std::string input;              // corpus
    std::string units = "words";    // words | morph | tokenizer:PATH
    std::string morphTokenizer;     // units morph: a folder built by `train tokenizer --kind morph`; each word
                                    // becomes its root and suffix groups (allomorphs are one unit: lar = ler)
    std::string subwords = "3-6";   // MIN-MAX | none
    train::StaticOptions model;     // dim, epochs, window, negatives, minCount, lr, seed, threads, buckets
    std::string oovWordsPath;       // a file of words (one per line) to write as well
    std::string gold;               // a treebank: adds each word's part of speech to the .tsv metadata
    std::string outPath;            // FILE.vec | FILE.bin | FILE.tsv (TensorFlow Projector vectors, with a
                                    // metadata TSV: word, count, pos, unit; named as the vectors file with
                                    // "vectors" → "metadata", else FILE.metadata.tsv)
};

struct StaticTrainResult {
    int64_t words = 0;        // units read from the corpus (before min-count; without the </s> units)
    int64_t vocab = 0;        // units kept (min-count)
    int64_t lines = 0;
    int64_t oovWritten = 0;   // --oov-words lines written beyond the vocabulary
    double seconds = 0;       // the whole command: reading, training, writing
    double trainSeconds = 0;
    double wordsPerSecond = 0;  // epochs × kept units (</s> included) / training seconds (fastText's count)
    double finalLoss = 0;
    int threads = 1;
    std::string outPath;
    std::string metadataPath;  // .tsv output: the metadata file written
    int64_t posLabelled = 0;   // .tsv output with a treebank: rows given a part of speech
};

// Parses "3-6" / "none" into (minn, maxn); maxn 0 = none. Throws Error(BadInput).
std::pair<int, int> parseSubwordRange(const std::string& spec);

// Throws Error(BadInput) for bad options or an empty corpus, Error(Runtime) on I/O, Error(Cancelled).
StaticTrainResult trainStaticEmbeddings(const StaticTrainOptions& options, Progress& progress);

}  // namespace embedlab::tasks
