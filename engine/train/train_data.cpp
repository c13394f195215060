#include "engine/train/train_data.h"

#include "engine/core/error.h"
#include "engine/io/corpus.h"
#include "engine/io/file_io.h"
#include "engine/jobs/progress.h"
#include "engine/tokenizers/tokenizer.h"

#include <ATen/ATen.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>

namespace embedlab {

namespace {

std::shared_ptr<const int32_t> ownedBuffer(std::vector<int32_t> v) {
    auto holder = std::make_shared<std::vector<int32_t>>(std::move(v));
    return std::shared_ptr<const int32_t>(holder, holder->data());
}

std::vector<int64_t> parseIds(const std::string& text, const std::string& where) {
    std::vector<int64_t> ids;
    std::stringstream s(text);
    std::string item;
    while (std::getline(s, item, ',')) {
        const size_t a = item.find_first_not_of(" \t\r"), b = item.find_last_not_of(" \t\r");
        if (a == std::string::npos) throw Error::badInput(where + ": empty id");
        item = item.substr(a, b - a + 1);
        char* end = nullptr;
        errno = 0;
        const long long v = std::strtoll(item.c_str(), &end, 10);
        if (*end != '\0' || errno != 0 || v < 0 || v > std::numeric_limits<int32_t>::max())
            throw Error::badInput(where + ": '" + item + "' is not a token id");
        ids.push_back(v);
    }
    return ids;
}

uint64_t fnv(uint64_t h, const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

uint64_t hashFile(uint64_t h, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::badInput("cannot read " + path);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        h = fnv(h, buf.data(), static_cast<size_t>(in.gcount()));
    }
    return h;
}

std::string defaultCacheDir() {
    if (const char* e = std::getenv("EMBEDLAB_CACHE_DIR"); e && *e) return e;
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/embedlab";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/embedlab";
    return "/tmp/embedlab-cache";
}

void makeDirs(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // a cache that cannot be made is not an error
}

constexpr char kMagic[8] = {'E', 'M', 'B', 'T', 'O', 'K', 'S', '1'};

// Maps a cache file; nullopt-like (empty corpus) when it is missing or malformed.
bool mapCache(const std::string& path, TokenizedCorpus& out) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 32) {
        ::close(fd);
        return false;
    }
    void* p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return false;
    const size_t size = static_cast<size_t>(st.st_size);
    auto mapping = std::shared_ptr<void>(p, [size](void* q) { ::munmap(q, size); });
    const auto* bytes = static_cast<const char*>(p);
    uint64_t head[3];
    std::memcpy(head, bytes + 8, sizeof head);
    if (std::memcmp(bytes, kMagic, 8) != 0 || size != 32 + head[0] * 4) return false;
    out.tokens = std::shared_ptr<const int32_t>(mapping, reinterpret_cast<const int32_t*>(bytes + 32));
    out.numTokens = static_cast<int64_t>(head[0]);
    out.chars = static_cast<int64_t>(head[1]);
    out.records = static_cast<int64_t>(head[2]);
    out.cachePath = path;
    out.fromCache = true;
    return true;
}

int64_t countChars(const std::string& s) {
    int64_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

}  // namespace

TokenSequences TokenSequences::fromVectors(const std::vector<std::vector<int64_t>>& seqs) {
    std::vector<int32_t> flat;
    TokenSequences t;
    t.offsets_.push_back(0);
    for (const auto& s : seqs) {
        for (int64_t v : s) flat.push_back(static_cast<int32_t>(v));
        t.offsets_.push_back(static_cast<int64_t>(flat.size()));
    }
    t.data_ = ownedBuffer(std::move(flat));
    return t;
}

TokenSequences TokenSequences::blocks(std::shared_ptr<const int32_t> data, int64_t begin, int64_t end, int64_t blockLen) {
    TokenSequences t;
    t.data_ = std::move(data);
    t.offsets_.push_back(begin);
    for (int64_t b = begin; b < end; b += blockLen) {
        const int64_t e = std::min(end, b + blockLen);
        if (e - b < 2) break;
        t.offsets_.push_back(e);
    }
    if (t.offsets_.size() == 1) t.offsets_.clear();
    return t;
}

TokenSequences TokenSequences::slice(size_t begin, size_t end) const {
    TokenSequences t;
    end = std::min(end, size());
    if (begin >= end) return t;
    t.data_ = data_;
    t.offsets_.assign(offsets_.begin() + static_cast<std::ptrdiff_t>(begin), offsets_.begin() + static_cast<std::ptrdiff_t>(end) + 1);
    return t;
}

int32_t TokenSequences::maxId() const {
    int32_t m = std::numeric_limits<int32_t>::min();
    for (int64_t i = offsets_.empty() ? 0 : offsets_.front(); !offsets_.empty() && i < offsets_.back(); ++i)
        m = std::max(m, data_.get()[i]);
    return m;
}

