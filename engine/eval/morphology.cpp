#include "engine/eval/morphology.h"

#include "engine/core/error.h"
#include "engine/io/corpus.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <fstream>

namespace embedlab::eval {

namespace {

// Code point starts of a valid UTF-8 string (and its size at the end).
std::vector<size_t> charStarts(const std::string& s) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < s.size(); ++i)
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
    starts.push_back(s.size());
    return starts;
}

size_t charCount(const std::string& s) { return charStarts(s).size() - 1; }

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

uint64_t mix(uint64_t x) {  // splitmix64
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

}  // namespace

Treebank readTreebank(const std::string& path, Progress& progress) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::badInput("treebank: cannot open " + path);
    Treebank tb;
    std::string line;
    int64_t lineNo = 0, sentence = -1;
    while (std::getline(in, line)) {
        ++lineNo;
        if (lineNo % 20000 == 0) progress.report(0.0, "reading the treebank: line " + std::to_string(lineNo));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        sanitizeUtf8(line);
        const auto tab = line.find('\t');
        GoldWord w;
        if (tab != std::string::npos) {
            w.word = line.substr(0, tab);
            w.analysis = line.substr(tab + 1);
            const auto plus = w.analysis.find('+');
            w.root = w.analysis.substr(0, plus);
            if (plus != std::string::npos) {
                const auto next = w.analysis.find_first_of("+^", plus + 1);
                w.pos = w.analysis.substr(plus + 1, next == std::string::npos ? std::string::npos : next - plus - 1);
            }
        }
        if (tab == std::string::npos || w.word.empty() || w.root.empty() || w.pos.empty()) {
            ++tb.malformedLines;
            if (tb.warnings.size() < 10)
                tb.warnings.push_back(path + ":" + std::to_string(lineNo) + ": not word<TAB>root+POS+tags: '" +
                                      line.substr(0, 80) + "'");
            continue;
        }
        if (w.word == "<S>" || w.pos == "BSTag") ++sentence;
        w.sentence = std::max<int64_t>(sentence, 0);
        tb.words.push_back(std::move(w));
    }
    if (in.bad()) throw Error::runtime("treebank: reading " + path + " failed");
    if (tb.words.empty())
        throw Error::badInput("treebank: " + path + " holds no line word<TAB>root+POS+tags (" +
                              std::to_string(tb.malformedLines) + " malformed)");
    tb.sentences = sentence + 1;
    return tb;
}

bool isExcludedPos(const std::string& pos) {
    if (pos.size() >= 3 && pos.compare(pos.size() - 3, 3, "Tag") == 0) return true;  // <S>, </S>, <DOC> …
    return pos == "PUNC" || pos == "NUM" || pos == "PERCENT" || pos == "TIME" || pos == "RANGE";
}

int64_t goldBoundaryBytes(const GoldWord& w) {
    const std::string lw = turkishLower(w.word), lr = turkishLower(w.root);
    bool starts = startsWith(lw, lr);
    if (!starts) {
        // The root's last consonant softened before a vowel: kitap → kitab-ı, ağaç → ağac-ı,
        // yurt → yurd-u, çocuk → çocuğ-u, renk → reng-i.
        static const std::pair<const char*, const char*> soft[] = {{"p", "b"}, {"ç", "c"}, {"t", "d"}, {"k", "ğ"}, {"k", "g"}};
        for (const auto& [hard, softened] : soft) {
            const std::string h = hard;
            if (lr.size() > h.size() && lr.compare(lr.size() - h.size(), h.size(), h) == 0 &&
                startsWith(lw, lr.substr(0, lr.size() - h.size()) + softened)) {
                starts = true;
                break;
            }
        }
    }
    if (!starts) return 0;
    const auto starts_ = charStarts(w.word);
    const size_t n = charCount(lr);
    if (n == 0 || n >= starts_.size()) return n == 0 ? 0 : static_cast<int64_t>(w.word.size());
    return static_cast<int64_t>(starts_[n]);
}

