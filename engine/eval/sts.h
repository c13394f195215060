// embedlab engine — semantic textual similarity (MTEB STS): Spearman and Pearson correlation between
// the cosine similarity of two sentence vectors and a gold score.
//
// Data: TSV `s1<TAB>s2<TAB>score` (as STSb-TR); an optional header line (its score field is not a
// number) is skipped. Gold scores must lie in [minScore, maxScore] (0–5 by default, as STS-B).
#pragma once

#include "engine/eval/matrix.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct StsData {
    std::vector<std::string> s1, s2;
    std::vector<double> gold;
};

StsData readStsData(const std::string& path, double minScore = 0.0, double maxScore = 5.0);

struct StsResult {
    double spearman = 0;  // scipy.stats.spearmanr(gold, cosine) — MTEB's main score (cosine_spearman)
    double pearson = 0;   // scipy.stats.pearsonr(gold, cosine)
    int64_t pairs = 0;
    std::vector<double> cosine;  // per pair
};

// e1[i], e2[i]: the vectors of s1[i], s2[i].
StsResult evaluateSts(const Matrix& e1, const Matrix& e2, const std::vector<double>& gold);

}  // namespace embedlab::eval
