#include "engine/tokenizers/hf_models.h"

#include "engine/core/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <queue>

namespace embedlab::hf {

// ---- U64Map ----
namespace {
inline uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
}  // namespace

void U64Map::reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap <= slots_.size()) return;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{kEmpty, 0});
    mask_ = cap - 1;
    size_ = 0;
    for (const Slot& sl : old)
        if (sl.key != kEmpty) insert(sl.key, sl.value);
}

void U64Map::grow() { reserve(std::max<size_t>(16, size_ * 2 + 2)); }

void U64Map::insert(uint64_t key, uint64_t value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    size_t i = mix(key) & mask_;
    while (slots_[i].key != kEmpty) {
        if (slots_[i].key == key) return;
        i = (i + 1) & mask_;
    }
    slots_[i] = Slot{key, value};
    ++size_;
}

const uint64_t* U64Map::find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    size_t i = mix(key) & mask_;
    while (true) {
        const Slot& sl = slots_[i];
        if (sl.key == key) return &sl.value;
        if (sl.key == kEmpty) return nullptr;
        i = (i + 1) & mask_;
    }
}

// ---- Vocab ----
void Vocab::build(std::vector<std::pair<std::string, int64_t>>&& entries, const char* what) {
    int64_t maxId = -1;
    for (const auto& [t, id] : entries) {
        if (id < 0 || id > std::numeric_limits<int32_t>::max() - 1)
            throw Error::badInput(std::string("tokenizer.json: ") + what + " has an invalid id " + std::to_string(id) +
                                  " for token '" + t + "'");
        maxId = std::max(maxId, id);
    }
    // Ids may leave gaps, but not gigabytes of them (found by fuzz_hf_tokenizer: one token with id
    // 2,000,000,000 made a 64 GB table).
    if (maxId >= static_cast<int64_t>(entries.size()) + (int64_t(1) << 20))
        throw Error::badInput(std::string("tokenizer.json: ") + what + " has " + std::to_string(entries.size()) +
                              " tokens but an id of " + std::to_string(maxId));
    tokens_.assign(static_cast<size_t>(maxId + 1), std::string());
    std::vector<uint8_t> seen(tokens_.size(), 0);
    for (auto& [t, id] : entries) {
        if (seen[static_cast<size_t>(id)])
            throw Error::badInput(std::string("tokenizer.json: ") + what + " uses id " + std::to_string(id) + " twice");
        seen[static_cast<size_t>(id)] = 1;
        tokens_[static_cast<size_t>(id)] = std::move(t);
    }
    entries.clear();
    entries.shrink_to_fit();
    size_t cap = 16;
    while (cap < tokens_.size() * 2) cap <<= 1;
    slotId_.assign(cap, 0);
    slotTag_.assign(cap, 0);
    mask_ = cap - 1;
    for (size_t i = 0; i < tokens_.size(); ++i) {
        if (!seen[i]) continue;
        const uint64_t h = hash(tokens_[i]);
        size_t k = h & mask_;
        bool dup = false;
        while (slotId_[k] != 0) {
            if (tokens_[slotId_[k] - 1] == tokens_[i]) dup = true;  // the first id wins
            k = (k + 1) & mask_;
        }
        if (dup) continue;
        slotId_[k] = static_cast<uint32_t>(i + 1);
        slotTag_[k] = static_cast<uint32_t>(h >> 32);
    }
}

const std::string& Vocab::token(int32_t id) const {
    static const std::string empty;
    return id >= 0 && id < size() ? tokens_[static_cast<size_t>(id)] : empty;
}

bool Model::isByteToken(int32_t id) const {
    const std::string& t = vocab_.token(id);
    return t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>';
}

