#include "engine/transfer/word_translation.h"

#include "engine/core/error.h"
#include "engine/io/turkish_text.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

namespace embedlab::transfer {

namespace {

std::string asciiLower(std::string s) {
    for (char& c : s)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

bool oneWord(const std::string& s) {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) continue;  // letters of other scripts and Turkish letters
        if (std::isalnum(c)) continue;
        if ((c == '\'' || c == '-') && i > 0 && i + 1 < s.size()) continue;
        return false;
    }
    return true;
}

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

// label → row, by the label as written and then lowercased (the first row wins).
std::unordered_map<std::string, int64_t> labelIndex(const VectorSet& v, bool turkish) {
    std::unordered_map<std::string, int64_t> m;
    for (int64_t i = 0; i < v.size(); ++i) m.emplace(v.labels[static_cast<size_t>(i)], i);
    for (int64_t i = 0; i < v.size(); ++i) {
        const std::string& l = v.labels[static_cast<size_t>(i)];
        m.emplace(turkish ? turkishLower(l) : asciiLower(l), i);
    }
    return m;
}

at::Tensor randomOrthogonal(int64_t d, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    at::Tensor g = at::empty({d, d}, at::kDouble);
    double* p = g.data_ptr<double>();
    for (int64_t i = 0; i < d * d; ++i) p[i] = nd(rng);
    auto [q, r] = at::linalg_qr(g);
    // Signs fixed by R's diagonal, so that Q is Haar-distributed.
    q = q * at::sign(r.diagonal()).unsqueeze(0);
    return q.to(at::kFloat);
}

// Scores one translator: rows of `queries` (already in the candidates' space, unnormalised), each with
// its gold candidate rows and the candidate rows to leave out.
TranslationScores score(const at::Tensor& queries, const at::Tensor& candidates,
                        const std::vector<std::set<int64_t>>& gold, const std::vector<std::set<int64_t>>& exclude) {
    TranslationScores s;
    s.queries = queries.size(0);
    if (s.queries == 0) return s;
    const at::Tensor q = queries / queries.norm(2, 1, true).clamp_min(1e-12);
    int64_t hit1 = 0, hit5 = 0;
    const int64_t chunk = 512;
    for (int64_t b = 0; b < s.queries; b += chunk) {
        const int64_t e = std::min(s.queries, b + chunk);
        at::Tensor sims = at::matmul(q.slice(0, b, e), candidates.t()).contiguous();
        float* sp = sims.data_ptr<float>();
        for (int64_t i = b; i < e; ++i)
            for (int64_t x : exclude[static_cast<size_t>(i)]) sp[(i - b) * candidates.size(0) + x] = -1e9f;
        const at::Tensor top = std::get<1>(sims.topk(std::min<int64_t>(5, candidates.size(0)), 1)).contiguous();
        const int64_t* tp = top.data_ptr<int64_t>();
        for (int64_t i = b; i < e; ++i) {
            const auto& g = gold[static_cast<size_t>(i)];
            for (int64_t k = 0; k < top.size(1); ++k) {
                if (g.count(tp[(i - b) * top.size(1) + k])) {
                    if (k == 0) ++hit1;
                    ++hit5;
                    break;
                }
            }
        }
    }
    s.p1 = static_cast<double>(hit1) / static_cast<double>(s.queries);
    s.p5 = static_cast<double>(hit5) / static_cast<double>(s.queries);
    return s;
}

}  // namespace

std::vector<WordPair> readWordPairs(const std::string& path, int64_t* skipped) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error::badInput("word pairs: cannot open " + path);
    std::vector<WordPair> out;
    std::set<std::pair<std::string, std::string>> seen;
    int64_t skip = 0;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const size_t tab = line.find('\t');
        if (tab == std::string::npos) {
            if (!trim(line).empty()) ++skip;
            continue;
        }
        const std::string en = asciiLower(trim(line.substr(0, tab))), tr = turkishLower(trim(line.substr(tab + 1)));
        if (!oneWord(en) || !oneWord(tr)) {
            ++skip;
            continue;
        }
        if (seen.insert({en, tr}).second) out.push_back({en, tr});
    }
    if (skipped) *skipped = skip;
    return out;
}

at::Tensor orthogonalProcrustes(const at::Tensor& x, const at::Tensor& y) {
    if (x.dim() != 2 || y.dim() != 2 || x.size(0) != y.size(0) || x.size(1) != y.size(1))
        throw Error::badInput("Procrustes needs two [n, d] matrices of the same shape; the spaces have dimensions " +
                              std::to_string(x.size(1)) + " and " + std::to_string(y.size(1)));
    if (x.size(0) == 0) throw Error::badInput("Procrustes: no training pair has a vector on both sides");
    const at::Tensor m = at::matmul(x.to(at::kDouble).t(), y.to(at::kDouble));
    auto [u, s, vh] = at::linalg_svd(m, false);
    return at::matmul(u, vh).to(at::kFloat);
}

at::Tensor normalizeSpace(const at::Tensor& v) {
    at::Tensor a = v.to(at::kFloat);
    a = a / a.norm(2, 1, true).clamp_min(1e-12);
    a = a - a.mean(0, true);
    return (a / a.norm(2, 1, true).clamp_min(1e-12)).contiguous();
}

