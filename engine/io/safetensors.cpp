// The safetensors format (https://github.com/huggingface/safetensors): 8-byte little-endian header
// length N, N bytes of UTF-8 JSON, then the data section. Reading memory-maps the file and validates
// the whole header before any tensor is handed out; writing streams to a temporary file and renames.
#include "engine/io/safetensors.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <random>
#include <set>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors.cpp assumes a little-endian host (the format stores little-endian data)"
#endif

namespace embedlab {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeDesc {
    const char* name;
    at::ScalarType type;
    uint64_t size;
};

const DtypeDesc kDtypes[] = {
    {"F64", at::kDouble, 8}, {"F32", at::kFloat, 4}, {"F16", at::kHalf, 2},  {"BF16", at::kBFloat16, 2},
    {"I64", at::kLong, 8},   {"I32", at::kInt, 4},   {"I16", at::kShort, 2}, {"I8", at::kChar, 1},
    {"U8", at::kByte, 1},    {"BOOL", at::kBool, 1},
};

// Dtypes the format defines but LibTorch 1.13 cannot represent.
const std::set<std::string> kUnsupportedDtypes = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
                                                  "F4",      "U16",     "U32",     "U64",     "C64"};

const DtypeDesc* dtypeByName(const std::string& name) {
    for (const auto& d : kDtypes)
        if (name == d.name) return &d;
    return nullptr;
}

const DtypeDesc* dtypeByType(at::ScalarType t) {
    for (const auto& d : kDtypes)
        if (t == d.type) return &d;
    return nullptr;
}

std::string q_(const std::string& s) { return "'" + s + "'"; }

std::string errnoText() { return std::strerror(errno); }

// Returns element count × element size, or throws on overflow.
uint64_t byteSizeOf(const std::vector<int64_t>& shape, uint64_t elem, const std::string& what) {
    uint64_t n = elem;
    for (int64_t d : shape) {
        uint64_t r = 0;
        if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &r))
            throw Error::badInput(what + ": shape is too large (its byte size overflows 64 bits)");
        n = r;
    }
    return n;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
    return s + "]";
}

// The JSON header for `specs` laid out in the given order; returns the padded header text.
std::string buildHeader(const std::vector<SafeTensorSpec>& specs, const std::map<std::string, std::string>& metadata,
                        const std::string& path, std::vector<uint64_t>* sizes) {
    nlohmann::json h = nlohmann::json::object();
    if (!metadata.empty()) {
        nlohmann::json m = nlohmann::json::object();
        for (const auto& [k, v] : metadata) m[k] = v;
        h["__metadata__"] = m;
    }
    uint64_t offset = 0;
    sizes->clear();
    for (const auto& s : specs) {
        if (s.name == "__metadata__") throw Error::badInput(path + ": '__metadata__' cannot be a tensor name");
        const DtypeDesc* d = dtypeByName(s.dtype);
        if (!d) throw Error::badInput(path + ": tensor " + q_(s.name) + " has unsupported dtype " + s.dtype);
        const uint64_t bytes = byteSizeOf(s.shape, d->size, path + ": tensor " + q_(s.name));
        h[s.name] = {{"dtype", s.dtype}, {"shape", s.shape}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        sizes->push_back(bytes);
    }
    std::string text = h.dump();  // compact, UTF-8, keys sorted
    while (text.size() % 8 != 0) text.push_back(' ');
    return text;
}


}  // namespace

// ---------------------------------------------------------------------------------------------------
// Reading

SafeTensorsFile::~SafeTensorsFile() = default;

