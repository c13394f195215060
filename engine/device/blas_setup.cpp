#include "engine/device/blas_setup.h"

#include <dlfcn.h>
#include <malloc.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace embedlab {

const char* blasCoreName() {
    using Fn = char* (*)();
    auto fn = reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, "openblas_get_corename"));
    const char* s = fn ? fn() : nullptr;
    return s ? s : "";
}

void keepLargeAllocationsInHeap() {
#ifdef M_MMAP_THRESHOLD
    // glibc serves blocks above its mmap threshold (at most 32 MB) with a fresh mmap and unmaps them
    // on free, so every batch's activations (32 × 128 tokens × 3,072 floats = 50 MB in a BERT layer)
    // page-faulted in anew: ~10% of an encoder run in the kernel zeroing pages. Blocks up to 256 MB
    // now come from the heap and are reused; up to 512 MB of free memory at its top is kept. Cost:
    // freed blocks can only serve requests that fit them (with alignment slack), so the heap holds
    // some more memory — embedding 1,024 equal-length sentences peaked at 1.00 GB RSS instead of
    // 0.91 GB (BERT-base, f32 then bf16), 16% faster.
    ::mallopt(M_MMAP_THRESHOLD, 256 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

namespace {
// GLIBC_TUNABLES as this process started (glibc read it then), once reexecWithFastBlasIfNeeded ran.
const std::string* startTunables = nullptr;
}  // namespace

std::string transparentHugePageMode() {
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    if (!std::getline(f, line)) return "";
    const auto a = line.find('['), b = line.find(']');
    return a != std::string::npos && b != std::string::npos && b > a ? line.substr(a + 1, b - a - 1) : "";
}

bool mallocUsesHugePages() {
    const std::string mode = transparentHugePageMode();
    if (mode == "always") return true;
    const char* env = std::getenv("GLIBC_TUNABLES");
    const std::string t = startTunables ? *startTunables : (env ? env : "");
    return mode == "madvise" && t.find("glibc.malloc.hugetlb=1") != std::string::npos;
}

void reexecWithFastBlasIfNeeded(char** argv) {
    keepLargeAllocationsInHeap();
    {
        const char* t = std::getenv("GLIBC_TUNABLES");
        static const std::string atStart = t ? t : "";
        startTunables = &atStart;
    }
    // The marker carries the pid of the process that re-executed itself (exec keeps the pid); a child
    // process inherits it with another pid and may still re-execute.
    const char* marker = std::getenv("EMBEDLAB_REEXECUTED");
    const bool reexecuted = marker && std::strtoll(marker, nullptr, 10) == static_cast<long long>(::getpid());
    ::unsetenv("EMBEDLAB_REEXECUTED");
    if (std::getenv("EMBEDLAB_KEEP_BLAS_CORE")) return;
    bool changed = false;
    // OpenBLAS (pthreads) and LibTorch's OpenMP run side by side: with libgomp's default spinning
    // (300,000 spins), idle OpenMP threads occupy the cores OpenBLAS needs during GEMM-heavy work
    // (prefill, encoders), while decoding — a chain of short OpenMP regions in the fused kernels —
    // wants the threads awake. 10,000 spins measured best for both on the 2-core VM (three
    // interleaved runs each of 1,000 / 10,000 / 30,000: docs/benchmarks.md). Read only at start-up.
    if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) {
        ::setenv("GOMP_SPINCOUNT", "10000", 1);
        changed = true;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (!std::getenv("OPENBLAS_CORETYPE") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        const char* core = blasCoreName();
        static const char* const slow[] = {"Prescott", "Core2",      "Penryn",    "Dunnington", "Nehalem",    "Atom",
                                           "Katmai",   "Coppermine", "Northwood", "Banias",     "Sandybridge"};
        bool isSlow = false;
        for (const char* s : slow) isSlow = isSlow || std::strcmp(core, s) == 0;
        if (isSlow) {
            // AVX-512 kernels where the CPU has them (2x the f32 GEMM throughput of the AVX2 ones here;
            // the engine, analysis and evaluation tests pass with both), else AVX2.
            const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                                __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
            ::setenv("OPENBLAS_CORETYPE", avx512 ? "SkylakeX" : "Haswell", 1);
            changed = true;
        }
    }
#endif
    const char* tunables = std::getenv("GLIBC_TUNABLES");
    const std::string current = tunables ? tunables : "";
    if (transparentHugePageMode() == "madvise" && current.find("glibc.malloc.hugetlb") == std::string::npos) {
        const std::string value = (current.empty() ? std::string() : current + ":") + "glibc.malloc.hugetlb=1";
        ::setenv("GLIBC_TUNABLES", value.c_str(), 1);
        changed = true;
    }
    // Once only: where glibc drops the tunable again (secure-execution mode: setuid or file
    // capabilities) the check above would otherwise re-execute forever.
    if (!changed || reexecuted || ::getauxval(AT_SECURE)) return;
    ::setenv("EMBEDLAB_REEXECUTED", std::to_string(static_cast<long long>(::getpid())).c_str(), 1);
    ::execv("/proc/self/exe", argv);
    // execv failed: keep running as we are.
}

}  // namespace embedlab
