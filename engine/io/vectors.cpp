#include "engine/io/vectors.h"

#include "engine/core/error.h"
#include "engine/io/file_io.h"
#include "engine/io/npy.h"
#include "engine/io/safetensors.h"

#include <ATen/ATen.h>

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <unordered_map>

namespace embedlab {

int64_t VectorSet::size() const { return data.defined() ? data.size(0) : 0; }
int64_t VectorSet::dim() const { return data.defined() && data.dim() == 2 ? data.size(1) : 0; }
std::string VectorSet::label(int64_t i) const {
    if (i >= 0 && i < static_cast<int64_t>(labels.size())) return labels[static_cast<size_t>(i)];
    if (i >= 0 && i < static_cast<int64_t>(sourceRows.size())) return std::to_string(sourceRows[static_cast<size_t>(i)]);
    return std::to_string(i);
}

std::string vectorFormatName(VectorFormat f) {
    switch (f) {
    case VectorFormat::Auto: return "auto";
    case VectorFormat::Word2VecText: return "word2vec";
    case VectorFormat::Word2VecBinary: return "word2vec-binary";
    case VectorFormat::GloveText: return "glove";
    case VectorFormat::FastTextVec: return "fasttext";
    case VectorFormat::ProjectorTsv: return "tsv";
    case VectorFormat::Npy: return "npy";
    case VectorFormat::SafeTensors: return "safetensors";
    }
    return "auto";
}

VectorFormat parseVectorFormat(const std::string& n) {
    for (auto f : {VectorFormat::Auto, VectorFormat::Word2VecText, VectorFormat::Word2VecBinary, VectorFormat::GloveText,
                   VectorFormat::FastTextVec, VectorFormat::ProjectorTsv, VectorFormat::Npy, VectorFormat::SafeTensors})
        if (vectorFormatName(f) == n) return f;
    if (n == "vec") return VectorFormat::FastTextVec;
    if (n == "bin") return VectorFormat::Word2VecBinary;
    throw Error::badInput("unknown vectors format '" + n +
                          "' (use word2vec, word2vec-binary, glove, fasttext, tsv, npy or safetensors)");
}

uint64_t defaultMaxMatrixBytes() {
    std::ifstream f("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit) {
        if (key == "MemAvailable:") return kb * 1024ull / 10ull * 8ull;
    }
    return 4ull << 30;
}

namespace {

bool endsWith(const std::string& s, const std::string& suf) {
    if (s.size() < suf.size()) return false;
    for (size_t i = 0; i < suf.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[s.size() - suf.size() + i])) != suf[i]) return false;
    return true;
}

uint64_t fileSizeOf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw Error::badInput(path + ": cannot open vectors file (missing or unreadable)");
    if (S_ISDIR(st.st_mode)) throw Error::badInput(path + ": is a folder, expected a vectors file");
    return static_cast<uint64_t>(st.st_size);
}

struct File {
    FILE* f = nullptr;
    explicit File(const std::string& path) {
        f = std::fopen(path.c_str(), "rb");
        if (!f) throw Error::badInput(path + ": cannot open vectors file (missing or unreadable)");
    }
    ~File() {
        if (f) std::fclose(f);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
};

// Reads lines of any length (POSIX getline), stripping "\n" and "\r\n".
class LineReader {
public:
    explicit LineReader(const std::string& path) : file_(path) {}
    ~LineReader() { std::free(buf_); }
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;
    bool next(std::string_view& line) {
        ssize_t n = ::getline(&buf_, &cap_, file_.f);
        if (n < 0) return false;
        bytes_ += static_cast<uint64_t>(n);
        ++lineNo_;
        size_t len = static_cast<size_t>(n);
        while (len > 0 && (buf_[len - 1] == '\n' || buf_[len - 1] == '\r')) --len;
        line = std::string_view(buf_, len);
        return true;
    }
    int64_t lineNo() const { return lineNo_; }
    uint64_t bytes() const { return bytes_; }

private:
    File file_;
    char* buf_ = nullptr;
    size_t cap_ = 0;
    int64_t lineNo_ = 0;
    uint64_t bytes_ = 0;
};

bool parseFloat(std::string_view tok, float& out) {
    const char* b = tok.data();
    const char* e = b + tok.size();
    if (b != e && *b == '+') ++b;
    auto r = std::from_chars(b, e, out);
    if (r.ec == std::errc::result_out_of_range) {
        // from_chars leaves `out` unchanged on overflow; treat as ±inf (and underflow as 0).
        double d = std::strtod(std::string(tok).c_str(), nullptr);
        out = static_cast<float>(d);
        return true;
    }
    return r.ec == std::errc() && r.ptr == e;
}

void splitWs(std::string_view line, std::vector<std::string_view>& toks) {
    toks.clear();
    size_t i = 0, n = line.size();
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= n) break;
        size_t j = i;
        while (j < n && line[j] != ' ' && line[j] != '\t') ++j;
        toks.push_back(line.substr(i, j - i));
        i = j;
    }
}

