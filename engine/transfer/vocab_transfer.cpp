#include "engine/transfer/vocab_transfer.h"

#include "engine/core/error.h"
#include "engine/core/utf8.h"
#include "engine/io/corpus.h"
#include "engine/io/turkish_text.h"
#include "engine/io/vectors.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace embedlab {
namespace {

// ---- roles of control tokens ------------------------------------------------------------------

std::string roleByName(const std::string& s) {
    static const std::map<std::string, std::string> names{
        {"<bos>", "bos"},   {"<s>", "bos"},     {"[BOS]", "bos"},     {"<|begin_of_text|>", "bos"},
        {"<eos>", "eos"},   {"</s>", "eos"},    {"[EOS]", "eos"},     {"<|endoftext|>", "eos"},
        {"<|end_of_text|>", "eos"},             {"<pad>", "pad"},     {"[PAD]", "pad"},
        {"<unk>", "unk"},   {"[UNK]", "unk"},   {"<unknown>", "unk"}, {"<mask>", "mask"},
        {"[MASK]", "mask"}, {"[CLS]", "cls"},   {"<cls>", "cls"},     {"[SEP]", "sep"},
        {"<sep>", "sep"}};
    auto it = names.find(s);
    return it == names.end() ? std::string() : it->second;
}

std::string roleOf(const Tokenizer& tok, int64_t id) {
    if (tok.bosId() && *tok.bosId() == id) return "bos";
    if (tok.eosId() && *tok.eosId() == id) return "eos";
    if (tok.padId() && *tok.padId() == id) return "pad";
    if (tok.unkId() && *tok.unkId() == id) return "unk";
    return roleByName(tok.idToToken(id));
}

// role → the source id that plays it.
std::map<std::string, int64_t> sourceRoles(const Tokenizer& src, int64_t sourceRows) {
    std::map<std::string, int64_t> out;
    auto put = [&](const std::string& role, std::optional<int64_t> id) {
        if (id && *id >= 0 && *id < sourceRows && !out.count(role)) out[role] = *id;
    };
    put("bos", src.bosId());
    put("eos", src.eosId());
    put("pad", src.padId());
    put("unk", src.unkId());
    for (const char* s : {"<bos>", "<s>", "[BOS]", "<|begin_of_text|>", "<eos>", "</s>", "[EOS]", "<|endoftext|>",
                          "<|end_of_text|>", "<pad>", "[PAD]", "<unk>", "[UNK]", "<unknown>", "<mask>", "[MASK]",
                          "[CLS]", "<cls>", "[SEP]", "<sep>"})
        put(roleByName(s), src.tokenToId(s));
    // A sequence start and a classifier token are one role across model families, as are a sequence
    // end and a separator (BERT's [CLS] … [SEP] ↔ Gemma's <bos> … <eos>).
    auto alias = [&](const char* a, const char* b) {
        if (!out.count(a) && out.count(b)) out[a] = out[b];
        if (!out.count(b) && out.count(a)) out[b] = out[a];
    };
    alias("bos", "cls");
    alias("eos", "sep");
    return out;
}

// ---- spelling a surface with the source tokenizer ----------------------------------------------

struct Speller {
    const Tokenizer& src;
    SurfaceStyle style;
    int64_t rows;
    std::optional<int64_t> unk;
    bool prefixSpace = false;  // the tokenizer marks every text as a word start itself (a dummy prefix)