std::pair<std::vector<int64_t>, int64_t> wordBoundaries(const Tokenizer& tokenizer, const std::string& word) {
    const std::string text = " " + word;
    const Encoding e = tokenizer.encode(text, false);
    std::vector<int64_t> bounds;
    int64_t pieces = 0;
    const int64_t wordEnd = static_cast<int64_t>(text.size());
    for (size_t i = 0; i < e.offsets.size(); ++i) {
        const int64_t b = static_cast<int64_t>(e.offsets[i].first), en = static_cast<int64_t>(e.offsets[i].second);
        if (en <= std::max<int64_t>(b, 1)) continue;  // covers no byte of the word itself
        ++pieces;
        if (b > 1 && b < wordEnd) bounds.push_back(b - 1);
    }
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    return {bounds, pieces};
}

BoundaryResult morphBoundaries(const Tokenizer& tokenizer, const Treebank& tb, const BoundaryOptions& o,
                               Progress& progress) {
    BoundaryResult r;
    struct Row {
        int8_t eligible, hit, intact;
    };
    std::vector<Row> rows;
    rows.reserve(tb.words.size());
    int64_t pieces = 0, hits = 0, intact = 0;
    const size_t n = tb.words.size();
    for (size_t i = 0; i < n; ++i) {
        if (i % 2048 == 0) progress.report(0.9 * double(i) / double(n), "morphology boundaries");
        const GoldWord& w = tb.words[i];
        if (isExcludedPos(w.pos)) {
            ++r.skipped;
            continue;
        }
        const int64_t gold = goldBoundaryBytes(w);
        if (gold <= 0) {
            ++r.excluded;
            continue;
        }
        const auto [bounds, count] = wordBoundaries(tokenizer, w.word);
        Row row{};
        row.eligible = static_cast<int64_t>(w.word.size()) > gold;
        row.hit = row.eligible && std::binary_search(bounds.begin(), bounds.end(), gold);
        row.intact = std::none_of(bounds.begin(), bounds.end(), [&](int64_t b) { return b > 0 && b < gold; });
        rows.push_back(row);
        pieces += count;
        r.longerThanRoot += row.eligible;
        hits += row.hit;
        intact += row.intact;
    }
    r.words = static_cast<int64_t>(rows.size());
    if (r.words == 0) throw Error::badInput("morphology: the treebank has no word whose root starts it");
    r.boundaryHit = r.longerThanRoot ? double(hits) / double(r.longerThanRoot) : 0.0;
    r.rootIntact = double(intact) / double(r.words);
    r.tokensPerWord = double(pieces) / double(r.words);
    if (o.bootstrap > 0) {
        // Each resample draws its words from its own seeded stream: the intervals do not depend on
        // the thread count.
        std::vector<double> hitRates(static_cast<size_t>(o.bootstrap)), intactRates(static_cast<size_t>(o.bootstrap));
        const uint64_t m = rows.size();
        at::parallel_for(0, o.bootstrap, 8, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
                uint64_t state = mix(o.seed ^ mix(static_cast<uint64_t>(b) + 1));
                int64_t e = 0, h = 0, t = 0;
                for (uint64_t k = 0; k < m; ++k) {
                    state = mix(state);
                    const Row& row = rows[static_cast<size_t>((static_cast<unsigned __int128>(state) * m) >> 64)];
                    e += row.eligible;
                    h += row.hit;
                    t += row.intact;
                }
                hitRates[static_cast<size_t>(b)] = e ? double(h) / double(e) : 0.0;
                intactRates[static_cast<size_t>(b)] = double(t) / double(m);
            }
        });
        auto ci = [&](std::vector<double>& v) {
            std::sort(v.begin(), v.end());
            const auto at = [&](double q) {
                const size_t i = std::min(v.size() - 1, static_cast<size_t>(std::floor(q * double(v.size() - 1) + 0.5)));
                return v[i];
            };
            return std::make_pair(at(0.025), at(0.975));
        };
        r.boundaryHitCi = ci(hitRates);
        r.rootIntactCi = ci(intactRates);
    }
    progress.report(1.0, "morphology boundaries");
    return r;
}

}  // namespace embedlab::eval
