#!/usr/bin/env bash
# embedlab — install what is missing, build, prepare the offline default workspace, and open the app.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
packaging/install-data.sh
packaging/build.sh
packaging/setup-workspace.sh
exec ./build/bin/embedlab "$@"
