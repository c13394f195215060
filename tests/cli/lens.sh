#!/usr/bin/env bash
# Interventions and the logit lens (issue #15) against the independent PyTorch reference
# (tests/reference/train_reference.py): `forward --zero-heads/--skip-layers` equals the reference forward
# with the same heads zeroed and layers skipped, for every fixture family (and differs from the plain
# forward); `lens` equals each layer's hidden state read through the reference's final norm + LM head
# (+ soft-cap), the last layer the model's own logits; `generate` takes the interventions; bad layers,
# heads and encoders are clear errors (exit 3).
#   bash tests/cli/lens.sh path/to/embedlab-cli      (env EMBEDLAB_FIXTURES, EMBEDLAB_SOURCE_DIR)
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
REF="$SRC/tests/reference/train_reference.py"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-lens.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
IDS="5,17,42,7,99,3;8,12,30"
printf '5,17,42,7,99,3\n8,12,30\n' > "$T/ids.txt"
compare() {  # cli.safetensors ref.safetensors → max |diff| over the shared hidden states and logits
  "$PY" - "$1" "$2" "$REF" <<'PY'
import sys, importlib.util
spec = importlib.util.spec_from_file_location("ref", sys.argv[3]); ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
a, _ = ref.read_safetensors(sys.argv[1]); b, _ = ref.read_safetensors(sys.argv[2])
want = lambda d: {k for k in d if k.startswith("hidden_states.") or k in ("logits", "mlm_logits")}
assert want(a) == want(b) and len(want(a)) >= 3, (sorted(a), sorted(b))
keys = sorted(want(a))
mask = b["attention_mask"].bool()
worst = 0.0
for k in keys:
    x, y = a[k].double(), b[k].double()
    assert x.shape == y.shape, (k, x.shape, y.shape)
    d = (x - y).abs()[mask]          # padded positions are not compared
    worst = max(worst, float(d.max()))
print(worst)
PY
}
for m in gemma3_tiny gpt2_tiny bert_tiny xlmr_tiny; do
  IV="--zero-heads 0:1,0:3 --skip-layers 1"
  "$CLI" forward --model "$FX/models/$m" --ids "$IDS" $IV --out "$T/$m.iv.safetensors" > /dev/null 2> "$T/err"; rc=$?
  check "$m: forward with interventions exits 0" "[ $rc -eq 0 ]"
  "$CLI" forward --model "$FX/models/$m" --ids "$IDS" --out "$T/$m.plain.safetensors" > /dev/null 2>&1
  "$PY" "$REF" --model "$FX/models/$m" --forward-out "$T/$m.ref.safetensors" --ids "$T/ids.txt" $IV > /dev/null 2> "$T/err"
  d=$(compare "$T/$m.iv.safetensors" "$T/$m.ref.safetensors"); 
  check "$m: zeroed heads and a skipped layer equal the reference's (max |diff| $d)" "$PY -c 'import sys; sys.exit(0 if float(\"$d\") < 2e-4 else 1)'"
  d=$(compare "$T/$m.plain.safetensors" "$T/$m.ref.safetensors")
  check "$m: the interventions change the outputs (plain vs intervened differ by $d)" "$PY -c 'import sys; sys.exit(0 if float(\"$d\") > 1e-3 else 1)'"
done
# The logit lens.
for m in gemma3_tiny gpt2_tiny; do
  for IV in "" "--skip-layers 1 --zero-heads 0:2"; do
    "$CLI" lens --model "$FX/models/$m" --ids "5,17,42,7,99,3" --top 3 $IV > "$T/lens.json" 2> "$T/err"; rc=$?
    "$PY" "$REF" --model "$FX/models/$m" --lens --ids "$T/ids.txt" --top 3 $IV > "$T/ref.json" 2> "$T/err2"
    check "$m lens ${IV:-(no intervention)}: every layer's top tokens and probabilities equal the reference's readout" "[ $rc -eq 0 ] && $PY - '$T/lens.json' '$T/ref.json' <<'PY'