namespace {

std::string byteTokenName(unsigned char b) {
    static const char* hex = "0123456789ABCDEF";
    std::string s = "<0x00>";
    s[3] = hex[b >> 4];
    s[4] = hex[b & 15];
    return s;
}

// ---------------- BPE ----------------
class Bpe : public Model {
public:
    Bpe(const Json& j, ModelData&& d) {
        if (!d.vocabSeen) throw Error::badInput("tokenizer.json: BPE model without \"vocab\"");
        if (!d.mergesSeen) throw Error::badInput("tokenizer.json: BPE model without \"merges\"");
        vocab_.build(std::move(d.vocab), "BPE vocab");
        const std::string unk = jsonString(j, "unk_token");
        if (!unk.empty()) {
            unkId_ = vocab_.find(unk);
            if (!unkId_) throw Error::badInput("tokenizer.json: BPE unk_token '" + unk + "' is not in the vocabulary");
        }
        prefix_ = jsonString(j, "continuing_subword_prefix");
        suffix_ = jsonString(j, "end_of_word_suffix");
        fuseUnk_ = jsonBool(j, "fuse_unk", false);
        byteFallback_ = jsonBool(j, "byte_fallback", false);
        ignoreMerges_ = jsonBool(j, "ignore_merges", false);
        if (const Json* dr = jsonFind(j, "dropout"); dr && dr->is_number() && dr->get<double>() > 0.0)
            throw Error::badInput("tokenizer.json: BPE dropout is not supported (inference only)");
        if (byteFallback_)
            for (int b = 0; b < 256; ++b) byteIds_[b] = vocab_.find(byteTokenName(static_cast<unsigned char>(b))).value_or(-1);

        merges_.reserve(d.merges.size());
        std::string joined;
        for (size_t r = 0; r < d.merges.size(); ++r) {
            const auto& [a, b] = d.merges[r];
            auto ia = vocab_.find(a), ib = vocab_.find(b);
            // In HF, merge tokens carry the subword prefix only on the right part's own spelling.
            joined = a;
            joined += prefix_.empty() || b.compare(0, prefix_.size(), prefix_) != 0 ? b : b.substr(prefix_.size());
            auto in = vocab_.find(joined);
            if (!ia || !ib || !in)
                throw Error::badInput("tokenizer.json: merge " + std::to_string(r) + " ('" + a + " " + b +
                                      "') uses a token that is not in the vocabulary");
            merges_.insert(key(*ia, *ib), (static_cast<uint64_t>(r) << 32) | static_cast<uint32_t>(*in));
        }
    }
    std::string kind() const override { return "hf-bpe"; }

    void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
        if (word.empty()) return;
        if (word.size() > kMaxWordBytes) {
            size_t pos = 0;
            while (pos < word.size()) {
                size_t end = std::min(word.size(), pos + kMaxWordBytes);
                if (end < word.size()) {
                    // prefer cutting before a space, newline or '▁' within the last 4 KB of the chunk
                    size_t cut = end;
                    for (size_t k = end; k > end - 4096 && k > pos + 1; --k) {
                        const char c = word[k];
                        if (c == ' ' || c == '\n' || (static_cast<unsigned char>(c) == 0xE2 && k + 2 < word.size() &&
                                                      static_cast<unsigned char>(word[k + 1]) == 0x96 &&
                                                      static_cast<unsigned char>(word[k + 2]) == 0x81)) {
                            cut = k;
                            break;
                        }
                    }
                    while (cut > pos + 1 && (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80) --cut;
                    end = cut;
                }
                const size_t before = out.size();
                tokenizeWord(word.substr(pos, end - pos), out);
                for (size_t k = before; k < out.size(); ++k) {
                    out[k].b += static_cast<uint32_t>(pos);
                    out[k].e += static_cast<uint32_t>(pos);
                }
                pos = end;
            }
            return;
        }
        tokenizeWord(word, out);
    }

private:
    struct Symbol {
        int32_t id;
        int32_t prev, next;
        uint32_t b, len;
    };
    struct Cached {
        std::vector<ModelToken> toks;
    };
    static uint64_t key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }

    void tokenizeWord(std::string_view word, std::vector<ModelToken>& out) const {
        const bool cacheable = word.size() <= kCacheWordBytes;
        if (cacheable) {
            std::lock_guard<std::mutex> lock(cacheMutex_);
            auto it = cache_.find(std::string(word));
            if (it != cache_.end()) {
                out.insert(out.end(), it->second.begin(), it->second.end());
                return;
            }
        }
        const size_t before = out.size();
        merge(word, out);
        if (cacheable) {
            std::lock_guard<std::mutex> lock(cacheMutex_);
            if (cache_.size() >= kCacheCapacity) cache_.clear();
            cache_.emplace(std::string(word),
                           std::vector<ModelToken>(out.begin() + static_cast<std::ptrdiff_t>(before), out.end()));
        }
    }

