#include "engine/core/cpu_isa.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace embedlab {

namespace {
std::atomic<int> gLimit{static_cast<int>(CpuIsa::Avx512)};

CpuIsa hardwareCpuIsa() {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return CpuIsa::Avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CpuIsa::Avx2;
#endif
    return CpuIsa::Portable;
}
}  // namespace

std::optional<CpuIsa> parseCpuIsa(const char* name) {
    if (!name) return std::nullopt;
    if (std::strcmp(name, "avx512") == 0) return CpuIsa::Avx512;
    if (std::strcmp(name, "avx2") == 0) return CpuIsa::Avx2;
    if (std::strcmp(name, "portable") == 0) return CpuIsa::Portable;
    return std::nullopt;
}

CpuIsa detectedCpuIsa() {
    static const CpuIsa isa = [] {
        CpuIsa hw = hardwareCpuIsa();
        const char* env = std::getenv("EMBEDLAB_CPU_ISA");
        if (env && *env) {
            if (auto cap = parseCpuIsa(env)) hw = std::min(hw, *cap);
            else std::fprintf(stderr, "embedlab: EMBEDLAB_CPU_ISA=%s is not avx512, avx2 or portable; ignored\n", env);
        }
        return hw;
    }();
    return isa;
}

CpuIsa cpuIsa() {
    return static_cast<CpuIsa>(std::min(static_cast<int>(detectedCpuIsa()), gLimit.load(std::memory_order_relaxed)));
}

void setCpuIsaLimit(CpuIsa limit) { gLimit.store(static_cast<int>(limit)); }

const char* cpuIsaName(CpuIsa isa) {
    switch (isa) {
    case CpuIsa::Avx512: return "avx512";
    case CpuIsa::Avx2: return "avx2";
    case CpuIsa::Portable: break;
    }
    return "portable";
}

}  // namespace embedlab
