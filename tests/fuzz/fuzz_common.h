// Shared helpers of the libFuzzer harnesses (tests/fuzz, docs/reliability.md): each harness feeds bytes
// to one parser and accepts only two outcomes — a result, or embedlab::Error (a clear message). Any
// other exception, a crash or a sanitizer report is a finding.
#pragma once

#include "engine/core/error.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <exception>
#include <string>
#include <typeinfo>

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

// A broken invariant: print what and where, then abort (libFuzzer saves the input as a crash).
#define FUZZ_CHECK(cond)                                                                              \
    do {                                                                                              \
        if (!(cond)) {                                                                                \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
            std::abort();                                                                             \
        }                                                                                             \
    } while (0)

// Runs fn; embedlab::Error is the expected way to refuse bad input. Any other exception is a finding:
// the product promises a clear message (Error::badInput) for every bad file.
template <class F>
void expectResultOrError(F&& fn) {
    try {
        fn();
    } catch (const embedlab::Error&) {
    } catch (const std::exception& e) {
        std::fprintf(stderr, "a %s escaped instead of embedlab::Error: %s\n", typeid(e).name(), e.what());
        FUZZ_CHECK(!"only embedlab::Error may escape a parser");
    }
}

}  // namespace embedlab::fuzz
