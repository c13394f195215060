#!/usr/bin/env bash
# embedlab — install what is missing (Debian packages, the Turkish data in data/), build, and run
# every test (the README's test command; .ci/run calls it). Engine, CLI, app and UI tests run
# headless (QT_QPA_PLATFORM=offscreen; OpenGL tests under xvfb-run); then the sanitizer and fuzz run.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
packaging/install-data.sh
packaging/build.sh
export QT_QPA_PLATFORM=offscreen
(cd build && ctest --output-on-failure --timeout 900 -j "${EMBEDLAB_TEST_JOBS:-2}")
# Then the engine, embedlab-cli and their tests again under ASan + UBSan, and each fuzz harness
# briefly (docs/reliability.md); EMBEDLAB_SKIP_SANITIZERS=1 skips this part.
if [[ "${EMBEDLAB_SKIP_SANITIZERS:-0}" != 1 ]]; then
  packaging/run-sanitizers.sh
fi