int32_t TokenSequences::minId() const {
    int32_t m = std::numeric_limits<int32_t>::max();
    for (int64_t i = offsets_.empty() ? 0 : offsets_.front(); !offsets_.empty() && i < offsets_.back(); ++i)
        m = std::min(m, data_.get()[i]);
    return m;
}

TokenSequences readIdsFile(const std::string& path, int64_t seqLen) {
    std::ifstream in(path);
    if (!in) throw Error::badInput("cannot read the ids file " + path);
    std::vector<std::vector<int64_t>> seqs;
    std::string line;
    int64_t n = 0;
    while (readBoundedLine(in, line, 64u << 20)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto ids = parseIds(line, path + ":" + std::to_string(n));
        if (static_cast<int64_t>(ids.size()) > seqLen) ids.resize(static_cast<size_t>(seqLen));
        seqs.push_back(std::move(ids));
    }
    if (seqs.empty()) throw Error::badInput(path + ": no sequences (one line of comma-separated token ids each)");
    return TokenSequences::fromVectors(seqs);
}

TokenPairs readIdPairsFile(const std::string& path, int64_t seqLen) {
    std::ifstream in(path);
    if (!in) throw Error::badInput("cannot read the pairs file " + path);
    std::vector<std::vector<int64_t>> a, b;
    std::string line;
    int64_t n = 0;
    while (readBoundedLine(in, line, 64u << 20)) {
        ++n;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const size_t tab = line.find('\t');
        const std::string where = path + ":" + std::to_string(n);
        if (tab == std::string::npos) throw Error::badInput(where + ": expected 'ids<TAB>ids'");
        if (tab == 0 || tab + 1 >= line.size()) throw Error::badInput(where + ": an empty side");
        auto x = parseIds(line.substr(0, tab), where), y = parseIds(line.substr(tab + 1), where);
        if (static_cast<int64_t>(x.size()) > seqLen) x.resize(static_cast<size_t>(seqLen));
        if (static_cast<int64_t>(y.size()) > seqLen) y.resize(static_cast<size_t>(seqLen));
        a.push_back(std::move(x));
        b.push_back(std::move(y));
    }
    if (a.empty()) throw Error::badInput(path + ": no pairs");
    return {TokenSequences::fromVectors(a), TokenSequences::fromVectors(b)};
}

TokenizedCorpus tokenizeCorpus(const std::string& corpusPath, const Tokenizer& tokenizer, const std::string& tokenizerPath,
                               Progress& progress, const std::string& cacheDirIn) {
    if (!isRegularFile(corpusPath)) throw Error::badInput("the training corpus " + corpusPath + " does not exist");
    // The key: the corpus bytes, the tokenizer's files, the format version.
    uint64_t key = 1469598103934665603ull;
    key = fnv(key, "embedlab-tokens-v1", 18);
    key = hashFile(key, corpusPath);
    if (isDirectory(tokenizerPath)) {
        for (const char* f : {"tokenizer.json", "tokenizer.json.gz", "tokenizer.model", "tokenizer_config.json",
                              "special_tokens_map.json", "kokler.json", "ekler.json", "bpe_tokenler.json",
                              "vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model"}) {
            const std::string p = joinPath(tokenizerPath, f);
            if (isRegularFile(p)) key = hashFile(fnv(key, f, std::strlen(f)), p);
        }
    } else if (isRegularFile(tokenizerPath)) {
        key = hashFile(key, tokenizerPath);
    }
    const std::string dir = joinPath(cacheDirIn.empty() ? defaultCacheDir() : cacheDirIn, "tokens");
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.tok", static_cast<unsigned long long>(key));
    const std::string path = joinPath(dir, name);
    TokenizedCorpus out;
    if (mapCache(path, out)) {
        progress.report(1.0, "tokens from the cache");
        return out;
    }
    std::vector<int32_t> stream;
    int64_t chars = 0, records = 0;
    const std::optional<int64_t> eos = tokenizer.eosId();
    Progress reading(progress, 0.0, 0.98, "tokenising");
    streamCorpus(corpusPath, CorpusOptions{}, [&](CorpusRecord&& r) {
        const Encoding e = tokenizer.encode(r.text, /*addSpecial=*/true);
        for (int64_t id : e.ids) stream.push_back(static_cast<int32_t>(id));
        if (eos && (e.ids.empty() || e.ids.back() != *eos)) stream.push_back(static_cast<int32_t>(*eos));
        chars += countChars(r.text);
        ++records;
    }, reading);
    if (stream.size() < 2) throw Error::badInput(corpusPath + ": too short to train on (" + std::to_string(stream.size()) + " tokens)");
    // Written atomically; a cache that cannot be written is not an error (the tokens are in memory).
    makeDirs(dir);
    try {
        AtomicFile f(path);
        f.write(kMagic, 8);
        const uint64_t head[3] = {stream.size(), static_cast<uint64_t>(chars), static_cast<uint64_t>(records)};
        f.write(head, sizeof head);
        f.write(stream.data(), stream.size() * sizeof(int32_t));
        f.commit();
    } catch (const Error&) {
    }
    if (mapCache(path, out)) {
        out.fromCache = false;
    } else {
        out.numTokens = static_cast<int64_t>(stream.size());
        out.chars = chars;
        out.records = records;
        out.tokens = ownedBuffer(std::move(stream));
    }
    progress.report(1.0, "tokenised");
    return out;
}

