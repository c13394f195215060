#!/usr/bin/env bash
# Training speed and memory: embedlab's trainer (`embedlab-cli bench train`) against Debian's PyTorch
# eager (bench/pytorch_train_baseline.py) on the same model folder, shapes, threads and dtype, in one
# command, then the ratios. The baseline runs twice: stock, and with the allocator settings embedlab
# gives itself (engine/device/blas_setup.h: large blocks kept in the heap, huge pages, OpenMP spin), so
# the ratio is shown both against what a user gets and like for like.
#   bench/run_train_bench.sh [BUILD_DIR] [--steps 3] [--threads 2]
# Cases (issue #13): (a) a Gemma-3-shaped LM (bench/configs/gemma3_train_small.json: 4 layers, hidden
# 256, vocabulary 32,768) at sequence 256, batch 8, f32 and bf16; (b) BERT-base contrastive, batch 32,
# sequence 64, f32.
set -euo pipefail
BUILD=${1:-build}; shift || true
STEPS=3; THREADS=2
while [ $# -gt 0 ]; do case "$1" in --steps) STEPS=$2; shift 2;; --threads) THREADS=$2; shift 2;; *) echo "unknown $1"; exit 2;; esac; done
here=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/bin/embedlab-cli"
T=$(mktemp -d /tmp/embedlab-train-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
"$CLI" init --arch gemma3 --config "$here/configs/gemma3_train_small.json" --out "$T/gemma" --progress none > /dev/null
"$CLI" init --arch bert --preset bert-base --out "$T/bert" --progress none > /dev/null
core=$("$CLI" bench load --model "$T/gemma" --progress none | /usr/bin/python3 -c 'import json,sys; b=json.load(sys.stdin)["blas"].split(); print(b[b.index("NO_AFFINITY")+1] if "NO_AFFINITY" in b else "")')
same_env=(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$core} GOMP_SPINCOUNT=10000
          "GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=268435456:glibc.malloc.trim_threshold=536870912")
run_case() {  # name model objective batch seq dtype
  local name=$1 model=$2 obj=$3 b=$4 l=$5 dt=$6
  local ours stock tuned
  ours=$("$CLI" bench train --model "$model" --objective "$obj" --batch-size "$b" --seq-len "$l" --steps "$STEPS" \
         --warmup-steps 1 --threads "$THREADS" --dtype "$dt" --progress none)
  stock=$(/usr/bin/python3 "$here/pytorch_train_baseline.py" --model "$model" --objective "$obj" --batch-size "$b" \
          --seq-len "$l" --steps "$STEPS" --warmup-steps 1 --threads "$THREADS" --dtype "$dt" 2>/dev/null | tail -1)
  tuned=$(env "${same_env[@]}" /usr/bin/python3 "$here/pytorch_train_baseline.py" --model "$model" --objective "$obj" \
          --batch-size "$b" --seq-len "$l" --steps "$STEPS" --warmup-steps 1 --threads "$THREADS" --dtype "$dt" 2>/dev/null | tail -1)
  /usr/bin/python3 - "$name" "$ours" "$stock" "$tuned" <<'PY'
import json, sys
name, o, s, t = sys.argv[1], *(json.loads(x) for x in sys.argv[2:])
print(json.dumps({"case": name, "embedlab": o, "pytorch": s, "pytorch_same_allocator": t}))
print(f"{name}: embedlab {o['tokens_per_second']:.0f} tok/s, peak {o['peak_rss_mb']:.0f} MB | pytorch {s['tokens_per_second']:.0f} tok/s "
      f"({o['tokens_per_second']/s['tokens_per_second']:.2f}x), peak {s['peak_rss_mb']:.0f} MB | pytorch, same allocator "
      f"{t['tokens_per_second']:.0f} tok/s ({o['tokens_per_second']/t['tokens_per_second']:.2f}x), peak {t['peak_rss_mb']:.0f} MB "
      f"[{o['machine']}, {o['threads']} threads, {o['dtype']}]", file=sys.stderr)
PY
}
run_case "gemma3-small lm f32" "$T/gemma" lm 8 256 f32
run_case "gemma3-small lm bf16" "$T/gemma" lm 8 256 bf16
run_case "bert-base contrastive f32" "$T/bert" contrastive 32 64 f32