    bool usable(int64_t id) const {
        return id >= 0 && id < rows && (!unk || id != *unk) && !isControlToken(src, id);
    }
    std::optional<int64_t> lookup(const std::string& text, SurfacePosition pos) const {
        if (auto id = src.tokenToId(vocabularyString(style, text, pos)); id && usable(*id)) return id;
        return std::nullopt;
    }
    // The source tokenizer's pieces for `text` at this position; empty when it needs the unknown token.
    std::vector<int64_t> encode(const std::string& text, SurfacePosition pos) const {
        std::vector<int64_t> ids;
        if (style == SurfaceStyle::WordPiece && pos == SurfacePosition::Continuation) {
            // WordPiece's own greedy longest match, every piece a ## continuation.
            size_t i = 0;
            while (i < text.size()) {
                size_t e = text.size();
                std::optional<int64_t> found;
                for (; e > i; --e) {
                    if (e < text.size() && (static_cast<unsigned char>(text[e]) & 0xC0) == 0x80) continue;
                    if (auto id = src.tokenToId("##" + text.substr(i, e - i)); id && usable(*id)) {
                        found = id;
                        break;
                    }
                }
                if (!found) return {};
                ids.push_back(*found);
                i = e;
            }
            return ids;
        }
        const bool initial = pos != SurfacePosition::Continuation;
        if (!initial && prefixSpace && (style == SurfaceStyle::Metaspace || style == SurfaceStyle::ByteLevel)) {
            // A tokenizer that marks every text as a word start (a dummy prefix) spells a continuation as a
            // word: its first piece loses the mark ("▁ları" → "ları" when the vocabulary has it; a lone "▁"
            // is dropped); where the unmarked piece does not exist the spelling stays a word start.
            const Encoding e = src.encode(text, false);
            const std::string mark = style == SurfaceStyle::ByteLevel ? "\xC4\xA0" : "\xE2\x96\x81";
            for (size_t i = 0; i < e.ids.size(); ++i) {
                int64_t id = e.ids[i];
                if (i == 0 && e.tokens[0].rfind(mark, 0) == 0) {
                    if (e.tokens[0] == mark) continue;
                    if (auto bare = src.tokenToId(e.tokens[0].substr(mark.size())); bare && usable(*bare)) id = *bare;
                }
                if (!usable(id)) return {};
                ids.push_back(id);
            }
            return ids;
        }
        const bool spaced = initial && !prefixSpace &&
                            (style == SurfaceStyle::Metaspace || style == SurfaceStyle::ByteLevel) &&
                            text.find_first_not_of(" \t\n\r") != std::string::npos;
        const Encoding e = src.encode(spaced ? " " + text : text, false);
        for (int64_t id : e.ids) {
            if (!usable(id)) return {};
            ids.push_back(id);
        }
        return ids;
    }
    std::vector<int64_t> bytes(const std::string& text) const {
        std::vector<int64_t> ids;
        for (unsigned char c : text) {
            auto id = byteTokenId(src, style, c);
            if (!id || !usable(*id)) return {};
            ids.push_back(*id);
        }
        return ids;
    }
};

void matchSurface(const Speller& sp, SurfaceMatch& m, const VocabularyMatchOptions& o) {
    const TokenSurface& s = m.surface;
    if (s.byte) {
        const SurfacePosition pos = s.position == SurfacePosition::Either ? SurfacePosition::Continuation : s.position;
        std::optional<int64_t> byteId;
        if (s.position == SurfacePosition::Either && s.text.size() == 1)
            byteId = byteTokenId(sp.src, sp.style, static_cast<unsigned char>(s.text[0]));
        if (byteId && sp.usable(*byteId)) {
            m.pieces = {*byteId};
            m.exact = true;
        } else if (auto id = sp.lookup(s.text, pos)) {
            m.pieces = {*id};
            m.exact = true;
        } else if (auto b = sp.bytes(s.text); !b.empty()) {
            // A word-initial byte-level token ("Ġ" + a lone byte) loses its space here.
            m.pieces = std::move(b);
            m.exact = m.pieces.size() == 1 && s.position != SurfacePosition::WordInitial;
            m.variant = s.position == SurfacePosition::WordInitial;
        }
        m.spelled = s.text;
        return;
    }
    std::vector<SurfacePosition> natural, other;
    switch (s.position) {
    case SurfacePosition::WordInitial:
        natural = {SurfacePosition::WordInitial};
        other = {SurfacePosition::Continuation};
        break;
    case SurfacePosition::Continuation:
        natural = {SurfacePosition::Continuation};
        other = {SurfacePosition::WordInitial};
        break;
    case SurfacePosition::Either:  // a lone space is its own token; other text tries a word start first
        natural = {SurfacePosition::Either, SurfacePosition::Continuation};
        break;
    }
    if (sp.style == SurfaceStyle::Seed) {  // the seed format has no position marks
        natural = {SurfacePosition::WordInitial};
        other.clear();
    }
    if (!o.tryPositionVariants) other.clear();
    std::vector<std::string> casings{s.text};
    if (o.tryCasingVariants && isValidUtf8(s.text)) {
        for (std::string c : {turkishLower(s.text), turkishCapitalize(s.text), turkishUpper(s.text)})
            if (std::find(casings.begin(), casings.end(), c) == casings.end()) casings.push_back(std::move(c));
    }
    // Candidates in order of preference: the surface as written in its natural position first.
    struct Cand {
        const std::string* text;
        SurfacePosition pos;
        bool natural;
    };
    std::vector<Cand> cands;
    for (size_t c = 0; c < casings.size(); ++c) {
        for (auto p : natural) cands.push_back({&casings[c], p, c == 0});
        for (auto p : other) cands.push_back({&casings[c], p, false});
    }
    // An exact single token anywhere beats any decomposition.
    for (const Cand& c : cands) {
        if (auto id = sp.lookup(*c.text, c.pos)) {
            m.pieces = {*id};
            m.exact = c.natural;
            m.variant = !c.natural;
            m.spelled = vocabularyString(sp.style, *c.text, c.pos);
            return;
        }
    }
    // One byte (a newline, a tab) is the source's byte token where it has one; a word-initial one loses
    // its space there (a variant).
    if (s.text.size() == 1) {
        if (auto b = sp.bytes(s.text); b.size() == 1) {
            m.pieces = std::move(b);
            m.exact = s.position != SurfacePosition::WordInitial;
            m.variant = !m.exact;
            m.spelled = s.text;
            return;
        }
    }
    size_t best = 0;
    for (const Cand& c : cands) {
        std::vector<int64_t> ids = sp.encode(*c.text, c.pos);
        if (ids.empty()) continue;
        if (m.pieces.empty() || ids.size() < best) {
            best = ids.size();
            m.pieces = std::move(ids);
            m.exact = false;
            m.variant = !c.natural;
            m.spelled = (c.pos == SurfacePosition::Continuation ? "" : " ") + *c.text;
            if (!c.natural) m.spelled += c.pos == SurfacePosition::Continuation ? " (continuation)" : " (word start)";
            if (best == 1) break;
        }
    }
}

struct StopReading {};

// ---- numeric helpers ----------------------------------------------------------------------------

// Weights of n pieces under a linear strategy.
std::vector<double> pieceWeights(TransferStrategy s, size_t n) {
    std::vector<double> w(n, 0.0);
    if (n == 0) return w;
    switch (s) {
    case TransferStrategy::Sum: std::fill(w.begin(), w.end(), 1.0); break;
    case TransferStrategy::First: w[0] = 1.0; break;
    case TransferStrategy::Last: w[n - 1] = 1.0; break;
    case TransferStrategy::Weighted:
    case TransferStrategy::WeightedLast: {
        const double total = static_cast<double>(n * (n + 1)) / 2.0;
        for (size_t i = 0; i < n; ++i) w[i] = static_cast<double>(n - i) / total;
        if (s == TransferStrategy::WeightedLast) std::reverse(w.begin(), w.end());
        break;
    }
    default: std::fill(w.begin(), w.end(), 1.0 / static_cast<double>(n)); break;
    }
    return w;
}

// Cholesky solve of the small normal equations G γ = b (G symmetric positive definite, m ≤ ~128).
bool choleskySolve(std::vector<double> G, std::vector<double> b, size_t m, std::vector<double>& x) {
    for (size_t j = 0; j < m; ++j) {
        double d = G[j * m + j];
        for (size_t k = 0; k < j; ++k) d -= G[j * m + k] * G[j * m + k];
        if (!(d > 1e-300)) return false;
        d = std::sqrt(d);
        G[j * m + j] = d;
        for (size_t i = j + 1; i < m; ++i) {
            double v = G[i * m + j];
            for (size_t k = 0; k < j; ++k) v -= G[i * m + k] * G[j * m + k];
            G[i * m + j] = v / d;
        }
    }
    for (size_t i = 0; i < m; ++i) {
        double v = b[i];
        for (size_t k = 0; k < i; ++k) v -= G[i * m + k] * b[k];
        b[i] = v / G[i * m + i];
    }
    for (size_t i = m; i-- > 0;) {
        double v = b[i];
        for (size_t k = i + 1; k < m; ++k) v -= G[k * m + i] * b[k];
        b[i] = v / G[i * m + i];
    }
    x = std::move(b);
    return true;
}

// OMP for a block of signals X [B, d] against atoms A [N, d] (f64, contiguous), An = A with unit rows.
std::vector<std::vector<std::pair<int64_t, double>>> ompBlock(const at::Tensor& A, const at::Tensor& An,
                                                                const at::Tensor& X, int k) {
    const int64_t B = X.size(0), d = X.size(1), N = A.size(0);
    const double* a = A.data_ptr<double>();
    std::vector<std::vector<std::pair<int64_t, double>>> out(static_cast<size_t>(B));
    at::Tensor R = X.clone();
    std::vector<char> done(static_cast<size_t>(B), 0);
    std::vector<std::vector<int64_t>> sel(static_cast<size_t>(B));
    std::vector<std::vector<double>> gram(static_cast<size_t>(B)), coef(static_cast<size_t>(B));
    std::vector<double> xnorm(static_cast<size_t>(B));
    const double* xp = X.data_ptr<double>();
    for (int64_t b = 0; b < B; ++b) {
        double s = 0;
        for (int64_t j = 0; j < d; ++j) s += xp[b * d + j] * xp[b * d + j];
        xnorm[static_cast<size_t>(b)] = std::sqrt(s);
        if (!(s > 0)) done[static_cast<size_t>(b)] = 1;
    }
    const int kk = static_cast<int>(std::min<int64_t>(k, N));
    for (int it = 0; it < kk; ++it) {
        const at::Tensor C = at::mm(R, An.t()).contiguous();  // [B, N] correlations with unit atoms
        const double* c = C.data_ptr<double>();
        double* r = R.data_ptr<double>();
        at::parallel_for(0, B, 16, [&](int64_t b0, int64_t b1) {
            for (int64_t b = b0; b < b1; ++b) {
                const auto bi = static_cast<size_t>(b);
                if (done[bi]) continue;
                auto& S = sel[bi];
                int64_t best = -1;
                double bestV = -1;
                for (int64_t j = 0; j < N; ++j) {
                    const double v = std::fabs(c[b * N + j]);
                    if (v > bestV && std::find(S.begin(), S.end(), j) == S.end()) {
                        bestV = v;
                        best = j;
                    }
                }
                if (best < 0 || !(bestV > 1e-12 * xnorm[bi])) {
                    done[bi] = 1;
                    continue;
                }
                // Grow the Gram matrix of the selected atoms by one row and column.
                const size_t m = S.size() + 1;
                std::vector<double> G(m * m);
                for (size_t i = 0; i + 1 < m; ++i)
                    for (size_t j = 0; j + 1 < m; ++j) G[i * m + j] = gram[bi][i * (m - 1) + j];
                const double* an = a + best * d;
                for (size_t i = 0; i + 1 < m; ++i) {
                    const double* ai = a + S[i] * d;
                    double dot = 0;
                    for (int64_t t = 0; t < d; ++t) dot += ai[t] * an[t];
                    G[i * m + (m - 1)] = G[(m - 1) * m + i] = dot;
                }
                double nn = 0;
                for (int64_t t = 0; t < d; ++t) nn += an[t] * an[t];
                G[(m - 1) * m + (m - 1)] = nn;
                std::vector<double> rhs(m);
                S.push_back(best);
                for (size_t i = 0; i < m; ++i) {
                    const double* ai = a + S[i] * d;
                    double dot = 0;
                    for (int64_t t = 0; t < d; ++t) dot += ai[t] * xp[b * d + t];
                    rhs[i] = dot;
                }
                std::vector<double> g;
                if (!choleskySolve(G, rhs, m, g)) {  // the new atom is dependent on the chosen ones
                    S.pop_back();
                    done[bi] = 1;
                    continue;
                }
                gram[bi] = std::move(G);
                coef[bi] = g;
                double rn = 0;
                for (int64_t t = 0; t < d; ++t) {
                    double v = xp[b * d + t];
                    for (size_t i = 0; i < m; ++i) v -= g[i] * a[S[i] * d + t];
                    r[b * d + t] = v;
                    rn += v * v;
                }
                if (std::sqrt(rn) <= 1e-10 * xnorm[bi]) done[bi] = 1;
            }
        });
        if (std::all_of(done.begin(), done.end(), [](char v) { return v != 0; })) break;
    }
    for (int64_t b = 0; b < B; ++b) {
        const auto bi = static_cast<size_t>(b);
        for (size_t i = 0; i < sel[bi].size(); ++i) out[bi].emplace_back(sel[bi][i], coef[bi][i]);
    }
    return out;
}

at::Tensor unitRows(const at::Tensor& x) {
    at::Tensor n = x.norm(2, {1}, true);
    return x / at::where(n > 0, n, at::ones_like(n));
}

}  // namespace

