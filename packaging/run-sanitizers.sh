#!/usr/bin/env bash
# embedlab — the sanitizer and fuzzing run (docs/reliability.md): builds with clang, AddressSanitizer,
# UndefinedBehaviorSanitizer and libFuzzer's instrumentation, runs the test suites under them, then
# each fuzz harness for EMBEDLAB_FUZZ_SECONDS (default 20) on its seed corpus plus its regression inputs.
#   packaging/run-sanitizers.sh           the engine, embedlab-cli, the engine tests, three CLI suites and
#                                         the fuzzers (CI runs this)
#   packaging/run-sanitizers.sh --full    every suite: all CLI suites, the Qt app and UI tests too ("asan"
#                                         preset, build-asan/)
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
# In CI (the engine preset) the engine suites but engine.analysis (its vectorised projection kernels run
# scalar at -O1 and take over 25 minutes), every fuzz harness, and three CLI suites that reach what the
# engine suites do not: process-level faults (cli.train_faults), argument and file errors of every
# command (cli.system) and the evaluation tasks' readers (cli.eval). The other CLI suites are left to
# `--full` for time alone: under the sanitizers they take ~30 minutes more with 2 jobs, which put CI
# past its 90 minutes (session 13). Their tasks' code is covered by engine.tasks and engine.transfer.
include='.'
exclude='\.isa-'
if [[ $preset == asan-engine ]]; then
  include='^(engine\.|fuzz\.|cli\.(train_faults|system|eval)$)'
  exclude='\.isa-|^engine\.analysis$'
fi
ctest --preset "$preset" -j "${EMBEDLAB_TEST_JOBS:-2}" -R "$include" -E "$exclude"
