// embedlab engine — bitext mining (MTEB BitextMining): for every source sentence, the top-1 cosine
// neighbour among all target sentences; gold is the target on the same line.
//
// As MTEB: labels = gold target index (i), predictions = the neighbour's index; accuracy =
// sklearn accuracy_score, f1 = sklearn f1_score(average="weighted", zero_division=0) (likewise
// precision and recall). Ties in cosine go to the smaller target index.
// Data: TSV `src<TAB>tgt`, one aligned pair per line.
#pragma once

#include "engine/eval/matrix.h"

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab::eval {

struct BitextData {
    std::vector<std::string> src, tgt;
};

BitextData readBitextData(const std::string& path);

struct BitextResult {
    double accuracy = 0, f1 = 0, precision = 0, recall = 0;
    int64_t pairs = 0;
    std::vector<int64_t> predicted;  // per source: the index of its top-1 target
};

// src[i] and tgt[i] are the vectors of an aligned pair.
BitextResult evaluateBitext(const Matrix& src, const Matrix& tgt, Progress& progress = nullProgress());
// The metrics for given predictions (labels are 0..n-1).
BitextResult bitextScores(const std::vector<int64_t>& predicted);

}  // namespace embedlab::eval
