// embedlab engine — the safetensors format: memory-mapped reading with strict validation, and writing.
//
// Reading maps the file read-only; tensor() returns a CPU tensor that views the mapping (zero-copy;
// the mapping stays alive as long as any such tensor does). Every header is validated before use:
// header length within the file, JSON well-formed, known dtypes, shapes whose byte size equals
// data_offsets, offsets inside the data section, no overlaps. Problems throw Error(BadInput) naming
// the file and the tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace embedlab {

struct SafeTensorInfo {
    std::string name;
    std::string dtype;            // as in the header: "F32", "BF16", "F16", "I64", ...
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // data_offsets, relative to the data section
};

class SafeTensorsFile {
public:
    // Maps and validates the file. Throws Error(BadInput) for any malformed or lying header.
    static std::shared_ptr<SafeTensorsFile> open(const std::string& path);
    ~SafeTensorsFile();

    const std::string& path() const { return path_; }
    uint64_t fileSize() const { return size_; }
    const std::vector<SafeTensorInfo>& tensors() const { return infos_; }
    const SafeTensorInfo* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }

    // A zero-copy CPU view in the stored dtype. Throws Error(BadInput) for an unknown name.
    at::Tensor tensor(const std::string& name) const;

private:
    SafeTensorsFile() = default;
    std::string path_;
    uint64_t size_ = 0;
    const uint8_t* data_ = nullptr;  // start of the mapping
    uint64_t dataOffset_ = 0;        // 8 + header length
    std::vector<SafeTensorInfo> infos_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
    std::shared_ptr<void> mapping_;  // shared with every tensor view
};

// A model's weights: one `model.safetensors`, or `model.safetensors.index.json` with shards.
class SafeTensorsCollection {
public:
    // `dir` is a model folder. Throws Error(BadInput) when neither file exists or a shard is missing.
    static SafeTensorsCollection openFolder(const std::string& dir);
    std::vector<std::string> names() const;
    bool contains(const std::string& name) const;
    const SafeTensorInfo& info(const std::string& name) const;
    at::Tensor tensor(const std::string& name) const;  // zero-copy view, stored dtype
    uint64_t totalBytes() const;                        // sum of tensor data bytes

private:
    std::vector<std::shared_ptr<SafeTensorsFile>> files_;
    std::map<std::string, size_t> where_;
};

// ---- Streaming writer ------------------------------------------------------------------------

struct SafeTensorSpec {
    std::string name;
    std::string dtype;  // "F32", "BF16", ... (as in the file header)
    std::vector<int64_t> shape;
};

// "F32" for at::kFloat etc.; "" for a dtype safetensors (or this build) cannot store.
std::string safeTensorsDtypeName(at::ScalarType t);

// Writes a safetensors file whose header is computed from `specs` first; then `produce` is called
// once per tensor, in file order (names sorted), and must return a tensor of exactly that dtype and
// shape (any device, any layout). Written to a temporary file and renamed on success. `check`, when
// given, is called before each tensor and between 64 MB pieces of the data: what it throws (a
// cancel) abandons the file — the temporary is removed and `path` is untouched.
void writeSafeTensorsStreaming(const std::string& path, std::vector<SafeTensorSpec> specs,
                               const std::function<at::Tensor(const SafeTensorSpec&)>& produce,
                               const std::map<std::string, std::string>& metadata = {{"format", "pt"}},
                               const std::function<void()>& check = {});

// The bytes before the tensor data of such a file (8-byte header length + padded JSON header), for
// writers that stream the data themselves (tensors in name order, each row-major).
std::string safeTensorsPrefix(std::vector<SafeTensorSpec> specs,
                              const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

// Writes tensors (any device/dtype among F32, BF16, F16, F64, I64, I32, I8, U8, BOOL) to `path`
// atomically (temporary file + rename), names sorted, header padded to 8 bytes. `check`: as above.
void saveSafeTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata = {{"format", "pt"}},
                     const std::function<void()>& check = {});

}  // namespace embedlab
