#!/usr/bin/env bash
# Vocabulary transfer speed and memory (issue #14): embedlab (`embedlab-cli bench transfer`) from the
# gemma3-270m preset (262,144 × 640, with the real Gemma 3 tokenizer of the fixtures) to the seed Turkish
# tokenizer (32,768 ids) — mean, and OMP with k = 32 over random 100-d auxiliary vectors — against the
# same work in numpy (bench/numpy_transfer_baseline.py), in one command, then the ratios.
#   bench/run_transfer_bench.sh [BUILD_DIR] [--threads 2]
# Goals: mean ≤ 3 s, OMP (k = 32) ≤ 60 s on 2 cores; peak memory of the stage ≤ 1.2 × (source + target).
set -euo pipefail
BUILD=${1:-build}; shift || true
THREADS=2
while [ $# -gt 0 ]; do case "$1" in --threads) THREADS=$2; shift 2;; *) echo "unknown $1"; exit 2;; esac; done
here=$(cd "$(dirname "$0")" && pwd)
FX=${EMBEDLAB_FIXTURES:-$here/../../shared/fixtures}
CLI="$BUILD/bin/embedlab-cli"
T=$(mktemp -d /tmp/embedlab-transfer-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$CLI" init --arch gemma3 --preset gemma3-270m --out "$T/g" --progress none > /dev/null
cp "$FX/tokenizers/gemma3/tokenizer.json.gz" "$FX/tokenizers/gemma3/tokenizer_config.json" "$T/g/"
SEED="$FX/tokenizers/turkish-seed"
mean=$("$CLI" bench transfer --model "$T/g" --target-tokenizer "$SEED" --strategy mean --threads "$THREADS" --progress none)
"$CLI" transfer --source "$T/g" --target-tokenizer "$SEED" --out "$T/tr" --threads "$THREADS" --progress none > /dev/null
rows=$(/usr/bin/python3 "$here/numpy_transfer_baseline.py" rows "$T/tr/transfer_report.json" 262144 640)
omp=$("$CLI" bench transfer --model "$T/g" --target-tokenizer "$SEED" --strategy omp --omp-k 32 --aux-dim 100 \
      --threads "$THREADS" --progress none)
anchors=$(echo "$omp" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["exact"])')
tokens=$(echo "$omp" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["omp"])')
ompbase=$(OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS /usr/bin/python3 "$here/numpy_transfer_baseline.py" omp "$anchors" "$tokens" 100 32 200)
/usr/bin/python3 - "$mean" "$rows" "$omp" "$ompbase" <<'PYEOF'
import json, sys
mean, rows, omp, ob = (json.loads(a) for a in sys.argv[1:5])
print(f"machine {mean['machine']}, {mean['threads']} threads, f32 source rows {mean['source_rows']} x {mean['hidden']}, target {mean['target_tokens']}")
print(f"mean: match {mean['match_seconds']:.2f} s + rows {mean['build_seconds']:.2f} s = {mean['seconds']:.2f} s (goal <= 3 s); "
      f"numpy rows from the report {rows['seconds']:.2f} s -> rows x{rows['seconds']/mean['build_seconds']:.1f}; "
      f"peak over matrices {mean['peak_rss_over_matrices']:.2f} (goal <= 1.2)")
print(f"omp k=32 over {omp['summary']['omp']} tokens, {omp['summary']['exact']} anchors, 100-d: {omp['seconds']:.1f} s (goal <= 60 s); "
      f"numpy per-token OMP (extrapolated from {ob['sample']}) {ob['seconds']:.1f} s -> x{ob['seconds']/omp['build_seconds']:.1f}; "
      f"peak over matrices {omp['peak_rss_over_matrices']:.2f}")
PYEOF
