#!/usr/bin/env bash
# embedlab-cli train: a small Gemma on Turkish text (loss falls, held-out perplexity improves,
# checkpoints and the final folder load); one SGD step from --ids equals the independent PyTorch
# reference; --resume continues the log exactly; contrastive pairs; --progress json metrics; bad input
# exits 3 with a message, bad usage 2. Called by CTest as: bash train.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-train.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
export EMBEDLAB_CACHE_DIR="$T/cache"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }

# ---- Turkish text: the news corpus when installed, else the seed tokenizer's own sample sentences ----
. "$SRC/tests/cli/lib/turkish_lm.sh"
turkish_text "$T/tr.txt" 1500
tiny_gemma_config "$T/tiny.json"
TOK="$FX/tokenizers/turkish-seed"
"$CLI" train lm --init-config "$T/tiny.json" --tokenizer "$TOK" --data "$T/tr.txt" --out "$T/run" --steps 40 \
  --batch-size 8 --seq-len 64 --lr 3e-3 --warmup 4 --schedule cosine --eval-every 20 --save-every 20 --sample-every 40 \
  --log "$T/run.jsonl" --progress json > "$T/run.json" 2> "$T/run.err"
check "train lm on Turkish text exits 0" "[ \$? -eq 0 ]"
check "summary has the contract's fields" "json $T/run.json \"all(k in d for k in ['steps','final_loss','eval_loss','tokens_per_second','seconds']) and d['steps']==40\" | grep -q True"
check "loss falls (first vs last step)" "$PY -c \"
import json; L=[json.loads(l) for l in open('$T/run.jsonl')]; s=[l for l in L if 'loss' in l]
assert len(s)==40 and all(k in s[0] for k in ['step','loss','lr','grad_norm','tokens','seconds']), s[0]
assert s[-1]['loss'] < s[0]['loss'] - 2, (s[0]['loss'], s[-1]['loss'])\""
check "held-out perplexity improves" "$PY -c \"
import json; e=[json.loads(l) for l in open('$T/run.jsonl')]; e=[l for l in e if 'eval_ppl' in l]
assert [l['step'] for l in e]==[0,20,40] and e[-1]['eval_ppl'] < e[0]['eval_ppl']/10, e\""
check "a sample generation is logged" "grep -q '\"sample\"' $T/run.jsonl"
check "--progress json streams loss metrics" "grep -q '\"metric\":\"loss\"' $T/run.err"
check "checkpoints 20 and 40 with trainer state" "[ -f $T/run/checkpoint-20/trainer_state.json ] && [ -f $T/run/checkpoint-40/optimizer.safetensors ]"
check "the folder has the model and the tokenizer" "[ -f $T/run/model.safetensors ] && [ -f $T/run/config.json ] && [ -f $T/run/kokler.json ]"
check "the trained folder generates" "\"$CLI\" generate --model $T/run --prompt 'bu ev' --max-new-tokens 4 > $T/gen.json 2>/dev/null && json $T/gen.json \"len(d['ids'])\" | grep -q 4"
# The second run of the same corpus reads the token cache.
"$CLI" train lm --init-config "$T/tiny.json" --tokenizer "$TOK" --data "$T/tr.txt" --out "$T/run2" --steps 1 \
  --batch-size 2 --seq-len 32 > /dev/null 2> "$T/run2.err"
check "the token cache is used the second time" "grep -q 'tokens from the cache' $T/run2.err"

# ---- one plain SGD step from --ids equals the independent reference ----
"$PY" - "$T/ids.txt" <<'PYEOF'
import sys, random
random.seed(5)
with open(sys.argv[1], "w") as f:
    for _ in range(4):
        f.write(",".join(str(random.randrange(512)) for _ in range(random.randrange(4, 15))) + "\n")
PYEOF
"$CLI" train lm --model "$FX/models/gpt2_tiny" --ids "$T/ids.txt" --out "$T/sgd" --steps 1 --batch-size 4 --seq-len 32 \
  --optimizer sgd --lr 0.5 --clip 0 --no-shuffle --log "$T/sgd.jsonl" --progress none > "$T/sgd.json"