import json, sys
got, exp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert [l['layer'] for l in got['layers']] == list(range(len(exp['layers']))), got['layers']
for gl, el in zip(got['layers'], exp['layers']):
    assert len(gl['positions']) == len(el) == 6
    for gp, ep in zip(gl['positions'], el):
        for g, e in zip(gp['top'], ep):
            assert abs(g['prob'] - e['prob']) < 1e-4, (gl['layer'], g, e)
        if ep[0]['prob'] - ep[1]['prob'] > 1e-4:
            assert gp['top'][0]['id'] == ep[0]['id'], (gl['layer'], gp['top'], ep)
assert got['next_token']['id'] == exp['next_token']
assert max(abs(a - b) for a, b in zip(got['next_token_prob'], exp['next_token_prob'])) < 1e-4
assert len(got['tokens']) == 6 and got['ids'] == [5, 17, 42, 7, 99, 3]
PY"
  done
done
# generate takes the interventions: its first token is the lens's (the reference's) next token.
"$CLI" generate --model "$FX/models/gpt2_tiny" --ids "5,17,42,7,99,3" --max-new-tokens 1 --skip-layers 1 --zero-heads 0:2 --no-eos > "$T/gen.json" 2> "$T/err"; rc=$?
"$PY" "$REF" --model "$FX/models/gpt2_tiny" --lens --ids "$T/ids.txt" --top 1 --skip-layers 1 --zero-heads 0:2 > "$T/ref.json"
check "generate with interventions picks the intervened model's next token" "[ $rc -eq 0 ] && [ \"\$($PY -c \"import json; print(json.load(open('$T/gen.json'))['ids'][0])\")\" = \"\$($PY -c \"import json; print(json.load(open('$T/ref.json'))['next_token'])\")\" ]"
# Cached decoding with interventions: Gemma's greedy tokens equal the lens's next token on each growing
# prefix (the lens runs the uncached forward).
"$CLI" generate --model "$FX/models/gemma3_tiny" --ids "5,17,42,7" --max-new-tokens 4 --skip-layers 1,3 --zero-heads 0:2 --no-eos > "$T/gen4.json" 2> "$T/err"
ids="5,17,42,7"
for i in 1 2 3 4; do
  n=$("$CLI" lens --model "$FX/models/gemma3_tiny" --ids "$ids" --top 1 --skip-layers 1,3 --zero-heads 0:2 2>/dev/null | "$PY" -c "import json,sys; print(json.load(sys.stdin)['next_token']['id'])")
  ids="$ids,$n"
