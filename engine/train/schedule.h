// embedlab engine — learning-rate schedules with linear warmup: Hugging Face's
// get_{cosine,linear,constant}_schedule_with_warmup (the factor at optimizer step s, counted from 0,
// so the first step of a warmup has learning rate 0).
#pragma once

#include <cstdint>
#include <string>

namespace embedlab {

struct LrSchedule {
    std::string kind = "constant";  // "cosine", "linear" or "constant"
    int64_t warmup = 0;
    int64_t totalSteps = 1;
    double baseLr = 1e-4;
    // The learning rate of optimizer step s (0-based).
    double at(int64_t step) const;
};

// Throws Error(BadInput) for an unknown kind, a negative warmup or a non-positive learning rate.
void validateSchedule(const LrSchedule& s);

}  // namespace embedlab
