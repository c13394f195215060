// embedlab engine — the key/value cache of a causal LM's incremental decoding.
//
// One slot per layer holds keys and values [B, kvHeads, T, headDim] for absolute positions
// [start, length). Storage grows by doubling; a sliding-window layer drops keys older than its
// window when it would otherwise grow, so its memory stays O(window). Rows of a batch may be
// left-padded (setLeftPadding): models mask those keys and, where positions are absolute (GPT-2),
// count positions from each row's first real token.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace embedlab {

class KVCache {
public:
    KVCache() = default;
    // windows[i] = sliding window of layer i (0 = full attention).
    explicit KVCache(std::vector<int64_t> windows);

    int64_t numLayers() const { return static_cast<int64_t>(layers_.size()); }
    // Tokens already processed (the absolute position of the next token).
    int64_t length() const { return length_; }
    void clear();

    struct View {
        at::Tensor keys, values;  // [B, kvHeads, T, D], views into the cache
        int64_t firstPosition = 0;  // absolute position of keys[..., 0, :]
    };
    // Stores k/v [B, kvHeads, n, D] of positions [length(), length()+n) for `layer` and returns the keys
    // and values the new queries need (for a sliding layer only the last window-1 older ones).
    View append(int64_t layer, const at::Tensor& k, const at::Tensor& v);
    // Call once per forward step after every layer appended its n new entries.
    void advance(int64_t n) { length_ += n; }
    int64_t bytes() const;

    // Batched generation of prompts of different lengths: row b is left-padded with pads[b] tokens
    // that no query may attend to. Set before the first forward; empty = no padding.
    void setLeftPadding(std::vector<int64_t> pads);
    const std::vector<int64_t>& leftPadding() const { return pads_; }
    // Throws when padding is set for a different number of rows than `batch`.
    void checkPaddingRows(int64_t batch) const;
    // Keeps only the given batch rows (ascending, distinct indices into the current batch), in that
    // order, with their padding: finished rows of a batched generation leave the batch. Copies the
    // kept rows of every layer. Throws for bad indices.
    void keepRows(const std::vector<int64_t>& rows);
    // [B, T] bool: which of the keys at absolute positions [first, first + T) are real tokens;
    // undefined when there is no padding.
    at::Tensor validKeys(int64_t first, int64_t T, const at::Tensor& like) const;

private:
    struct Slot {
        at::Tensor k, v;       // [B, H, capacity, D]
        int64_t start = 0;     // absolute position of slot index 0
        int64_t used = 0;      // entries filled
        int64_t window = 0;
    };
    std::vector<Slot> layers_;
    int64_t length_ = 0;
    std::vector<int64_t> pads_;
    int64_t batch_ = -1;  // rows of the stored tensors (-1: none stored yet)
};

}  // namespace embedlab