void splitTabs(std::string_view line, std::vector<std::string_view>& toks) {
    toks.clear();
    size_t i = 0;
    while (true) {
        size_t j = line.find('\t', i);
        if (j == std::string_view::npos) {
            toks.push_back(line.substr(i));
            break;
        }
        toks.push_back(line.substr(i, j - i));
        i = j + 1;
    }
}

std::string tooLarge(const std::string& path, uint64_t need, uint64_t limit) {
    char msg[256];
    std::snprintf(msg, sizeof msg, ": the matrix needs %.2f GB but at most %.2f GB can be held in memory; "
                  "use a smaller file (fewer rows or dimensions) or free memory",
                  need / 1e9, limit / 1e9);
    return path + msg;
}

// Collects rows into one growing float buffer that becomes the tensor without a copy.
class Builder {
public:
    Builder(std::string path, const VectorReadOptions& o, VectorReadReport& r)
        : path_(std::move(path)), drop_(o.dropNonFinite), report_(r),
          limit_(o.maxMatrixBytes ? o.maxMatrixBytes : defaultMaxMatrixBytes()), buf_(new std::vector<float>()) {}

    void setDim(int64_t d) {
        if (d <= 0) throw Error::badInput(path_ + ": vectors have no dimensions");
        // Every format spends at least a byte a dimension: a larger dimension is a lying header, and
        // must not size a row buffer (found by fuzz_vectors: 2.7 GB for a 200-byte file).
        if (static_cast<uint64_t>(d) > fileSizeOf(path_))
            throw Error::badInput(path_ + ": a dimension of " + std::to_string(d) + " is larger than the file (" +
                                  std::to_string(fileSizeOf(path_)) + " bytes)");
        dim_ = d;
    }
    int64_t dim() const { return dim_; }
    void expectRows(uint64_t rows) {
        uint64_t need = 0;
        if (__builtin_mul_overflow(rows, static_cast<uint64_t>(dim_) * 4ull, &need)) need = UINT64_MAX;
        if (need > limit_) throw Error::badInput(tooLarge(path_, need, limit_));
        buf_->reserve(static_cast<size_t>(rows * static_cast<uint64_t>(dim_)));
    }
    // Appends a row (copied from `row`); returns false when it was excluded.
    bool add(const float* row, std::string label, bool withLabel, int64_t sourceRow, int64_t lineNo) {
        ++report_.rowsRead;
        for (int64_t j = 0; j < dim_; ++j) {
            if (!std::isfinite(row[j])) {
                if (!drop_)
                    throw Error::badInput(path_ + ": row " + std::to_string(sourceRow) +
                                          (lineNo > 0 ? " (line " + std::to_string(lineNo) + ")" : std::string()) +
                                          " holds NaN or Inf");
                ++report_.nonFiniteRows;
                if (report_.nonFiniteSourceRows.size() < 1000) report_.nonFiniteSourceRows.push_back(sourceRow);
                return false;
            }
        }
        const uint64_t need = (buf_->size() + static_cast<uint64_t>(dim_)) * 4ull;
        if (need > limit_) throw Error::badInput(tooLarge(path_, need, limit_));
        buf_->insert(buf_->end(), row, row + dim_);
        if (withLabel) labels_.push_back(std::move(label));
        sourceRows_.push_back(sourceRow);
        return true;
    }
    VectorSet finish() {
        const int64_t n = static_cast<int64_t>(sourceRows_.size());
        if (n == 0) {
            if (report_.rowsRead > 0) throw Error::badInput(path_ + ": every row holds NaN or Inf; nothing left to use");
            throw Error::badInput(path_ + ": no vectors in the file");
        }
        VectorSet s;
        auto* owned = buf_.release();
        s.data = at::from_blob(owned->data(), {n, dim_}, [owned](void*) { delete owned; }, at::kFloat);
        s.labels = std::move(labels_);
        s.sourceRows = std::move(sourceRows_);
        report_.rowsKept = n;
        report_.duplicateRows = countDuplicateRows(s.data);
        if (report_.nonFiniteRows > 0)
            report_.warnings.push_back(std::to_string(report_.nonFiniteRows) + " row(s) with NaN or Inf excluded");
        if (report_.duplicateRows > 0)
            report_.warnings.push_back(std::to_string(report_.duplicateRows) + " duplicate row(s)");
        return s;
    }

private:
    std::string path_;
    bool drop_;
    VectorReadReport& report_;
    uint64_t limit_;
    int64_t dim_ = 0;
    std::unique_ptr<std::vector<float>> buf_;
    std::vector<std::string> labels_;
    std::vector<int64_t> sourceRows_;
};

