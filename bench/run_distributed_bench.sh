#!/usr/bin/env bash
# Scaling of data-parallel jobs on one machine (issue #16): the same work as one process with every
# core, one process with 1 thread (the per-rank baseline), and `launch --nproc 2` (2 ranks × 1 thread,
# Gloo over 127.0.0.1), in one command; prints throughput and the ratios.
#   bench/run_distributed_bench.sh [BUILD_DIR] [--steps 6]
# Honest about the machine: on 2 cores, 2 ranks can at best match one 2-thread process — what the
# ratio measures is the cost of the split (gradient all-reduce, duplicated data reading, rank 0's
# gather), not a speed-up. Efficiency = 2-rank throughput ÷ (2 × 1-thread throughput).
# Cases: (a) train lm, the Gemma-3-shaped model of bench/configs/gemma3_train_small.json, sequence 128,
# global batch 8, f32; (b) embed, the same model, 2,048 lines, batch 32, mean pooling.
set -euo pipefail
BUILD=${1:-build}; shift || true
STEPS=6
while [ $# -gt 0 ]; do case "$1" in --steps) STEPS=$2; shift 2;; *) echo "unknown $1"; exit 2;; esac; done
here=$(cd "$(dirname "$0")" && pwd)
CLI="$BUILD/bin/embedlab-cli"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/embedlab-dist-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
export EMBEDLAB_CACHE_DIR="$T/cache"
"$CLI" init --arch gemma3 --config "$here/configs/gemma3_train_small.json" --out "$T/gemma" --progress none > /dev/null
# embed reads text: the seed's Turkish tokenizer (32,768 pieces, the config's vocabulary) beside the weights.
FX=${EMBEDLAB_FIXTURES:-$here/../../shared/fixtures}
cp "$FX/tokenizers/turkish-seed/"{kokler,ekler,bpe_tokenler}.json "$T/gemma/"
"$PY" - "$T/ids.txt" "$T/lines.txt" <<'PYEOF'
import sys, random
random.seed(1)
with open(sys.argv[1], "w") as f:
    for _ in range(256):
        f.write(",".join(str(random.randrange(3, 32768)) for _ in range(128)) + "\n")
words = "ev kitap okul kalem masa deniz yol göz el su gün yıl iş söz".split()
with open(sys.argv[2], "w") as f:
    for i in range(2048):
        f.write(" ".join(random.choice(words) + random.choice(["", "ler", "de", "den", "imiz"]) for _ in range(5 + (i * 7) % 40)) + "\n")
PYEOF
TRAIN=(train lm --model "$T/gemma" --ids "$T/ids.txt" --steps "$STEPS" --seq-len 128 --lr 1e-4 --eval-every -1 --progress none)
one2=$("$CLI" "${TRAIN[@]}" --batch-size 8 --threads 2 --out "$T/t1")
one1=$("$CLI" "${TRAIN[@]}" --batch-size 8 --threads 1 --out "$T/t0")
two=$("$CLI" launch --nproc 2 -- "${TRAIN[@]}" --batch-size 4 --out "$T/t2")
EMB=(embed --model "$T/gemma" --input "$T/lines.txt" --batch-size 32 --chunk 256 --progress none)
e2=$("$CLI" "${EMB[@]}" --threads 2 --out "$T/e1.npy")
e1=$("$CLI" "${EMB[@]}" --threads 1 --out "$T/e0.npy")
etwo=$("$CLI" launch --nproc 2 -- "${EMB[@]}" --out "$T/e2.npy")
cmp -s "$T/e0.npy" "$T/e2.npy" && same=yes || same=no
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
"$PY" - "$one2" "$one1" "$two" "$e2" "$e1" "$etwo" "$same" "$cpu" "$(nproc)" <<'PYEOF'
import json, sys
t2, t1, tt, e2, e1, et = (json.loads(x) for x in sys.argv[1:7])
same, cpu, cores = sys.argv[7], sys.argv[8], sys.argv[9]
def row(name, one2, one1, two, unit):
    print(json.dumps({"case": name, "one_process_all_cores": one2, "one_process_1_thread": one1, "two_ranks": two,
                      "vs_one_process": two / one2, "efficiency": two / (2 * one1), "unit": unit}))
    print(f"{name}: 1 process × {cores} threads {one2:.0f} {unit} | 1 process × 1 thread {one1:.0f} | 2 ranks × 1 thread "
          f"{two:.0f} ({two/one2:.2f}x the {cores}-thread process; efficiency {two/(2*one1):.2f})", file=sys.stderr)
row("train lm (f32, seq 128, global batch 8)", t2["tokens_per_second"], t1["tokens_per_second"], tt["tokens_per_second"], "tok/s")
row("embed (f32, batch 32, 2048 lines)", e2["per_second"], e1["per_second"], et["per_second"], "lines/s")
print(f"[{cpu}, {cores} cores, f32; the 2-rank embedding file equals the 1-thread process's byte for byte: {same}]", file=sys.stderr)
PYEOF