// ---- names --------------------------------------------------------------------------------------

const char* transferStrategyName(TransferStrategy s) {
    switch (s) {
    case TransferStrategy::Mean: return "mean";
    case TransferStrategy::Sum: return "sum";
    case TransferStrategy::First: return "first";
    case TransferStrategy::Last: return "last";
    case TransferStrategy::Weighted: return "weighted";
    case TransferStrategy::WeightedLast: return "weighted-last";
    case TransferStrategy::Max: return "max";
    case TransferStrategy::Min: return "min";
    case TransferStrategy::Focus: return "focus";
    case TransferStrategy::Omp: return "omp";
    case TransferStrategy::Random: return "random";
    }
    return "?";
}

TransferStrategy parseTransferStrategy(const std::string& name) {
    for (auto s : {TransferStrategy::Mean, TransferStrategy::Sum, TransferStrategy::First, TransferStrategy::Last,
                   TransferStrategy::Weighted, TransferStrategy::WeightedLast, TransferStrategy::Max,
                   TransferStrategy::Min, TransferStrategy::Focus, TransferStrategy::Omp, TransferStrategy::Random})
        if (name == transferStrategyName(s)) return s;
    throw Error::badInput("unknown transfer strategy \"" + name +
                          "\" (use mean, sum, first, last, weighted, weighted-last, max, min, focus, omp or random)");
}

