#!/usr/bin/env bash
# The seed's experiment, real and offline (issue #14, docs/transfer.md): a small causal LM trained by
# embedlab on Turkish news text with its own BPE tokenizer is transferred onto the morphology-aware seed
# Turkish tokenizer with every strategy (and random new embeddings as the baseline), then adapted
# embeddings-only. Held-out bits per character (comparable across tokenizers) at step 0 and along
# adaptation, for every strategy.
#   tools/recipes/transfer_experiment.sh [--cli build/bin/embedlab-cli] [--out DIR] [--lines 20000]
#       [--source-steps 1200] [--adapt-steps 200] [--eval-every 25] [--hidden 128] [--layers 2]
#       [--bpe-vocab 8000] [--strategies "mean weighted …"]
# Writes DIR/results.json, DIR/results.md (the table of docs/transfer.md) and DIR/curves.csv
# (strategy,step,eval_bpc). Needs the Turkish news corpus (scripts/install-data.sh: npm nlptoolkit-corpus).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
CLI="$here/build/bin/embedlab-cli"; OUT=/tmp/embedlab-transfer-experiment
LINES=20000; SRC_STEPS=1200; ADAPT=200; EVERY=25; HIDDEN=128; LAYERS=2; BPE=8000
STRATEGIES="mean sum first last weighted weighted-last max min focus omp random"
SEQ=64; BATCH=16
while [ $# -gt 0 ]; do case "$1" in
  --cli) CLI=$2; shift 2;; --out) OUT=$2; shift 2;; --lines) LINES=$2; shift 2;;
  --source-steps) SRC_STEPS=$2; shift 2;; --adapt-steps) ADAPT=$2; shift 2;; --eval-every) EVERY=$2; shift 2;;
  --hidden) HIDDEN=$2; shift 2;; --layers) LAYERS=$2; shift 2;; --bpe-vocab) BPE=$2; shift 2;;
  --strategies) STRATEGIES=$2; shift 2;; *) echo "unknown option $1"; exit 2;; esac; done
CORPUS="$here/data/npm/nlptoolkit-corpus/corpus.txt"
FX=${EMBEDLAB_FIXTURES:-$here/../shared/fixtures}
SEED_TOK="$FX/tokenizers/turkish-seed"
[ -f "$CORPUS" ] || { echo "error: $CORPUS is missing; run scripts/install-data.sh"; exit 3; }
[ -d "$SEED_TOK" ] || { echo "error: the seed tokenizer $SEED_TOK is missing"; exit 3; }
mkdir -p "$OUT"
PY=/usr/bin/python3
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# 1. Data: the first LINES sentences train, the next 500 are held out.
head -n "$LINES" "$CORPUS" > "$OUT/train.txt"
sed -n "$((LINES + 1)),$((LINES + 500))p" "$CORPUS" > "$OUT/held.txt"

# 2. The source: a BPE tokenizer and a Gemma-shaped LM trained from scratch.
if [ ! -f "$OUT/source/config.json" ]; then
  log "training the BPE tokenizer ($BPE)"
  "$CLI" train tokenizer --kind bpe --input "$OUT/train.txt" --vocab-size "$BPE" --out "$OUT/bpe" --force --progress none > /dev/null
  heads=$((HIDDEN / 32)); [ $heads -lt 1 ] && heads=1
  types=$("$PY" -c "print(','.join(['\"sliding_attention\"']*($LAYERS-1)+['\"full_attention\"']))")
  cat > "$OUT/source.json" <<JSON
{"model_type": "gemma3_text", "architectures": ["Gemma3ForCausalLM"], "vocab_size": $BPE, "hidden_size": $HIDDEN,
 "intermediate_size": $((HIDDEN * 2)), "num_hidden_layers": $LAYERS, "num_attention_heads": $heads, "num_key_value_heads": 1,
 "head_dim": 32, "sliding_window": 64, "layer_types": [$types], "max_position_embeddings": 512, "rms_norm_eps": 1e-6,
 "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 32,
 "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 3}
JSON
  log "training the source LM ($SRC_STEPS steps)"
  "$CLI" train lm --init-config "$OUT/source.json" --tokenizer "$OUT/bpe" --data "$OUT/train.txt" --eval-data "$OUT/held.txt" \
    --out "$OUT/source" --steps "$SRC_STEPS" --batch-size "$BATCH" --seq-len "$SEQ" --lr 3e-3 --warmup 50 --schedule cosine \
    --eval-every "$SRC_STEPS" --save-every "$SRC_STEPS" --log "$OUT/source.jsonl" --progress none > "$OUT/source.result.json"
fi

# 3. FOCUS and OMP work in an auxiliary static space of the target tokenizer's pieces, trained here by
#    embedlab on the same text (skip-gram with character n-grams; docs/static-embeddings.md).
case " $STRATEGIES " in *" focus "*|*" omp "*)
  if [ ! -f "$OUT/aux.vec" ]; then
    log "training the auxiliary static vectors (target pieces)"
    "$CLI" train static --input "$OUT/train.txt" --units "tokenizer:$SEED_TOK" --dim 100 --epochs 5 --min-count 1 \
      --buckets 200000 --out "$OUT/aux.vec" --progress none > "$OUT/aux.result.json"
  fi;;
