// embedlab engine task — training a tokenizer on a corpus: `embedlab-cli train tokenizer`. Kinds bpe and
// unigram are SentencePiece models trained by libsentencepiece (through the isolated shim,
// engine/tokenizers/sentencepiece_library.h; tested byte-for-byte against python3-sentencepiece), with
// byte fallback (every text stays encodable), identity normalisation, the whole corpus as read by the
// corpus reader (any format it knows), ids <unk> 0, <s> 1, </s> 2, <pad> 3. Written as DIR/tokenizer.model,
// whole or not at all. Kind morph is the morphology-aware Turkish tokenizer in the seed's folder format
// plus morph.json (engine/tokenizers/morph_tokenizer_trainer.h), written whole or not at all too; it
// needs the nlptoolkit lexicon folder and reads one or more corpora.
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::tasks {

struct TokenizerTrainOptions {
    std::string kind = "bpe";  // bpe | unigram | morph
    std::string input;         // a corpus
    std::vector<std::string> moreInputs;  // morph: further corpora
    std::string lexiconDir;    // morph: the nlptoolkit-dictionary folder
    int64_t vocabSize = 8000;
    double characterCoverage = 1.0;
    int64_t maxSentences = 0;  // 0 = every record
    bool force = false;
    std::string outDir;
};

struct TokenizerTrainResult {
    int64_t vocabSize = 0, sentences = 0, chars = 0;
    double seconds = 0;
    std::string modelPath;  // bpe/unigram: the .model; morph: the folder
    // morph: the vocabulary's parts and the corpus words read as root + suffixes
    int64_t roots = 0, suffixGroups = 0, bpePieces = 0, words = 0, wordsParsed = 0, lexiconSkipped = 0;
};

// Throws Error(BadInput) for bad options or corpus, Error(Runtime) on I/O.
TokenizerTrainResult trainTokenizer(const TokenizerTrainOptions& options, Progress& progress);

}  // namespace embedlab::tasks