    void merge(std::string_view word, std::vector<ModelToken>& out) const {
        if (ignoreMerges_ && prefix_.empty() && suffix_.empty()) {
            if (auto id = vocab_.find(word)) {
                out.push_back({*id, 0, static_cast<uint32_t>(word.size())});
                return;
            }
        }
        std::vector<Symbol> sym;
        sym.reserve(word.size());
        std::string tmp;
        int32_t unkB = -1;
        uint32_t unkLen = 0;
        auto add = [&](int32_t id, uint32_t b, uint32_t len) {
            const int32_t n = static_cast<int32_t>(sym.size());
            sym.push_back({id, n - 1, n + 1, b, len});
        };
        auto flushUnk = [&]() {
            if (unkB >= 0) add(*unkId_, static_cast<uint32_t>(unkB), unkLen);
            unkB = -1;
        };
        for (size_t i = 0; i < word.size();) {
            size_t len = utf8Len(static_cast<unsigned char>(word[i]));
            if (i + len > word.size()) len = word.size() - i;
            std::optional<int32_t> id;
            if (prefix_.empty() && suffix_.empty()) {
                id = vocab_.find(word.substr(i, len));
            } else {
                tmp.clear();
                if (i > 0) tmp += prefix_;
                tmp.append(word.data() + i, len);
                if (i + len == word.size()) tmp += suffix_;
                id = vocab_.find(tmp);
            }
            if (id) {
                flushUnk();
                add(*id, static_cast<uint32_t>(i), static_cast<uint32_t>(len));
            } else {
                bool done = false;
                if (byteFallback_) {
                    bool all = true;
                    for (size_t k = 0; k < len; ++k) all = all && byteIds_[static_cast<unsigned char>(word[i + k])] >= 0;
                    if (all) {
                        flushUnk();
                        for (size_t k = 0; k < len; ++k)
                            add(byteIds_[static_cast<unsigned char>(word[i + k])], static_cast<uint32_t>(i + k), 1);
                        done = true;
                    }
                }
                if (!done && unkId_) {
                    if (unkB >= 0 && fuseUnk_) {
                        unkLen += static_cast<uint32_t>(len);
                    } else {
                        flushUnk();
                        unkB = static_cast<int32_t>(i);
                        unkLen = static_cast<uint32_t>(len);
                    }
                }
                // without an unk token, an unknown character is dropped (as HF does)
            }
            i += len;
        }
        flushUnk();
        if (sym.empty()) return;
        sym.back().next = -1;

        struct Cand {
            uint32_t rank;
            int32_t pos;
            int32_t newId;
            int32_t left, right;  // the pair's ids when queued
            bool operator>(const Cand& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
        };
        std::vector<Cand> heapStore;
        heapStore.reserve(sym.size());
        std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> q(std::greater<Cand>(), std::move(heapStore));
        auto consider = [&](int32_t pos) {
            const int32_t nx = sym[static_cast<size_t>(pos)].next;
            if (nx < 0) return;
            if (const uint64_t* m = merges_.find(key(sym[static_cast<size_t>(pos)].id, sym[static_cast<size_t>(nx)].id)))
                q.push({static_cast<uint32_t>(*m >> 32), pos, static_cast<int32_t>(*m & 0xFFFFFFFFu),
                        sym[static_cast<size_t>(pos)].id, sym[static_cast<size_t>(nx)].id});
        };
        for (int32_t p = 0; p + 1 < static_cast<int32_t>(sym.size()); ++p) consider(p);
        while (!q.empty()) {
            const Cand top = q.top();
            q.pop();
            Symbol& cur = sym[static_cast<size_t>(top.pos)];
            if (cur.len == 0 || cur.next < 0) continue;
            Symbol& right = sym[static_cast<size_t>(cur.next)];
            if (cur.id != top.left || right.id != top.right) {  // changed since queued: HF's check
                const uint64_t* m = merges_.find(key(cur.id, right.id));
                if (!m || static_cast<int32_t>(*m & 0xFFFFFFFFu) != top.newId) continue;
            }
            cur.id = top.newId;
            cur.len += right.len;
            right.len = 0;
            cur.next = right.next;
            if (cur.next >= 0) sym[static_cast<size_t>(cur.next)].prev = top.pos;
            if (cur.prev >= 0) consider(cur.prev);
            consider(top.pos);
        }
        for (const Symbol& s : sym)
            if (s.len > 0) out.push_back({s.id, s.b, s.b + s.len});
    }

    static constexpr size_t kCacheWordBytes = 64;
    static constexpr size_t kCacheCapacity = 100000;
    std::string prefix_, suffix_;
    bool fuseUnk_ = false, byteFallback_ = false, ignoreMerges_ = false;
    int32_t byteIds_[256] = {};
    U64Map merges_;
    mutable std::mutex cacheMutex_;
    mutable std::unordered_map<std::string, std::vector<ModelToken>> cache_;
};

// ---------------- WordPiece ----------------
class WordPiece : public Model {
public:
    WordPiece(const Json& j, ModelData&& d) {
        if (!d.vocabSeen) throw Error::badInput("tokenizer.json: WordPiece model without \"vocab\"");
        vocab_.build(std::move(d.vocab), "WordPiece vocab");
        const std::string unk = jsonString(j, "unk_token", "[UNK]");
        unkId_ = vocab_.find(unk);
        if (!unkId_) throw Error::badInput("tokenizer.json: WordPiece unk_token '" + unk + "' is not in the vocabulary");
        prefix_ = jsonString(j, "continuing_subword_prefix", "##");
        if (const Json* m = jsonFind(j, "max_input_chars_per_word"); m && m->is_number_integer())
            maxChars_ = m->get<int64_t>();
    }
    std::string kind() const override { return "hf-wordpiece"; }

