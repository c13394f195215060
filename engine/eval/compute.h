// embedlab engine — compute figures recorded by every evaluation run: wall time, throughput, peak memory.
#pragma once

#include <chrono>
#include <cstdint>

namespace embedlab::eval {

struct ComputeFigures {
    double seconds = 0.0;             // wall-clock time of the run (embedding + metric)
    double embedSeconds = 0.0;        // of which computing the embeddings (0 for precomputed vectors)
    int64_t sentences = 0;            // texts embedded (or vectors read)
    double sentencesPerSecond = 0.0;  // sentences / embedSeconds (or / seconds when embedSeconds is 0)
    int64_t peakRssBytes = -1;        // VmHWM of this process (-1 where /proc/self/status is missing)
};

// The process's peak resident set size (VmHWM in /proc/self/status) in bytes, or -1.
int64_t peakRssBytes();
// The current resident set size (VmRSS) in bytes, or -1.
int64_t currentRssBytes();

// Measures a run: construct at the start, call finish() at the end.
class ComputeTimer {
public:
    ComputeTimer() : start_(std::chrono::steady_clock::now()) {}
    double elapsed() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }
    ComputeFigures finish(int64_t sentences, double embedSeconds = 0.0) const;

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace embedlab::eval
