// Helpers for the analysis tests: .npy files, the reference Python (numpy + scikit-learn), blobs.
#pragma once

#include "test_paths.h"

#include <ATen/ATen.h>

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

namespace embedlab::test {

inline std::string analysisTmp(const std::string& name) {
    const std::string dir = tmpDir() + "/analysis";
    ::mkdir(tmpDir().c_str(), 0755);
    ::mkdir(dir.c_str(), 0755);
    return dir + "/" + name;
}

// float32 or float64 .npy (version 1.0, C order).
inline void saveNpy(const std::string& path, const at::Tensor& t) {
    at::Tensor c = t.contiguous();
    const bool f64 = c.scalar_type() == at::kDouble;
    if (!f64) c = c.to(at::kFloat);
    std::string shape = "(";
    for (int64_t i = 0; i < c.dim(); ++i) shape += std::to_string(c.size(i)) + (c.dim() == 1 || i + 1 < c.dim() ? "," : "");
    shape += ")";
    std::string h = std::string("{'descr': '") + (f64 ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64) h += ' ';
    h += '\n';
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write("\x93NUMPY\x01\x00", 8);
    const uint16_t hl = static_cast<uint16_t>(h.size());
    f.put(static_cast<char>(hl & 0xff));
    f.put(static_cast<char>(hl >> 8));
    f << h;
    f.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * c.element_size()));
}

// Runs a Python snippet with the reference interpreter; returns its stdout ("" and ok=false on failure).
inline std::string runPython(const std::string& code, bool& ok) {
    const std::string script = analysisTmp("snippet_" + std::to_string(::getpid()) + ".py");
    {
        std::ofstream f(script);
        f << code;
    }
    const std::string cmd = referencePython() + " " + script + " 2>&1";
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) {
        ok = false;
        return {};
    }
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    ok = ::pclose(p) == 0;
    return out;
}

inline bool haveSklearn() {
    bool ok = false;
    runPython("import numpy, sklearn\n", ok);
    return ok;
}

// `clusters` well-separated Gaussian blobs in `dim` dimensions; labels in `labels`.
inline at::Tensor blobs(int64_t perCluster, int64_t clusters, int64_t dim, uint64_t seed, at::Tensor* labels = nullptr) {
    auto gen = at::detail::createCPUGenerator(seed);
    at::Tensor centers = at::normal(0.0, 10.0, {clusters, dim}, gen, at::TensorOptions().dtype(at::kFloat));
    at::Tensor lab = at::arange(clusters, at::kLong).repeat_interleave(perCluster);
    at::Tensor x = centers.index_select(0, lab) + at::normal(0.0, 1.0, {clusters * perCluster, dim}, gen, at::TensorOptions().dtype(at::kFloat));
    if (labels) *labels = lab;
    return x.contiguous();
}

}  // namespace embedlab::test