bool isLinearStrategy(TransferStrategy s) { return s != TransferStrategy::Max && s != TransferStrategy::Min; }

const char* transferMethodName(TransferMethod m) {
    switch (m) {
    case TransferMethod::Exact: return "exact";
    case TransferMethod::Decomposed: return "decomposed";
    case TransferMethod::Variant: return "variant";
    case TransferMethod::Aux: return "aux";
    case TransferMethod::Omp: return "omp";
    case TransferMethod::Special: return "special";
    case TransferMethod::Fallback: return "fallback";
    }
    return "?";
}

// ---- stage 1 ------------------------------------------------------------------------------------

VocabularyMatch matchVocabularies(const Tokenizer& source, const Tokenizer& target, int64_t sourceRows,
                                  const VocabularyMatchOptions& options, Progress& progress) {
    VocabularyMatch vm;
    vm.sourceStyle = detectSurfaceStyle(source);
    vm.targetStyle = detectSurfaceStyle(target);
    const int64_t V = target.vocabSize();
    vm.tokens.resize(static_cast<size_t>(V));
    Speller sp{source, vm.sourceStyle, std::min<int64_t>(sourceRows, source.vocabSize()), source.unkId()};
    {
        const Encoding probe = source.encode("a", false);
        const std::string mark = vm.sourceStyle == SurfaceStyle::ByteLevel ? "\xC4\xA0" : "\xE2\x96\x81";
        sp.prefixSpace = !probe.tokens.empty() && probe.tokens[0].rfind(mark, 0) == 0;
    }

    for (const auto& [t, s] : options.specialOverrides) {
        if (!target.tokenToId(t)) throw Error::badInput("special-token override: the target tokenizer has no \"" + t + "\"");
        auto sid = source.tokenToId(s);
        if (!sid || *sid >= sourceRows)
            throw Error::badInput("special-token override: the source has no usable token \"" + s + "\"");
    }

    // Surfaces of every target token; ids with several get corpus weights below.
    std::vector<int64_t> multi;
    for (int64_t id = 0; id < V; ++id) {
        TargetMatch& tm = vm.tokens[static_cast<size_t>(id)];
        if (isControlToken(target, id)) {
            tm.control = true;
            continue;
        }
        for (TokenSurface& s : tokenSurfaces(target, vm.targetStyle, id)) {
            SurfaceMatch m;
            m.surface = std::move(s);
            tm.surfaces.push_back(std::move(m));
        }
        if (tm.surfaces.size() > 1) multi.push_back(id);
        for (auto& m : tm.surfaces) m.weight = 1.0 / static_cast<double>(tm.surfaces.size());
    }
    progress.report(0.02, "surfaces");

    if (!options.corpusPath.empty() && !multi.empty()) {
        std::unordered_map<int64_t, std::vector<int64_t>> counts;
        for (int64_t id : multi) counts[id].assign(vm.tokens[static_cast<size_t>(id)].surfaces.size(), 0);
        int64_t bytes = 0;
        Progress reading(progress, 0.02, 0.3, "surface frequencies");
        CorpusOptions co;
        try {
            streamCorpus(
                options.corpusPath, co,
                [&](CorpusRecord&& r) {
                    const Encoding e = target.encode(r.text, false);
                    for (size_t i = 0; i < e.ids.size(); ++i) {
                        auto it = counts.find(e.ids[i]);
                        if (it == counts.end()) continue;
                        const auto [b, en] = e.offsets[i];
                        if (en <= b || en > r.text.size()) continue;
                        const std::string written = turkishLower(std::string_view(r.text).substr(b, en - b));
                        const auto& surf = vm.tokens[static_cast<size_t>(e.ids[i])].surfaces;
                        for (size_t k = 0; k < surf.size(); ++k)
                            if (surf[k].surface.text == written) {
                                ++it->second[k];
                                ++vm.corpusOccurrences;
                                break;
                            }
                    }
                    bytes += static_cast<int64_t>(r.text.size()) + 1;
                    if (bytes >= options.corpusMaxBytes) throw StopReading{};
                },
                reading);
        } catch (const StopReading&) {
        }
        for (auto& [id, c] : counts) {
            const int64_t total = std::accumulate(c.begin(), c.end(), int64_t{0});
            if (total == 0) continue;
            auto& surf = vm.tokens[static_cast<size_t>(id)].surfaces;
            std::vector<SurfaceMatch> kept;
            for (size_t k = 0; k < surf.size(); ++k) {
                if (c[k] == 0) continue;
                surf[k].weight = static_cast<double>(c[k]) / static_cast<double>(total);
                kept.push_back(std::move(surf[k]));
            }
            surf = std::move(kept);
        }
    }

    // Control tokens: override, the same string, then the role.
    const auto roles = sourceRoles(source, sp.rows);
    for (int64_t id = 0; id < V; ++id) {
        TargetMatch& tm = vm.tokens[static_cast<size_t>(id)];
        if (!tm.control) continue;
        const std::string t = target.idToToken(id);
        tm.role = roleOf(target, id);
        if (auto it = options.specialOverrides.find(t); it != options.specialOverrides.end()) {
            tm.specialSource = source.tokenToId(it->second);
            continue;
        }
        if (auto sid = source.tokenToId(t); sid && *sid < sp.rows) {
            tm.specialSource = sid;
            continue;
        }
        if (!tm.role.empty()) {
            if (auto it = roles.find(tm.role); it != roles.end()) {
                tm.specialSource = it->second;
                continue;
            }
        }
        tm.note = tm.role.empty() ? "a control token with no counterpart in the source"
                                  : "the source has no " + tm.role + " token";
    }

    // Text tokens, in parallel blocks (the tokenizers are immutable and thread-safe).
    const int64_t block = 2048;
    for (int64_t b0 = 0; b0 < V; b0 += block) {
        progress.report(0.3 + 0.7 * static_cast<double>(b0) / static_cast<double>(std::max<int64_t>(V, 1)),
                        "spelling target tokens with the source tokenizer");
        const int64_t b1 = std::min(V, b0 + block);
        at::parallel_for(b0, b1, 64, [&](int64_t s, int64_t e) {
            for (int64_t id = s; id < e; ++id) {
                TargetMatch& tm = vm.tokens[static_cast<size_t>(id)];
                for (auto& m : tm.surfaces) matchSurface(sp, m, options);
                if (!tm.control && !tm.surfaces.empty() &&
                    std::all_of(tm.surfaces.begin(), tm.surfaces.end(),
                                [](const SurfaceMatch& m) { return m.pieces.empty(); }))
                    tm.note = "the source tokenizer cannot spell it";
                else if (!tm.control && tm.surfaces.empty())
                    tm.note = "no surface form";
            }
        });
    }
    progress.report(1.0, "matched");
    return vm;
}