std::shared_ptr<SafeTensorsFile> SafeTensorsFile::open(const std::string& path) {
    std::shared_ptr<SafeTensorsFile> f(new SafeTensorsFile());
    f->path_ = path;
    const std::string& P = path;

    if (isDirectory(path)) throw Error::badInput(P + " is a folder, not a safetensors file");
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error::badInput("cannot open " + P + ": " + errnoText());
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const std::string why = errnoText();
        ::close(fd);
        throw Error::badInput("cannot read " + P + ": " + why);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error::badInput(P + " is not a regular file");
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < 8) {
        ::close(fd);
        throw Error::badInput(P + ": not a safetensors file (" + std::to_string(size) +
                              " bytes; at least 8 are needed for the header length)");
    }
    // MAP_PRIVATE + PROT_WRITE: copy-on-write, so a caller that writes into a returned tensor changes
    // only its own private copy of that page, never the file. Falls back to read-only where the system
    // refuses the writable mapping (strict overcommit); then in-place writes would fault.
    void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const std::string mapErr = m == MAP_FAILED ? errnoText() : std::string();
    ::close(fd);
    if (m == MAP_FAILED) throw Error::badInput("cannot map " + P + ": " + mapErr);
    f->mapping_ = std::shared_ptr<void>(m, [size](void* p) { ::munmap(p, size); });
    f->data_ = static_cast<const uint8_t*>(m);
    f->size_ = size;

    uint64_t n = 0;
    std::memcpy(&n, f->data_, 8);  // little-endian host (checked above)
    if (n > size - 8)
        throw Error::badInput(P + ": header length " + std::to_string(n) + " lies beyond the end of the file (" +
                              std::to_string(size) + " bytes)");
    if (n > kMaxHeaderBytes)
        throw Error::badInput(P + ": header length " + std::to_string(n) + " exceeds the 100 MB limit");
    if (n < 2) throw Error::badInput(P + ": header is too short to be a JSON object");
    f->dataOffset_ = 8 + n;
    const uint64_t dataSize = size - f->dataOffset_;

    const char* hb = reinterpret_cast<const char*>(f->data_ + 8);
    if (hb[0] != '{') throw Error::badInput(P + ": header is not a JSON object (it must start with '{')");

    // Duplicate top-level keys are rejected (nlohmann keeps only one silently).
    std::set<std::string> seenKeys;
    bool duplicate = false;
    std::string duplicateName;
    nlohmann::json::parser_callback_t cb = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& v) {
        if (ev == nlohmann::json::parse_event_t::key && depth == 1 && v.is_string()) {
            const auto& k = v.get_ref<const std::string&>();
            if (!seenKeys.insert(k).second && !duplicate) {
                duplicate = true;
                duplicateName = k;
            }
        }
        return true;
    };
    nlohmann::json h;
    try {
        h = nlohmann::json::parse(hb, hb + n, cb);
    } catch (const nlohmann::json::exception& e) {
        std::string why = e.what();
        if (auto pos = why.find("] "); pos != std::string::npos) why = why.substr(pos + 2);
        throw Error::badInput(P + ": header is not valid JSON: " + why);
    }
    if (!h.is_object()) throw Error::badInput(P + ": header is not a JSON object");
    if (duplicate) throw Error::badInput(P + ": header names " + q_(duplicateName) + " twice");

    struct Range {
        uint64_t begin, end;
        size_t idx;
    };
    std::vector<Range> ranges;
    for (auto it = h.begin(); it != h.end(); ++it) {
        const std::string& name = it.key();
        const auto& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) throw Error::badInput(P + ": __metadata__ must be a JSON object of strings");
            for (auto mi = v.begin(); mi != v.end(); ++mi) {
                if (!mi.value().is_string())
                    throw Error::badInput(P + ": __metadata__ value for " + q_(mi.key()) + " is not a string");
                f->metadata_[mi.key()] = mi.value().get<std::string>();
            }
            continue;
        }
        const std::string T = P + ": tensor " + q_(name);
        if (!v.is_object()) throw Error::badInput(T + " is not described by a JSON object");
        auto dt = v.find("dtype");
        if (dt == v.end() || !dt->is_string()) throw Error::badInput(T + " has no string 'dtype'");
        auto sh = v.find("shape");
        if (sh == v.end() || !sh->is_array()) throw Error::badInput(T + " has no 'shape' array");
        auto of = v.find("data_offsets");
        if (of == v.end() || !of->is_array() || of->size() != 2)
            throw Error::badInput(T + " has no 'data_offsets' array of two integers");

        SafeTensorInfo info;
        info.name = name;
        info.dtype = dt->get<std::string>();
        const DtypeDesc* d = dtypeByName(info.dtype);
        if (!d) {
            if (kUnsupportedDtypes.count(info.dtype))
                throw Error::badInput(T + " has dtype " + info.dtype + ", which this build does not support");
            throw Error::badInput(T + " has unknown dtype " + q_(info.dtype));
        }
        for (const auto& dim : *sh) {
            if (!dim.is_number_integer()) throw Error::badInput(T + ": shape entries must be integers");
            if (dim.is_number_unsigned()) {
                const auto u = dim.get<uint64_t>();
                if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                    throw Error::badInput(T + ": shape dimension " + std::to_string(u) + " is too large");
                info.shape.push_back(static_cast<int64_t>(u));
            } else {
                const auto s = dim.get<int64_t>();
                if (s < 0) throw Error::badInput(T + ": shape has a negative dimension (" + std::to_string(s) + ")");
                info.shape.push_back(s);
            }
        }
        for (const auto& o : *of)
            if (!o.is_number_unsigned()) throw Error::badInput(T + ": data_offsets must be non-negative integers");
        info.begin = (*of)[0].get<uint64_t>();
        info.end = (*of)[1].get<uint64_t>();
        const std::string offs = "[" + std::to_string(info.begin) + "," + std::to_string(info.end) + "]";
        if (info.begin > info.end) throw Error::badInput(T + " data_offsets " + offs + " are reversed");
        if (info.end > dataSize)
            throw Error::badInput(T + " data_offsets " + offs + " lie outside the data section (" +
                                  std::to_string(dataSize) + " bytes)");
        const uint64_t bytes = byteSizeOf(info.shape, d->size, T);
        if (bytes != info.end - info.begin)
            throw Error::badInput(T + ": shape " + shapeText(info.shape) + " of " + info.dtype + " needs " +
                                  std::to_string(bytes) + " bytes but data_offsets " + offs + " span " +
                                  std::to_string(info.end - info.begin));
        if (bytes > 0) ranges.push_back({info.begin, info.end, f->infos_.size()});
        f->index_[name] = f->infos_.size();
        f->infos_.push_back(std::move(info));
    }
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].begin < ranges[i - 1].end) {
            const auto& a = f->infos_[ranges[i - 1].idx];
            const auto& b = f->infos_[ranges[i].idx];
            throw Error::badInput(P + ": tensor " + q_(b.name) + " data_offsets [" + std::to_string(b.begin) +
                                  "," + std::to_string(b.end) + "] overlap tensor " + q_(a.name) + " [" +
                                  std::to_string(a.begin) + "," + std::to_string(a.end) + "]");
        }
    }
    return f;
}