std::string lineRef(const std::string& path, int64_t line) { return path + ":" + std::to_string(line) + ": "; }

bool isHeaderLine(const std::vector<std::string_view>& toks, int64_t& n, int64_t& d) {
    if (toks.size() != 2) return false;
    auto p = [](std::string_view t, int64_t& v) {
        auto r = std::from_chars(t.data(), t.data() + t.size(), v);
        return r.ec == std::errc() && r.ptr == t.data() + t.size() && v >= 0;
    };
    return p(toks[0], n) && p(toks[1], d);
}

// word2vec text, fastText .vec (header "N D") and GloVe (no header): "label v1 ... vD" per line.
VectorSet readTextVectors(const std::string& path, bool header, const VectorReadOptions& o, VectorReadReport& r,
                          Progress& progress) {
    const uint64_t total = fileSizeOf(path);
    LineReader in(path);
    Builder b(path, o, r);
    std::vector<std::string_view> toks;
    std::vector<float> row;
    std::string_view line;
    int64_t declared = -1;
    if (header) {
        if (!in.next(line)) throw Error::badInput(path + ": empty file");
        splitWs(line, toks);
        int64_t n = 0, d = 0;
        if (!isHeaderLine(toks, n, d))
            throw Error::badInput(lineRef(path, 1) + "expected the word2vec header \"COUNT DIMENSIONS\"");
        if (d == 0) throw Error::badInput(lineRef(path, 1) + "dimension 0 in the header");
        b.setDim(d);
        b.expectRows(static_cast<uint64_t>(n));
        declared = n;
    }
    int64_t src = 0;
    while (in.next(line)) {
        splitWs(line, toks);
        if (toks.empty()) continue;
        if (b.dim() == 0) {
            if (toks.size() < 2)
                throw Error::badInput(lineRef(path, in.lineNo()) + "expected a label followed by numbers (1-D data?)");
            b.setDim(static_cast<int64_t>(toks.size()) - 1);
            // Estimate the row count from the first line so the buffer rarely grows.
            const uint64_t est = total / std::max<uint64_t>(line.size() + 1, 1);
            b.expectRows(std::min<uint64_t>(est + est / 8 + 16, (o.maxMatrixBytes ? o.maxMatrixBytes : defaultMaxMatrixBytes()) / 4 / b.dim()));
        }
        const size_t d = static_cast<size_t>(b.dim());
        if (toks.size() < d + 1)
            throw Error::badInput(lineRef(path, in.lineNo()) + "expected a label and " + std::to_string(d) +
                                  " numbers, found " + std::to_string(toks.size()) + " fields (ragged line)");
        // Labels may hold spaces (some GloVe files): everything before the last D fields.
        const size_t nl = toks.size() - d;
        std::string label(toks[0]);
        if (nl > 1) label = std::string(toks[0].data(), static_cast<size_t>(toks[nl - 1].data() + toks[nl - 1].size() - toks[0].data()));
        row.resize(d);
        for (size_t j = 0; j < d; ++j)
            if (!parseFloat(toks[nl + j], row[j]))
                throw Error::badInput(lineRef(path, in.lineNo()) + "'" + std::string(toks[nl + j]) + "' is not a number");
        b.add(row.data(), std::move(label), true, src++, in.lineNo());
        if ((src & 4095) == 0) progress.report(total ? double(in.bytes()) / double(total) : -1, "reading vectors");
    }
    if (declared >= 0 && src != declared)
        r.warnings.push_back("header declares " + std::to_string(declared) + " vectors, file holds " + std::to_string(src));
    return b.finish();
}

