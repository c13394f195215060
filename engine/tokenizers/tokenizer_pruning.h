// embedlab engine — rewriting a tokenizer's files for a pruned vocabulary (model surgery).
//
// The kept ids keep their order and are renumbered 0…k−1. Supported: a Hugging Face tokenizer.json
// (BPE — merges whose parts or result are gone are dropped, and every kept token's merge parts are kept
// so that BPE can still build it —, WordPiece, Unigram; added tokens and the post-processor's special
// ids are renumbered) with its tokenizer_config.json (added_tokens_decoder), and the seed Turkish format
// (kokler.json, ekler.json, bpe_tokenler.json). A SentencePiece .model is refused with a message.
#pragma once

#include "engine/tokenizers/tokenizer.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

// The ids a pruned vocabulary must keep besides `used`: control, unknown and byte tokens, every token of
// one code point (so that any text stays encodable), and — for BPE — the merge parts of every kept token.
// Returns the sorted, unique ids to keep.
std::vector<int64_t> closeVocabulary(const Tokenizer& tok, const std::string& tokenizerDir, std::vector<int64_t> used);

// Writes the tokenizer files of `fromDir` into `toDir` with only `keep` (sorted old ids). Returns the
// names written. Throws Error(BadInput) for a tokenizer kind it cannot rewrite.
std::vector<std::string> writePrunedTokenizer(const std::string& fromDir, const std::vector<int64_t>& keep,
                                              const std::string& toDir);

}  // namespace embedlab
