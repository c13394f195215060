// embedlab engine task — embed a stream of texts in chunks and hand every chunk's vectors to a sink.
//
// The single implementation behind `embedlab-cli embed` (lines of a file → .npy / .safetensors / .tsv)
// and the app's EmbedCorpusJob (corpus records → an on-disk vector store). Memory holds one chunk of
// texts and vectors whatever the corpus size; the reader reports its own progress (bytes or lines read),
// which maps onto 0…0.98 of the whole; each chunk's embedding is a child stage; a cancel stops within
// one batch.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/models/embedding_options.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace embedlab {
class Collective;
class Model;
class Tokenizer;
}  // namespace embedlab

namespace embedlab::tasks {

struct TextRecord {
    std::string text;
    std::string label;  // "" when the corpus has none
    int64_t line = 0;   // 1-based line of the record's start in its file
};

// Receives each chunk, in order: vectors [n, dim] float32 on the CPU, one row per record.
using EmbeddingSink = std::function<void(const at::Tensor& vectors, const std::vector<TextRecord>& records)>;
// Produces the records by calling `emit` for each, reporting its own progress on `progress`.
using TextReader = std::function<void(const std::function<void(TextRecord&&)>& emit, Progress& progress)>;

struct EmbedCorpusOptions {
    EmbeddingOptions embed;
    int64_t chunk = 0;   // records per chunk (0: max(256, 16 × batch size))
    std::string source;  // the input's name in messages
    // Data parallel: this rank's group, or null for one process. Every rank reads the whole input;
    // chunk k (the same chunks as one process makes) is embedded by rank k mod W, and rank 0 receives
    // the others' vectors and hands every chunk to its sink in order — the sink runs on rank 0 only,
    // with exactly the vectors one process would compute; memory holds one chunk at a time.
    Collective* collective = nullptr;
};

struct EmbedCorpusResult {
    int64_t count = 0, dim = 0;  // count: every record (on every rank)
    int64_t embedded = 0;        // the records this process embedded
    double seconds = 0.0, embedSeconds = 0.0;
    double sentencesPerSecond() const { return embedSeconds > 0 ? double(count) / embedSeconds : 0.0; }
};

// Throws what the reader, the model or the sink throw (Error kinds), and Error(BadInput) for a corpus
// without records.
EmbedCorpusResult embedCorpus(Model& model, const Tokenizer& tokenizer, const TextReader& read,
                              const EmbeddingSink& sink, const EmbedCorpusOptions& options, Progress& progress);

}  // namespace embedlab::tasks