VectorSet readWord2VecBinary(const std::string& path, const VectorReadOptions& o, VectorReadReport& r, Progress& progress) {
    const uint64_t total = fileSizeOf(path);
    File f(path);
    char head[256];
    if (!std::fgets(head, sizeof head, f.f)) throw Error::badInput(path + ": empty file");
    long long n = -1, d = -1;
    if (std::sscanf(head, "%lld %lld", &n, &d) != 2 || n < 0 || d <= 0)
        throw Error::badInput(path + ": expected the word2vec binary header \"COUNT DIMENSIONS\"");
    Builder b(path, o, r);
    b.setDim(d);
    uint64_t bytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(n), static_cast<uint64_t>(d) * 4ull, &bytes) || bytes > total)
        throw Error::badInput(path + ": the header declares " + std::to_string(n) + " x " + std::to_string(d) +
                              " floats but the file is too short (truncated, or not word2vec binary)");
    b.expectRows(static_cast<uint64_t>(n));
    std::vector<float> row(static_cast<size_t>(d));
    std::string word;
    for (long long i = 0; i < n; ++i) {
        word.clear();
        int c;
        while ((c = std::getc(f.f)) == '\n' || c == '\r') {}
        while (c != EOF && c != ' ') {
            word.push_back(static_cast<char>(c));
            if (word.size() > 100000) throw Error::badInput(path + ": vector " + std::to_string(i) + ": label too long (corrupt file?)");
            c = std::getc(f.f);
        }
        if (c == EOF) throw Error::badInput(path + ": truncated at vector " + std::to_string(i) + " of " + std::to_string(n));
        if (std::fread(row.data(), 4, static_cast<size_t>(d), f.f) != static_cast<size_t>(d))
            throw Error::badInput(path + ": truncated at vector " + std::to_string(i) + " of " + std::to_string(n));
        b.add(row.data(), word, true, i, -1);
        if ((i & 4095) == 0) progress.report(double(i) / double(std::max(n, 1LL)), "reading vectors");
    }
    return b.finish();
}

VectorSet readNpyStream(const std::string& path, const VectorReadOptions& o, VectorReadReport& r, Progress& progress) {
    const uint64_t total = fileSizeOf(path);
    File f(path);
    unsigned char pre[12];
    if (std::fread(pre, 1, 10, f.f) != 10 || std::memcmp(pre, "\x93NUMPY", 6) != 0)
        throw Error::badInput(path + ": not a .npy file");
    size_t hl = 0, off = 10;
    if (pre[6] == 1) {
        hl = pre[8] | (size_t(pre[9]) << 8);
    } else if (pre[6] == 2 || pre[6] == 3) {
        if (std::fread(pre + 10, 1, 2, f.f) != 2) throw Error::badInput(path + ": truncated .npy header");
        hl = pre[8] | (size_t(pre[9]) << 8) | (size_t(pre[10]) << 16) | (size_t(pre[11]) << 24);
        off = 12;
    } else {
        throw Error::badInput(path + ": unsupported .npy version");
    }
    if (off + hl > total) throw Error::badInput(path + ": truncated .npy header");
    std::string h(hl, '\0');
    if (std::fread(h.data(), 1, hl, f.f) != hl) throw Error::badInput(path + ": truncated .npy header");
    auto field = [&](const std::string& key) {
        auto p = h.find("'" + key + "'");
        if (p == std::string::npos) return std::string();
        p = h.find(':', p);
        return p == std::string::npos ? std::string() : h.substr(p + 1);
    };
    std::string descr = field("descr");
    const auto q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
    if (q1 == std::string::npos || q2 == std::string::npos) throw Error::badInput(path + ": no dtype in the .npy header");
    descr = descr.substr(q1 + 1, q2 - q1 - 1);
    std::string fo = field("fortran_order");
    if (fo.find("True") != std::string::npos && fo.find("True") < fo.find(','))
        throw Error::badInput(path + ": Fortran-order .npy is not supported; save with np.ascontiguousarray");
    size_t es = 0;
    if (descr == "<f4" || descr == "=f4") es = 4;
    else if (descr == "<f8" || descr == "=f8") es = 8;
    else throw Error::badInput(path + ": .npy dtype " + descr + " is not supported (use float32 or float64)");
    std::string shp = field("shape");
    const auto p1 = shp.find('('), p2 = shp.find(')');
    if (p1 == std::string::npos || p2 == std::string::npos) throw Error::badInput(path + ": no shape in the .npy header");
    const std::vector<int64_t> shape = parseNpyShape(shp.substr(p1 + 1, p2 - p1 - 1), path);
    if (shape.size() == 1)
        throw Error::badInput(path + ": 1-D data (shape (" + std::to_string(shape[0]) +
                              ",)); expected a 2-D matrix [N, D] of N vectors");
    if (shape.size() != 2)
        throw Error::badInput(path + ": expected a 2-D matrix [N, D], found " + std::to_string(shape.size()) + " dimensions");
    const int64_t n = shape[0], d = shape[1];
    Builder b(path, o, r);
    b.setDim(d);
    if (off + hl + npyDataBytes(shape, es, path) > total)
        throw Error::badInput(path + ": file is shorter than its shape says (truncated)");
    b.expectRows(static_cast<uint64_t>(n));
    std::vector<char> raw(static_cast<size_t>(d) * es);
    std::vector<float> row(static_cast<size_t>(d));
    for (int64_t i = 0; i < n; ++i) {
        if (std::fread(raw.data(), 1, raw.size(), f.f) != raw.size()) throw Error::badInput(path + ": truncated data");
        if (es == 4) std::memcpy(row.data(), raw.data(), raw.size());
        else
            for (int64_t j = 0; j < d; ++j) {
                double v;
                std::memcpy(&v, raw.data() + 8 * j, 8);
                row[static_cast<size_t>(j)] = static_cast<float>(v);
            }
        b.add(row.data(), {}, false, i, -1);
        if ((i & 4095) == 0) progress.report(double(i) / double(std::max<int64_t>(n, 1)), "reading vectors");
    }
    return b.finish();
}