const SafeTensorInfo* SafeTensorsFile::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &infos_[it->second];
}

at::Tensor SafeTensorsFile::tensor(const std::string& name) const {
    const SafeTensorInfo* info = find(name);
    if (!info) throw Error::badInput(path_ + ": no tensor named " + q_(name));
    const DtypeDesc* d = dtypeByName(info->dtype);  // validated in open()
    const auto options = at::TensorOptions().dtype(d->type).device(at::kCPU);
    if (info->end == info->begin) return at::empty(info->shape, options);

    uint8_t* p = const_cast<uint8_t*>(data_ + dataOffset_ + info->begin);
    const uint64_t bytes = info->end - info->begin;
    if (d->type == at::kBool) {
        // Bytes other than 0/1 are undefined behaviour for a torch bool tensor: normalise them.
        bool clean = true;
        for (uint64_t i = 0; i < bytes && clean; ++i) clean = p[i] <= 1;
        if (!clean) {
            auto raw = at::empty(info->shape, at::TensorOptions().dtype(at::kByte));
            std::memcpy(raw.data_ptr(), p, bytes);
            return raw.ne(0);
        }
    }
    if (reinterpret_cast<uintptr_t>(p) % d->size != 0) {
        // The format does not promise alignment; misaligned data is copied (rare: writers pad to 8).
        auto t = at::empty(info->shape, options);
        std::memcpy(t.data_ptr(), p, bytes);
        return t;
    }
    std::shared_ptr<void> keep = mapping_;
    return at::from_blob(
        p, info->shape, [keep](void*) mutable { keep.reset(); }, options);
}

