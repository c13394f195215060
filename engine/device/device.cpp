#include "engine/device/device.h"

#include "engine/core/error.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/version.h>
#if defined(EMBEDLAB_WITH_CUDA)
#include <ATen/cuda/CUDAContext.h>
#include <cuda_runtime_api.h>
#endif

#include <dlfcn.h>

#include <atomic>

#include <thread>

namespace embedlab {

int hardwareThreads() {
    unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : static_cast<int>(n);
}

int threadCount() { return at::get_num_threads(); }

int setThreadCount(int n) {
    if (n <= 0) n = hardwareThreads();
    at::set_num_threads(n);
    // LibTorch calls BLAS from its own threads; keep OpenBLAS' pool the same size. Looked up at run
    // time so that any BLAS (or none) may be linked.
    using SetFn = void (*)(int);
    if (auto fn = reinterpret_cast<SetFn>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
    return at::get_num_threads();
}

namespace {
std::atomic<int> gSingleThreadedBlas{0};
using BlasSetFn = void (*)(int);
using BlasGetFn = int (*)();
BlasSetFn blasSet() { return reinterpret_cast<BlasSetFn>(::dlsym(RTLD_DEFAULT, "openblas_set_num_threads")); }
BlasGetFn blasGet() { return reinterpret_cast<BlasGetFn>(::dlsym(RTLD_DEFAULT, "openblas_get_num_threads")); }
}  // namespace

SingleThreadedBlas::SingleThreadedBlas(bool active) {
    static const BlasSetFn set = blasSet();
    static const BlasGetFn get = blasGet();
    if (!active || !set || !get) return;
    saved_ = get();
    if (gSingleThreadedBlas.fetch_add(1) == 0) set(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
    static const BlasSetFn set = blasSet();
    if (!set || saved_ == 0) return;
    if (gSingleThreadedBlas.fetch_sub(1) == 1) set(saved_);
}

bool blasSingleThreaded() { return gSingleThreadedBlas.load() > 0; }

std::string blasDescription() {
    using CfgFn = char* (*)();
    if (auto fn = reinterpret_cast<CfgFn>(::dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
        const char* s = fn();
        return s ? std::string(s) : "OpenBLAS";
    }
    return {};
}

std::string torchVersion() { return TORCH_VERSION; }
std::string embedlabVersion() { return EMBEDLAB_VERSION; }

std::vector<DeviceInfo> listDevices() {
    std::vector<DeviceInfo> out;
    DeviceInfo cpu;
    cpu.name = "cpu";
    cpu.available = true;
    cpu.threads = at::get_num_threads();
    cpu.description = std::to_string(hardwareThreads()) + " hardware threads";
    out.push_back(cpu);
    if (at::hasCUDA()) {
#if defined(EMBEDLAB_WITH_CUDA)
        const int n = static_cast<int>(at::cuda::device_count());
        for (int i = 0; i < n; ++i) {
            DeviceInfo d;
            d.name = "cuda:" + std::to_string(i);
            d.available = true;
            const auto* prop = at::cuda::getDeviceProperties(i);
            d.description = prop->name;
            d.totalMemoryBytes = static_cast<int64_t>(prop->totalGlobalMem);
            size_t freeB = 0, totalB = 0;
            int prev = 0;
            if (cudaGetDevice(&prev) == cudaSuccess && cudaSetDevice(i) == cudaSuccess &&
                cudaMemGetInfo(&freeB, &totalB) == cudaSuccess)
                d.freeMemoryBytes = static_cast<int64_t>(freeB);
            cudaSetDevice(prev);
            out.push_back(d);
        }
#else
        const int n = at::detail::getCUDAHooks().getNumGPUs();
        for (int i = 0; i < n; ++i) {
            DeviceInfo d;
            d.name = "cuda:" + std::to_string(i);
            d.available = true;
            d.description = "CUDA device";
            out.push_back(d);
        }
#endif
    }
    if (at::hasMPS()) {
        DeviceInfo d;
        d.name = "mps";
        d.available = true;
        d.description = "Apple Metal Performance Shaders";
        out.push_back(d);
    }
    return out;
}

std::string bestDevice() {
    for (const auto& d : listDevices())
        if (d.name.rfind("cuda", 0) == 0) return d.name;
    for (const auto& d : listDevices())
        if (d.name == "mps") return d.name;
    return "cpu";
}

std::string resolveDevice(const std::string& name) {
    if (name.empty() || name == "auto") return bestDevice();
    std::string n = name == "cuda" ? "cuda:0" : name;
    if (n != "cpu" && n != "mps" && n.rfind("cuda:", 0) != 0)
        throw Error::badInput("unknown device '" + name + "': use cpu, cuda, cuda:N or mps");
    if (n.rfind("cuda:", 0) == 0) {
        const std::string idx = n.substr(5);
        if (idx.empty() || idx.find_first_not_of("0123456789") != std::string::npos)
            throw Error::badInput("unknown device '" + name + "': use cpu, cuda, cuda:N or mps");
    }
    for (const auto& d : listDevices())
        if (d.name == n) return n;
    throw Error::runtime("device " + n + " is not available in this build (available: " + [] {
        std::string s;
        for (const auto& d : listDevices()) s += (s.empty() ? "" : ", ") + d.name;
        return s;
    }() + ")");
}

}  // namespace embedlab
