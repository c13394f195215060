// Running a reference computation in the reference Python (REFERENCE_PYTHON, /usr/bin/python3: numpy,
// scipy, scikit-learn, torch): the script's last line of output is parsed as JSON.
#pragma once

#include "test_paths.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>

namespace embedlab::test {

// Runs a shell command line (stderr merged into stdout); the last line of its output is parsed as JSON.
inline nlohmann::json runCommandJson(const std::string& commandLine) {
    const std::string cmd = commandLine + " 2>&1";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) throw std::runtime_error("cannot run " + cmd);
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int rc = ::pclose(p);
    if (rc != 0) throw std::runtime_error("reference failed (" + std::to_string(rc) + "):\n" + out);
    const size_t last = out.rfind('\n', out.size() >= 2 ? out.size() - 2 : 0);
    const std::string line = last == std::string::npos ? out : out.substr(last + 1);
    try {
        return nlohmann::json::parse(line);
    } catch (const std::exception&) {
        throw std::runtime_error("the reference printed no JSON:\n" + out);
    }
}

// Runs `script` (Python source, written to the scratch folder as ref_<tag>.py) with the reference
// interpreter; returns its stdout parsed as JSON.
inline nlohmann::json runPython(const std::string& script, const std::string& tag) {
    ::mkdir(tmpDir().c_str(), 0755);
    const std::string path = tmpDir() + "/ref_" + tag + ".py";
    {
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f.write(script.data(), static_cast<std::streamsize>(script.size()));
    }
    return runCommandJson(referencePython() + " " + path);
}

// Runs tests/reference/<script> with `args` in the reference interpreter; its last output line is JSON.
inline nlohmann::json runReferenceScript(const std::string& script, const std::string& args) {
    return runCommandJson(referencePython() + " " + sourceDir() + "/tests/reference/" + script + " " + args);
}

}  // namespace embedlab::test