// ---------------------------------------------------------------------------------------------------
// Folders (single file or sharded)

SafeTensorsCollection SafeTensorsCollection::openFolder(const std::string& dir) {
    if (!isDirectory(dir)) throw Error::badInput(dir + " is not a folder");
    SafeTensorsCollection c;
    const std::string single = joinPath(dir, "model.safetensors");
    const std::string indexPath = joinPath(dir, "model.safetensors.index.json");
    if (isRegularFile(single)) {
        c.files_.push_back(SafeTensorsFile::open(single));
        for (const auto& t : c.files_[0]->tensors()) c.where_[t.name] = 0;
        return c;
    }
    if (!isRegularFile(indexPath))
        throw Error::badInput(dir + ": no model.safetensors or model.safetensors.index.json in this folder");

    nlohmann::json idx;
    try {
        idx = nlohmann::json::parse(readFile(indexPath, kMaxHeaderBytes));
    } catch (const nlohmann::json::exception& e) {
        throw Error::badInput(indexPath + " is not valid JSON: " + e.what());
    }
    if (!idx.is_object() || !idx.contains("weight_map") || !idx["weight_map"].is_object())
        throw Error::badInput(indexPath + ": no 'weight_map' object");
    std::map<std::string, size_t> shardIndex;
    for (auto it = idx["weight_map"].begin(); it != idx["weight_map"].end(); ++it) {
        if (!it.value().is_string())
            throw Error::badInput(indexPath + ": weight_map entry for tensor " + q_(it.key()) +
                                  " is not a file name");
        const std::string shard = it.value().get<std::string>();
        if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
            throw Error::badInput(indexPath + ": tensor " + q_(it.key()) + " names shard " + q_(shard) +
                                  ", which is not a plain file name in this folder");
        auto s = shardIndex.find(shard);
        if (s == shardIndex.end()) {
            const std::string shardPath = joinPath(dir, shard);
            if (!isRegularFile(shardPath))
                throw Error::badInput(indexPath + ": shard " + shard + " (listed for tensor " + q_(it.key()) +
                                      ") is missing");
            c.files_.push_back(SafeTensorsFile::open(shardPath));
            s = shardIndex.emplace(shard, c.files_.size() - 1).first;
        }
        if (!c.files_[s->second]->find(it.key()))
            throw Error::badInput(joinPath(dir, shard) + ": tensor " + q_(it.key()) +
                                  " is listed in model.safetensors.index.json but absent from this shard");
        c.where_[it.key()] = s->second;
    }
    if (c.where_.empty()) throw Error::badInput(indexPath + ": weight_map is empty");
    return c;
}

std::vector<std::string> SafeTensorsCollection::names() const {
    std::vector<std::string> out;
    out.reserve(where_.size());
    for (const auto& [k, _] : where_) out.push_back(k);
    return out;
}

bool SafeTensorsCollection::contains(const std::string& name) const { return where_.count(name) > 0; }

const SafeTensorInfo& SafeTensorsCollection::info(const std::string& name) const {
    auto it = where_.find(name);
    if (it == where_.end()) throw Error::badInput("the model has no tensor named " + q_(name));
    return *files_[it->second]->find(name);
}

at::Tensor SafeTensorsCollection::tensor(const std::string& name) const {
    auto it = where_.find(name);
    if (it == where_.end()) throw Error::badInput("the model has no tensor named " + q_(name));
    return files_[it->second]->tensor(name);
}

