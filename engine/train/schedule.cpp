#include "engine/train/schedule.h"

#include "engine/core/error.h"

#include <algorithm>
#include <cmath>

namespace embedlab {

double LrSchedule::at(int64_t s) const {
    const double step = static_cast<double>(s);
    // baseLr · λ(s) with λ computed first, as LambdaLR does (the same rounding).
    if (s < warmup) return baseLr * (step / static_cast<double>(std::max<int64_t>(1, warmup)));
    if (kind == "constant") return baseLr;
    const double rest = static_cast<double>(std::max<int64_t>(1, totalSteps - warmup));
    if (kind == "linear") return baseLr * std::max(0.0, static_cast<double>(totalSteps - s) / rest);  // λ first
    // cosine, half a period (num_cycles 0.5)
    const double progress = static_cast<double>(s - warmup) / rest;
    return baseLr * std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * 0.5 * 2.0 * progress)));
}

void validateSchedule(const LrSchedule& s) {
    if (s.kind != "cosine" && s.kind != "linear" && s.kind != "constant")
        throw Error::badInput("--schedule: '" + s.kind + "' is not known (use cosine, linear or constant)");
    if (s.warmup < 0) throw Error::badInput("--warmup must not be negative");
    if (!(s.baseLr > 0) || !std::isfinite(s.baseLr)) throw Error::badInput("--lr must be a positive number");
    if (s.totalSteps < 1) throw Error::badInput("--steps must be at least 1");
}

}  // namespace embedlab