esac

# 4. Every strategy: transfer, then embeddings-only adaptation with held-out bits per character.
rm -f "$OUT/curves.csv"; echo "strategy,step,eval_bpc" > "$OUT/curves.csv"
for s in $STRATEGIES; do
  log "transfer: $s"
  aux=(); case "$s" in focus|omp) aux=(--aux-vectors "$OUT/aux.vec");; esac
  "$CLI" transfer --source "$OUT/source" --target-tokenizer "$SEED_TOK" --strategy "$s" --corpus "$OUT/train.txt" \
    "${aux[@]}" --force --out "$OUT/t-$s" --progress none > "$OUT/t-$s.summary.json"
  log "adapting $s embeddings-only ($ADAPT steps)"
  rm -rf "$OUT/a-$s"
  "$CLI" train lm --model "$OUT/t-$s" --data "$OUT/train.txt" --eval-data "$OUT/held.txt" --train embeddings \
    --out "$OUT/a-$s" --steps "$ADAPT" --batch-size "$BATCH" --seq-len "$SEQ" --lr 3e-3 --warmup 10 --schedule cosine \
    --eval-every "$EVERY" --save-every "$ADAPT" --keep 1 --log "$OUT/a-$s.jsonl" --progress none > "$OUT/a-$s.result.json"
  "$PY" - "$s" "$OUT/a-$s.jsonl" >> "$OUT/curves.csv" <<'PYEOF'
import json, sys
for line in open(sys.argv[2]):
    d = json.loads(line)
    if "eval_bpc" in d: print(f"{sys.argv[1]},{d['step']},{d['eval_bpc']:.5f}")
PYEOF
done

# 5. The figures.
"$PY" - "$OUT" "$STRATEGIES" "$ADAPT" <<'PYEOF'
import csv, json, sys
out, strategies, adapt = sys.argv[1], sys.argv[2].split(), int(sys.argv[3])
src = [json.loads(l) for l in open(f"{out}/source.jsonl")]
src_bpc = [d["eval_bpc"] for d in src if "eval_bpc" in d][-1]
curves = {}
for r in csv.DictReader(open(f"{out}/curves.csv")):
    curves.setdefault(r["strategy"], []).append((int(r["step"]), float(r["eval_bpc"])))
rnd = curves.get("random")
res = {"source_bpc": src_bpc, "adapt_steps": adapt, "strategies": {}}
r0 = rnd[0][1] if rnd else None
rfinal = rnd[-1][1] if rnd else None
for s, c in curves.items():
    summ = json.load(open(f"{out}/t-{s}.summary.json"))
    e = {"bpc_step0": c[0][1], "bpc_final": c[-1][1], "curve": c,
         "exact": summ.get("exact"), "decomposed": summ.get("decomposed"), "variant": summ.get("variant"),
         "fallback": summ.get("fallback")}
    if r0 is not None and r0 != src_bpc:
        e["gap_closed_step0"] = (r0 - c[0][1]) / (r0 - src_bpc)
    if rfinal is not None:
        reach = [st for st, b in c if b <= rfinal]
        e["steps_to_random_final"] = reach[0] if reach else None
    res["strategies"][s] = e
best = min((s for s in res["strategies"] if s != "random"), key=lambda s: res["strategies"][s]["bpc_step0"], default=None)
res["best_step0"] = best
if best and rnd:
    b = res["strategies"][best]
    res["goal_gap_closed_ge_0.5"] = b.get("gap_closed_step0", 0) >= 0.5
    res["goal_quarter_steps"] = b["steps_to_random_final"] is not None and b["steps_to_random_final"] <= adapt / 4
json.dump(res, open(f"{out}/results.json", "w"), indent=1)
with open(f"{out}/results.md", "w") as f:
    f.write(f"Source LM (own BPE tokenizer) held-out bits/char: {src_bpc:.3f}; adaptation: {adapt} steps, embeddings only\n\n")
    f.write("| strategy | bpc step 0 | gap closed at step 0 | bpc final | steps to random's final bpc | exact / decomposed / variant / fallback |\n|---|---|---|---|---|---|\n")
    for s, e in sorted(res["strategies"].items(), key=lambda kv: kv[1]["bpc_step0"]):
        g = e.get("gap_closed_step0")
        f.write(f"| {s} | {e['bpc_step0']:.3f} | {'' if g is None else f'{g:.0%}'} | {e['bpc_final']:.3f} | "
                f"{e.get('steps_to_random_final')} | {e['exact']} / {e['decomposed']} / {e['variant']} / {e['fallback']} |\n")
print(open(f"{out}/results.md").read())
PYEOF
