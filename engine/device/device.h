// embedlab engine — compute devices that the linked LibTorch offers, and thread settings.
//
// The header is torch-free so that the UI can show devices. A device is named as in the CLI
// contract: "cpu", "cuda:N", "mps".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace embedlab {

struct DeviceInfo {
    std::string name;        // "cpu", "cuda:0", "mps"
    std::string description; // "NVIDIA H100 80GB HBM3", "x86_64, 2 cores"
    bool available = false;
    int threads = 0;         // CPU only: intra-op threads now in use
    int64_t totalMemoryBytes = -1;  // -1 when unknown
    int64_t freeMemoryBytes = -1;
};

// Every device kind the linked LibTorch was built for: the CPU always, each CUDA device, MPS when
// the build has it. Cheap after the first call.
std::vector<DeviceInfo> listDevices();

// The best available device ("cuda:0" if present, else "mps", else "cpu").
std::string bestDevice();

// Validates a device name ("cpu", "cuda", "cuda:N", "mps") against what is available and returns the
// normalised name ("cuda" → "cuda:0"). Throws Error(Runtime) for an unavailable device and
// Error(BadInput) for an unknown name.
std::string resolveDevice(const std::string& name);

// Sets intra-op threads for LibTorch and the BLAS it uses (OpenBLAS when present). n <= 0 means all
// cores. Returns the number now in use.
int setThreadCount(int n);
int threadCount();
int hardwareThreads();

// "1.13.1" — the LibTorch version embedlab was built against.
std::string torchVersion();
std::string embedlabVersion();
// The BLAS library that LibTorch resolved at run time (e.g. "OpenBLAS 0.3.21 pthread"), "" if unknown.
std::string blasDescription();

// While alive, OpenBLAS runs every call on the calling thread (its own thread pool stays asleep) and
// blasSingleThreaded() is true: the model code then splits matrix products over LibTorch's OpenMP
// threads itself, so that one pool of threads, not two, shares the cores (see docs/models.md).
// Nestable; restores OpenBLAS's thread count on destruction. A no-op without OpenBLAS.
class SingleThreadedBlas {
public:
    // active = false: does nothing (e.g. a model on CUDA, where OpenBLAS is not involved).
    explicit SingleThreadedBlas(bool active = true);
    ~SingleThreadedBlas();
    SingleThreadedBlas(const SingleThreadedBlas&) = delete;
    SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

private:
    int saved_ = 0;
};
bool blasSingleThreaded();

}  // namespace embedlab
