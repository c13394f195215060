// embedlab engine — vocabulary transfer: building an embedding layer for a new tokenizer from an existing
// model's rows, without pretraining.
//
// Two stages, both with a per-token account:
// 1. matchVocabularies(): for every target token its surfaces (engine/tokenizers/token_surface.h; every
//    allomorph of a seed-format id, weighted by how often the corpus uses each, equally without one) and
//    for each surface the source pieces that spell it — an exact source token first; else the source
//    tokenizer's own encoding (no special tokens, nothing dropped) of the surface as written, then of its
//    Turkish casing variants (lower, capitalised, upper) and its other word position, keeping the
//    shortest. Control tokens (bos, eos, pad, unk, mask, cls, sep …) map by name, then by role, then by
//    the override table. An encoding that needs the source's unknown token fails.
// 2. buildTransfer(): the target rows from the source rows with a strategy —
//      mean, sum, first, last, weighted (piece i of n weighs n−i+1, normalised: the first most),
//      weighted-last (the reverse), max, min (element-wise over the pieces);
//      focus: FOCUS (Dobler & de Melo 2023) — a target token that has no exact source token but a vector
//             in the auxiliary static space is sparsemax(cosine similarities to the exact-match tokens'
//             auxiliary vectors) · their source rows;
//      omp:   each such token's auxiliary vector as a k-sparse combination of the exact-match tokens'
//             auxiliary vectors (orthogonal matching pursuit, as mergekit's tokensurgeon), the same
//             coefficients over their source rows.
//    focus and omp build the rest with mean;
//      random: the baseline — every text token drawn as a fallback (control tokens still map by role).
//    Tokens nothing can build get a seeded draw from the
//    source rows' mean and per-dimension variance (method "fallback", reported, never NaN).
// For every linear strategy the target row equals Σ weight · source row over the reported sources,
// computed in float32 in the reported order.
#pragma once

#include "engine/jobs/progress.h"
#include "engine/tokenizers/token_surface.h"

#include <ATen/core/Tensor.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace embedlab {

enum class TransferStrategy { Mean, Sum, First, Last, Weighted, WeightedLast, Max, Min, Focus, Omp, Random };
const char* transferStrategyName(TransferStrategy s);
// Throws Error(BadInput) naming the accepted strategies.
TransferStrategy parseTransferStrategy(const std::string& name);
bool isLinearStrategy(TransferStrategy s);  // every strategy but max and min

enum class TransferMethod { Exact, Decomposed, Variant, Aux, Omp, Special, Fallback };
const char* transferMethodName(TransferMethod m);  // "exact", "decomposed", … as in the report

// One surface of a target token and the source pieces that spell it.
struct SurfaceMatch {
    TokenSurface surface;
    double weight = 1.0;          // share of this surface among the token's surfaces (sums to 1)
    std::vector<int64_t> pieces;  // source ids, in order; empty when the source cannot spell it
    std::string spelled;          // the variant that was encoded ("İstanbul", "▁lar" …)
    bool exact = false;           // one source token, the surface as written in its position
    bool variant = false;         // spelled through a casing or word-position variant
};

struct TargetMatch {
    std::vector<SurfaceMatch> surfaces;  // the surfaces with weight > 0
    bool control = false;                // a control token (mapped by role, never by text)
    std::optional<int64_t> specialSource;  // the source id a control token maps to
    std::string role;                      // "bos", "eos", "pad", "unk", "mask", "cls", "sep" or ""
    std::string note;                      // why nothing could build it
};

struct VocabularyMatchOptions {
    // Surface frequencies of the target's many-form ids come from this corpus (any format the corpus
    // reader knows; "" = equal weights). At most `corpusMaxBytes` bytes of it are read.
    std::string corpusPath;
    int64_t corpusMaxBytes = 64ll << 20;
    // Control tokens: target token string → source token string, applied before names and roles.
    std::map<std::string, std::string> specialOverrides;
    bool tryCasingVariants = true;
    bool tryPositionVariants = true;
};

struct VocabularyMatch {
    SurfaceStyle sourceStyle = SurfaceStyle::Metaspace, targetStyle = SurfaceStyle::Metaspace;
    std::vector<TargetMatch> tokens;  // one per target id
    int64_t corpusOccurrences = 0;    // many-form token occurrences counted in the corpus
};

// Stage 1. `sourceRows` limits the source ids a piece may use (the model's embedding rows; ids at or
// beyond it count as unknown). Parallel over the target vocabulary; cancellable. Throws Error(BadInput)
// for an unreadable corpus or an override that names a token the tokenizers lack.
VocabularyMatch matchVocabularies(const Tokenizer& source, const Tokenizer& target, int64_t sourceRows,
                                  const VocabularyMatchOptions& options = {}, Progress& progress = nullProgress());

// Auxiliary static vectors for focus and omp: one row per target id that has a vector.
struct AuxiliaryVectors {
    at::Tensor vectors;            // [n, d] float32
    std::vector<int64_t> targetIds;  // the target id of each row
};
// Reads a vectors file (engine/io/vectors.h formats) whose labels are target token strings (as the
// target tokenizer writes them; for the seed format any surface form) or "id:N". Rows whose label is
// no target token are skipped (counted in `skipped`). Throws Error(BadInput) for a file with no usable row.
AuxiliaryVectors readAuxiliaryVectors(const std::string& path, const Tokenizer& target, int64_t* skipped = nullptr);

struct TransferOptions {
    TransferStrategy strategy = TransferStrategy::Mean;
    int ompK = 8;
    uint64_t seed = 42;
};

struct SourceWeight {
    int64_t id = 0;
    std::optional<double> weight;  // null for max/min
};

struct TransferredToken {
    TransferMethod method = TransferMethod::Fallback;
    std::vector<SourceWeight> sources;
};

struct TransferResult {
    at::Tensor rows;                       // [target vocab, hidden], source dtype
    std::vector<TransferredToken> tokens;  // one per target id
};

// Stage 2 on one matrix (input embeddings or an untied head) `sourceMatrix` [source rows, hidden].
// `aux` is required for focus and omp (Error(BadInput) otherwise, or when it names no exact-match
// token). The fallback draw of target id t uses a generator seeded with (seed, t).
TransferResult buildTransfer(const VocabularyMatch& match, const at::Tensor& sourceMatrix,
                             const TransferOptions& options, const AuxiliaryVectors* aux = nullptr,
                             Progress& progress = nullProgress());

// The contract's transfer_report.json for one matrix: {"summary":{...},"tokens":[...]}; `extra` adds
// fields to the summary (strategy, source and target names …).
nlohmann::json transferReport(const Tokenizer& source, const Tokenizer& target, const VocabularyMatch& match,
                              const TransferResult& result, const nlohmann::json& extra = nlohmann::json::object());

// Sparsemax (Martins & Astudillo 2016) of a vector: the Euclidean projection onto the simplex.
std::vector<double> sparsemax(const std::vector<double>& z);

// Orthogonal matching pursuit: x ≈ Σ c_j · atoms[j] over at most k atoms (rows of `atoms`, [n, d]),
// choosing each time the atom whose normalised direction best correlates with the residual, then
// refitting all coefficients by least squares. Returns (atom index, coefficient) in selection order;
// stops early when the residual vanishes. float64 inside.
std::vector<std::pair<int64_t, double>> orthogonalMatchingPursuit(const at::Tensor& atoms, const at::Tensor& x, int k);

}  // namespace embedlab
