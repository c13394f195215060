#!/usr/bin/env bash
# embedlab-cli transfer: a Gemma-shaped model with a SentencePiece BPE tokenizer carried onto the seed
# Turkish tokenizer and onto a unigram model: the contract's summary and report fields, a folder that
# `forward` runs with the new vocabulary, omp with auxiliary vectors, --force, and bad input (exit 3) /
# bad usage (exit 2) with a message. Called by CTest as: bash transfer.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-transfer.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }

"$PY" - "$FX/models/gemma3_tiny/config.json" "$T/cfg.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1])); c["vocab_size"] = 2000; json.dump(c, open(sys.argv[2], "w"))
PYEOF
"$CLI" init --arch gemma3 --config "$T/cfg.json" --seed 3 --out "$T/src" > /dev/null 2>&1
cp "$FX/sentencepiece/tr_bpe_2k_bytefallback.model" "$T/src/tokenizer.model"

# ---- mean onto the seed tokenizer ----
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/tokenizers/turkish-seed" --strategy mean \
  --out "$T/tr" > "$T/s.json" 2> "$T/err"; rc=$?
check "transfer exits 0" "[ $rc -eq 0 ]"
check "summary has the contract's counts" "[ \"\$(json $T/s.json \"all(k in d for k in ['target_tokens','exact','decomposed','variant','aux','omp','special','fallback','unmapped'])\")\" = True ]"
check "counts add up to the target vocabulary" "[ \"\$(json $T/s.json \"d['exact']+d['decomposed']+d['variant']+d['aux']+d['omp']+d['special']+d['fallback']==d['target_tokens']==32768\")\" = True ]"
check "report: one entry per target token with method and sources" "[ \"\$(json $T/tr/transfer_report.json \"len(d['tokens'])==32768 and all(set(['id','token','method','surface','sources'])<=set(t) for t in d['tokens']) and all(abs(sum(s['weight'] for s in t['sources'])-1)<1e-9 for t in d['tokens'] if t['method'] in ('decomposed','exact','variant','special'))\")\" = True ]"
check "the seed's reserved ids are reported fallbacks" "[ \"\$(json $T/tr/transfer_report.json \"d['tokens'][7]['method']=='fallback' and 'note' in d['tokens'][7]\")\" = True ]"
check "config has the new vocab_size" "[ \"\$(json $T/tr/config.json \"d['vocab_size']\")\" = 32768 ]"
"$CLI" forward --model "$T/tr" --ids "20026,2,30000" --out "$T/f.safetensors" > /dev/null 2>&1; rc=$?
check "the new folder runs forward" "[ $rc -eq 0 ]"
check "logits over the new vocabulary" "[ \"\$($PY -c \"
import json,struct
b=open('$T/f.safetensors','rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); print(h['logits']['shape'])\")\" = '[1, 3, 32768]' ]"

# ---- embedding distillation onto the source's hidden states (embeddings only) ----
"$PY" -c "import json; print('\n'.join(json.load(open('$FX/tokenizers/sentences.json'))['sentences']*3))" > "$T/text.txt"
"$CLI" train distill --model "$T/tr" --teacher "$T/src" --data "$T/text.txt" --train embeddings --layer 1 --steps 4 \
  --batch-size 4 --seq-len 32 --lr 1e-2 --eval-every 4 --log "$T/d.jsonl" --out "$T/dist" > "$T/d.json" 2> "$T/err"; rc=$?
check "train distill exits 0" "[ $rc -eq 0 ]"
check "distill logs held-out losses" "[ \"\$($PY -c \"import json; print(sum('eval_loss' in json.loads(l) for l in open('$T/d.jsonl')))\")\" = 2 ]"
"$PY" - "$FX/models/gemma3_tiny/config.json" "$T/wide.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1])); c["vocab_size"] = 2000; c["hidden_size"] = 128; json.dump(c, open(sys.argv[2], "w"))
PYEOF
"$CLI" init --arch gemma3 --config "$T/wide.json" --out "$T/wide" > /dev/null 2>&1
cp "$FX/sentencepiece/tr_bpe_2k_bytefallback.model" "$T/wide/tokenizer.model"
"$CLI" train distill --model "$T/tr" --teacher "$T/wide" --data "$T/text.txt" --steps 2 --out "$T/dist2" > /dev/null 2> "$T/err"; rc=$?
check "a teacher of another hidden size exits 3" "[ $rc -eq 3 ] && grep -q 'hidden size' $T/err"

# ---- an existing folder; --force ----
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/tokenizers/turkish-seed" --out "$T/tr" > /dev/null 2> "$T/err"; rc=$?
check "an existing output folder exits 3" "[ $rc -eq 3 ] && grep -q -- '--force' $T/err"
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/tokenizers/turkish-seed" --strategy max --force --out "$T/tr" > /dev/null 2>&1; rc=$?
check "--force replaces it" "[ $rc -eq 0 ] && [ \"\$(json $T/tr/transfer_report.json \"d['summary']['strategy']\")\" = max ]"
check "max has null weights" "[ \"\$(json $T/tr/transfer_report.json \"all(s['weight'] is None for t in d['tokens'] if t['method']=='decomposed' for s in t['sources'])\")\" = True ]"

# ---- omp with auxiliary vectors (id:N labels) onto a unigram tokenizer ----
"$PY" - "$T/aux.vec" <<'PYEOF'
import sys, numpy as np
rng = np.random.default_rng(0); n = 2000
with open(sys.argv[1], "w") as f:
    f.write(f"{n} 8\n")
    for i in range(n): f.write("id:%d " % i + " ".join("%.5f" % v for v in rng.standard_normal(8)) + "\n")
PYEOF
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/sentencepiece/tr_unigram_2k.model" --strategy omp --omp-k 4 \
  --aux-vectors "$T/aux.vec" --progress json --out "$T/uni" > "$T/s2.json" 2> "$T/err"; rc=$?
check "omp exits 0" "[ $rc -eq 0 ]"
check "omp builds tokens" "[ \"\$(json $T/s2.json \"d['omp']>100 and d['exact']>100\")\" = True ]"
check "omp uses at most k sources" "[ \"\$(json $T/uni/transfer_report.json \"max(len(t['sources']) for t in d['tokens'] if t['method']=='omp')<=4\")\" = True ]"
check "--progress json on stderr" "grep -q '\"progress\"' $T/err"

# ---- bad input and usage ----
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/tokenizers/turkish-seed" --strategy focus --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "focus without aux vectors exits 3" "[ $rc -eq 3 ] && grep -q 'aux-vectors' $T/err"
"$CLI" transfer --source "$T/src" --target-tokenizer "$FX/tokenizers/turkish-seed" --strategy median --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "an unknown strategy exits 2" "[ $rc -eq 2 ] && grep -q 'weighted-last' $T/err"
"$CLI" transfer --source "$T/src" --source-tokenizer "$FX/tokenizers/turkish-seed" --target-tokenizer "$FX/sentencepiece/tr_unigram_2k.model" --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "a tokenizer that is not the model's exits 3" "[ $rc -eq 3 ] && grep -q 'allow-vocab-mismatch' $T/err"
"$CLI" transfer --source "$T/nope" --target-tokenizer "$FX/tokenizers/turkish-seed" --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "a missing source exits 3" "[ $rc -eq 3 ] && grep -q '^error:' $T/err"
check "nothing half-written" "[ ! -e $T/x ] && ! ls $T | grep -q partial"
# `transfer words`: two word spaces one rotation apart (numpy), a dictionary with a train/test split.
"$PY" - "$T" <<'PYEOF'
import numpy as np, sys
T = sys.argv[1]; rng = np.random.default_rng(1)
en = rng.normal(size=(800, 20)); q, _ = np.linalg.qr(rng.normal(size=(20, 20)))
tr = en @ q + 0.02 * rng.normal(size=(800, 20))
for name, m, pre in (("en.vec", en, "w"), ("tr.vec", tr, "k")):
    with open(f"{T}/{name}", "w") as f:
        f.write(f"{len(m)} {m.shape[1]}\n")
        for i, r in enumerate(m): f.write(pre + str(i) + " " + " ".join(f"{x:.6f}" for x in r) + "\n")
with open(f"{T}/train.tsv", "w") as f:
    for i in range(600): f.write(f"w{i}\tk{i}\n")
    f.write("two words\tiki kelime\n")
with open(f"{T}/test.tsv", "w") as f:
    for i in range(600, 800): f.write(f"w{i}\tk{i}\n")
PYEOF
"$CLI" transfer words --english-vectors "$T/en.vec" --turkish-vectors "$T/tr.vec" --train "$T/train.tsv" --test "$T/test.tsv" \
  > "$T/words.json" 2> "$T/err"; rc=$?
check "transfer words: Procrustes finds the held-out translations, a random rotation does not" "[ $rc -eq 0 ] && '$PY' - '$T/words.json' <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['train_pairs'] == 600 and d['test_pairs'] == 200 and d['fit_pairs'] == 600 and d['skipped_lines'] == 1, d
for k in ('en_to_tr', 'tr_to_en'):
    assert d[k]['queries'] == 200 and d[k]['procrustes']['p_at_1'] > 0.95 and d[k]['random']['p_at_5'] < 0.1, d[k]
PYEOF"
head -3 "$T/en.vec" | cut -d' ' -f1-11 | sed '1s/.*/2 10/' > "$T/en10.vec"
"$CLI" transfer words --english-vectors "$T/en10.vec" --turkish-vectors "$T/tr.vec" --train "$T/train.tsv" --test "$T/test.tsv" \
  > /dev/null 2> "$T/err"; rc=$?
check "transfer words: spaces of different dimensions exit 3 naming --dim" "[ $rc -eq 3 ] && grep -q -- '--dim 10' $T/err"
exit $fail