AuxiliaryVectors readAuxiliaryVectors(const std::string& path, const Tokenizer& target, int64_t* skipped) {
    VectorSet set = readVectors(path);
    AuxiliaryVectors out;
    std::vector<int64_t> rows;
    std::unordered_set<int64_t> seen;
    int64_t skip = 0;
    for (int64_t i = 0; i < set.size(); ++i) {
        const std::string label = set.label(i);
        std::optional<int64_t> id;
        if (label.rfind("id:", 0) == 0 && isAsciiDigits(label.substr(3)) && label.size() < 15)
            id = std::stoll(label.substr(3));
        else
            id = target.tokenToId(label);
        if (!id || *id < 0 || *id >= target.vocabSize() || !seen.insert(*id).second) {
            ++skip;
            continue;
        }
        rows.push_back(i);
        out.targetIds.push_back(*id);
    }
    if (skipped) *skipped = skip;
    if (rows.empty())
        throw Error::badInput(path + ": no row of the auxiliary vectors names a target token (labels must be "
                              "the target tokenizer's token strings or id:N)");
    out.vectors = set.data.index_select(0, at::tensor(rows, at::kLong)).contiguous();
    return out;
}

// ---- stage 2 ------------------------------------------------------------------------------------

std::vector<double> sparsemax(const std::vector<double>& z) {
    std::vector<double> s(z);
    std::sort(s.begin(), s.end(), std::greater<double>());
    double cum = 0, tau = 0;
    size_t kmax = 0;
    for (size_t k = 0; k < s.size(); ++k) {
        cum += s[k];
        if (1.0 + static_cast<double>(k + 1) * s[k] > cum) {
            kmax = k + 1;
            tau = (cum - 1.0) / static_cast<double>(kmax);
        }
    }
    std::vector<double> p(z.size());
    for (size_t i = 0; i < z.size(); ++i) p[i] = std::max(0.0, z[i] - tau);
    (void)kmax;
    return p;
}