WordTranslationResult evaluateWordTranslation(const VectorSet& english, const VectorSet& turkish,
                                              const std::vector<WordPair>& train, const std::vector<WordPair>& test,
                                              const WordTranslationOptions& o, Progress& progress) {
    if (english.labels.empty() || turkish.labels.empty())
        throw Error::badInput("word translation: both vector sets need word labels");
    if (english.dim() != turkish.dim())
        throw Error::badInput("word translation: the English vectors have " + std::to_string(english.dim()) +
                              " dimensions and the Turkish " + std::to_string(turkish.dim()) +
                              "; an orthogonal map needs the same (train the Turkish vectors with --dim " +
                              std::to_string(english.dim()) + ")");
    WordTranslationResult r;
    r.trainPairs = static_cast<int64_t>(train.size());
    r.testPairs = static_cast<int64_t>(test.size());
    const auto enIdx = labelIndex(english, false), trIdx = labelIndex(turkish, true);
    const auto rowOf = [](const std::unordered_map<std::string, int64_t>& m, const std::string& w) -> int64_t {
        auto it = m.find(w);
        return it == m.end() ? -1 : it->second;
    };
    progress.report(0.05, "normalising");
    const at::Tensor en = normalizeSpace(english.data), tr = normalizeSpace(turkish.data);

    // Training pairs: the map, and each word's training translations.
    std::vector<int64_t> xs, ys;
    std::map<int64_t, std::set<int64_t>> enTrain, trTrain;  // row → rows of its training translations
    for (const WordPair& p : train) {
        const int64_t e = rowOf(enIdx, p.source), t = rowOf(trIdx, p.target);
        if (e >= 0 && t >= 0) {
            enTrain[e].insert(t);
            trTrain[t].insert(e);
            if (o.fitTop > 0 && (e >= o.fitTop || t >= o.fitTop)) continue;
            xs.push_back(e);
            ys.push_back(t);
        }
    }
    r.fitPairs = static_cast<int64_t>(xs.size());
    if (xs.empty())
        throw Error::badInput(o.fitTop > 0 ? "word translation: no training pair has both words among the first " +
                                                 std::to_string(o.fitTop) + " rows (--fit-top)"
                                           : "word translation: no training pair has a vector on both sides (are the "
                                             "labels words of those languages?)");
    // Pairs with both vectors (MUSE's fit set; a word translated by several entries counts once per pair).
    const at::Tensor xi = at::tensor(xs, at::kLong), yi = at::tensor(ys, at::kLong);
    progress.report(0.2, "fitting the orthogonal map on " + std::to_string(r.fitPairs) + " pairs");
    r.map = orthogonalProcrustes(en.index_select(0, xi), tr.index_select(0, yi));
    const at::Tensor rnd = randomOrthogonal(en.size(1), o.seed);

    // Held-out queries per direction.
    const int64_t nCand = std::min<int64_t>(std::max<int64_t>(1, o.candidates), en.size(0));
    const at::Tensor enCand = en.slice(0, 0, nCand);
    std::map<int64_t, std::set<int64_t>> enTest, trTest;  // query row → gold rows
    for (const WordPair& p : test) {
        const int64_t e = rowOf(enIdx, p.source), t = rowOf(trIdx, p.target);
        if (e < 0 || t < 0) continue;
        enTest[e].insert(t);
        trTest[t].insert(e);  // a gold beyond the candidates cannot be found: a miss, as documented
    }
    const auto run = [&](const std::map<int64_t, std::set<int64_t>>& queries, const at::Tensor& from,
                         const at::Tensor& candidates, const at::Tensor& w, const at::Tensor& wr,
                         const std::map<int64_t, std::set<int64_t>>& trainOfQuery, const at::Tensor& otherForMean,
                         DirectionScores& out) {
        std::vector<int64_t> rows;
        std::vector<std::set<int64_t>> gold, exclude;
        std::vector<int64_t> meanRows;
        std::vector<std::set<int64_t>> meanGold, meanExclude;
        std::vector<at::Tensor> means;
        for (const auto& [q, g] : queries) {
            rows.push_back(q);
            gold.push_back(g);
            auto it = trainOfQuery.find(q);
            std::set<int64_t> ex;
            if (it != trainOfQuery.end())
                for (int64_t x : it->second)
                    if (x < candidates.size(0) && !g.count(x)) ex.insert(x);
            exclude.push_back(ex);
            if (it != trainOfQuery.end()) {
                means.push_back(otherForMean.index_select(0, at::tensor(std::vector<int64_t>(it->second.begin(), it->second.end()), at::kLong)).mean(0));
                meanGold.push_back(g);
                meanExclude.push_back(ex);
            }
        }
        out.heldOutQueries = static_cast<int64_t>(rows.size());
        out.candidates = candidates.size(0);
        if (rows.empty()) return;
        const at::Tensor qx = from.index_select(0, at::tensor(rows, at::kLong));
        out.procrustes = score(at::matmul(qx, w), candidates, gold, exclude);
        out.random = score(at::matmul(qx, wr), candidates, gold, exclude);
        if (!means.empty()) out.mean = score(at::stack(means), candidates, meanGold, meanExclude);
    };
    progress.report(0.4, "English → Turkish");
    run(enTest, en, tr, r.map, rnd, enTrain, tr, r.enToTr);
    progress.report(0.7, "Turkish → English");
    run(trTest, tr, enCand, r.map.t().contiguous(), rnd.t().contiguous(), trTrain, en, r.trToEn);
    progress.report(1.0, "scored");
    return r;
}

}  // namespace embedlab::transfer
