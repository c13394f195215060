#include "engine/analysis/analysis_common.h"

#include "engine/core/error.h"

#include <ATen/ATen.h>

namespace embedlab {

std::string metricName(Metric m) {
    switch (m) {
    case Metric::Cosine: return "cosine";
    case Metric::Dot: return "dot";
    case Metric::Euclidean: return "euclidean";
    }
    return "euclidean";
}

Metric parseMetric(const std::string& n) {
    if (n == "cosine") return Metric::Cosine;
    if (n == "dot" || n == "ip" || n == "inner") return Metric::Dot;
    if (n == "euclidean" || n == "l2") return Metric::Euclidean;
    throw Error::badInput("unknown metric '" + n + "' (use cosine, dot or euclidean)");
}

at::Tensor checkedMatrix(const at::Tensor& x, const char* what) {
    if (!x.defined()) throw Error::badInput(std::string(what) + ": no data");
    if (x.dim() == 1)
        throw Error::badInput(std::string(what) + ": 1-D data; expected a 2-D matrix [N, D] of N vectors");
    if (x.dim() != 2) throw Error::badInput(std::string(what) + ": expected a 2-D matrix [N, D]");
    if (x.size(0) == 0 || x.size(1) == 0) throw Error::badInput(std::string(what) + ": empty matrix");
    if (!x.is_floating_point()) throw Error::badInput(std::string(what) + ": expected floating-point vectors");
    at::Tensor f = x.to(at::kCPU).to(at::kFloat).contiguous();
    if (!at::isfinite(f).all().item<bool>())
        throw Error::badInput(std::string(what) + ": the data holds NaN or Inf; exclude those rows first");
    return f;
}

}  // namespace embedlab