std::vector<std::pair<int64_t, double>> orthogonalMatchingPursuit(const at::Tensor& atoms, const at::Tensor& x, int k) {
    const at::Tensor A = atoms.to(at::kDouble).contiguous();
    return ompBlock(A, unitRows(A).contiguous(), x.to(at::kDouble).reshape({1, -1}).contiguous(), k)[0];
}

TransferResult buildTransfer(const VocabularyMatch& match, const at::Tensor& sourceMatrix,
                             const TransferOptions& options, const AuxiliaryVectors* aux, Progress& progress) {
    if (sourceMatrix.dim() != 2) throw Error::badInput("transfer: the source matrix must be 2-D");
    const int64_t V = static_cast<int64_t>(match.tokens.size()), H = sourceMatrix.size(1);
    const int64_t S = sourceMatrix.size(0);
    const TransferStrategy strat = options.strategy;
    const bool sparse = strat == TransferStrategy::Focus || strat == TransferStrategy::Omp;
    if (sparse && !aux)
        throw Error::badInput(std::string("the ") + transferStrategyName(strat) +
                              " strategy needs auxiliary vectors of the target tokens (--aux-vectors)");
    if (strat == TransferStrategy::Omp && options.ompK < 1) throw Error::badInput("--omp-k must be at least 1");
    TransferResult res;
    res.tokens.resize(static_cast<size_t>(V));

    // 1. The sources of every token.
    const TransferStrategy base = sparse ? TransferStrategy::Mean : strat;
    std::vector<int64_t> anchorTarget, anchorSource;  // exact single-source tokens (focus / omp anchors)
    for (int64_t t = 0; t < V; ++t) {
        const TargetMatch& tm = match.tokens[static_cast<size_t>(t)];
        TransferredToken& out = res.tokens[static_cast<size_t>(t)];
        if (tm.control) {
            if (tm.specialSource && *tm.specialSource < S) {
                out.method = TransferMethod::Special;
                out.sources.push_back({*tm.specialSource, 1.0});
            }
            continue;
        }
        if (strat == TransferStrategy::Random) continue;  // drawn below
        bool any = false, allExact = true, variant = false;
        std::vector<std::pair<int64_t, double>> acc;  // in order of first appearance
        for (const SurfaceMatch& m : tm.surfaces) {
            if (m.pieces.empty() || m.weight <= 0) continue;
            any = true;
            allExact = allExact && m.exact;
            variant = variant || m.variant;
            const std::vector<double> w = pieceWeights(base, m.pieces.size());
            for (size_t i = 0; i < m.pieces.size(); ++i) {
                if (isLinearStrategy(base) && w[i] == 0.0) continue;
                auto it = std::find_if(acc.begin(), acc.end(), [&](const auto& p) { return p.first == m.pieces[i]; });
                if (it == acc.end()) acc.emplace_back(m.pieces[i], m.weight * w[i]);
                else it->second += m.weight * w[i];
            }
        }
        if (!any) continue;  // fallback
        out.method = allExact ? TransferMethod::Exact : variant ? TransferMethod::Variant : TransferMethod::Decomposed;
        for (const auto& [id, w] : acc) {
            if (id >= S) continue;
            out.sources.push_back({id, isLinearStrategy(base) ? std::optional<double>(w) : std::nullopt});
        }
        if (out.sources.empty()) {  // every piece is beyond this matrix's rows (a shorter head)
            out.method = TransferMethod::Fallback;
            continue;
        }
        if (out.method == TransferMethod::Exact && out.sources.size() == 1) {
            out.sources[0].weight = 1.0;
            anchorTarget.push_back(t);
            anchorSource.push_back(out.sources[0].id);
        }
    }
    progress.report(0.1, "sources");

    // 2. focus / omp over the auxiliary space for the tokens without an exact source token.
    if (sparse) {
        std::unordered_map<int64_t, int64_t> auxRow;  // target id → aux row
        for (size_t i = 0; i < aux->targetIds.size(); ++i) auxRow[aux->targetIds[i]] = static_cast<int64_t>(i);
        std::vector<int64_t> anchorRows, anchorSrc;
        for (size_t i = 0; i < anchorTarget.size(); ++i) {
            auto it = auxRow.find(anchorTarget[i]);
            if (it == auxRow.end()) continue;
            anchorRows.push_back(it->second);
            anchorSrc.push_back(anchorSource[i]);
        }
        if (anchorRows.empty())
            throw Error::badInput("the auxiliary vectors cover no token that the source has exactly; focus and omp "
                                  "need shared tokens as anchors");
        std::vector<int64_t> pending, pendingRows;
        for (int64_t t = 0; t < V; ++t) {
            const TransferredToken& tt = res.tokens[static_cast<size_t>(t)];
            if (match.tokens[static_cast<size_t>(t)].control || tt.method == TransferMethod::Exact) continue;
            auto it = auxRow.find(t);
            if (it == auxRow.end()) continue;
            pending.push_back(t);
            pendingRows.push_back(it->second);
        }
        const at::Tensor auxD = aux->vectors.to(at::kDouble);
        const at::Tensor A = auxD.index_select(0, at::tensor(anchorRows, at::kLong)).contiguous();
        const at::Tensor An = unitRows(A).contiguous();
        const int64_t blockRows = 256;
        for (int64_t b0 = 0; b0 < static_cast<int64_t>(pending.size()); b0 += blockRows) {
            progress.report(0.1 + 0.6 * static_cast<double>(b0) / static_cast<double>(pending.size()),
                            strat == TransferStrategy::Focus ? "FOCUS weights" : "orthogonal matching pursuit");
            const int64_t b1 = std::min<int64_t>(static_cast<int64_t>(pending.size()), b0 + blockRows);
            const at::Tensor X =
                auxD.index_select(0, at::tensor(std::vector<int64_t>(pendingRows.begin() + b0, pendingRows.begin() + b1),
                                                at::kLong))
                    .contiguous();
            if (strat == TransferStrategy::Focus) {
                const at::Tensor sim = at::mm(unitRows(X), An.t()).contiguous();
                const double* sp = sim.data_ptr<double>();
                const int64_t N = An.size(0);
                at::parallel_for(0, b1 - b0, 8, [&](int64_t r0, int64_t r1) {
                    for (int64_t r = r0; r < r1; ++r) {
                        const std::vector<double> p = sparsemax(std::vector<double>(sp + r * N, sp + (r + 1) * N));
                        TransferredToken& tt = res.tokens[static_cast<size_t>(pending[static_cast<size_t>(b0 + r)])];
                        tt.method = TransferMethod::Aux;
                        tt.sources.clear();
                        std::vector<size_t> order(p.size());
                        std::iota(order.begin(), order.end(), size_t{0});
                        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] > p[b]; });
                        for (size_t j : order) {
                            if (p[j] <= 0) break;
                            tt.sources.push_back({anchorSrc[j], p[j]});
                        }
                    }
                });
            } else {
                const auto sel = ompBlock(A, An, X, options.ompK);
                for (int64_t r = 0; r < b1 - b0; ++r) {
                    const auto& s = sel[static_cast<size_t>(r)];
                    if (s.empty()) continue;  // a zero vector: keep the decomposition
                    TransferredToken& tt = res.tokens[static_cast<size_t>(pending[static_cast<size_t>(b0 + r)])];
                    tt.method = TransferMethod::Omp;
                    tt.sources.clear();
                    for (const auto& [j, c] : s) tt.sources.push_back({anchorSrc[static_cast<size_t>(j)], c});
                }
            }
        }
    }
    progress.report(0.7, "building rows");

    // 3. The rows, in float32: Σ weight · row in the reported order (or max / min).
    const at::Tensor src = sourceMatrix.is_contiguous() ? sourceMatrix : sourceMatrix.contiguous();
    const bool f32 = src.scalar_type() == at::kFloat && src.device().is_cpu();
    at::Tensor rows = at::empty({V, H}, at::kFloat);
    std::vector<char> drawn(static_cast<size_t>(V), 0);
    float* out = rows.data_ptr<float>();
    // Rows of a non-f32 (or non-CPU) source are read through an f32 copy of the rows the sources name.
    std::vector<int64_t> needed;
    std::unordered_map<int64_t, int64_t> localRow;
    at::Tensor local;
    if (!f32) {
        for (const auto& tt : res.tokens)
            for (const auto& s : tt.sources)
                if (localRow.emplace(s.id, static_cast<int64_t>(needed.size())).second) needed.push_back(s.id);
        local = src.index_select(0, at::tensor(needed, at::kLong).to(src.device())).to(at::kCPU, at::kFloat).contiguous();
    }
    const float* base0 = f32 ? src.data_ptr<float>() : local.data_ptr<float>();
    auto rowPtr = [&](int64_t id) { return base0 + (f32 ? id : localRow.at(id)) * H; };
    at::parallel_for(0, V, 256, [&](int64_t t0, int64_t t1) {
        for (int64_t t = t0; t < t1; ++t) {
            const TransferredToken& tt = res.tokens[static_cast<size_t>(t)];
            float* o = out + t * H;
            if (tt.sources.empty()) {
                drawn[static_cast<size_t>(t)] = 1;
                continue;
            }
            if (!tt.sources[0].weight) {  // max / min
                const bool mx = strat == TransferStrategy::Max;
                std::copy(rowPtr(tt.sources[0].id), rowPtr(tt.sources[0].id) + H, o);
                for (size_t j = 1; j < tt.sources.size(); ++j) {
                    const float* r = rowPtr(tt.sources[j].id);
                    for (int64_t h = 0; h < H; ++h) o[h] = mx ? std::max(o[h], r[h]) : std::min(o[h], r[h]);
                }
                continue;
            }
            std::fill(o, o + H, 0.0f);
            for (const auto& s : tt.sources) {
                const float w = static_cast<float>(*s.weight);
                const float* r = rowPtr(s.id);
                for (int64_t h = 0; h < H; ++h) o[h] += w * r[h];
            }
        }
    });
    progress.report(0.85, "fallback rows");

    // 4. The fallback draw: the source rows' mean and per-dimension variance.
    if (std::any_of(drawn.begin(), drawn.end(), [](char v) { return v != 0; })) {
        // Per-dimension sums in float32 blocks of 4,096 rows (pairwise inside a block), accumulated in
        // float64 across blocks.
        at::Tensor sum = at::zeros({H}, at::kDouble), sq = at::zeros({H}, at::kDouble);
        for (int64_t r0 = 0; r0 < S; r0 += 4096) {
            const at::Tensor c = src.slice(0, r0, std::min(S, r0 + 4096)).to(at::kCPU, at::kFloat);
            sum += c.sum(0).to(at::kDouble);
            sq += c.square().sum(0).to(at::kDouble);
        }
        const at::Tensor mean = sum / static_cast<double>(S);
        const at::Tensor sd = at::clamp_min(sq / static_cast<double>(S) - mean * mean, 0.0).sqrt();
        for (int64_t t = 0; t < V; ++t) {
            if (!drawn[static_cast<size_t>(t)]) continue;
            auto gen = at::detail::createCPUGenerator(options.seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(t));
            const at::Tensor z = at::randn({H}, gen, at::TensorOptions().dtype(at::kDouble));
            rows[t].copy_((mean + sd * z).to(at::kFloat));
        }
    }
    res.rows = rows;
    progress.report(1.0, "rows built");
    return res;
}

