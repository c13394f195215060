// embedlab engine — the cosine similarity of every pair of a few vectors (the Similarity panel's
// sentence × sentence heatmap), in double precision: row i and column j hold cos(v_i, v_j), symmetric,
// 1 on the diagonal (0 for a zero vector).
#pragma once

#include "engine/jobs/progress.h"

#include <cstdint>
#include <vector>

namespace embedlab {

// rows: n pointers to `dim` floats each. Returns n × n row-major. Reports progress; cancel stops it.
std::vector<float> cosineSimilarityMatrix(const std::vector<const float*>& rows, int64_t dim,
                                          Progress& progress = nullProgress());

}  // namespace embedlab