VectorSet readSafeTensorsVectors(const std::string& path, const VectorReadOptions& o, VectorReadReport& r) {
    auto file = SafeTensorsFile::open(path);
    std::string name = o.tensorName;
    if (name.empty()) {
        std::vector<std::string> twoD;
        for (const auto& t : file->tensors())
            if (t.shape.size() == 2) twoD.push_back(t.name);
        if (twoD.size() != 1) {
            std::string all;
            for (const auto& t : twoD) all += (all.empty() ? "" : ", ") + t;
            throw Error::badInput(path + (twoD.empty() ? ": no 2-D tensor in the file"
                                                       : ": several 2-D tensors (" + all + "); name one"));
        }
        name = twoD[0];
    }
    const SafeTensorInfo* info = file->find(name);
    if (!info) throw Error::badInput(path + ": no tensor named '" + name + "'");
    if (info->shape.size() != 2)
        throw Error::badInput(path + ": tensor '" + name + "' is " + std::to_string(info->shape.size()) +
                              "-D; expected a 2-D matrix [N, D]");
    const uint64_t limit = o.maxMatrixBytes ? o.maxMatrixBytes : defaultMaxMatrixBytes();
    const uint64_t need = uint64_t(info->shape[0]) * uint64_t(info->shape[1]) * 4ull;
    if (need > limit) throw Error::badInput(tooLarge(path, need, limit));
    at::Tensor t = file->tensor(name);
    if (!t.is_floating_point()) throw Error::badInput(path + ": tensor '" + name + "' is not floating point");
    if (t.size(0) == 0 || t.size(1) == 0) throw Error::badInput(path + ": tensor '" + name + "' is empty");
    at::Tensor f32 = t.to(at::kFloat).contiguous();
    r.rowsRead = f32.size(0);
    std::vector<int64_t> keep = finiteRows(f32);
    VectorSet s;
    if (static_cast<int64_t>(keep.size()) != f32.size(0)) {
        if (!o.dropNonFinite) throw Error::badInput(path + ": rows hold NaN or Inf");
        std::vector<bool> kept(static_cast<size_t>(f32.size(0)), false);
        for (auto k : keep) kept[static_cast<size_t>(k)] = true;
        for (int64_t i = 0; i < f32.size(0); ++i)
            if (!kept[static_cast<size_t>(i)]) {
                ++r.nonFiniteRows;
                if (r.nonFiniteSourceRows.size() < 1000) r.nonFiniteSourceRows.push_back(i);
            }
        if (keep.empty()) throw Error::badInput(path + ": every row holds NaN or Inf; nothing left to use");
        s.data = f32.index_select(0, at::tensor(keep, at::kLong)).contiguous();
        s.sourceRows = keep;
        r.warnings.push_back(std::to_string(r.nonFiniteRows) + " row(s) with NaN or Inf excluded");
    } else {
        // Own the data (a float32 tensor would otherwise view the mapping).
        s.data = t.scalar_type() == at::kFloat ? f32.clone() : f32;
        s.sourceRows.resize(static_cast<size_t>(f32.size(0)));
        for (size_t i = 0; i < s.sourceRows.size(); ++i) s.sourceRows[i] = static_cast<int64_t>(i);
    }
    r.rowsKept = s.data.size(0);
    r.duplicateRows = countDuplicateRows(s.data);
    if (r.duplicateRows > 0) r.warnings.push_back(std::to_string(r.duplicateRows) + " duplicate row(s)");
    return s;
}

