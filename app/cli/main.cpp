// embedlab-cli — the headless front end. See ../shared/design/cli.md and `embedlab-cli help`.
#include "app/cli/cli.h"

#include "engine/core/error.h"
#include "engine/device/blas_setup.h"
#include "engine/device/device.h"

#include <cstdio>
#include <iostream>
#include <new>

using namespace embedlab;
using namespace embedlab::cli;

static void printUsage(FILE* to) {
    std::fprintf(to, "usage: embedlab-cli COMMAND [options]\n\ncommands:\n");
    for (const auto& [name, cmd] : registry()) {
        std::string u = cmd.usage;
        std::string indented;
        for (char c : u) {
            indented += c;
            if (c == '\n') indented += "      ";
        }
        std::fprintf(to, "  %s\n", indented.c_str());
    }
    std::fprintf(to,
                 "\ncommon options: --device cpu|cuda|cuda:N|mps  --dtype f32|bf16  --threads N  --progress human|json|none\n"
                 "exit codes: 0 success, 2 bad usage, 3 bad input, 4 runtime failure\n");
}

int main(int argc, char** argv) {
    reexecWithFastBlasIfNeeded(argv);
    if (argc < 2) {
        printUsage(stderr);
        return 2;
    }
    const std::string name = argv[1];
    if (name == "help" || name == "--help" || name == "-h") {
        printUsage(stdout);
        return 0;
    }
    auto it = registry().find(name);
    if (it == registry().end()) {
        std::fprintf(stderr, "error: unknown command '%s'\n", name.c_str());
        printUsage(stderr);
        return 2;
    }
    const Command& cmd = it->second;
    Args args;
    args.command = name;
    try {
        args.parse(argc, argv, 2, cmd.booleanFlags, cmd.valueFlags);
        if (!args.rest.empty() && name != "launch") throw UsageError("unexpected arguments after --");
        if (args.has("threads")) {
            const long long n = args.getInt("threads", 0);
            if (n < 0 || n > 4096) throw UsageError("--threads must be between 0 (all cores) and 4096");
            setThreadCount(static_cast<int>(n));
        } else {
            setThreadCount(0);
        }
        return cmd.run(args);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "error: %s\nusage: embedlab-cli %s\n", e.what(), cmd.usage.c_str());
        return 2;
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return e.exitCode();
    } catch (const std::bad_alloc&) {
        std::fprintf(stderr, "error: out of memory; try a smaller batch, bf16, or another device\n");
        return 4;
    } catch (const std::exception& e) {
        std::string msg = e.what();
        auto nl = msg.find('\n');
        if (nl != std::string::npos) msg.resize(nl);  // LibTorch appends a backtrace
        std::fprintf(stderr, "error: %s\n", msg.c_str());
        return 4;
    }
}
