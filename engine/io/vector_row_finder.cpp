// Finding a query's row in a vector set. See vector_row_finder.h.
#include "engine/io/vector_row_finder.h"

#include "engine/core/error.h"
#include "engine/io/turkish_text.h"

#include <algorithm>
#include <charconv>

namespace embedlab {

VectorRowFinder::VectorRowFinder(const VectorSet& set) : set_(set) {
    for (size_t i = 0; i < set.labels.size(); ++i) {
        exact_.emplace(set.labels[i], static_cast<int64_t>(i));
        folded_.emplace(turkishLower(set.labels[i]), static_cast<int64_t>(i));
    }
}

int64_t VectorRowFinder::find(const std::string& q) const {
    if (!set_.labels.empty()) {
        if (auto it = exact_.find(q); it != exact_.end()) return it->second;
        if (auto it = folded_.find(turkishLower(q)); it != folded_.end()) return it->second;
    }
    int64_t r = -1;
    const auto res = std::from_chars(q.data(), q.data() + q.size(), r);
    if (q.empty() || res.ec != std::errc() || res.ptr != q.data() + q.size() || r < 0)
        throw Error::badInput("'" + q + "' is neither a label of these vectors nor a row number");
    if (set_.sourceRows.empty()) {  // rows as they are
        if (r < set_.size()) return r;
        throw Error::badInput("row " + q + " is out of range (there are " + std::to_string(set_.size()) + " rows)");
    }
    const auto it = std::lower_bound(set_.sourceRows.begin(), set_.sourceRows.end(), r);
    if (it == set_.sourceRows.end() || *it != r) {
        const int64_t rowsRead = set_.sourceRows.back() + 1;
        if (r < rowsRead) throw Error::badInput("row " + q + " holds NaN or Inf and was excluded");
        throw Error::badInput("row " + q + " is out of range (the file has " + std::to_string(rowsRead) + " rows)");
    }
    return static_cast<int64_t>(it - set_.sourceRows.begin());
}

}  // namespace embedlab