std::string defaultMetadataPath(const std::string& vectorsPath) {
    const auto slash = vectorsPath.find_last_of('/');
    const std::string dir = slash == std::string::npos ? std::string() : vectorsPath.substr(0, slash + 1);
    std::string base = slash == std::string::npos ? vectorsPath : vectorsPath.substr(slash + 1);
    const auto p = base.find("vectors");
    if (p == std::string::npos) return {};
    base.replace(p, 7, "metadata");
    const std::string cand = dir + base;
    return isRegularFile(cand) ? cand : std::string();
}

VectorSet readProjectorTsv(const std::string& path, const VectorReadOptions& o, VectorReadReport& r, Progress& progress) {
    const uint64_t total = fileSizeOf(path);
    // Metadata first: labels are attached to rows by source row.
    std::vector<std::string> metaHeader;
    std::vector<std::vector<std::string>> metaRows;
    std::string metaPath = o.metadataPath.empty() ? defaultMetadataPath(path) : o.metadataPath;
    if (!metaPath.empty()) {
        fileSizeOf(metaPath);
        LineReader m(metaPath);
        std::string_view line;
        std::vector<std::string_view> toks;
        bool first = true;
        size_t cols = 1;
        while (m.next(line)) {
            splitTabs(line, toks);
            if (first) {
                first = false;
                cols = toks.size();
                if (cols > 1) {  // the Projector's rule: a header line only when there are several columns
                    for (auto t : toks) metaHeader.push_back(unescapeTsvField(std::string(t)));
                    continue;
                }
            }
            if (line.empty() && cols == 1) {
                // An empty label is valid in a one-column file, but a trailing empty line is not a row.
            }
            if (toks.size() != cols)
                throw Error::badInput(lineRef(metaPath, m.lineNo()) + "expected " + std::to_string(cols) + " columns, found " +
                                      std::to_string(toks.size()) + " (ragged metadata)");
            std::vector<std::string> rowv;
            rowv.reserve(toks.size());
            for (auto t : toks) rowv.push_back(unescapeTsvField(std::string(t)));
            metaRows.push_back(std::move(rowv));
        }
    }
    LineReader in(path);
    Builder b(path, o, r);
    std::vector<std::string_view> toks;
    std::vector<float> row;
    std::string_view line;
    int64_t src = 0;
    while (in.next(line)) {
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        splitTabs(line, toks);
        if (b.dim() == 0) {
            b.setDim(static_cast<int64_t>(toks.size()));
            const uint64_t est = total / std::max<uint64_t>(line.size() + 1, 1);
            b.expectRows(std::min<uint64_t>(est + est / 8 + 16, (o.maxMatrixBytes ? o.maxMatrixBytes : defaultMaxMatrixBytes()) / 4 / b.dim()));
        }
        const size_t d = static_cast<size_t>(b.dim());
        if (toks.size() != d)
            throw Error::badInput(lineRef(path, in.lineNo()) + "expected " + std::to_string(d) + " tab-separated numbers, found " +
                                  std::to_string(toks.size()) + " (ragged TSV)");
        row.resize(d);
        for (size_t j = 0; j < d; ++j) {
            std::string_view t = toks[j];
            while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
            while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
            if (!parseFloat(t, row[j]))
                throw Error::badInput(lineRef(path, in.lineNo()) + "'" + std::string(toks[j]) + "' is not a number");
        }
        const bool haveMeta = !metaRows.empty();
        std::string label;
        if (haveMeta && src < static_cast<int64_t>(metaRows.size())) label = metaRows[static_cast<size_t>(src)][0];
        b.add(row.data(), std::move(label), haveMeta, src++, in.lineNo());
        if ((src & 4095) == 0) progress.report(total ? double(in.bytes()) / double(total) : -1, "reading vectors");
    }
    if (!metaRows.empty() && static_cast<int64_t>(metaRows.size()) != src) {
        // A one-column file may end with an empty label line that is really a trailing newline.
        if (!(metaHeader.empty() && static_cast<int64_t>(metaRows.size()) == src + 1 && metaRows.back()[0].empty()))
            throw Error::badInput(metaPath + ": " + std::to_string(metaRows.size()) + " metadata rows for " +
                                  std::to_string(src) + " vectors in " + path);
    }
    VectorSet s = b.finish();
    if (!metaRows.empty() && !metaHeader.empty()) {
        s.metadataHeader = metaHeader;
        s.metadata.reserve(s.sourceRows.size());
        for (auto sr : s.sourceRows) s.metadata.push_back(metaRows[static_cast<size_t>(sr)]);
    }
    return s;
}

}  // namespace

