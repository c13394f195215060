#!/usr/bin/env bash
# embedlab — the sanitizer and fuzzing run (docs/reliability.md): builds with clang, AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's instrumentation, runs the test suites under them, then
# each fuzz harness for EMBEDLAB_FUZZ_SECONDS (default 20) on its seed corpus plus its regression inputs.
#   packaging/run-sanitizers.sh           the engine, embedlab-cli, their tests, the fuzzers (CI runs this)
#   packaging/run-sanitizers.sh --full    also the Qt app and UI tests ("asan" preset, build-asan/)
# Assumes packaging/install-deps.sh has run (clang, libomp-dev, libclang-rt-14-dev).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=asan-engine
[[ "${1:-}" == "--full" ]] && preset=asan
jobs=${EMBEDLAB_JOBS:-$(nproc)}
cmake --preset "$preset" -DEMBEDLAB_FUZZ_SECONDS="${EMBEDLAB_FUZZ_SECONDS:-20}" > /dev/null
cmake --build --preset "$preset" -j "$jobs"
export QT_QPA_PLATFORM=offscreen
# Not the ISA variants (the plain suites already run every ISA path where the tests loop over them).
# In CI (the engine preset) also not the projection-heavy suites — engine.analysis, cli.project — and
# the benchmarks' CLI test: at -O1 with the sanitizers their vectorised kernels run scalar and take
# over 25 minutes; `--full` runs them.
exclude='\.isa-'
[[ $preset == asan-engine ]] && exclude='\.isa-|^engine\.analysis$|^cli\.project$|^cli\.bench$'
ctest --preset "$preset" -j "${EMBEDLAB_TEST_JOBS:-2}" -E "$exclude"
