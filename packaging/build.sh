#!/usr/bin/env bash
# embedlab — configure and build into ./build (Release with debug info, Ninja).
#   packaging/build.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${EMBEDLAB_JOBS:-$(nproc)}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"
cmake --build build -j "$jobs"
