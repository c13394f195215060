// embedlab engine — which SIMD instruction set the hand-written CPU kernels use.
//
// Kernels with explicit AVX-512 / AVX2 code (model matrix–vector products, exact kNN, UMAP's SGD)
// ask cpuIsa() at run time; it is the best level this CPU has, capped by setCpuIsaLimit(). The cap
// lets tests run every path on one machine and benchmarks compare them; it is process-wide.
// The environment variable EMBEDLAB_CPU_ISA=avx2|portable lowers what detectedCpuIsa() reports for
// the whole process (read once), so a whole suite can run as on a CPU without AVX-512 or AVX2 (the
// CTest variants *.isa-avx2 and *.isa-portable do).
#pragma once

#include <optional>

namespace embedlab {

enum class CpuIsa { Portable = 0, Avx2 = 1, Avx512 = 2 };  // Avx2 includes FMA; Avx512 is F+BW+VL

CpuIsa cpuIsa();
CpuIsa detectedCpuIsa();  // the hardware's level, capped by EMBEDLAB_CPU_ISA
std::optional<CpuIsa> parseCpuIsa(const char* name);  // "avx512", "avx2", "portable"
void setCpuIsaLimit(CpuIsa limit);
const char* cpuIsaName(CpuIsa isa);

}  // namespace embedlab
