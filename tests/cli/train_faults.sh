#!/usr/bin/env bash
# Training under faults (issue #19): `embedlab-cli train` killed with SIGKILL again and again — while a
# checkpoint is being written and at other moments — always leaves a latest checkpoint that loads and
# resumes, and after the last resume the final weights and log equal an uninterrupted run's bit for
# bit; what the killed writers left (partial folders, links) is cleared by the next run. A corrupted
# checkpoint is a clear error naming the file and the previous checkpoint (exit 3), never a crash.
#   bash tests/cli/train_faults.sh path/to/embedlab-cli      (env EMBEDLAB_FIXTURES, EMBEDLAB_TEST_TMP)
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-train-faults.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

"$PY" - "$T/ids.txt" <<'PYEOF'
import sys, random
random.seed(7)
with open(sys.argv[1], "w") as f:
    for _ in range(64):
        f.write(",".join(str(random.randrange(512)) for _ in range(random.randrange(4, 30))) + "\n")
PYEOF
STEPS=160
common=(--model "$FX/models/gpt2_tiny" --ids "$T/ids.txt" --batch-size 4 --seq-len 32 --lr 1e-3 --warmup 5
        --save-every 1 --keep 3 --seed 11 --progress none --steps $STEPS)
"$CLI" train lm "${common[@]}" --out "$T/whole" --log "$T/whole.jsonl" > /dev/null 2> "$T/whole.err"
check "the uninterrupted run" "[ -f $T/whole/model.safetensors ]"

# Kill the run while a checkpoint's partial folder exists (polled as fast as bash can), or after a
# fixed time; then resume it. Each kill must leave a complete latest checkpoint.
partial_now() { compgen -G "$T/run/.checkpoint-*.partial-$pid" > /dev/null; }  # this run's own
latest() { ls -d "$T"/run/checkpoint-* 2>/dev/null | grep -E 'checkpoint-[0-9]+$' | sed 's/.*checkpoint-//' | sort -n | tail -1; }
latest0() { local l; l=$(latest); echo "${l:-0}"; }
# A plan: "partial" (kill while this run's second checkpoint write is under way), "start" (kill 0.3 s
# after the launch, while it loads) or "ckpt:K" (kill once this run has written K checkpoints).
kills=0; mid_write=0
for plan in partial ckpt:12 partial start partial ckpt:25 partial partial; do
  args=("${common[@]}" --out "$T/run" --log "$T/run.jsonl")
  [ -d "$T/run" ] && compgen -G "$T/run/checkpoint-*" > /dev/null && args+=(--resume "$T/run")
  "$CLI" train lm "${args[@]}" > /dev/null 2>> "$T/run.err" &
  pid=$!
  before=$(latest0)
  deadline=$(( SECONDS + 30 ))
  case "$plan" in
    partial)  # wait for the second checkpoint write of this run (the first may be the resume's step)
      seen=0
      while kill -0 $pid 2> /dev/null && [ $SECONDS -lt $deadline ]; do
        if partial_now; then seen=$((seen + 1)); [ $seen -ge 2 ] && break; while partial_now; do :; done; fi
      done ;;
    start) sleep 0.3 ;;
    ckpt:*)
      want=$(( before + ${plan#ckpt:} ))
      while kill -0 $pid 2> /dev/null && [ $SECONDS -lt $deadline ] && [ "$(latest0)" -lt $want ]; do sleep 0.01; done ;;
  esac
  if kill -9 $pid 2> /dev/null; then kills=$((kills + 1)); fi
  wait $pid 2> /dev/null
  partial_now && mid_write=$((mid_write + 1))  # counted after the kill: it died inside a write
  l=$(latest)
  [ -z "$l" ] && continue
  check "after kill $kills the latest checkpoint ($l) is complete" \
    "[ -f $T/run/checkpoint-$l/model.safetensors ] && [ -f $T/run/checkpoint-$l/trainer_state.json ] && [ -f $T/run/checkpoint-$l/optimizer.safetensors ]"
done
echo "killed $kills runs, $mid_write of them while a checkpoint was being written"
check "at least 6 runs were killed, at least 2 in the middle of a checkpoint write" "[ $kills -ge 6 ] && [ $mid_write -ge 2 ]"

# The last resume runs to the end.
"$CLI" train lm "${common[@]}" --out "$T/run" --log "$T/run.jsonl" --resume "$T/run" > "$T/last.json" 2>> "$T/run.err"
rc=$?
check "the final resume finishes (exit 0)" "[ $rc -eq 0 ]"
check "nothing a killed writer left remains (no .partial, .link- or .old)" "! ls -a $T/run | grep -E 'partial|\.link-|\.old$'"
check "the final weights equal the uninterrupted run's bit for bit" "cmp -s $T/whole/model.safetensors $T/run/model.safetensors"
strip() { "$PY" -c "import json,sys; [print(json.dumps({k:v for k,v in json.loads(l).items() if k!='seconds'}, sort_keys=True)) for l in open(sys.argv[1])]" "$1"; }
check "the final log equals the uninterrupted run's" "diff <(strip $T/whole.jsonl) <(strip $T/run.jsonl) > /dev/null"
check "no crash or unexpected message in the killed runs' stderr" "! grep -v -E '^\s*$' $T/run.err | grep -q -i -E 'abort|terminate|segmentation|assert'"

# A damaged latest checkpoint: a clear error naming the file and the previous checkpoint; the
# previous one still resumes.
"$CLI" train lm "${common[@]}" --steps 3 --out "$T/dmg" > /dev/null 2>&1
truncate -s 100 "$T/dmg/checkpoint-3/model.safetensors"
"$CLI" train lm "${common[@]}" --steps 5 --out "$T/dmg" --resume "$T/dmg" > /dev/null 2> "$T/dmg.err"; rc=$?
check "a truncated checkpoint: exit 3 naming the file ($(head -c 200 $T/dmg.err))" \
  "[ $rc -eq 3 ] && grep -q 'checkpoint-3/model.safetensors' $T/dmg.err"
check "… and naming the previous checkpoint to resume from" "grep -q 'checkpoint-2' $T/dmg.err"
"$CLI" train lm "${common[@]}" --steps 5 --out "$T/dmg" --resume "$T/dmg/checkpoint-2" > /dev/null 2> "$T/dmg2.err"; rc=$?
check "the previous checkpoint resumes ($(head -c 200 $T/dmg2.err))" "[ $rc -eq 0 ] && [ -f $T/dmg/checkpoint-5/model.safetensors ]"
echo '{"step": 4, "options": ' > "$T/dmg/checkpoint-5/trainer_state.json"
"$CLI" train lm "${common[@]}" --steps 6 --out "$T/dmg" --resume "$T/dmg" > /dev/null 2> "$T/dmg3.err"; rc=$?
check "a truncated trainer_state.json: exit 3 naming it ($(head -c 200 $T/dmg3.err))" \
  "[ $rc -eq 3 ] && grep -q 'trainer_state.json' $T/dmg3.err"
exit $fail
