#!/usr/bin/env bash
# embedlab — configure and build into ./build (Release with debug info, Ninja).
#   packaging/build.sh [extra cmake args...]
# Debug info is line tables only (-g1): backtraces and profiles keep functions, files and lines, and the
# build takes about a third less time than with -g (ATen's headers emit much debug info into every
# file). For full debug info: packaging/build.sh -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g -DNDEBUG".
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${EMBEDLAB_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@"
cmake --build build -j "$jobs"
