#!/usr/bin/env bash
# embedlab — installs what a Debian 12 machine lacks to build, run and test embedlab.
# Idempotent and non-interactive: only missing packages are installed. Run as root (or with sudo).
#   packaging/install-deps.sh            everything (app, tests, benchmarks, reference Python)
#   packaging/install-deps.sh --engine   only what the engine and embedlab-cli need (no Qt)
set -euo pipefail

ENGINE=(build-essential cmake ninja-build pkg-config git
        libtorch-dev libopenblas0-pthread libsentencepiece-dev nlohmann-json3-dev libhnswlib-dev
        libhunspell-dev hunspell-tr libpcre2-dev libicu-dev zlib1g-dev
        libgloo-dev libgtest-dev libbenchmark-dev)
UI=(qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-svg-dev qt6-l10n-tools
    libgl1-mesa-dri libglx-mesa0 xvfb xauth)
# Independent references for tests and baselines for benchmarks (Debian's own Python, not pyenv's).
REFERENCE=(python3 python3-numpy python3-scipy python3-sklearn python3-torch python3-sentencepiece umap-learn
           fasttext)
# The sanitizer and fuzzing build (CMakePresets.json "asan", "asan-engine"; docs/reliability.md).
CHECKS=(clang libclang-rt-14-dev libomp-dev)
# Real Turkish text for the corpus, the offline benchmark and the round-trip measurement
# (docs/evaluation.md, docs/tokenizers.md); extracted at set-up time, never committed.
DATA=(manpages-tr libreoffice-help-tr libreoffice-help-en-us dict-freedict-eng-tur gettext groff-base man-db)

want=("${ENGINE[@]}")
if [[ "${1:-}" != "--engine" ]]; then
  want+=("${UI[@]}" "${REFERENCE[@]}" "${DATA[@]}" "${CHECKS[@]}")
fi

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#want[@]} packages are present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
