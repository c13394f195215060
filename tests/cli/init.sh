#!/usr/bin/env bash
# embedlab-cli init: random HF folders from small custom configs, checked with an independent reader
# (plain Python: struct + json). Called by CTest as: bash init.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="$EMBEDLAB_FIXTURES/models"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-init.$$"
rm -rf "$T"; mkdir -p "$T"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

# header.py FILE → prints {"name": [dtype, shape]} and checks the file's layout (sizes, offsets, padding).
cat > "$T/header.py" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
assert n % 8 == 0, 'header not padded to 8 bytes'
h = json.loads(raw[8:8 + n].decode('utf-8'))
meta = h.pop('__metadata__', {})
size = {'F32': 4, 'BF16': 2, 'F16': 2}
end = 0
for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0]):
    b, e = v['data_offsets']
    cnt = 1
    for d in v['shape']:
        cnt *= d
    assert b == end and e - b == cnt * size[v['dtype']], k
    end = e
assert 8 + n + end == len(raw), 'file size'
print(json.dumps({k: [v['dtype'], v['shape']] for k, v in h.items()}, sort_keys=True))
PY

# expected.py CONFIG → the HF tensor names and shapes for a config (independent of the C++ code).
cat > "$T/expected.py" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); t = {}
mt = c['model_type']
if mt == 'gemma3_text':
    V, H, I, L = c['vocab_size'], c['hidden_size'], c['intermediate_size'], c['num_hidden_layers']
    nh, kv, hd = c['num_attention_heads'], c['num_key_value_heads'], c['head_dim']
    t['model.embed_tokens.weight'] = [V, H]; t['model.norm.weight'] = [H]
    for l in range(L):
        p = 'model.layers.%d.' % l
        t[p + 'self_attn.q_proj.weight'] = [nh * hd, H]; t[p + 'self_attn.o_proj.weight'] = [H, nh * hd]
        t[p + 'self_attn.k_proj.weight'] = [kv * hd, H]; t[p + 'self_attn.v_proj.weight'] = [kv * hd, H]
        t[p + 'self_attn.q_norm.weight'] = [hd]; t[p + 'self_attn.k_norm.weight'] = [hd]
        for n in ['input', 'post_attention', 'pre_feedforward', 'post_feedforward']:
            t[p + n + '_layernorm.weight'] = [H]
        t[p + 'mlp.gate_proj.weight'] = [I, H]; t[p + 'mlp.up_proj.weight'] = [I, H]; t[p + 'mlp.down_proj.weight'] = [H, I]
print(json.dumps(t, sort_keys=True))
PY

shapes() { "$PY" -c 'import json,sys; print(json.dumps({k: v[1] for k, v in json.load(sys.stdin).items()}, sort_keys=True))'; }

# A small custom Gemma 3 config (not one of the fixtures' exact sizes).
"$PY" - "$FX/gemma3_tiny/config.json" "$T/custom.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c.update(vocab_size=300, hidden_size=48, intermediate_size=96, num_hidden_layers=3, head_dim=16,
         num_attention_heads=2, num_key_value_heads=1, layer_types=['sliding_attention'] * 2 + ['full_attention'])
json.dump(c, open(sys.argv[2], 'w'))
PY

out=$("$CLI" init --arch gemma3 --config "$T/custom.json" --seed 7 --out "$T/a" 2>"$T/err"); rc=$?
check "init custom gemma3 exits 0" "[ $rc -eq 0 ]"
check "summary JSON has parameters, bytes, path" \
  "echo '$out' | $PY -c 'import json,os,sys; j=json.load(sys.stdin); assert j[\"parameters\"]>0 and j[\"bytes\"]==os.path.getsize(\"$T/a/model.safetensors\") and j[\"path\"]==\"$T/a\"'"
check "folder has config.json, generation_config.json, model.safetensors" \
  "[ -s $T/a/config.json ] && [ -s $T/a/generation_config.json ] && [ -s $T/a/model.safetensors ]"
check "config.json keeps the custom sizes, says float32" \
  "$PY -c 'import json; c=json.load(open(\"$T/a/config.json\")); assert c[\"hidden_size\"]==48 and c[\"vocab_size\"]==300 and c[\"torch_dtype\"]==\"float32\" and c[\"architectures\"]==[\"Gemma3ForCausalLM\"]'"
check "generation_config.json has bos/eos/pad" \
  "$PY -c 'import json; g=json.load(open(\"$T/a/generation_config.json\")); assert (g[\"bos_token_id\"],g[\"eos_token_id\"],g[\"pad_token_id\"])==(2,1,0)'"
"$PY" "$T/header.py" "$T/a/model.safetensors" > "$T/a.header"; rc=$?
check "python reads model.safetensors (layout, padding, sizes)" "[ $rc -eq 0 ]"
check "tensor names and shapes match the config" \
  "[ \"\$(shapes < $T/a.header)\" = \"\$($PY $T/expected.py $T/custom.json)\" ]"
