#!/usr/bin/env bash
# One command, one machine state: embedlab's model benchmark and the PyTorch eager baseline of the
# same shapes (Debian's python3-torch), then the ratios.
#   bench/run_model_bench.sh [BUILD_DIR] [--prefill N --decode N --sentences N]
set -euo pipefail
BUILD=${1:-build}; shift || true
# Medians of three rounds on each side — Gemma: a 512-token prefill and 32 decode steps; BERT: a pass
# over the corpus (single rounds swung with the shared VM's bursts).
ARGS=("--threads" "2" "--prefill" "512" "--decode" "32" "--sentences" "128" "--rounds" "3" "$@")
here=$(cd "$(dirname "$0")" && pwd)
ours=$("$BUILD/bin/bench_models" "${ARGS[@]}" 2>/dev/null)
# The baseline gets the same OpenBLAS kernels that bench_models chose for itself,
core=$(echo "$ours" | /usr/bin/python3 -c 'import json,sys; b=json.load(sys.stdin)["blas"].split(); print(b[b.index("NO_AFFINITY")+1] if "NO_AFFINITY" in b else "")')
# The same OpenMP spin setting too (engine/device/blas_setup.h), so the comparison is like for like.
# And the same glibc tunables (malloc huge pages: engine/device/blas_setup.h), exactly as bench_models ran.
tunables=$(echo "$ours" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("glibc_tunables", ""))')
base=$(GLIBC_TUNABLES=$tunables OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$core} GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-10000} /usr/bin/python3 "$here/pytorch_baseline.py" "${ARGS[@]}" 2>/dev/null)
/usr/bin/python3 - "$ours" "$base" <<'PY'
import json, sys
ours, base = json.loads(sys.argv[1]), json.loads(sys.argv[2])
def find(rows, dtype):
    return next(r for r in rows if r["dtype"] == dtype)
print(json.dumps({"embedlab": ours, "pytorch": base}))
print(f"machine: {ours['machine']}, threads {ours['threads']}, {ours['blas']}", file=sys.stderr)
if "read_bandwidth_gb_s" in ours:
    print(f"read bandwidth {ours['read_bandwidth_gb_s']:.1f} GB/s; decode roofline (bandwidth / weight bytes): " +
          ", ".join(f"{r['dtype']} {r['decode_roofline_tokens_per_second']:.1f} tok/s" for r in ours["gemma3_270m"]),
          file=sys.stderr)
for dt in ("f32", "bf16"):
    o, b = find(ours["gemma3_270m"], dt), find(base["gemma3_270m"], dt)
    print(f"gemma3-270m {dt}: prefill {o['prefill_tokens_per_second']:.1f} tok/s (pytorch {b['prefill_tokens_per_second']:.1f}, "
          f"{o['prefill_tokens_per_second']/b['prefill_tokens_per_second']:.2f}x), decode {o['decode_tokens_per_second']:.2f} tok/s "
          f"(pytorch {b['decode_tokens_per_second']:.2f}, {o['decode_tokens_per_second']/b['decode_tokens_per_second']:.2f}x)", file=sys.stderr)
    o, b = find(ours["bert_base_embed"], dt), find(base["bert_base_embed"], dt)
    print(f"bert-base {dt}: {o['sentences_per_second']:.1f} sentences/s (pytorch corpus order "
          f"{b['sentences_per_second']:.1f}, {o['sentences_per_second']/b['sentences_per_second']:.2f}x; pytorch sorted "
          f"{b['sorted_sentences_per_second']:.1f}, {o['sentences_per_second']/b['sorted_sentences_per_second']:.2f}x)",
          file=sys.stderr)
PY
