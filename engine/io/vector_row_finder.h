// embedlab engine — finding a query's row in a vector set, the one rule for `embedlab-cli neighbors` and
// the app's map and neighbours panel: a label exactly as written, else the same label under Turkish case
// folding (İstanbul = istanbul, IRMAK = ırmak), else a row number of the source file (rows left out for
// NaN/Inf are named as such).
#pragma once

#include "engine/io/vectors.h"

#include <cstdint>
#include <string>
#include <unordered_map>

namespace embedlab {

class VectorRowFinder {
public:
    explicit VectorRowFinder(const VectorSet& set);
    // The row of `set` for `query`. Throws Error(BadInput) naming the query.
    int64_t find(const std::string& query) const;

private:
    const VectorSet& set_;
    std::unordered_map<std::string, int64_t> exact_, folded_;  // first row of each label
};

}  // namespace embedlab
