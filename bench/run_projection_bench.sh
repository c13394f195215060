#!/usr/bin/env bash
# Runs embedlab's t-SNE/UMAP and the scikit-learn / umap-learn baselines on the same data, 2 threads,
# and prints speed ratios and trustworthiness. Usage:
#   bench/run_projection_bench.sh BUILD_DIR [N ...]      (default N: 10000 70000; 64 dimensions)
#   METHODS=umap bench/run_projection_bench.sh build 70000   (one method; default tsne,umap)
# Data: a mixture of 20 Gaussian clusters in 64-D with unequal spreads (seeded), float32.
set -eu
BUILD=${1:-build}
shift || true
SIZES=${*:-"10000 70000"}
THREADS=${THREADS:-2}
METHODS=${METHODS:-tsne,umap}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN="$BUILD/bin/bench_projection"
[ -x "$BIN" ] || BIN=$(find "$BUILD" -name bench_projection -type f -perm -u+x | head -1)
WORK=${WORK:-/tmp/embedlab-projection-bench}
mkdir -p "$WORK"
export OMP_NUM_THREADS=$THREADS NUMBA_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS
for n in $SIZES; do
  d="$WORK/n$n"
  mkdir -p "$d"
  "$PY" -c "
import numpy as np
rng=np.random.default_rng(7)
c=rng.normal(0,4,(20,64)); s=rng.uniform(0.5,2.0,20); lab=rng.integers(0,20,$n)
x=(c[lab]+rng.normal(0,1,($n,64))*s[lab,None]).astype(np.float32)
np.save('$d/x.npy',x)"
  echo "== n=$n: baselines (sklearn TSNE, umap-learn)" >&2
  "$PY" "$HERE/sklearn_baseline.py" --input "$d/x.npy" --out-dir "$d" --threads "$THREADS" --methods "$METHODS" >&2
  echo "== n=$n: embedlab" >&2
  "$BIN" --input "$d/x.npy" --threads "$THREADS" --methods "$METHODS" --baseline-dir "$d" --out-dir "$d" > "$d/result.json"
  "$PY" -c "
import json
j=json.load(open('$d/result.json'))
print('n=%d dim=%d threads=%d dtype=%s cpu=%s' % (j['n'], j['dim'], j['threads'], j['dtype'], j['machine']['cpu']))
for r in j['results']:
    print('  %-14s %8.2f s (cpu %s s)  trustworthiness %.4f  knn_recall %.3f  (k=%d, sample %d)' % (r['method'], r['seconds'], ('%.1f' % r['cpu_seconds']) if 'cpu_seconds' in r else '?', r['trustworthiness'], r['knn_recall'], r['k'], r['sample_size']))
    for s in r.get('stages', []):
        if s['seconds'] >= 0.05: print('      %-32s %7.2f s' % (s['stage'], s['seconds']))
for m, r in j.get('ratios_vs_baseline', {}).items():
    print('  %s: %.1fx faster (wall), %.1fx less CPU time, trustworthiness %+.4f' % (m, r['speedup'], r.get('cpu_ratio', 0), r['trustworthiness_delta']))
"
done
