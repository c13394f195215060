// embedlab engine task — training a tokenizer on a corpus: `embedlab-cli train tokenizer`. Kinds bpe and
// unigram are SentencePiece models trained by libsentencepiece (through the isolated shim,
// engine/tokenizers/sentencepiece_library.h; tested byte-for-byte against python3-sentencepiece), with
// byte fallback (every text stays encodable), identity normalisation, the whole corpus as read by the
// corpus reader (any format it knows), ids <unk> 0, <s> 1, </s> 2, <pad> 3. Written as DIR/tokenizer.model,
// whole or not at all. The morphology-aware kind (issue #17) is not built yet and is refused by name.
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <string>

namespace embedlab::tasks {

struct TokenizerTrainOptions {
    std::string kind = "bpe";  // bpe | unigram
    std::string input;         // a corpus
    int64_t vocabSize = 8000;
    double characterCoverage = 1.0;
    int64_t maxSentences = 0;  // 0 = every record
    bool force = false;
    std::string outDir;
};

struct TokenizerTrainResult {
    int64_t vocabSize = 0, sentences = 0, chars = 0;
    double seconds = 0;
    std::string modelPath;
};

// Throws Error(BadInput) for bad options or corpus, Error(Runtime) on I/O.
TokenizerTrainResult trainTokenizer(const TokenizerTrainOptions& options, Progress& progress);

}  // namespace embedlab::tasks