check "sgd step exits 0" "[ \$? -eq 0 ]"
"$PY" "$SRC/tests/reference/train_reference.py" --model "$FX/models/gpt2_tiny" --objective lm --ids "$T/ids.txt" --steps 1 \
  --batch-size 4 --seq-len 32 --optimizer sgd --lr 0.5 --out "$T/ref.safetensors" --threads 1 > "$T/ref.out" 2>&1
check "the reference ran" "[ \$? -eq 0 ]"
cat > "$T/cmp.py" <<'PYEOF'
import json, struct, sys, numpy as np
def load(p):
    raw = open(p, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); h.pop('__metadata__', None)
    dt = {'F32': np.float32, 'F64': np.float64}
    return {k: np.frombuffer(raw[8 + n + v['data_offsets'][0]: 8 + n + v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape']) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
worst = max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)
ref = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1])['log'][0]
ours = json.loads(open(sys.argv[4]).readline())
assert abs(ours['loss'] - ref['loss']) < 1e-5 * abs(ref['loss']), (ours, ref)
assert worst < 1e-5, worst
print("max weight difference", worst)
PYEOF
check "weights and loss equal the reference" "$PY $T/cmp.py $T/sgd/model.safetensors $T/ref.safetensors $T/ref.out $T/sgd.jsonl"

# ---- resume: 3 steps, then 3 more from the checkpoint == 6 uninterrupted steps ----
common=(--model "$FX/models/gpt2_tiny" --ids "$T/ids.txt" --batch-size 2 --seq-len 16 --lr 1e-3 --schedule constant --save-every 3 --seed 3 --progress none)
"$CLI" train lm "${common[@]}" --steps 6 --out "$T/whole" --log "$T/whole.jsonl" > /dev/null
"$CLI" train lm "${common[@]}" --steps 3 --out "$T/part" > /dev/null
"$CLI" train lm "${common[@]}" --steps 6 --resume "$T/part" --out "$T/part" --log "$T/part.jsonl" > "$T/resume.json"
check "resume reports where it started" "json $T/resume.json \"d['resumed_from']\" | grep -q 3"
strip() { "$PY" -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='seconds'}, sort_keys=True)) for l in open(sys.argv[1])]" "$1"; }
check "the resumed log equals the uninterrupted one" "diff <(strip $T/whole.jsonl) <(strip $T/part.jsonl) > /dev/null"
check "the resumed weights are bit-identical" "cmp -s $T/whole/model.safetensors $T/part/model.safetensors"

# ---- a full disk while a checkpoint is written (a file-size limit: writes fail with EFBIG) ----
"$CLI" train lm "${common[@]}" --steps 3 --out "$T/full" > /dev/null
cp -r "$T/full/checkpoint-3" "$T/ckpt3-copy"
size=$(stat -c %s "$T/full/checkpoint-3/model.safetensors")
( trap '' XFSZ; ulimit -f $(( size / 1024 / 2 )); exec "$CLI" train lm "${common[@]}" --steps 6 --resume "$T/full" --out "$T/full" ) > /dev/null 2> "$T/full.err"
rc=$?
check "a checkpoint that cannot be written: exit 4 with the system's reason" "[ $rc -eq 4 ] && grep -qi 'too large' $T/full.err"
check "the previous checkpoint is untouched and no partial folder is left" "diff -r $T/ckpt3-copy $T/full/checkpoint-3 && ! ls -a $T/full | grep -q partial"
check "the previous checkpoint still resumes" "\"$CLI\" train lm ${common[*]} --steps 4 --resume $T/full --out $T/full > /dev/null 2>&1"

# ---- contrastive pairs from ids ----
"$PY" - "$T/pairs.txt" <<'PYEOF'
import sys, random
random.seed(2)
with open(sys.argv[1], "w") as f:
    for _ in range(16):
        a = [random.randrange(5, 512) for _ in range(random.randrange(4, 10))]
        f.write(",".join(map(str, a)) + "\t" + ",".join(map(str, a[:-1] + [random.randrange(5, 512)])) + "\n")
