#include "device/blas_setup.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace embedlab {

const char* blasCoreName() {
    using Fn = char* (*)();
    auto fn = reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* s = fn ? fn() : nullptr;
    return s ? s : "";
}

void reexecWithFastBlasIfNeeded(char** argv) {
    if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("EMBEDLAB_KEEP_BLAS_CORE")) return;
#if defined(__x86_64__) || defined(__i386__)
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
    const char* core = blasCoreName();
    static const char* const slow[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Atom",
                                       "Katmai",   "Coppermine", "Northwood", "Banias", "Sandybridge"};
    bool isSlow = false;
    for (const char* s : slow) isSlow = isSlow || std::strcmp(core, s) == 0;
    if (!isSlow) return;
    // AVX-512 kernels where the CPU has them (2× the f32 GEMM throughput of the AVX2 ones here; the
    // engine, analysis and evaluation tests pass with both), else AVX2.
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    ::setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
    ::execv("/proc/self/exe", argv);
    // execv failed: keep running with the slow kernels.
    ::unsetenv("OPENBLAS_CORETYPE");
#else
    (void)argv;
#endif
}

}  // namespace embedlab
