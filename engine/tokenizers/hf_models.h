// embedlab engine — tokenizer.json models (internal): BPE (byte-level and SentencePiece-style with
// byte_fallback), WordPiece and Unigram.
//
// BPE merges a word with a priority queue over a linked list of symbols (O(n log n) per word) and
// keeps a bounded word → tokens cache. Words longer than kMaxWordBytes are cut into chunks first
// (at a whitespace/▁ boundary when one is near), so a 10 MB line stays cheap; only words of that
// size can differ from the reference.
#pragma once

#include "engine/tokenizers/hf_common.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace embedlab::hf {

constexpr size_t kMaxWordBytes = 256 * 1024;

struct ModelToken {
    int32_t id;
    uint32_t b, e;  // byte range inside the word
};

// Open-addressing hash map uint64 → uint64 (no erase); used for merges and tries.
class U64Map {
public:
    void reserve(size_t n);
    void insert(uint64_t key, uint64_t value);  // keeps the first value for a key
    const uint64_t* find(uint64_t key) const;
    size_t size() const { return size_; }

private:
    static constexpr uint64_t kEmpty = ~0ull;  // never a key (keys are id pairs or trie edges)
    struct Slot {
        uint64_t key, value;
    };
    std::vector<Slot> slots_;
    size_t size_ = 0, mask_ = 0;
    void grow();
};

// id ↔ string vocabulary with an open-addressing hash index (string_view lookups, no allocation).
class Vocab {
public:
    // entries: (token, id). Throws Error::badInput on a negative or duplicate id.
    void build(std::vector<std::pair<std::string, int64_t>>&& entries, const char* what);
    std::optional<int32_t> find(std::string_view s) const {
        if (slotId_.empty()) return std::nullopt;
        const uint64_t h = hash(s);
        const uint32_t tag = static_cast<uint32_t>(h >> 32);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const uint32_t id1 = slotId_[i];
            if (id1 == 0) return std::nullopt;
            if (slotTag_[i] == tag && tokens_[id1 - 1] == s) return static_cast<int32_t>(id1 - 1);
        }
    }
    const std::string& token(int32_t id) const;
    int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
    static uint64_t hash(std::string_view s) {
        uint64_t h = 0xcbf29ce484222325ULL ^ s.size();
        for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 32;
        return h;
    }

private:
    std::vector<std::string> tokens_;
    std::vector<uint32_t> slotId_;   // id + 1; 0 = empty
    std::vector<uint32_t> slotTag_;  // high hash bits
    size_t mask_ = 0;
};

// What the JSON loader extracts from "model" besides the small fields (kept out of the DOM).
struct ModelData {
    std::vector<std::pair<std::string, int64_t>> vocab;          // BPE, WordPiece
    std::vector<std::pair<std::string, double>> unigramVocab;    // Unigram
    std::vector<std::pair<std::string, std::string>> merges;     // BPE
    bool vocabSeen = false, mergesSeen = false;
};

class Model {
public:
    virtual ~Model() = default;
    virtual std::string kind() const = 0;  // "hf-bpe", "hf-wordpiece", "hf-unigram"
    // Appends the tokens of one pre-tokenised word.
    virtual void tokenize(std::string_view word, std::vector<ModelToken>& out) const = 0;
    const Vocab& vocab() const { return vocab_; }
    std::optional<int32_t> unkId() const { return unkId_; }
    // "<0xXX>" tokens of byte_fallback models.
    bool isByteToken(int32_t id) const;

protected:
    Vocab vocab_;
    std::optional<int32_t> unkId_;
};

// `j` is the "model" object (without vocab/merges, which come in `data`).
std::unique_ptr<Model> makeModel(const Json& j, ModelData&& data);

}  // namespace embedlab::hf
