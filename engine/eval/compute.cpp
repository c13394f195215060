#include "engine/eval/compute.h"

#include <cstdio>
#include <cstring>

namespace embedlab::eval {
namespace {

int64_t statusKb(const char* key) {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int64_t kb = -1;
    const size_t n = std::strlen(key);
    while (std::fgets(line, sizeof line, f)) {
        if (std::strncmp(line, key, n) == 0 && line[n] == ':') {
            long long v = 0;
            if (std::sscanf(line + n + 1, "%lld", &v) == 1) kb = v;
            break;
        }
    }
    std::fclose(f);
    return kb;
}

}  // namespace

int64_t peakRssBytes() {
    const int64_t kb = statusKb("VmHWM");
    return kb < 0 ? -1 : kb * 1024;
}

int64_t currentRssBytes() {
    const int64_t kb = statusKb("VmRSS");
    return kb < 0 ? -1 : kb * 1024;
}

ComputeFigures ComputeTimer::finish(int64_t sentences, double embedSeconds) const {
    ComputeFigures f;
    f.seconds = elapsed();
    f.embedSeconds = embedSeconds;
    f.sentences = sentences;
    const double t = embedSeconds > 0 ? embedSeconds : f.seconds;
    f.sentencesPerSecond = t > 0 ? static_cast<double>(sentences) / t : 0.0;
    f.peakRssBytes = peakRssBytes();
    return f;
}

}  // namespace embedlab::eval
