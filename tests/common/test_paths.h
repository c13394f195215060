// Paths shared by the tests: fixtures (../shared/fixtures), a scratch folder, the source tree.
#pragma once

#include <cstdlib>
#include <string>

namespace embedlab::test {

inline std::string envOr(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : std::string(fallback);
}
// e.g. fixture("models/gemma3_tiny")
inline std::string fixture(const std::string& rel) { return envOr("EMBEDLAB_FIXTURES", "../shared/fixtures") + "/" + rel; }
inline std::string tmpDir() { return envOr("EMBEDLAB_TEST_TMP", "/tmp"); }
inline std::string sourceDir() { return envOr("EMBEDLAB_SOURCE_DIR", "."); }
inline std::string referencePython() { return envOr("REFERENCE_PYTHON", "/usr/bin/python3"); }

}  // namespace embedlab::test
