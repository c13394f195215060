// Shared helpers of the libFuzzer harnesses (tests/fuzz, docs/reliability.md): each harness feeds bytes
// to one parser and accepts only two outcomes — a result, or embedlab::Error (a clear message). Any
// other exception, a crash or a sanitizer report is a finding.
#pragma once

#include "core/error.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace embedlab::fuzz {

// A scratch folder per process (tmpfs when there is one), removed by nobody: the fuzz run's own.
inline const std::string& scratchDir() {
    static const std::string dir = [] {
        const char* base = std::getenv("EMBEDLAB_FUZZ_TMP");
        std::string d = std::string(base && *base ? base : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp")) +
                        "/embedlab-fuzz-" + std::to_string(getpid());
        std::string cmd = "mkdir -p '" + d + "'";
        if (std::system(cmd.c_str()) != 0) std::abort();
        return d;
    }();
    return dir;
}

inline std::string writeScratch(const std::string& name, const uint8_t* data, size_t size) {
    const std::string path = scratchDir() + "/" + name;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    return path;
}

// Runs fn; embedlab::Error is the expected way to refuse bad input.
template <class F>
void expectResultOrError(F&& fn) {
    try {
        fn();
    } catch (const embedlab::Error&) {
    }
}

}  // namespace embedlab::fuzz