PYEOF
"$CLI" train contrastive --model "$FX/models/bert_tiny" --ids "$T/pairs.txt" --out "$T/con" --steps 12 --batch-size 8 \
  --lr 1e-3 --matryoshka 64,16 --log "$T/con.jsonl" --progress none > "$T/con.json"
check "contrastive loss falls" "$PY -c \"
import json; s=[json.loads(l) for l in open('$T/con.jsonl')]; s=[l for l in s if 'loss' in l]
assert s[-1]['loss'] < s[0]['loss'], (s[0], s[-1])\""

# ---- masked LM from ids: the mask id given on the command line ----
"$CLI" train mlm --model "$FX/models/xlmr_tiny" --ids "$T/ids.txt" --mask-id 4 --out "$T/mlm" --steps 3 --batch-size 2 \
  --lr 1e-3 --log "$T/mlm.jsonl" --progress none > "$T/mlm.json"
check "mlm with --mask-id trains and writes the MLM head" "[ \$? -eq 0 ] && [ \$(grep -c '\"loss\"' $T/mlm.jsonl) -eq 3 ] && grep -q 'lm_head.dense.weight' $T/mlm/model.safetensors"
"$CLI" train mlm --model "$FX/models/xlmr_tiny" --ids "$T/ids.txt" --out "$T/mlm2" --steps 1 --progress none > /dev/null 2> "$T/bad.err"
check "mlm without a mask token: exit 3 saying so" "[ \$? -eq 3 ] && grep -q 'mask token' $T/bad.err"

# ---- bad input (exit 3) and bad usage (exit 2) ----
echo "1,2,3,9999" > "$T/bad_ids.txt"
"$CLI" train lm --model "$FX/models/gpt2_tiny" --ids "$T/bad_ids.txt" --out "$T/bad" --steps 1 --progress none > /dev/null 2> "$T/bad.err"
check "ids beyond the vocabulary: exit 3 with a message" "[ \$? -eq 3 ] && grep -q 'outside the model' $T/bad.err"
"$CLI" train lm --model "$FX/models/bert_tiny" --ids "$T/ids.txt" --out "$T/bad" --steps 1 --progress none > /dev/null 2> "$T/bad.err"
check "lm on an encoder: exit 3" "[ \$? -eq 3 ] && grep -q 'causal LM' $T/bad.err"
: > "$T/empty.txt"
"$CLI" train lm --model "$FX/models/gpt2_tiny" --ids "$T/empty.txt" --out "$T/bad" --steps 1 --progress none > /dev/null 2> "$T/bad.err"
check "an empty ids file: exit 3" "[ \$? -eq 3 ] && grep -q 'no sequences' $T/bad.err"
cp -r "$T/whole" "$T/damaged"; rm -rf "$T/damaged/checkpoint-3"
head -c 1000 "$T/whole/checkpoint-6/model.safetensors" > "$T/damaged/checkpoint-6/model.safetensors"
"$CLI" train lm "${common[@]}" --steps 9 --resume "$T/damaged" --out "$T/damaged" > /dev/null 2> "$T/bad.err"
check "a truncated checkpoint on resume: exit 3 naming it" "[ \$? -eq 3 ] && grep -q 'checkpoint-6' $T/bad.err"
"$CLI" train lm "${common[@]}" --steps 6 --batch-size 3 --resume "$T/whole" --out "$T/whole2" > /dev/null 2> "$T/bad.err"
check "a mismatched resume: exit 3 naming the setting" "[ \$? -eq 3 ] && grep -q 'batch_size' $T/bad.err"
"$CLI" train --ids "$T/ids.txt" --out "$T/bad" > /dev/null 2>&1
check "no objective: exit 2" "[ \$? -eq 2 ]"
"$CLI" train lm --ids "$T/ids.txt" --out "$T/bad" > /dev/null 2>&1
check "no model: exit 2" "[ \$? -eq 2 ]"
exit $fail
