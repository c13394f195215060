#include "engine/io/vector_store.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <ATen/ATen.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace embedlab {
namespace {

constexpr char kMagic[8] = {'E', 'L', 'V', 'S', 'T', 'O', 'R', 'E'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 64;
const char* kFormat = "embedlab-vector-store";

void putU32(unsigned char* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void putU64(unsigned char* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
uint32_t getU32(const unsigned char* p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}
uint64_t getU64(const unsigned char* p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

std::string header(uint64_t n, uint64_t d) {
    unsigned char h[kHeader] = {};
    std::memcpy(h, kMagic, 8);
    putU32(h + 8, kVersion);
    putU32(h + 12, 0);  // f32
    putU64(h + 16, n);
    putU64(h + 24, d);
    return std::string(reinterpret_cast<char*>(h), kHeader);
}

void removeStoreFolder(const std::string& dir) {
    for (const char* f : {"vectors.bin", "labels.jsonl", "manifest.json"}) ::unlink(joinPath(dir, f).c_str());
    ::rmdir(dir.c_str());
}

void fsyncPath(const std::string& p) {
    const int fd = ::open(p.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

std::string parentOf(const std::string& p) {
    const size_t s = p.find_last_of('/');
    if (s == std::string::npos) return ".";
    return s == 0 ? "/" : p.substr(0, s);
}

std::string stripSlash(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

}  // namespace

bool isVectorStore(const std::string& path) {
    const std::string m = joinPath(path, "manifest.json");
    if (!isRegularFile(m)) return false;
    try {
        auto j = nlohmann::json::parse(readFile(m, 1 << 24));
        return j.value("format", "") == kFormat;
    } catch (...) {
        return false;
    }
}

// ---------------------------------------------------------------------------------------------

VectorStoreWriter::VectorStoreWriter(const std::string& path, int64_t dim, nlohmann::json metadata)
    : path_(stripSlash(path)), dim_(dim), metadata_(std::move(metadata)) {
    if (dim <= 0) throw Error::badInput("vector store: the dimension must be positive");
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && !isVectorStore(path_))
        throw Error::badInput(path_ + " exists and is not an embedlab vector store; choose another path");
    tmp_ = path_ + ".tmp-" + std::to_string(::getpid());
    removeStoreFolder(tmp_);
    if (::mkdir(tmp_.c_str(), 0755) != 0)
        throw Error::runtime("cannot create " + tmp_ + ": " + std::strerror(errno));
    vectors_ = std::fopen(joinPath(tmp_, "vectors.bin").c_str(), "wb");
    labels_ = std::fopen(joinPath(tmp_, "labels.jsonl").c_str(), "wb");
    if (!vectors_ || !labels_) {
        abort();
        throw Error::runtime("cannot write in " + tmp_);
    }
    const std::string h = header(0, static_cast<uint64_t>(dim));
    if (std::fwrite(h.data(), 1, h.size(), vectors_) != h.size()) {
        abort();
        throw Error::runtime("cannot write " + tmp_ + "/vectors.bin");
    }
}

VectorStoreWriter::~VectorStoreWriter() {
    if (!done_) abort();
}

void VectorStoreWriter::append(const float* data, int64_t rows, const std::vector<std::string>& labels,
                               const std::vector<nlohmann::json>& meta) {
    if (done_) throw Error::runtime("vector store: append after commit/abort");
    if (rows < 0) throw Error::runtime("vector store: negative row count");
    if (!labels.empty() && static_cast<int64_t>(labels.size()) != rows)
        throw Error::runtime("vector store: " + std::to_string(labels.size()) + " labels for " + std::to_string(rows) + " rows");
    if (!meta.empty() && static_cast<int64_t>(meta.size()) != rows)
        throw Error::runtime("vector store: metadata rows differ from vector rows");
    const size_t n = static_cast<size_t>(rows * dim_);
    if (n && std::fwrite(data, sizeof(float), n, vectors_) != n)
        throw Error::runtime("vector store: write failed (disk full?): " + std::string(std::strerror(errno)));
    std::string lines;
    for (int64_t i = 0; i < rows; ++i) {
        nlohmann::json j = {{"label", labels.empty() ? std::string() : labels[static_cast<size_t>(i)]}};
        if (!meta.empty() && !meta[static_cast<size_t>(i)].is_null()) j["meta"] = meta[static_cast<size_t>(i)];
        lines += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        lines += '\n';
    }
    if (!lines.empty() && std::fwrite(lines.data(), 1, lines.size(), labels_) != lines.size())
        throw Error::runtime("vector store: write failed (disk full?)");
    count_ += rows;
}

void VectorStoreWriter::append(const at::Tensor& vectors, const std::vector<std::string>& labels,
                               const std::vector<nlohmann::json>& meta) {
    if (vectors.dim() != 2 || vectors.size(1) != dim_)
        throw Error::runtime("vector store: expected [rows, " + std::to_string(dim_) + "] vectors");
    at::Tensor c = vectors.to(at::kCPU, at::kFloat).contiguous();
    append(c.data_ptr<float>(), c.size(0), labels, meta);
}

void VectorStoreWriter::commit() {
    if (done_) throw Error::runtime("vector store: commit twice");
    const std::string h = header(static_cast<uint64_t>(count_), static_cast<uint64_t>(dim_));
    bool ok = std::fflush(vectors_) == 0 && std::fseek(vectors_, 0, SEEK_SET) == 0 &&
              std::fwrite(h.data(), 1, h.size(), vectors_) == h.size() && std::fflush(vectors_) == 0 &&
              ::fsync(::fileno(vectors_)) == 0 && std::fflush(labels_) == 0 && ::fsync(::fileno(labels_)) == 0;
    ok = (std::fclose(vectors_) == 0) && ok;
    ok = (std::fclose(labels_) == 0) && ok;
    vectors_ = labels_ = nullptr;
    if (!ok) {
        abort();
        throw Error::runtime("vector store: cannot finish writing " + tmp_);
    }
    const nlohmann::json manifest = {{"format", kFormat}, {"version", kVersion}, {"count", count_},
                                     {"dim", dim_},       {"dtype", "f32"},      {"metadata", metadata_}};
    try {
        writeFileAtomic(joinPath(tmp_, "manifest.json"), manifest.dump(2) + "\n");
    } catch (...) {
        abort();
        throw;
    }
    fsyncPath(tmp_);
    struct stat st {};
    std::string old;
    if (::stat(path_.c_str(), &st) == 0) {
        old = path_ + ".old-" + std::to_string(::getpid());
        removeStoreFolder(old);
        if (::rename(path_.c_str(), old.c_str()) != 0) {
            abort();
            throw Error::runtime("cannot replace " + path_ + ": " + std::strerror(errno));
        }
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        if (!old.empty()) ::rename(old.c_str(), path_.c_str());
        abort();
        throw Error::runtime("cannot move the vector store into place at " + path_ + ": " + why);
    }
    if (!old.empty()) removeStoreFolder(old);
    fsyncPath(parentOf(path_));
    done_ = true;
}

void VectorStoreWriter::abort() noexcept {
    if (vectors_) std::fclose(vectors_);
    if (labels_) std::fclose(labels_);
    vectors_ = labels_ = nullptr;
    if (!done_ && !tmp_.empty()) removeStoreFolder(tmp_);
    done_ = true;
}

// ---------------------------------------------------------------------------------------------

struct VectorStore::Impl {
    std::string path;
    nlohmann::json manifest;
    void* map = nullptr;
    size_t mapBytes = 0;
    int64_t n = 0, d = 0;
    mutable std::once_flag labelsOnce;
    mutable std::vector<std::string> labels;
    mutable std::vector<nlohmann::json> meta;
    ~Impl() {
        if (map && map != MAP_FAILED) ::munmap(map, mapBytes);
    }
    void loadLabels() const {
        std::call_once(labelsOnce, [this] {
            const std::string p = joinPath(path, "labels.jsonl");
            if (!isRegularFile(p)) {
                labels.assign(static_cast<size_t>(n), std::string());
                meta.assign(static_cast<size_t>(n), nlohmann::json());
                return;
            }
            std::FILE* f = std::fopen(p.c_str(), "rb");
            if (!f) throw Error::badInput("cannot read " + p);
            std::string line;
            int64_t lineNo = 0;
            char buf[1 << 16];
            auto take = [&](const std::string& l) {
                ++lineNo;
                nlohmann::json j;
                try {
                    j = nlohmann::json::parse(l);
                } catch (const std::exception&) {
                    throw Error::badInput(p + ":" + std::to_string(lineNo) + ": not valid JSON");
                }
                labels.push_back(j.value("label", std::string()));
                meta.push_back(j.contains("meta") ? j["meta"] : nlohmann::json());
            };
            size_t got;
            while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) {
                for (size_t i = 0; i < got; ++i) {
                    if (buf[i] == '\n') {
                        take(line);
                        line.clear();
                    } else {
                        line.push_back(buf[i]);
                    }
                }
            }
            std::fclose(f);
            if (!line.empty()) take(line);
            if (static_cast<int64_t>(labels.size()) != n)
                throw Error::badInput(p + " has " + std::to_string(labels.size()) + " rows but the store holds " +
                                      std::to_string(n) + " vectors");
        });
    }
};

VectorStore VectorStore::open(const std::string& path0) {
    const std::string path = stripSlash(path0);
    if (!isDirectory(path)) throw Error::badInput("no vector store at " + path + " (expected a folder)");
    const std::string mp = joinPath(path, "manifest.json");
    if (!isRegularFile(mp)) throw Error::badInput(path + " is not a vector store: manifest.json is missing");
    auto impl = std::make_shared<Impl>();
    impl->path = path;
    try {
        impl->manifest = nlohmann::json::parse(readFile(mp, 1 << 24));
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error::badInput(mp + " is not valid JSON: " + e.what());
    }
    if (impl->manifest.value("format", "") != kFormat) throw Error::badInput(mp + " is not an embedlab vector store manifest");
    const std::string vp = joinPath(path, "vectors.bin");
    const int fd = ::open(vp.c_str(), O_RDONLY);
    if (fd < 0) throw Error::badInput("cannot open " + vp);
    struct stat st {};
    ::fstat(fd, &st);
    const size_t size = static_cast<size_t>(st.st_size);
    if (size < kHeader) {
        ::close(fd);
        throw Error::badInput(vp + " is truncated (no header)");
    }
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) throw Error::runtime("cannot map " + vp + ": " + std::strerror(errno));
    impl->map = m;
    impl->mapBytes = size;
    const auto* h = static_cast<const unsigned char*>(m);
    if (std::memcmp(h, kMagic, 8) != 0) throw Error::badInput(vp + " is not a vector store matrix (bad magic)");
    if (getU32(h + 8) != kVersion) throw Error::badInput(vp + ": unsupported version " + std::to_string(getU32(h + 8)));
    if (getU32(h + 12) != 0) throw Error::badInput(vp + ": unsupported dtype (only f32)");
    const uint64_t n = getU64(h + 16), d = getU64(h + 24);
    if (d == 0 || d > (1ull << 24) || n > (1ull << 40) || kHeader + n * d * 4 != size)
        throw Error::badInput(vp + " is truncated or corrupt: the header says " + std::to_string(n) + " × " +
                              std::to_string(d) + " floats but the file has " + std::to_string(size) + " bytes");
    if (impl->manifest.value("count", int64_t(-1)) != static_cast<int64_t>(n) ||
        impl->manifest.value("dim", int64_t(-1)) != static_cast<int64_t>(d))
        throw Error::badInput(path + ": manifest.json and vectors.bin disagree on the size");
    impl->n = static_cast<int64_t>(n);
    impl->d = static_cast<int64_t>(d);
    ::madvise(m, size, MADV_RANDOM);
    VectorStore s;
    s.impl_ = std::move(impl);
    return s;
}

int64_t VectorStore::size() const { return impl_->n; }
int64_t VectorStore::dim() const { return impl_->d; }
const float* VectorStore::data() const {
    return reinterpret_cast<const float*>(static_cast<const char*>(impl_->map) + kHeader);
}
const float* VectorStore::row(int64_t i) const {
    if (i < 0 || i >= impl_->n) throw Error::badInput("vector store: row " + std::to_string(i) + " out of range");
    return data() + i * impl_->d;
}
at::Tensor VectorStore::tensor() const {
    auto keep = impl_;
    return at::from_blob(const_cast<float*>(data()), {impl_->n, impl_->d}, [keep](void*) {}, at::kFloat);
}
const std::vector<std::string>& VectorStore::labels() const {
    impl_->loadLabels();
    return impl_->labels;
}
const std::vector<nlohmann::json>& VectorStore::metadataRows() const {
    impl_->loadLabels();
    return impl_->meta;
}
const nlohmann::json& VectorStore::manifest() const { return impl_->manifest; }
const std::string& VectorStore::path() const { return impl_->path; }

}  // namespace embedlab