check "all tensors are F32" "$PY -c 'import json; assert {v[0] for v in json.load(open(\"$T/a.header\")).values()}=={\"F32\"}'"
check "parameters equal the sum of tensor sizes" \
  "echo '$out' | $PY -c 'import json,sys,math; j=json.load(sys.stdin); h=json.load(open(\"$T/a.header\")); assert j[\"parameters\"]==sum(math.prod(v[1]) for v in h.values())'"

"$CLI" init --arch gemma3 --config "$T/custom.json" --seed 7 --out "$T/b" >/dev/null 2>&1
"$CLI" init --arch gemma3 --config "$T/custom.json" --seed 8 --out "$T/c" >/dev/null 2>&1
check "same seed → identical bytes" "cmp -s $T/a/model.safetensors $T/b/model.safetensors"
check "different seed → different bytes" "! cmp -s $T/a/model.safetensors $T/c/model.safetensors"

"$CLI" init --arch gemma3 --config "$T/custom.json" --seed 7 --dtype bf16 --out "$T/h" >/dev/null 2>&1; rc=$?
check "bf16 init exits 0" "[ $rc -eq 0 ]"
check "bf16 tensors and torch_dtype bfloat16" \
  "$PY $T/header.py $T/h/model.safetensors | $PY -c 'import json,sys; assert {v[0] for v in json.load(sys.stdin).values()}=={\"BF16\"}; assert json.load(open(\"$T/h/config.json\"))[\"torch_dtype\"]==\"bfloat16\"'"

# The other architectures: the fixtures' own configs give exactly the fixtures' layouts.
for pair in gpt2:gpt2_tiny bert:bert_tiny xlm-roberta:xlmr_tiny; do
  arch=${pair%%:*}; m=${pair#*:}
  "$CLI" init --arch "$arch" --config "$FX/$m/config.json" --seed 1 --out "$T/$m" >/dev/null 2>"$T/err"; rc=$?
  check "init $arch exits 0" "[ $rc -eq 0 ]"
  check "$arch layout equals the fixture's model.safetensors" \
    "[ \"\$($PY $T/header.py $T/$m/model.safetensors)\" = \"\$($PY $T/header.py $FX/$m/model.safetensors)\" ]"
done
check "encoders get no generation_config.json" "[ ! -e $T/bert_tiny/generation_config.json ]"

# Usage errors → 2.
"$CLI" init --arch gemma3 --out "$T/x" >/dev/null 2>&1; rc=$?
check "neither --preset nor --config exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch gemma3 --preset gemma3-270m --config "$T/custom.json" --out "$T/x" >/dev/null 2>&1; rc=$?
check "both --preset and --config exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch gemma3 --config "$T/custom.json" >/dev/null 2>&1; rc=$?
check "missing --out exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch llama --config "$T/custom.json" --out "$T/x" >/dev/null 2>&1; rc=$?
check "unknown --arch exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch gpt2 --preset bert-base --out "$T/x" >/dev/null 2>"$T/err"; rc=$?
check "--arch disagreeing with the preset exits 2" "[ $rc -eq 2 ] && grep -q 'does not match' $T/err"
"$CLI" init --arch gpt2 --preset gpt5 --out "$T/x" >/dev/null 2>&1; rc=$?
check "unknown preset exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch gemma3 --config "$T/custom.json" --dtype int4 --out "$T/x" >/dev/null 2>&1; rc=$?
check "bad --dtype exits 2" "[ $rc -eq 2 ]"
"$CLI" init --arch gemma3 --config "$T/custom.json" --seed -1 --out "$T/x" >/dev/null 2>&1; rc=$?
check "negative --seed exits 2" "[ $rc -eq 2 ]"

# Bad input → 3.
"$CLI" init --arch gemma3 --config "$T/no-such-config.json" --out "$T/x" >/dev/null 2>"$T/err"; rc=$?
check "missing config file exits 3" "[ $rc -eq 3 ] && grep -q 'no-such-config.json' $T/err"
"$CLI" init --arch bert --config "$T/custom.json" --out "$T/x" >/dev/null 2>"$T/err"; rc=$?
check "--arch disagreeing with the config's model_type exits 3" "[ $rc -eq 3 ] && grep -q 'gemma3' $T/err"
"$PY" -c "import json; c=json.load(open('$FX/bert_tiny/config.json')); c['num_attention_heads']=5; json.dump(c, open('$T/badheads.json','w'))"
"$CLI" init --arch bert --config "$T/badheads.json" --out "$T/x" >/dev/null 2>"$T/err"; rc=$?
check "heads not dividing hidden exits 3 naming the field" "[ $rc -eq 3 ] && grep -q 'num_attention_heads' $T/err"
echo '{"model_type": "bert", ' > "$T/broken.json"
"$CLI" init --arch bert --config "$T/broken.json" --out "$T/x" >/dev/null 2>&1; rc=$?
check "config that is not JSON exits 3" "[ $rc -eq 3 ]"
check "failed runs wrote no model" "[ ! -e $T/x/model.safetensors ]"

rm -rf "$T"
if [ $fail -ne 0 ]; then echo "cli.init: FAILED"; exit 1; fi
echo "cli.init: all checks passed"
