// embedlab engine — an on-disk vector store: sentence vectors with labels and metadata, written in
// batches while a corpus is embedded and memory-mapped when reopened (opening reads only a 64-byte
// header and a small manifest, however large the matrix is).
//
// Layout (a folder, by convention NAME.vstore/):
//   vectors.bin    64-byte header — magic "ELVSTORE", u32 version (1), u32 dtype (0 = f32),
//                  u64 rows N, u64 dim D, zero padding — then N·D little-endian float32, row-major
//   labels.jsonl   one JSON object per row: {"label": "...", "meta": {...}} (meta optional)
//   manifest.json  {"format": "embedlab-vector-store", "version": 1, "count": N, "dim": D,
//                   "dtype": "f32", "metadata": {...caller's: model, pooling, layer, source...}}
//
// Atomicity: VectorStoreWriter writes everything into a temporary sibling folder (PATH.tmp-PID) and
// commit() publishes it with rename(2), replacing an older store at PATH only then. A run that is
// cancelled or fails before commit() leaves NO new store: the temporary folder is removed and an
// existing store at PATH stays as it was. (A reader never sees a half-written store.)
#pragma once

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace embedlab {

class VectorStoreWriter {
public:
    // Starts a store of `dim`-dimensional vectors at `path`. Refuses (BadInput) to replace a path that
    // exists and is not a vector store.
    VectorStoreWriter(const std::string& path, int64_t dim, nlohmann::json metadata = nlohmann::json::object());
    ~VectorStoreWriter();  // abort() unless committed
    VectorStoreWriter(const VectorStoreWriter&) = delete;
    VectorStoreWriter& operator=(const VectorStoreWriter&) = delete;

    // Appends `rows` vectors (row-major float32) with their labels (empty or one per row) and
    // metadata objects (empty or one per row).
    void append(const float* data, int64_t rows, const std::vector<std::string>& labels = {},
                const std::vector<nlohmann::json>& meta = {});
    // A [rows, dim] float tensor (any device / dtype; converted).
    void append(const at::Tensor& vectors, const std::vector<std::string>& labels = {},
                const std::vector<nlohmann::json>& meta = {});
    int64_t count() const { return count_; }
    int64_t dim() const { return dim_; }
    // Sets one field of the store's metadata (written at commit()).
    void setMetadata(const std::string& key, nlohmann::json value) { metadata_[key] = std::move(value); }
    // Finalises the header and manifest, fsyncs, and renames the store into place.
    void commit();
    // Removes the temporary folder; the destination is untouched. Safe to call twice.
    void abort() noexcept;

private:
    std::string path_, tmp_;
    int64_t dim_ = 0, count_ = 0;
    nlohmann::json metadata_;
    std::FILE* vectors_ = nullptr;
    std::FILE* labels_ = nullptr;
    bool done_ = false;
};

class VectorStore {
public:
    // Maps PATH/vectors.bin read-only and reads the manifest. Throws Error(BadInput) for a missing or
    // corrupt store (bad magic, truncated matrix, count mismatch).
    static VectorStore open(const std::string& path);

    int64_t size() const;
    int64_t dim() const;
    const float* data() const;  // N·D floats, valid while this object (or a copy) lives
    const float* row(int64_t i) const;
    // A zero-copy [N, D] float32 view of the mapping; keeps the mapping alive.
    at::Tensor tensor() const;
    // Read from labels.jsonl on first use.
    const std::vector<std::string>& labels() const;
    const std::vector<nlohmann::json>& metadataRows() const;
    const nlohmann::json& manifest() const;
    const std::string& path() const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// True when PATH looks like a vector store folder (has manifest.json of that format).
bool isVectorStore(const std::string& path);

}  // namespace embedlab
