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
    ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
    ::execv("/proc/self/exe", argv);
    // execv failed: keep running with the slow kernels.
    ::unsetenv("OPENBLAS_CORETYPE");
#else
    (void)argv;
#endif
}

}  // namespace embedlab
