// embedlab engine — training data: token sequences from an ids file or a tokenised corpus, the
// cached token stream behind the latter, and how a step's micro-batches are drawn.
//
// A text corpus (any format the corpus reader knows) is tokenised once into a token file in the
// cache folder, keyed by the corpus bytes and the tokenizer's files (FNV-1a 64), and memory-mapped
// afterwards: `magic "EMBTOKS1" | u64 tokens | u64 chars | u64 records | i32 tokens[]`. Each record
// is encoded with the tokenizer's special tokens (Gemma's <bos>) and followed by EOS when the
// tokenizer has one; the stream is packed into blocks of seqLen tokens. The held-out split is fixed:
// the last 5% of blocks (at least one when there are two or more), unless a separate eval corpus is given.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

class Progress;
class Tokenizer;

// Sequences of token ids over one flat buffer (owned, or a memory-mapped cache file).
class TokenSequences {
public:
    TokenSequences() = default;
    static TokenSequences fromVectors(const std::vector<std::vector<int64_t>>& seqs);
    // Blocks of `blockLen` tokens over [begin, end) of a flat buffer (the last block may be shorter
    // but is kept only when it has at least 2 tokens).
    static TokenSequences blocks(std::shared_ptr<const int32_t> data, int64_t begin, int64_t end, int64_t blockLen);

    // Sequences [begin, end) (sharing the buffer).
    TokenSequences slice(size_t begin, size_t end) const;

    size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    int64_t length(size_t i) const { return offsets_[i + 1] - offsets_[i]; }
    const int32_t* sequence(size_t i) const { return data_.get() + offsets_[i]; }
    int64_t totalTokens() const { return offsets_.empty() ? 0 : offsets_.back() - offsets_.front(); }
    int32_t maxId() const;
    int32_t minId() const;

private:
    std::shared_ptr<const int32_t> data_;
    std::vector<int64_t> offsets_;  // size()+1 entries into data_
};

// `--ids FILE`: one sequence per line, comma-separated ids, truncated to seqLen (blank lines skipped).
// Throws Error(BadInput) naming the line for a bad number or an empty file.
TokenSequences readIdsFile(const std::string& path, int64_t seqLen);

// `--pairs` style: lines `a<TAB>b` of comma-separated ids (contrastive reference tests).
struct TokenPairs {
    TokenSequences first, second;
};
TokenPairs readIdPairsFile(const std::string& path, int64_t seqLen);

struct TokenizedCorpus {
    std::shared_ptr<const int32_t> tokens;  // the whole stream
    int64_t numTokens = 0, chars = 0, records = 0;
    std::string cachePath;
    bool fromCache = false;
    double tokensPerChar() const { return chars > 0 ? static_cast<double>(numTokens) / chars : 0.0; }
};

// Tokenises (or maps from the cache) a corpus. `tokenizerPath` is what loadTokenizer was given (its
// files key the cache). cacheDir "" = $EMBEDLAB_CACHE_DIR, else $XDG_CACHE_HOME/embedlab, else
// ~/.cache/embedlab (a tokens/ folder inside). Progress: by corpus bytes.
TokenizedCorpus tokenizeCorpus(const std::string& corpusPath, const Tokenizer& tokenizer, const std::string& tokenizerPath,
                               Progress& progress, const std::string& cacheDir = {});

// A corpus's text pairs `anchor<TAB>positive`, tokenised (no cache; contrastive data are small). The
// held-out pairs of a corpus without a separate eval set: the last 5% when there are 40 or more.
TokenPairs tokenizePairs(const std::string& path, const Tokenizer& tokenizer, int64_t seqLen, Progress& progress);

struct TrainSplit {
    TokenSequences train, heldOut;
};
// Blocks of seqLen over the stream; the last 5% (≥ 1 when ≥ 2 blocks) held out when `holdOut`.
TrainSplit packCorpus(const TokenizedCorpus& corpus, int64_t seqLen, bool holdOut);

// The rows micro-batch `j` (counted over the whole run) takes: positions j·B … j·B+B−1 of the
// endless sequence of epochs; in file order, or each epoch permuted by a generator seeded with
// (seed, epoch).
std::vector<size_t> batchRows(int64_t j, int64_t batchSize, size_t numSequences, bool shuffle, uint64_t seed);

struct TokenBatch {
    at::Tensor ids;   // [B, L] int64, right-padded
    at::Tensor mask;  // [B, L] int64, 1 = real token
    int64_t realTokens = 0;
};
TokenBatch makeBatch(const TokenSequences& seqs, const std::vector<size_t>& rows, int64_t padId);

}  // namespace embedlab
