// embedlab engine — zero-shot word-level transfer between two static spaces through a bilingual
// dictionary (issue #14 item 7: English GloVe-style vectors → embedlab's Turkish static vectors through
// the freedict EN–TR pairs; `embedlab-cli transfer words`, docs/transfer.md).
//
// Both spaces are normalised (unit length, mean-centred, unit length again, as MUSE/VecMap do). Three
// translators, scored on held-out pairs by precision@1 and @5 (a query is a hit when any of its gold
// translations is among the k nearest candidates by cosine):
//   procrustes   W = argmin ‖X W − Y‖ over orthogonal W (U Vᵀ from the SVD of Xᵀ Y), fitted on the
//                training pairs that have a vector on both sides;
//   random       a random orthogonal W (QR of a seeded Gaussian): the baseline;
//   mean         a query's vector as the mean of its training translations' vectors in the other space
//                (only queries the training pairs translate; the split is by English headword, so a
//                Turkish word may have training translations and held-out ones).
// Both directions are scored: English → Turkish (queries: held-out English words; candidates: every
// Turkish vector) and Turkish → English (queries: held-out Turkish words; candidates: the `candidates`
// first English vectors — frequency order in the GloVe-style files; a gold word outside them is a miss).
#pragma once

#include "engine/io/vectors.h"
#include "engine/jobs/progress.h"

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::transfer {

struct WordPair {
    std::string source, target;  // English, Turkish (lowercased: ASCII for English, Turkish rules for Turkish)
};

// Reads `en<TAB>tr` lines; keeps the pairs where both sides are one word (no space; letters, digits,
// apostrophes and hyphens inside), lowercased, deduplicated. `skipped` counts the others.
std::vector<WordPair> readWordPairs(const std::string& path, int64_t* skipped = nullptr);

// Orthogonal W [d, d] minimising ‖x W − y‖_F (x, y: [n, d] float). Throws Error(BadInput) when the
// dimensions differ or n = 0.
at::Tensor orthogonalProcrustes(const at::Tensor& x, const at::Tensor& y);
// Unit rows, mean-centred, unit rows again (float32).
at::Tensor normalizeSpace(const at::Tensor& v);

struct WordTranslationOptions {
    int64_t candidates = 50000;  // English candidates for Turkish → English (the first rows)
    uint64_t seed = 0;           // the random rotation
    int64_t fitTop = 0;          // fit only on pairs whose words are both among the first fitTop rows of
                                 // their files (frequency order; 0 = every pair)
};

struct TranslationScores {
    int64_t queries = 0;       // held-out queries the translator could place
    double p1 = 0, p5 = 0;
};

struct DirectionScores {
    TranslationScores procrustes, random, mean;
    int64_t heldOutQueries = 0;  // distinct held-out source words with a vector
    int64_t candidates = 0;
};

struct WordTranslationResult {
    int64_t trainPairs = 0, testPairs = 0;
    int64_t fitPairs = 0;  // training pairs with a vector on both sides (Procrustes' data)
    DirectionScores enToTr, trToEn;
    at::Tensor map;        // W [d, d]: normalised English rows × W ≈ normalised Turkish rows
};

WordTranslationResult evaluateWordTranslation(const VectorSet& english, const VectorSet& turkish,
                                              const std::vector<WordPair>& train, const std::vector<WordPair>& test,
                                              const WordTranslationOptions& options = {},
                                              Progress& progress = nullProgress());

}  // namespace embedlab::transfer