    void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
        if (word.empty()) return;
        int64_t chars = 0;
        for (char c : word) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
        if (chars > maxChars_) {
            out.push_back({*unkId_, 0, static_cast<uint32_t>(word.size())});
            return;
        }
        const size_t before = out.size();
        std::string tmp;
        size_t start = 0;
        while (start < word.size()) {
            size_t end = word.size();
            std::optional<int32_t> found;
            while (end > start) {
                if (start > 0) {
                    tmp = prefix_;
                    tmp.append(word.data() + start, end - start);
                    found = vocab_.find(tmp);
                } else {
                    found = vocab_.find(word.substr(start, end - start));
                }
                if (found) break;
                --end;
                while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
            }
            if (!found) {
                out.resize(before);
                out.push_back({*unkId_, 0, static_cast<uint32_t>(word.size())});
                return;
            }
            out.push_back({*found, static_cast<uint32_t>(start), static_cast<uint32_t>(end)});
            start = end;
        }
    }

private:
    std::string prefix_;
    int64_t maxChars_ = 100;
};

// ---------------- Unigram ----------------
class Unigram : public Model {
public:
    Unigram(const Json& j, ModelData&& d) {
        if (!d.vocabSeen || d.unigramVocab.empty())
            throw Error::badInput("tokenizer.json: Unigram model without a \"vocab\" of [piece, score] pairs");
        std::vector<std::pair<std::string, int64_t>> entries;
        entries.reserve(d.unigramVocab.size());
        scores_.reserve(d.unigramVocab.size());
        double minScore = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < d.unigramVocab.size(); ++i) {
            entries.emplace_back(d.unigramVocab[i].first, static_cast<int64_t>(i));
            scores_.push_back(d.unigramVocab[i].second);
            minScore = std::min(minScore, d.unigramVocab[i].second);
        }
        unkScore_ = minScore - 10.0;
        vocab_.build(std::move(entries), "Unigram vocab");
        if (const Json* u = jsonFind(j, "unk_id"); u && u->is_number_integer()) {
            const int64_t id = u->get<int64_t>();
            if (id < 0 || id >= vocab_.size()) throw Error::badInput("tokenizer.json: Unigram unk_id is out of range");
            unkId_ = static_cast<int32_t>(id);
        }
        byteFallback_ = jsonBool(j, "byte_fallback", false);
        if (byteFallback_)
            for (int b = 0; b < 256; ++b) byteIds_[b] = vocab_.find(byteTokenName(static_cast<unsigned char>(b))).value_or(-1);
        // byte trie over the pieces: node → (byte → child); nodes store the piece id ending there
        nodeId_.push_back(-1);
        for (int32_t id = 0; id < vocab_.size(); ++id) {
            const std::string& p = vocab_.token(id);
            if (p.empty()) continue;
            uint32_t node = 0;
            for (unsigned char c : p) {
                const uint64_t k = (static_cast<uint64_t>(node) << 8) | c;
                if (const uint64_t* ch = trie_.find(k)) {
                    node = static_cast<uint32_t>(*ch);
                } else {
                    const uint32_t n = static_cast<uint32_t>(nodeId_.size());
                    nodeId_.push_back(-1);
                    trie_.insert(k, n);
                    node = n;
                }
            }
            if (nodeId_[node] < 0) nodeId_[node] = id;
        }
    }
    std::string kind() const override { return "hf-unigram"; }

    void tokenize(std::string_view word, std::vector<ModelToken>& out) const override {
        const size_t n = word.size();
        if (n == 0) return;
        struct Best {
            double score = -std::numeric_limits<double>::infinity();
            int32_t id = -1;
            uint32_t start = 0;
            bool reached = false;
        };
        std::vector<Best> best(n + 1);
        best[0].reached = true;
        best[0].score = 0;
        for (size_t i = 0; i < n;) {
            const size_t clen = std::min(n - i, utf8Len(static_cast<unsigned char>(word[i])));
            if (best[i].reached) {
                bool single = false;
                uint32_t node = 0;
                for (size_t k = i; k < n; ++k) {
                    const uint64_t* ch = trie_.find((static_cast<uint64_t>(node) << 8) | static_cast<unsigned char>(word[k]));
                    if (!ch) break;
                    node = static_cast<uint32_t>(*ch);
                    const int32_t id = nodeId_[node];
                    if (id < 0) continue;
                    if (k + 1 == i + clen) single = true;
                    const double sc = best[i].score + scores_[static_cast<size_t>(id)];
                    Best& b = best[k + 1];
                    if (!b.reached || sc > b.score) b = {sc, id, static_cast<uint32_t>(i), true};
                }
                if (!single) {
                    const double sc = best[i].score + unkScore_;
                    Best& b = best[i + clen];
                    if (!b.reached || sc > b.score) b = {sc, -2, static_cast<uint32_t>(i), true};  // -2: unknown
                }
            }
            i += clen;
        }
        std::vector<ModelToken> rev;
        for (size_t e = n; e > 0;) {
            const Best& b = best[e];
            rev.push_back({b.id, b.start, static_cast<uint32_t>(e)});
            e = b.start;
        }
        std::reverse(rev.begin(), rev.end());
        // fuse consecutive unknowns (fuse_unk is always on for Unigram), then byte fallback
        std::vector<ModelToken> fused;
        for (const auto& t : rev) {
            if (t.id == -2 && !fused.empty() && fused.back().id == -2) fused.back().e = t.e;
            else fused.push_back(t);
        }
        for (const auto& t : fused) {
            if (t.id != -2) {
                out.push_back(t);
                continue;
            }
            if (byteFallback_) {
                bool all = true;
                for (uint32_t k = t.b; k < t.e; ++k) all = all && byteIds_[static_cast<unsigned char>(word[k])] >= 0;
                if (all) {
                    for (uint32_t k = t.b; k < t.e; ++k) out.push_back({byteIds_[static_cast<unsigned char>(word[k])], k, k + 1});
                    continue;
                }
            }
            if (unkId_) out.push_back({*unkId_, t.b, t.e});
        }
    }