done
check "cached generation with interventions equals the uncached forward, step by step" "[ \"\$($PY -c \"import json; print(','.join(map(str, [5,17,42,7] + json.load(open('$T/gen4.json'))['ids'])))\")\" = '$ids' ]"
# Bad input.
bad() {  # name, expected stderr text, command...
  local name="$1" text="$2"; shift 2
  "$CLI" "$@" > /dev/null 2> "$T/err"; local rc=$?
  check "$name exits 3" "[ $rc -eq 3 ] && grep -q -- \"$text\" $T/err"
}
bad "a layer beyond the model" "layer 9 is beyond the model's 2 layers" forward --model "$FX/models/gpt2_tiny" --ids 1,2 --zero-heads 9:0 --out "$T/x.safetensors"
bad "a head beyond the model" "head 4 is beyond the model's 4 heads" forward --model "$FX/models/gpt2_tiny" --ids 1,2 --zero-heads 0:4 --out "$T/x.safetensors"
bad "a skipped layer beyond the model" "skip-layers 2" lens --model "$FX/models/gpt2_tiny" --ids 1,2 --skip-layers 2
bad "a malformed head" "LAYER:HEAD" lens --model "$FX/models/gpt2_tiny" --ids 1,2 --zero-heads 1-2
bad "the lens of an encoder" "causal LM" lens --model "$FX/models/bert_tiny" --ids 1,2
bad "an empty item" "LAYER:HEAD" lens --model "$FX/models/gpt2_tiny" --ids 1,2 --zero-heads 0:1,
bad "a huge layer is out of range, not malformed" "beyond the model" lens --model "$FX/models/gpt2_tiny" --ids 1,2 --zero-heads 99999999999:0
bad "generate checks interventions even for no new token" "layer 99" generate --model "$FX/models/gpt2_tiny" --ids 1,2 --max-new-tokens 0 --skip-layers 99
bad "an id outside the vocabulary" "outside the vocabulary" lens --model "$FX/models/gpt2_tiny" --ids 1,99999
# Activation patching (--patch-residual): a corrupted prompt's hidden state 1 at position 3 replaced by the
# clean prompt's equals the reference with the same patch (every hidden state and the logits), and changes
# the outputs; patching a run with its own hidden state (every position) changes nothing; a state beyond
# the model's layers (the last hidden state is no layer's input) and a patch of another width are clear errors.
printf '5,17,42,8,99,3\n' > "$T/corrupt.txt"
for m in gemma3_tiny gpt2_tiny bert_tiny; do
  "$CLI" forward --model "$FX/models/$m" --ids "5,17,42,7,99,3" --out "$T/$m.clean.safetensors" > /dev/null 2>&1
  "$CLI" forward --model "$FX/models/$m" --ids "5,17,42,8,99,3" --out "$T/$m.corrupt.safetensors" > /dev/null 2>&1
  "$CLI" forward --model "$FX/models/$m" --ids "5,17,42,8,99,3" --patch-residual "1:$T/$m.clean.safetensors" \
    --patch-positions 3 --out "$T/$m.patched.safetensors" > /dev/null 2> "$T/err"; rc=$?
  check "$m: forward --patch-residual exits 0" "[ $rc -eq 0 ] || (cat $T/err; false)"
  "$PY" "$REF" --model "$FX/models/$m" --forward-out "$T/$m.ref.safetensors" --ids "$T/corrupt.txt" \
    --patch-residual "1:$T/$m.clean.safetensors" --patch-positions 3 > /dev/null 2> "$T/err2"
  d=$(compare "$T/$m.patched.safetensors" "$T/$m.ref.safetensors")
  check "$m: the patched forward equals the reference's (max |diff| $d)" "$PY -c 'import sys; sys.exit(0 if float(\"$d\") < 2e-4 else 1)'"
  d=$(compare "$T/$m.corrupt.safetensors" "$T/$m.ref.safetensors")
  check "$m: ... and the patch changes the outputs ($d)" "$PY -c 'import sys; sys.exit(0 if float(\"$d\") > 1e-4 else 1)'"
  "$CLI" forward --model "$FX/models/$m" --ids "5,17,42,8,99,3" --patch-residual "1:$T/$m.corrupt.safetensors" \
    --out "$T/$m.self.safetensors" > /dev/null 2>&1
  d=$(compare "$T/$m.self.safetensors" "$T/$m.corrupt.safetensors")
  check "$m: patching a run with its own hidden state changes nothing ($d)" "$PY -c 'import sys; sys.exit(0 if float(\"$d\") < 1e-6 else 1)'"
done
bad "a patch beyond the model's layers" "hidden states 0–1" forward --model "$FX/models/gpt2_tiny" --ids "5,17,42,8,99,3" --patch-residual "7:$T/gpt2_tiny.clean.safetensors:hidden_states.1" --out "$T/x.safetensors"
bad "a patch tensor that is not in the file" "has no tensor" forward --model "$FX/models/gpt2_tiny" --ids "5,17,42,8,99,3" --patch-residual "1:$T/gpt2_tiny.clean.safetensors:nope" --out "$T/x.safetensors"
bad "a patch of another width" "hidden size" forward --model "$FX/models/gemma3_tiny" --ids "5,17,42,8,99,3" --patch-residual "1:$T/gpt2_tiny.clean.safetensors:logits" --out "$T/x.safetensors"
exit $fail
