#!/usr/bin/env bash
# Data-parallel jobs on c10d (Gloo, 127.0.0.1 only): `launch --nproc 2` of train lm reproduces one
# process with twice the batch (loss curve within 1e-5 relative over 20 f32 steps, the same final
# weights), also for mlm; distributed embed writes the single-process output bit for bit; faults end
# with a clear error and exit 4 (a rank that never comes, a dead rank mid-run, a port in use, a
# world-size mismatch, a rank taken twice, an unreachable master), no partial output, never a hang;
# ranks that disagree on the data or the model exit 3; SIGSTOP/SIGCONT to the launcher's process group
# pause the whole job, SIGTERM to the launcher ends every rank. Called by CTest: bash distributed.sh CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-distributed.$$"
rm -rf "$T"; mkdir -p "$T"
cleanup() { jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export EMBEDLAB_CACHE_DIR="$T/cache"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
port() { "$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"; }
# Runs a command with a wall-clock limit; prints its exit code (124: it hung) on fd 3, so that the
# command's own stdout can be redirected: rc=$(exec 3>&1; limited 60 CMD > out 2> err).
limited() { local lim=$1; shift; timeout -k 5 "$lim" "$@"; echo $? >&3; }

. "$SRC/tests/cli/lib/turkish_lm.sh"
turkish_text "$T/tr.txt" 600
tiny_gemma_config "$T/tiny.json"
TOK="$FX/tokenizers/turkish-seed"
COMMON=(--init-config "$T/tiny.json" --tokenizer "$TOK" --data "$T/tr.txt" --steps 20 --seq-len 32 --lr 3e-3
        --warmup 2 --seed 7 --eval-every 0 --save-every 10 --progress none)

# ---- 2 ranks × batch 4 == 1 process × batch 8 ----
"$CLI" train lm "${COMMON[@]}" --batch-size 8 --threads 1 --out "$T/one" --log "$T/one.jsonl" > "$T/one.json" 2> "$T/one.err"
check "one process trains (batch 8)" "[ \$? -eq 0 ]"
rc=$(exec 3>&1; limited 600 "$CLI" launch --nproc 2 -- train lm "${COMMON[@]}" --batch-size 4 --out "$T/two" --log "$T/two.jsonl" \
     > "$T/two.json" 2> "$T/two.err")
check "launch --nproc 2 -- train lm exits 0" "[ $rc -eq 0 ] || { cat $T/two.err; false; }"
check "rank 0 alone prints the result (one JSON line)" "[ \$(wc -l < $T/two.json) -eq 1 ] && grep -q '\"steps\":20' $T/two.json"
check "the loss curves agree within 1e-5 relative over 20 steps" "$PY -c \"
import json
a=[json.loads(l) for l in open('$T/one.jsonl')]; b=[json.loads(l) for l in open('$T/two.jsonl')]
a=[l for l in a if 'loss' in l]; b=[l for l in b if 'loss' in l]
assert len(a)==len(b)==20, (len(a), len(b))
for x,y in zip(a,b):
    assert x['step']==y['step'] and x['tokens']==y['tokens'], (x, y)
    assert abs(x['loss']-y['loss']) <= 1e-5*abs(x['loss']), (x['step'], x['loss'], y['loss'])
    assert abs(x['grad_norm']-y['grad_norm']) <= 1e-4*abs(x['grad_norm']), (x['step'], x['grad_norm'], y['grad_norm'])
print('max rel', max(abs(x['loss']-y['loss'])/abs(x['loss']) for x,y in zip(a,b)))\""
cat > "$T/cmpw.py" <<'PYEOF'
import json, struct, sys
import numpy as np
def load(p):
    raw = open(p, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); h.pop('__metadata__', None)
    dt = {'F32': np.float32, 'F64': np.float64}
    return {k: np.frombuffer(raw[8 + n + v['data_offsets'][0]: 8 + n + v['data_offsets'][1]], dtype=dt[v['dtype']]).reshape(v['shape']) for k, v in h.items()}
a, b = load(sys.argv[1]), load(sys.argv[2])
tol = float(sys.argv[3])
assert set(a) == set(b) and len(a) > 0, (sorted(a)[:3], sorted(b)[:3])
m = max(float(np.abs(a[k].astype(np.float64) - b[k]).max()) for k in a)
print('max |dw|', m); assert m <= tol, m
PYEOF
check "the final weights agree (max |Δ| ≤ 1e-4)" "$PY $T/cmpw.py $T/one/model.safetensors $T/two/model.safetensors 1e-4"

# ---- against the independent PyTorch reference: 3 SGD steps of 2 ranks × batch 2 == its batch 4 ----
"$PY" - "$T/ids.txt" <<'PYEOF'
import sys, random
random.seed(11)
with open(sys.argv[1], "w") as f:
    for _ in range(12):
        f.write(",".join(str(random.randrange(512)) for _ in range(random.randrange(4, 15))) + "\n")
PYEOF
rc=$(exec 3>&1; limited 300 "$CLI" launch --nproc 2 -- train lm --model "$FX/models/gpt2_tiny" --ids "$T/ids.txt" --out "$T/sgd" --steps 3 \
     --batch-size 2 --seq-len 32 --optimizer sgd --lr 0.5 --clip 0 --schedule constant --no-shuffle --log "$T/sgd.jsonl" \
     --progress none > /dev/null 2> "$T/sgd.err")
check "2-rank SGD run exits 0" "[ $rc -eq 0 ] || { cat $T/sgd.err; false; }"
"$PY" "$SRC/tests/reference/train_reference.py" --model "$FX/models/gpt2_tiny" --objective lm --ids "$T/ids.txt" --steps 3 \
  --batch-size 4 --seq-len 32 --optimizer sgd --lr 0.5 --out "$T/ref.safetensors" --threads 1 > "$T/ref.out" 2>&1
check "the reference ran" "[ \$? -eq 0 ] || { tail -5 $T/ref.out; false; }"
check "each step's loss equals the reference's (1e-5 relative)" "$PY -c \"
import json
ref=json.loads(open('$T/ref.out').read().strip().splitlines()[-1])['log']
ours=[json.loads(l) for l in open('$T/sgd.jsonl')]; ours=[l for l in ours if 'loss' in l]
assert len(ref)==len(ours)==3, (len(ref), len(ours))
for r,o in zip(ref,ours): assert abs(r['loss']-o['loss']) <= 1e-5*abs(r['loss']), (r, o)\""
check "the weights equal the reference's (max |Δ| ≤ 1e-5)" "$PY $T/cmpw.py $T/sgd/model.safetensors $T/ref.safetensors 1e-5"
check "rank 0 wrote the checkpoints, the world size recorded" "[ -f $T/two/checkpoint-20/trainer_state.json ] && grep -q '\"world_size\": 2' $T/two/checkpoint-20/trainer_state.json"

# ---- resume with the same world size continues the log; another world size is refused ----
rc=$(exec 3>&1; limited 600 "$CLI" launch --nproc 2 -- train lm "${COMMON[@]}" --steps 20 --batch-size 4 --out "$T/two" --resume "$T/two/checkpoint-10" \
     --log "$T/resumed.jsonl" > /dev/null 2> "$T/resumed.err")
check "a 2-rank run resumes from its checkpoint" "[ $rc -eq 0 ] || { cat $T/resumed.err; false; }"
check "the resumed steps equal the uninterrupted run's" "$PY -c \"
import json
a=[json.loads(l) for l in open('$T/two.jsonl')]; b=[json.loads(l) for l in open('$T/resumed.jsonl')]
a={l['step']:l['loss'] for l in a if 'loss' in l}; b={l['step']:l['loss'] for l in b if 'loss' in l}
assert all(abs(a[s]-b[s]) <= 1e-6*abs(a[s]) for s in range(11,21)), [(s,a[s],b[s]) for s in range(11,21)]\""
"$CLI" train lm "${COMMON[@]}" --batch-size 8 --out "$T/two" --resume "$T/two/checkpoint-10" > /dev/null 2> "$T/ws.err"
check "resuming a 2-rank checkpoint in one process exits 3, naming the world size" "[ \$? -eq 3 ] && grep -q 'world size' $T/ws.err"

# ---- mlm: the masks of the global batch, split ----
BERT="$FX/models/bert_tiny"
if [ -d "$BERT" ]; then
  MLM=(--model "$BERT" --ids "$T/ids.txt" --mask-id 4 --steps 6 --seq-len 24 --lr 1e-3 --seed 3 --eval-every -1 --progress none)
  "$CLI" train mlm "${MLM[@]}" --batch-size 6 --threads 1 --out "$T/m1" --log "$T/m1.jsonl" > /dev/null 2> "$T/m1.err"
  rc=$(exec 3>&1; limited 600 "$CLI" launch --nproc 2 -- train mlm "${MLM[@]}" --batch-size 3 --out "$T/m2" --log "$T/m2.jsonl" > /dev/null 2> "$T/m2.err")
  check "mlm: 2 ranks × 3 == 1 × 6 (loss within 1e-5 relative)" "[ $rc -eq 0 ] && $PY -c \"
import json
a=[json.loads(l)['loss'] for l in open('$T/m1.jsonl') if 'loss' in l]; b=[json.loads(l)['loss'] for l in open('$T/m2.jsonl') if 'loss' in l]
assert len(a)==len(b)==6 and all(abs(x-y)<=1e-5*abs(x) for x,y in zip(a,b)), (a,b)\" || { cat $T/m1.err $T/m2.err; false; }"
  check "mlm: the same weights (max |Δ| ≤ 2e-4 after 6 AdamW steps)" "$PY $T/cmpw.py $T/m1/model.safetensors $T/m2/model.safetensors 2e-4"
  # The pooler gets no gradient under mlm on any rank: AdamW must leave it alone (no decay), as one process does.
  check "mlm: the pooler (no gradient) is untouched by both" "$PY -c \"
import json, struct, numpy as np
def load(p):
    raw = open(p, 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); h.pop('__metadata__', None)
    return {k: raw[8 + n + v['data_offsets'][0]: 8 + n + v['data_offsets'][1]] for k, v in h.items()}
a, b = load('$T/m1/model.safetensors'), load('$T/m2/model.safetensors'); o = load('$BERT/model.safetensors')
ks = [k for k in a if 'pooler' in k]
assert ks and all(a[k] == b[k] == o[k.replace('bert.', '', 1)] for k in ks), ks\""
else
  echo "FAIL: the bert-tiny fixture is missing ($BERT)"; fail=1
fi
"$CLI" launch --nproc 2 -- train contrastive --model "$T/one" --data "$T/tr.txt" --out "$T/c" --steps 1 > /dev/null 2> "$T/c.err"
check "launch of contrastive training is refused (exit 2: lm, mlm or embed)" "[ \$? -eq 2 ] && grep -q 'train lm, train mlm or embed' $T/c.err"
"$CLI" train contrastive --model "$T/one" --data "$T/tr.txt" --out "$T/c" --steps 1 --world-size 2 --rank 0 \
  --master 127.0.0.1:1 > /dev/null 2> "$T/c2.err"
check "contrastive as a rank is refused before anything loads (exit 2, says why)" "[ \$? -eq 2 ] && grep -q 'runs in one process' $T/c2.err"
"$CLI" train static --input "$T/tr.txt" --out "$T/s.vec" --world-size 2 --rank 0 --master 127.0.0.1:1 > /dev/null 2> "$T/s.err"
check "train static as a rank is refused (exit 2)" "[ \$? -eq 2 ] && grep -q 'runs in one process' $T/s.err"

# ---- distributed embed: the single-process file, bit for bit ----
EMB=(--model "$T/one" --input "$T/tr.txt" --batch-size 8 --chunk 40 --threads 1 --progress none)
"$CLI" embed "${EMB[@]}" --out "$T/e1.npy" > "$T/e1.json" 2> "$T/e1.err"
check "one process embeds" "[ \$? -eq 0 ]"
rc=$(exec 3>&1; limited 600 "$CLI" launch --nproc 2 -- embed "${EMB[@]}" --out "$T/e2.npy" > "$T/e2.json" 2> "$T/e2.err")
check "launch --nproc 2 -- embed exits 0" "[ $rc -eq 0 ] || { cat $T/e2.err; false; }"
check "the 2-rank .npy equals the single-process one byte for byte" "cmp -s $T/e1.npy $T/e2.npy"
check "rank 0 reports every line" "json() { $PY -c \"import json; print(json.load(open('\$1'))['count'])\"; }; [ \$(json $T/e2.json) -eq \$(wc -l < $T/tr.txt) ]"
rc=$(exec 3>&1; limited 600 "$CLI" launch --nproc 2 -- embed "${EMB[@]}" --out "$T/e2.tsv" > /dev/null 2> "$T/e2t.err")
"$CLI" embed "${EMB[@]}" --out "$T/e1.tsv" > /dev/null 2>&1
check "the 2-rank .tsv equals the single-process one" "[ $rc -eq 0 ] && cmp -s $T/e1.tsv $T/e2.tsv"

# ---- faults: clear errors, exit 4, no hang, no partial output ----
P=$(port)
rc=$(exec 3>&1; limited 60 "$CLI" embed "${EMB[@]}" --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 5 --out "$T/lonely.npy" > /dev/null 2> "$T/lonely.err")
check "a rank that never comes: exit 4 within the timeout, naming it" "[ $rc -eq 4 ] && grep -q 'ranks 1 of 2 did not join' $T/lonely.err"
check "… and no output file, no temporary left" "[ ! -e $T/lonely.npy ] && ! ls $T | grep -q '^lonely.npy'"

P=$(port)
"$PY" -c "import socket,time,sys; s=socket.socket(); s.bind(('127.0.0.1',$P)); s.listen(); print('listening', flush=True); time.sleep(60)" > "$T/holder.out" &
HOLDER=$!
for i in $(seq 1 100); do grep -q listening "$T/holder.out" 2>/dev/null && break; sleep 0.1; done
rc=$(exec 3>&1; limited 60 "$CLI" embed "${EMB[@]}" --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 5 --out "$T/busy.npy" > /dev/null 2> "$T/busy.err")
check "the master's port in use: exit 4, says so" "[ $rc -eq 4 ] && grep -q 'port in use' $T/busy.err"
kill $HOLDER 2>/dev/null

P=$(port)
rc=$(exec 3>&1; limited 60 "$CLI" embed "${EMB[@]}" --world-size 2 --rank 1 --master 127.0.0.1:$P --dist-timeout 3 --out "$T/unreach.npy" > /dev/null 2> "$T/unreach.err")
check "an unreachable master: exit 4 within the timeout, says so" "[ $rc -eq 4 ] && grep -q 'cannot reach the master' $T/unreach.err"

P=$(port)
"$CLI" embed "${EMB[@]}" --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 8 --out "$T/mm.npy" > /dev/null 2> "$T/mm0.err" &
R0=$!; sleep 1
rc=$(exec 3>&1; limited 60 "$CLI" embed "${EMB[@]}" --world-size 3 --rank 1 --master 127.0.0.1:$P --dist-timeout 8 --out "$T/mm.npy" > /dev/null 2> "$T/mm1.err")
check "a world-size mismatch: exit 4, naming both sizes" "[ $rc -eq 4 ] && grep -q 'world size 3' $T/mm1.err && grep -q 'world size 2' $T/mm1.err"
wait $R0; check "… and the master ends with exit 4 (its rank 1 never came)" "[ \$? -eq 4 ]"

P=$(port)
"$CLI" embed "${EMB[@]}" --world-size 3 --rank 0 --master 127.0.0.1:$P --dist-timeout 8 --out "$T/dup.npy" > /dev/null 2>&1 &
R0=$!; sleep 1
"$CLI" embed "${EMB[@]}" --world-size 3 --rank 1 --master 127.0.0.1:$P --dist-timeout 8 --out "$T/dup.npy" > /dev/null 2> "$T/dup1.err" &
R1=$!
rc=$(exec 3>&1; limited 60 "$CLI" embed "${EMB[@]}" --world-size 3 --rank 1 --master 127.0.0.1:$P --dist-timeout 8 --out "$T/dup.npy" > /dev/null 2> "$T/dup2.err")
wait $R1; rc1=$?
wait $R0
# Whichever of the two rank-1 processes claimed second is refused; the other waits for rank 2 and times out.
check "a rank started twice: exactly one of the two is told it is taken, exit 4" "[ \$(cat $T/dup1.err $T/dup2.err | grep -c 'already taken') -eq 1 ] && [ $rc -eq 4 ] && [ $rc1 -eq 4 ]"

# A rank killed mid-run: the other exits 4 (it loses its peer), no final model.
P=$(port)
"$CLI" train lm "${COMMON[@]}" --steps 400 --batch-size 4 --save-every 0 --threads 1 --out "$T/dead" --log "$T/dead.jsonl" \
  --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 60 > /dev/null 2> "$T/dead0.err" &
R0=$!
"$CLI" train lm "${COMMON[@]}" --steps 400 --batch-size 4 --save-every 0 --threads 1 --out "$T/dead" \
  --world-size 2 --rank 1 --master 127.0.0.1:$P --dist-timeout 60 > /dev/null 2>&1 &
R1=$!
for i in $(seq 1 600); do grep -q '"step":3,' "$T/dead.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -9 $R1
t0=$(date +%s); wait $R0; rc=$?; t1=$(date +%s)
check "a rank killed mid-run: the other exits 4 within 30 s (not the 60 s timeout)" "[ $rc -eq 4 ] && [ \$((t1-t0)) -le 30 ] || { echo rc=$rc secs=\$((t1-t0)); cat $T/dead0.err; false; }"
check "… saying another rank died" "grep -q 'another rank died' $T/dead0.err"
check "… and no final model in its folder" "[ ! -e $T/dead/model.safetensors ]"

# Ranks that disagree on the model (another seed) stop before training: exit 3.
P=$(port)
"$CLI" train lm "${COMMON[@]}" --batch-size 4 --out "$T/dis" --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 30 \
  > /dev/null 2> "$T/dis0.err" &
R0=$!
rc=$(exec 3>&1; limited 120 "$CLI" train lm "${COMMON[@]}" --seed 8 --batch-size 4 --out "$T/dis" --world-size 2 --rank 1 \
     --master 127.0.0.1:$P --dist-timeout 30 2> "$T/dis1.err")
wait $R0; rc0=$?
check "ranks with different options or weights: both exit 3, saying they disagree" "[ $rc -eq 3 ] && [ $rc0 -eq 3 ] && grep -q 'disagree' $T/dis1.err"

# Embedding ranks that cut the input differently (another --chunk) stop before streaming: exit 3.
P=$(port)
"$CLI" embed "${EMB[@]}" --world-size 2 --rank 0 --master 127.0.0.1:$P --dist-timeout 30 --out "$T/edis.npy" > /dev/null 2> "$T/edis0.err" &
R0=$!
rc=$(exec 3>&1; limited 120 "$CLI" embed "${EMB[@]}" --chunk 41 --world-size 2 --rank 1 --master 127.0.0.1:$P --dist-timeout 30 \
     --out "$T/edis.npy" > /dev/null 2> "$T/edis1.err")
wait $R0; rc0=$?
check "embed ranks with another --chunk: both exit 3, saying they disagree; no output" "[ $rc -eq 3 ] && [ $rc0 -eq 3 ] && grep -q 'disagree' $T/edis0.err && [ ! -e $T/edis.npy ]"

# Pause and cancel, as the app's Training view does: the ranks stay in the launcher's process group,
# so SIGSTOP to the group stops the whole job (no step taken), SIGCONT goes on (Gloo survives the stop);
# SIGTERM to the launcher ends the job (exit 130) and every rank with it. With --progress json every
# line of a rank names it.
setsid "$CLI" launch --nproc 2 -- train lm "${COMMON[@]}" --steps 100000 --batch-size 4 --save-every 0 --out "$T/pause" \
  --progress json > /dev/null 2> "$T/pause.err" &
L=$!
for i in $(seq 1 600); do grep -q '"rank":1' "$T/pause.err" 2>/dev/null && grep -q '"metric":"loss"' "$T/pause.err" && break; sleep 0.1; done
ranks=$(pgrep -P $L | tr '\n' ' ')
state() { awk '{print $3}' /proc/$1/stat 2>/dev/null; }
pgid() { awk '{print $5}' /proc/$1/stat 2>/dev/null; }
g=""; for p in $ranks; do g="$g$(pgid $p) "; done
check "the launcher leads a process group that holds both ranks" "[ \"$g\" = \"$L $L \" ] || { echo pgids=\$g launcher=$L; false; }"
kill -STOP -- -$L
for i in $(seq 1 50); do s=""; for p in $L $ranks; do s="$s$(state $p)"; done; [ "$s" = TTT ] && break; sleep 0.1; done
check "SIGSTOP to the group stops the launcher and both ranks" "[ \"$s\" = TTT ] || { echo states=\$s ranks=$ranks; false; }"
sleep 0.3; n1=$(grep -c '"metric":"loss"' "$T/pause.err"); sleep 1; n2=$(grep -c '"metric":"loss"' "$T/pause.err")
check "… and no step is taken while stopped" "[ $n1 -eq $n2 ]"
kill -CONT -- -$L
for i in $(seq 1 100); do [ "$(grep -c '"metric":"loss"' "$T/pause.err")" -gt $((n2 + 2)) ] && break; sleep 0.1; done
check "SIGCONT goes on" "[ \$(grep -c '\"metric\":\"loss\"' $T/pause.err) -gt $((n2 + 2)) ]"
check "--progress json lines carry each rank's number" "grep -q '\"rank\":0' $T/pause.err && grep -q '\"rank\":1' $T/pause.err"
kill -TERM $L
for i in $(seq 1 300); do kill -0 $L 2>/dev/null || break; sleep 0.1; done
kill -0 $L 2>/dev/null && kill -9 -- -$L
rc=0; wait $L || rc=$?
left=""; for p in $ranks; do [ -d /proc/$p ] && [ "$(state $p)" != Z ] && left="$left $p"; done
check "SIGTERM to the launcher ends the job (exit 130) within 30 s and leaves no rank" "[ $rc -eq 130 ] && [ -z \"$left\" ] || { echo rc=$rc left=$left; false; }"

# Usage.
"$CLI" train lm "${COMMON[@]}" --batch-size 4 --out "$T/u" --world-size 2 > /dev/null 2> "$T/u.err"
check "--world-size without --rank/--master: exit 2" "[ \$? -eq 2 ] && grep -q 'needs all of' $T/u.err"
RANK=0 "$CLI" embed "${EMB[@]}" --out "$T/u.npy" > /dev/null 2> "$T/u2.err"
check "RANK without WORLD_SIZE: exit 3, says which is missing" "[ \$? -eq 3 ] && grep -q 'WORLD_SIZE is not set' $T/u2.err"
"$CLI" launch --nproc 2 -- tokenize --tokenizer "$TOK" > /dev/null 2> "$T/u3.err"
check "launch of a command that is not train/embed: exit 2" "[ \$? -eq 2 ]"
exit $fail
