// Helpers for the evaluation tests: a scratch folder, and running a reference computation in
// /usr/bin/python3 (numpy, scipy, scikit-learn) on data passed through temporary files.
#pragma once

#include "engine/io/npy.h"
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

// Runs `script` (Python source) with the reference interpreter; returns its stdout parsed as JSON.
inline nlohmann::json runPython(const std::string& script, const std::string& tag) {
    const std::string path = evalScratch("ref_" + tag + ".py");
    writeText(path, script);
    const std::string cmd = referencePython() + " " + path + " 2>&1";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (rc != 0) throw std::runtime_error("reference python failed (" + std::to_string(rc) + "):\n" + out);
    const size_t last = out.rfind('\n', out.size() >= 2 ? out.size() - 2 : 0);
    const std::string line = last == std::string::npos ? out : out.substr(last + 1);
    try {
        return nlohmann::json::parse(line);
    } catch (const std::exception&) {
        throw std::runtime_error("reference python printed no JSON:\n" + out);
    }
}

inline std::vector<double> randomNormal(size_t n, uint64_t seed, double mean = 0, double sd = 1) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> d(mean, sd);
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

}  // namespace embedlab::test
