#include "engine/dist/collective.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

#include <cstring>

namespace embedlab {

double Collective::allReduceScalar(double value, Op op) {
    at::Tensor t = at::full({1}, value, at::kDouble);
    allReduce(t, op);
    return t.item<double>();
}

void Collective::requireSame(uint64_t checksum, const char* what) {
    int64_t v = 0;
    std::memcpy(&v, &checksum, sizeof v);
    at::Tensor lo = at::full({1}, v, at::kLong), hi = lo.clone();
    allReduce(lo, Op::Min);
    allReduce(hi, Op::Max);
    if (lo.item<int64_t>() != hi.item<int64_t>())
        throw Error::badInput("the ranks of the job disagree on " + std::string(what) +
                              " (their checksums differ): start every rank with the same model, data and options");
}

}  // namespace embedlab