private:
    std::vector<double> scores_;
    double unkScore_ = -10.0;
    bool byteFallback_ = false;
    int32_t byteIds_[256] = {};
    U64Map trie_;
    std::vector<int32_t> nodeId_;
};

}  // namespace

std::unique_ptr<Model> makeModel(const Json& j, ModelData&& data) {
    std::string t;
    if (const Json* tj = jsonFind(j, "type"); tj && tj->is_string()) t = tj->get<std::string>();
    if (t.empty()) {  // old files omit the type: infer it
        if (data.mergesSeen) t = "BPE";
        else if (!data.unigramVocab.empty()) t = "Unigram";
        else if (jsonFind(j, "continuing_subword_prefix") || jsonFind(j, "max_input_chars_per_word")) t = "WordPiece";
        else throw Error::badInput("tokenizer.json: the model has no \"type\"");
    }
    if (t == "BPE") return std::make_unique<Bpe>(j, std::move(data));
    if (t == "WordPiece") return std::make_unique<WordPiece>(j, std::move(data));
    if (t == "Unigram") return std::make_unique<Unigram>(j, std::move(data));
    throw Error::badInput("tokenizer.json: unsupported model type '" + t + "' (supported: BPE, WordPiece, Unigram)");
}

}  // namespace embedlab::hf