TokenPairs tokenizePairs(const std::string& path, const Tokenizer& tokenizer, int64_t seqLen, Progress& progress) {
    std::vector<std::vector<int64_t>> a, b;
    CorpusOptions o;
    o.format = CorpusFormat::Text;
    streamCorpus(path, o, [&](CorpusRecord&& r) {
        const size_t tab = r.text.find('\t');
        if (tab == std::string::npos)
            throw Error::badInput(path + ":" + std::to_string(r.line) + ": expected 'anchor<TAB>positive'");
        auto x = tokenizer.encode(r.text.substr(0, tab), true).ids, y = tokenizer.encode(r.text.substr(tab + 1), true).ids;
        if (x.empty() || y.empty()) throw Error::badInput(path + ":" + std::to_string(r.line) + ": an empty side");
        if (static_cast<int64_t>(x.size()) > seqLen) x.resize(static_cast<size_t>(seqLen));
        if (static_cast<int64_t>(y.size()) > seqLen) y.resize(static_cast<size_t>(seqLen));
        a.push_back(std::move(x));
        b.push_back(std::move(y));
    }, progress);
    if (a.size() < 2) throw Error::badInput(path + ": contrastive training needs at least two pairs");
    return {TokenSequences::fromVectors(a), TokenSequences::fromVectors(b)};
}

TrainSplit packCorpus(const TokenizedCorpus& c, int64_t seqLen, bool holdOut) {
    if (seqLen < 2) throw Error::badInput("--seq-len must be at least 2");
    const int64_t n = c.numTokens;
    const int64_t blocks = (n + seqLen - 1) / seqLen;
    int64_t held = 0;
    if (holdOut && blocks >= 2) held = std::max<int64_t>(1, blocks / 20);
    const int64_t cut = (blocks - held) * seqLen;
    TrainSplit s;
    s.train = TokenSequences::blocks(c.tokens, 0, std::min(cut, n), seqLen);
    if (held > 0) s.heldOut = TokenSequences::blocks(c.tokens, cut, n, seqLen);
    if (s.train.size() == 0) throw Error::badInput("the corpus is too short to train on");
    return s;
}

std::vector<size_t> batchRows(int64_t j, int64_t batchSize, size_t n, bool shuffle, uint64_t seed) {
    std::vector<size_t> rows;
    // The epoch's permutation is kept between calls (one per thread): O(n) once per epoch, not per batch.
    thread_local int64_t cachedEpoch = -1;
    thread_local size_t cachedN = 0;
    thread_local uint64_t cachedSeed = 0;
    thread_local std::vector<size_t> perm;
    if (cachedN != n || cachedSeed != seed) cachedEpoch = -1;
    for (int64_t i = 0; i < batchSize; ++i) {
        const int64_t g = j * batchSize + i;
        const int64_t epoch = g / static_cast<int64_t>(n);
        const size_t pos = static_cast<size_t>(g % static_cast<int64_t>(n));
        if (!shuffle) {
            rows.push_back(pos);
            continue;
        }
        if (epoch != cachedEpoch) {
            perm.resize(n);
            std::iota(perm.begin(), perm.end(), size_t{0});
            std::mt19937_64 gen(seed * 1000003ull + static_cast<uint64_t>(epoch));
            for (size_t k = n; k > 1; --k) std::swap(perm[k - 1], perm[static_cast<size_t>(gen() % k)]);
            cachedEpoch = epoch;
            cachedN = n;
            cachedSeed = seed;
        }
        rows.push_back(perm[pos]);
    }
    return rows;
}

TokenBatch makeBatch(const TokenSequences& seqs, const std::vector<size_t>& rows, int64_t padId) {
    int64_t L = 0;
    for (size_t r : rows) L = std::max(L, seqs.length(r));
    const int64_t B = static_cast<int64_t>(rows.size());
    TokenBatch b;
    b.ids = at::full({B, L}, padId, at::kLong);
    b.mask = at::zeros({B, L}, at::kLong);
    auto ids = b.ids.accessor<int64_t, 2>();
    auto mask = b.mask.accessor<int64_t, 2>();
    for (int64_t i = 0; i < B; ++i) {
        const size_t r = rows[static_cast<size_t>(i)];
        const int32_t* s = seqs.sequence(r);
        for (int64_t t = 0; t < seqs.length(r); ++t) {
            ids[i][t] = s[t];
            mask[i][t] = 1;
        }
        b.realTokens += seqs.length(r);
    }
    return b;
}

}  // namespace embedlab
