// Helpers for the evaluation tests: a scratch folder and data files for a reference computation in
// /usr/bin/python3 (numpy, scipy, scikit-learn), which runPython (tests/common/run_python.h) runs.
#pragma once

#include "engine/io/npy.h"
#include "run_python.h"
#include "test_paths.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace embedlab::test {

inline std::string evalScratch(const std::string& name) {
    ::mkdir(tmpDir().c_str(), 0755);
    const std::string dir = tmpDir() + "/eval";
    ::mkdir(dir.c_str(), 0755);
    return dir + "/" + name;
}

inline void writeText(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(text.data(), static_cast<std::streamsize>(text.size()));
}

template <typename T>
std::string jsonList(const std::vector<T>& v) {
    return nlohmann::json(v).dump();
}

inline std::vector<double> randomNormal(size_t n, uint64_t seed, double mean = 0, double sd = 1) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> d(mean, sd);
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

}  // namespace embedlab::test