VectorFormat detectVectorFormat(const std::string& path) {
    if (endsWith(path, ".npy")) return VectorFormat::Npy;
    if (endsWith(path, ".safetensors")) return VectorFormat::SafeTensors;
    if (endsWith(path, ".tsv")) return VectorFormat::ProjectorTsv;
    if (endsWith(path, ".vec")) return VectorFormat::FastTextVec;
    fileSizeOf(path);
    File f(path);
    char buf[4096];
    const size_t n = std::fread(buf, 1, sizeof buf, f.f);
    if (n >= 6 && std::memcmp(buf, "\x93NUMPY", 6) == 0) return VectorFormat::Npy;
    if (endsWith(path, ".bin")) return VectorFormat::Word2VecBinary;
    std::string_view sv(buf, n);
    const size_t nl = sv.find('\n');
    std::vector<std::string_view> toks;
    splitWs(sv.substr(0, nl == std::string_view::npos ? sv.size() : nl), toks);
    int64_t a = 0, b = 0;
    if (isHeaderLine(toks, a, b)) {
        // word2vec with a header: binary if the body holds bytes that text never does.
        for (size_t i = nl == std::string_view::npos ? n : nl + 1; i < n; ++i)
            if (buf[i] == 0) return VectorFormat::Word2VecBinary;
        return VectorFormat::Word2VecText;
    }
    if (sv.find('\t') != std::string_view::npos && sv.find(' ') == std::string_view::npos) return VectorFormat::ProjectorTsv;
    return VectorFormat::GloveText;
}

VectorSet readVectors(const std::string& path, const VectorReadOptions& options, VectorReadReport* report,
                      Progress& progress) {
    VectorReadReport local;
    VectorReadReport& r = report ? *report : local;
    r = VectorReadReport{};
    fileSizeOf(path);
    const VectorFormat f = options.format == VectorFormat::Auto ? detectVectorFormat(path) : options.format;
    r.format = f;
    VectorSet s;
    switch (f) {
    case VectorFormat::Word2VecText:
    case VectorFormat::FastTextVec: s = readTextVectors(path, true, options, r, progress); break;
    case VectorFormat::GloveText: s = readTextVectors(path, false, options, r, progress); break;
    case VectorFormat::Word2VecBinary: s = readWord2VecBinary(path, options, r, progress); break;
    case VectorFormat::ProjectorTsv: s = readProjectorTsv(path, options, r, progress); break;
    case VectorFormat::Npy: s = readNpyStream(path, options, r, progress); break;
    case VectorFormat::SafeTensors: s = readSafeTensorsVectors(path, options, r); break;
    case VectorFormat::Auto: throw Error::badInput(path + ": unknown vectors format");
    }
    progress.report(1.0, "read " + std::to_string(s.size()) + " vectors");
    return s;
}

