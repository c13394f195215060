// embedlab engine — making sure OpenBLAS runs its fast kernels.
//
// Debian's OpenBLAS is built with DYNAMIC_ARCH and picks its kernels from the CPU model. On virtual
// machines that report an unknown model ("Intel Xeon Processor") it falls back to "Prescott" (SSE3)
// kernels, which are 2–4× slower than the AVX2/AVX-512 ones on the same CPU. The choice is made when
// libopenblas is loaded, before main(), and can only be changed through OPENBLAS_CORETYPE. So:
// when the user has not set OPENBLAS_CORETYPE, OpenBLAS picked a pre-AVX2 core although the CPU has
// AVX2 and FMA, the binary re-executes itself once with OPENBLAS_CORETYPE=SkylakeX (AVX-512 CPUs)
// or Haswell (AVX2). It also sets GOMP_SPINCOUNT=10000 when neither it nor OMP_WAIT_POLICY is set,
// so that LibTorch's idle OpenMP threads do not spin on the cores OpenBLAS needs (≈3x on an f32
// Gemma decode step here).
// Where the kernel gives transparent huge pages on request (THP "madvise" mode), it also sets glibc's
// malloc tunable glibc.malloc.hugetlb=1 (glibc ≥ 2.35) unless GLIBC_TUNABLES already sets it: malloc
// then asks for 2 MB pages for its large blocks — weights converted on load (bf16, f16 files), random
// weights, KV caches — so a decode step that streams 1 GB of weights misses the TLB 512× less often
// (gemma3-270m f32 decode +10–16% here with weights in the heap).
// All are read only at process start-up, hence the re-exec — at most once per process (a marker
// with the pid; glibc drops tunables in secure-execution mode, where no re-exec is tried). Set
// EMBEDLAB_KEEP_BLAS_CORE=1 to disable this. It also calls keepLargeAllocationsInHeap().
#pragma once

#include <string>

namespace embedlab {

// Call first thing in main(). Returns only when no re-execution was needed (or it failed).
void reexecWithFastBlasIfNeeded(char** argv);
// glibc: blocks up to 256 MB from the heap, reused after free, instead of one mmap (and a page fault
// per 4 KB) per allocation; up to 512 MB of free heap kept. +15% on BERT-base corpus embedding here.
void keepLargeAllocationsInHeap();
// The kernel's transparent-huge-page mode ("always", "madvise", "never"; "" when unknown) and
// whether this process's malloc asks for huge pages (glibc.malloc.hugetlb=1 in GLIBC_TUNABLES, or
// THP "always").
std::string transparentHugePageMode();
bool mallocUsesHugePages();
// The OpenBLAS core in use ("Haswell", "Prescott", ...), "" when OpenBLAS is not the BLAS.
const char* blasCoreName();

}  // namespace embedlab