nlohmann::json transferReport(const Tokenizer& source, const Tokenizer& target, const VocabularyMatch& match,
                              const TransferResult& result, const nlohmann::json& extra) {
    using nlohmann::json;
    std::map<std::string, int64_t> counts{{"exact", 0},   {"decomposed", 0}, {"variant", 0}, {"aux", 0},
                                          {"omp", 0},     {"special", 0},    {"fallback", 0}};
    int64_t unmapped = 0;
    json tokens = json::array();
    for (size_t t = 0; t < result.tokens.size(); ++t) {
        const TransferredToken& tt = result.tokens[t];
        const TargetMatch& tm = match.tokens[t];
        const std::string method = transferMethodName(tt.method);
        ++counts[method];
        if (tt.method == TransferMethod::Fallback && !tm.control && !tm.note.empty()) ++unmapped;  // could not spell it
        json j;
        j["id"] = static_cast<int64_t>(t);
        j["token"] = target.idToToken(static_cast<int64_t>(t));
        j["method"] = method;
        std::string surface;
        json spelled = json::array();
        for (const auto& m : tm.surfaces) {
            if (!surface.empty()) surface += "|";
            if (m.surface.byte) {
                static const char* hex = "0123456789ABCDEF";
                for (unsigned char c : m.surface.text) surface += std::string("<0x") + hex[c >> 4] + hex[c & 15] + ">";
            } else {
                surface += m.surface.text;
            }
            if (tm.surfaces.size() > 1) spelled.push_back({{"surface", m.surface.text}, {"weight", m.weight}});
        }
        j["surface"] = surface;
        json src = json::array();
        for (const auto& s : tt.sources) {
            json e;
            e["id"] = s.id;
            e["token"] = source.idToToken(s.id);
            e["weight"] = s.weight ? json(*s.weight) : json(nullptr);
            src.push_back(std::move(e));
        }
        j["sources"] = std::move(src);
        if (!tm.role.empty()) j["role"] = tm.role;
        if (tm.surfaces.size() > 1) j["surfaces"] = std::move(spelled);
        if (tt.method == TransferMethod::Fallback)
            j["note"] = !tm.note.empty() ? tm.note
                        : extra.value("strategy", "") == "random" ? "random initialisation (the baseline)"
                                                                  : "nothing could build it";
        tokens.push_back(std::move(j));
    }
    json summary;
    summary["target_tokens"] = static_cast<int64_t>(result.tokens.size());
    for (const auto& [k, v] : counts) summary[k] = v;
    summary["unmapped"] = unmapped;
    summary["source_style"] = surfaceStyleName(match.sourceStyle);
    summary["target_style"] = surfaceStyleName(match.targetStyle);
    if (match.corpusOccurrences) summary["corpus_surface_occurrences"] = match.corpusOccurrences;
    for (auto it = extra.begin(); it != extra.end(); ++it) summary[it.key()] = it.value();
    return json{{"summary", std::move(summary)}, {"tokens", std::move(tokens)}};
}

}  // namespace embedlab