std::vector<int64_t> finiteRows(const at::Tensor& data) {
    if (data.dim() != 2) throw Error::badInput("expected a 2-D matrix [N, D]");
    at::Tensor ok = at::isfinite(data).all(1);
    at::Tensor idx = ok.nonzero().view({-1}).contiguous();
    return std::vector<int64_t>(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
}

int64_t countDuplicateRows(const at::Tensor& data) {
    at::Tensor x = data.to(at::kFloat).contiguous();
    const int64_t n = x.size(0), d = x.size(1);
    const float* p = x.data_ptr<float>();
    std::unordered_multimap<uint64_t, int64_t> seen;
    seen.reserve(static_cast<size_t>(n));
    int64_t dups = 0;
    for (int64_t i = 0; i < n; ++i) {
        const float* row = p + i * d;
        uint64_t h = 1469598103934665603ull;
        for (int64_t j = 0; j < d; ++j) {
            float v = row[j] == 0.0f ? 0.0f : row[j];  // -0 == +0
            uint32_t u;
            std::memcpy(&u, &v, 4);
            h = (h ^ u) * 1099511628211ull;
        }
        bool dup = false;
        auto range = seen.equal_range(h);
        for (auto it = range.first; it != range.second && !dup; ++it) {
            const float* other = p + it->second * d;
            dup = true;
            for (int64_t j = 0; j < d; ++j)
                if (other[j] != row[j]) {
                    dup = false;
                    break;
                }
        }
        if (dup) ++dups;
        else seen.emplace(h, i);
    }
    return dups;
}

std::string escapeTsvField(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (char c : s) {
        switch (c) {
        case '\\': o += "\\\\"; break;
        case '\t': o += "\\t"; break;
        case '\n': o += "\\n"; break;
        case '\r': o += "\\r"; break;
        default: o += c;
        }
    }
    return o;
}

std::string unescapeTsvField(const std::string& s) {
    if (s.find('\\') == std::string::npos) return s;
    std::string o;
    o.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            const char n = s[i + 1];
            if (n == '\\' || n == 't' || n == 'n' || n == 'r') {
                o += n == '\\' ? '\\' : n == 't' ? '\t' : n == 'n' ? '\n' : '\r';
                ++i;
                continue;
            }
        }
        o += s[i];
    }
    return o;
}

namespace {
void appendFloat(std::string& out, float v) {
    char buf[32];
    if (std::isnan(v)) {
        out += "nan";
        return;
    }
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}
}  // namespace

void writeProjectorTsv(const VectorSet& set, const std::string& vectorsPath, const std::string& metadataPath) {
    at::Tensor x = set.data.to(at::kFloat).contiguous();
    if (x.dim() != 2) throw Error::badInput("writeProjectorTsv: expected a 2-D matrix");
    const int64_t n = x.size(0), d = x.size(1);
    const float* p = x.data_ptr<float>();
    std::string out;
    out.reserve(static_cast<size_t>(n * d * 10));
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < d; ++j) {
            if (j) out += '\t';
            appendFloat(out, p[i * d + j]);
        }
        out += '\n';
    }
    writeFileAtomic(vectorsPath, out);
    if (metadataPath.empty()) return;
    std::string m;
    const bool multi = !set.metadataHeader.empty() && set.metadata.size() == static_cast<size_t>(n);
    if (multi) {
        for (size_t c = 0; c < set.metadataHeader.size(); ++c) m += (c ? "\t" : "") + escapeTsvField(set.metadataHeader[c]);
        m += '\n';
        for (const auto& row : set.metadata) {
            for (size_t c = 0; c < row.size(); ++c) m += (c ? "\t" : "") + escapeTsvField(row[c]);
            m += '\n';
        }
    } else {
        for (int64_t i = 0; i < n; ++i) m += escapeTsvField(set.label(i)) + '\n';
    }
    writeFileAtomic(metadataPath, m);
}

void writeCoordinatesCsv(const std::string& path, const at::Tensor& coords, const std::vector<std::string>& labels,
                         const std::vector<int64_t>& rows) {
    at::Tensor c = coords.to(at::kFloat).contiguous();
    if (c.dim() != 2 || c.size(1) < 1 || c.size(1) > 3) throw Error::badInput("writeCoordinatesCsv: expected [N, 2|3] coordinates");
    const int64_t n = c.size(0), d = c.size(1);
    const float* p = c.data_ptr<float>();
    static const char* names[] = {"x", "y", "z"};
    std::string out = "row,label";
    for (int64_t j = 0; j < d; ++j) out += std::string(",") + names[j];
    out += '\n';
    for (int64_t i = 0; i < n; ++i) {
        out += std::to_string(i < static_cast<int64_t>(rows.size()) ? rows[static_cast<size_t>(i)] : i);
        out += ',';
        if (i < static_cast<int64_t>(labels.size())) {
            const std::string& l = labels[static_cast<size_t>(i)];
            if (l.find_first_of(",\"\n\r") != std::string::npos) {
                out += '"';
                for (char ch : l) {
                    if (ch == '"') out += '"';
                    out += ch;
                }
                out += '"';
            } else {
                out += l;
            }
        }
        for (int64_t j = 0; j < d; ++j) {
            out += ',';
            appendFloat(out, p[i * d + j]);
        }
        out += '\n';
    }
    writeFileAtomic(path, out);
}

}  // namespace embedlab