uint64_t SafeTensorsCollection::totalBytes() const {
    uint64_t n = 0;
    for (const auto& [k, f] : where_) {
        const auto* i = files_[f]->find(k);
        n += i->end - i->begin;
    }
    return n;
}

// ---------------------------------------------------------------------------------------------------
// Writing

std::string safeTensorsDtypeName(at::ScalarType t) {
    const DtypeDesc* d = dtypeByType(t);
    return d ? d->name : std::string();
}

void writeSafeTensorsStreaming(const std::string& path, std::vector<SafeTensorSpec> specs,
                               const std::function<at::Tensor(const SafeTensorSpec&)>& produce,
                               const std::map<std::string, std::string>& metadata, const std::function<void()>& check) {
    std::sort(specs.begin(), specs.end(), [](const SafeTensorSpec& a, const SafeTensorSpec& b) { return a.name < b.name; });
    for (size_t i = 1; i < specs.size(); ++i)
        if (specs[i].name == specs[i - 1].name)
            throw Error::badInput(path + ": tensor " + q_(specs[i].name) + " is given twice");
    std::vector<uint64_t> sizes;
    const std::string header = buildHeader(specs, metadata, path, &sizes);

    AtomicFile out(path);
    const uint64_t n = header.size();
    out.write(&n, 8);
    out.write(header.data(), header.size());
    for (size_t i = 0; i < specs.size(); ++i) {
        const auto& s = specs[i];
        if (check) check();
        at::Tensor t = produce(s);
        if (!t.defined()) throw Error::runtime(path + ": no data produced for tensor " + q_(s.name));
        t = t.detach();
        if (t.device().type() != at::kCPU) t = t.to(at::kCPU);
        t = t.contiguous();
        if (safeTensorsDtypeName(t.scalar_type()) != s.dtype || t.sizes().vec() != s.shape)
            throw Error::runtime(path + ": tensor " + q_(s.name) + " does not match its declared " + s.dtype +
                                 " " + shapeText(s.shape));
        if (static_cast<uint64_t>(t.numel()) * t.element_size() != sizes[i])
            throw Error::runtime(path + ": tensor " + q_(s.name) + " has an unexpected byte size");
        const auto* bytes = static_cast<const char*>(t.data_ptr());
        constexpr uint64_t kPiece = 64ull << 20;
        for (uint64_t at = 0; at < sizes[i]; at += kPiece) {
            if (check && at > 0) check();
            out.write(bytes + at, std::min(kPiece, sizes[i] - at));
        }
    }
    if (check) check();
    out.commit();
}

std::string safeTensorsPrefix(std::vector<SafeTensorSpec> specs, const std::map<std::string, std::string>& metadata) {
    std::sort(specs.begin(), specs.end(), [](const SafeTensorSpec& a, const SafeTensorSpec& b) { return a.name < b.name; });
    std::vector<uint64_t> sizes;
    const std::string header = buildHeader(specs, metadata, "safetensors header", &sizes);
    const uint64_t n = header.size();
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
    return out + header;
}

void saveSafeTensors(const std::string& path, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                     const std::map<std::string, std::string>& metadata, const std::function<void()>& check) {
    std::vector<SafeTensorSpec> specs;
    std::map<std::string, const at::Tensor*> byName;
    for (const auto& [name, t] : tensors) {
        if (!t.defined()) throw Error::badInput(path + ": tensor " + q_(name) + " is undefined");
        const std::string dt = safeTensorsDtypeName(t.scalar_type());
        if (dt.empty())
            throw Error::badInput(path + ": tensor " + q_(name) + " has dtype " +
                                  std::string(c10::toString(t.scalar_type())) + ", which safetensors cannot store here");
        if (!byName.emplace(name, &t).second)
            throw Error::badInput(path + ": tensor " + q_(name) + " is given twice");
        specs.push_back({name, dt, t.sizes().vec()});
    }
    writeSafeTensorsStreaming(path, std::move(specs), [&](const SafeTensorSpec& s) { return *byName.at(s.name); },
                              metadata, check);
}

}  // namespace embedlab
