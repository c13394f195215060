#!/usr/bin/env bash
# embedlab-cli forward / generate / embed against the reference fixtures; forward outputs are read back
# with an independent reader (/usr/bin/python3 + numpy). Called as: bash models.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="$EMBEDLAB_FIXTURES"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-models.$$"
rm -rf "$T"; mkdir -p "$T"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

# st.py: a minimal safetensors reader (struct + json + numpy) shared by the checks below.
cat > "$T/st.py" <<'PY'
import json, struct, sys
import numpy as np
DT = {'F32': np.float32, 'I64': np.int64, 'BF16': None}
def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    h = json.loads(raw[8:8 + n]); h.pop('__metadata__', None)
    out = {}
    for k, v in h.items():
        b, e = v['data_offsets']
        buf = raw[8 + n + b: 8 + n + e]
        if v['dtype'] == 'BF16':
            a = (np.frombuffer(buf, np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, DT[v['dtype']])
        out[k] = a.reshape(v['shape'])
    return out
PY

# compare.py OUT EXPECTED CASE ATOL RTOL: every hidden_states.i and logits on valid positions.
cat > "$T/compare.py" <<'PY'
import sys
sys.path.insert(0, sys.argv[1].rsplit('/', 1)[0])
import numpy as np
from st import load
got, exp = load(sys.argv[2]), load(sys.argv[3])
case, atol, rtol = sys.argv[4], float(sys.argv[5]), float(sys.argv[6])
mask = exp[case + '.attention_mask'].astype(bool)
assert (got['attention_mask'] == exp[case + '.attention_mask']).all(), 'attention_mask differs'
assert got['attention_mask'].dtype == np.int64
keys = [k for k in got if k.startswith('hidden_states.')] + (['logits'] if 'logits' in got else [])
assert len(keys) >= 2
for k in keys:
    a, e = got[k], exp[case + '.' + k]
    assert a.shape == e.shape, (k, a.shape, e.shape)
    a, e = a[mask], e[mask]
    bad = np.abs(a - e) > atol + rtol * np.abs(e)
    assert not bad.any(), (k, float(np.abs(a - e).max()))
print('compared', len(keys), 'tensors')
PY

ids_of() {  # ids_of EXPECTED CASE → "1,2,3;4,5"
  "$PY" - "$1" "$2" "$T" <<'PY'
import sys; sys.path.insert(0, sys.argv[3])
from st import load
d = load(sys.argv[1]); ids = d[sys.argv[2] + '.input_ids']; m = d[sys.argv[2] + '.attention_mask']
print(';'.join(','.join(str(int(t)) for t, k in zip(r, mr) if k) for r, mr in zip(ids, m)))
PY
}

for model in gemma3_tiny gpt2_tiny bert_tiny xlmr_tiny; do
  EXP="$FX/expected/$model.safetensors"
  for cs in seq0 batch; do
    IDS=$(ids_of "$EXP" $cs)
    check "forward $model $cs runs" "'$CLI' forward --model '$FX/models/$model' --ids '$IDS' --device cpu --out '$T/$model.$cs.safetensors' > '$T/fw.json'"
    check "forward $model $cs matches the fixture" "'$PY' '$T/compare.py' '$T/st.py' '$T/$model.$cs.safetensors' '$EXP' $cs 1e-4 1e-4"
  done
done
IDS=$(ids_of "$FX/expected/gemma3_tiny_bf16.safetensors" seq1)
check "forward bf16 runs" "'$CLI' forward --model '$FX/models/gemma3_tiny_bf16' --dtype bf16 --ids '$IDS' --out '$T/bf16.safetensors' > /dev/null"
check "forward bf16 within the bf16 tolerance" "'$PY' '$T/compare.py' '$T/st.py' '$T/bf16.safetensors' '$FX/expected/gemma3_tiny_bf16.safetensors' seq1 0.4 0.03"

# generate: greedy ids equal the fixtures' (10 tokens, no EOS stop)
for model in gemma3_tiny gemma3_tiny_bf16 gpt2_tiny; do
  EXP="$FX/expected/$model.safetensors"
  dt=f32; [ $model = gemma3_tiny_bf16 ] && dt=bf16
  for cs in seq0 seq1; do
    IDS=$(ids_of "$EXP" $cs)
    check "generate $model $cs" "'$CLI' generate --model '$FX/models/$model' --ids '$IDS' --max-new-tokens 10 --temperature 0 --no-eos --dtype $dt --top-logprobs 2 > '$T/gen.json' 2>/dev/null"
    check "generate $model $cs greedy ids" "'$PY' - '$T/gen.json' '$EXP' $cs '$T' <<'PY'
import json, sys; sys.path.insert(0, sys.argv[4])
from st import load
g = json.load(open(sys.argv[1])); want = [int(x) for x in load(sys.argv[2])[sys.argv[3] + '.greedy_new_ids'].reshape(-1)]
assert g['ids'] == want, (g['ids'], want)
assert len(g['steps']) == 10 and len(g['steps'][0]['top']) == 2 and g['steps'][0]['top'][0]['id'] == want[0]
assert g['prompt_tokens'] > 0 and g['decode_tokens_per_second'] > 0 and 'prefill_tokens_per_second' in g
PY"
  done
done
# seeded sampling is reproducible
S1=$("$CLI" generate --model "$FX/models/gemma3_tiny" --ids "2,5,6,7" --max-new-tokens 8 --temperature 1.5 --top-k 50 --top-p 0.9 --seed 7 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"])')
S2=$("$CLI" generate --model "$FX/models/gemma3_tiny" --ids "2,5,6,7" --max-new-tokens 8 --temperature 1.5 --top-k 50 --top-p 0.9 --seed 7 2>/dev/null | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"])')
check "seeded sampling reproducible" "[ -n '$S1' ] && [ '$S1' = '$S2' ]"

# errors and exit codes
"$CLI" generate --model "$FX/models/gemma3_tiny" --prompt "merhaba" --max-new-tokens 2 > /dev/null 2> "$T/err"; rc=$?
check "generate --prompt without a tokenizer exits 3" "[ $rc -eq 3 ] && grep -q '^error: .*tokenizer' '$T/err'"
"$CLI" generate --model "$FX/models/bert_tiny" --ids "101,102" --max-new-tokens 2 > /dev/null 2>&1; rc=$?
check "generate with an encoder exits 3" "[ $rc -eq 3 ]"
"$CLI" forward --model "$FX/models/gpt2_tiny" --ids "1,x" --out "$T/x.safetensors" > /dev/null 2>&1; rc=$?
check "forward with bad ids exits 2" "[ $rc -eq 2 ]"
"$CLI" forward --model "$FX/models/gpt2_tiny" --ids "1,9999" --out "$T/x.safetensors" > /dev/null 2>&1; rc=$?
check "forward with an out-of-vocabulary id exits 3" "[ $rc -eq 3 ]"
"$CLI" forward --model "$T/nonexistent" --ids "1,2" --out "$T/x.safetensors" > /dev/null 2>&1; rc=$?
check "forward with a missing model exits 3" "[ $rc -eq 3 ]"
"$CLI" generate --model "$FX/models/gpt2_tiny" --ids "1,2" > /dev/null 2>&1; rc=$?
check "generate without --max-new-tokens exits 2" "[ $rc -eq 2 ]"

# embed: a tiny random XLM-R folder (written here with numpy) + the fixture SentencePiece tokenizer.
printf 'bir\niki üç\nKitap okumayı çok seviyorum.\n' > "$T/lines.txt"
M="$T/xlmr_sp"; mkdir -p "$M"
cp "$FX/sentencepiece/tr_unigram_2k.model" "$M/tokenizer.model"
"$PY" - "$M" <<'PY'
import json, struct, sys
import numpy as np
d = sys.argv[1]; V, H, I, P = 2000, 32, 64, 130
cfg = dict(model_type='xlm-roberta', architectures=['XLMRobertaModel'], vocab_size=V, hidden_size=H, num_hidden_layers=1,
           num_attention_heads=2, intermediate_size=I, max_position_embeddings=P, type_vocab_size=1, pad_token_id=1,
           layer_norm_eps=1e-5, hidden_act='gelu')
json.dump(cfg, open(d + '/config.json', 'w'))
r = np.random.RandomState(5); t = {}
g = lambda *s: (r.randn(*s) * 0.2).astype(np.float32)
t['embeddings.word_embeddings.weight'] = g(V, H); t['embeddings.position_embeddings.weight'] = g(P, H)
t['embeddings.token_type_embeddings.weight'] = g(1, H)
t['embeddings.LayerNorm.weight'] = np.ones(H, np.float32); t['embeddings.LayerNorm.bias'] = np.zeros(H, np.float32)
p = 'encoder.layer.0.'
for n in ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']:
    t[p + n + '.weight'] = g(H, H); t[p + n + '.bias'] = g(H)
for n in ['attention.output.LayerNorm', 'output.LayerNorm']:
    t[p + n + '.weight'] = np.ones(H, np.float32); t[p + n + '.bias'] = np.zeros(H, np.float32)
t[p + 'intermediate.dense.weight'] = g(I, H); t[p + 'intermediate.dense.bias'] = g(I)
t[p + 'output.dense.weight'] = g(H, I); t[p + 'output.dense.bias'] = g(H)
hdr, off, blobs = {}, 0, []
for k in sorted(t):
    b = t[k].tobytes(); hdr[k] = dict(dtype='F32', shape=list(t[k].shape), data_offsets=[off, off + len(b)]); off += len(b); blobs.append(b)
h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
open(d + '/model.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
PY
check "embed npy" "'$CLI' embed --model '$M' --input '$T/lines.txt' --out '$T/e.npy' --batch-size 2 > '$T/e.json'"
check "embed npy contents" "'$PY' - '$T/e.npy' '$T/e.json' <<'PY'
import json, sys
import numpy as np
a = np.load(sys.argv[1]); j = json.load(open(sys.argv[2]))
assert a.shape == (3, 32) and a.dtype == np.float32, a.shape
assert j['count'] == 3 and j['dim'] == 32 and j['per_second'] > 0
assert np.isfinite(a).all() and not np.allclose(a[0], a[1])
PY"
check "embed safetensors + normalize + cls + layer" "'$CLI' embed --model '$M' --input '$T/lines.txt' --out '$T/e.safetensors' --normalize --pooling cls --layer 1 > /dev/null"
check "embed normalized rows have unit norm" "'$PY' - '$T/st.py' '$T/e.safetensors' <<'PY'
import sys; sys.path.insert(0, sys.argv[1].rsplit('/', 1)[0])
import numpy as np
from st import load
a = load(sys.argv[2])['embeddings']
assert a.shape == (3, 32) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
PY"
check "embed tsv equals npy" "'$CLI' embed --model '$M' --input '$T/lines.txt' --out '$T/e.tsv' --batch-size 3 > /dev/null && '$PY' -c \"import numpy as np; a=np.loadtxt('$T/e.tsv', delimiter='\\t', ndmin=2); b=np.load('$T/e.npy'); assert a.shape==b.shape and np.allclose(a,b,atol=1e-5), abs(a-b).max()\""
# A long input is streamed in chunks (1,024 lines with --batch-size 32): rows must line up with the
# lines across chunk boundaries, in every output format, and equal the same lines embedded alone.
"$PY" -c "
import sys
src = open('$T/lines.txt', encoding='utf-8').read().splitlines()
open('$T/long.txt', 'w', encoding='utf-8').write(''.join(f'{src[i % len(src)]} {i}\\n' for i in range(2500)))
open('$T/probe.txt', 'w', encoding='utf-8').write(''.join(f'{src[i % len(src)]} {i}\\n' for i in (0, 1023, 1024, 2499)))"
check "embed a 2,500-line input (streamed) to npy, safetensors and tsv" "'$CLI' embed --model '$M' --input '$T/long.txt' --out '$T/long.npy' > /dev/null && '$CLI' embed --model '$M' --input '$T/long.txt' --out '$T/long.safetensors' > /dev/null && '$CLI' embed --model '$M' --input '$T/long.txt' --out '$T/long.tsv' > /dev/null && '$CLI' embed --model '$M' --input '$T/probe.txt' --out '$T/probe.npy' > /dev/null"
check "streamed rows line up across chunks and formats" "'$PY' - '$T/st.py' '$T' <<'PY'
import sys
sys.path.insert(0, sys.argv[1].rsplit('/', 1)[0])
import numpy as np
from st import load
T = sys.argv[2]
a = np.load(T + '/long.npy'); p = np.load(T + '/probe.npy')
assert a.shape == (2500, 32), a.shape
assert np.allclose(a[[0, 1023, 1024, 2499]], p, atol=1e-5), abs(a[[0, 1023, 1024, 2499]] - p).max()
s = load(T + '/long.safetensors')['embeddings']
assert s.shape == (2500, 32) and np.array_equal(s, a)
t = np.loadtxt(T + '/long.tsv', delimiter='\t', ndmin=2)
assert t.shape == (2500, 32) and np.allclose(t, a, atol=1e-6)
PY"
ls "$T"/long.npy.tmp-* > /dev/null 2>&1; rc=$?
check "no temporary files left behind" "[ $rc -ne 0 ]"
"$CLI" embed --model "$M" --input "$T/lines.txt" --out "$T/e.npy" --layer 5 > /dev/null 2>&1; rc=$?
check "embed with an out-of-range layer exits 3" "[ $rc -eq 3 ]"
"$CLI" embed --model "$FX/models/bert_tiny" --input "$T/lines.txt" --out "$T/e.npy" > /dev/null 2>&1; rc=$?
check "embed without a tokenizer exits 3" "[ $rc -eq 3 ]"
"$CLI" embed --model "$M" --input "$T/lines.txt" --out "$T/e.txt" > /dev/null 2>&1; rc=$?
check "embed with an unknown output format exits 2" "[ $rc -eq 2 ]"

# A 256 MB line: embedded from its first MiB with a warning, in bounded memory (peak RSS under 700 MB;
# holding the line and its tokens took several GB).
"$PY" -c "import sys; sys.stdout.buffer.write(('Kitap okumayı çok seviyorum. ' * 9300000).encode()[:256 << 20] + b'\\nbir\\n')" > "$T/longline.txt"
/usr/bin/time -f '%M' -o "$T/rss" "$CLI" embed --model "$M" --input "$T/longline.txt" --out "$T/long1.npy" > "$T/long1.json" 2> "$T/err"; rc=$?
check "a 256 MB line embeds (exit 0, two vectors)" "[ $rc -eq 0 ] && grep -q '\"count\":2' '$T/long1.json'"
check "the cut line is named in a warning" "grep -q 'longline.txt line 1: 268435456 bytes; only its first 1048576 are embedded' '$T/err'"
check "peak memory stays under 700 MB ($(cat "$T/rss") KB)" "[ \$(cat '$T/rss') -lt 716800 ]"
"$CLI" embed --model "$M" --input "$T/lines.txt" --out "$T/e.npy" --max-line-bytes 10 > /dev/null 2>&1; rc=$?
check "--max-line-bytes below 1024 exits 2" "[ $rc -eq 2 ]"
rm -f "$T/longline.txt"

# A disk that fills up (a 32 KB tmpfs; needs root, as CI has): exit 4 with the system's reason, and
# the previous output and nothing else stays in the folder.
mkdir -p "$T/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=32k tmpfs "$T/full" 2>/dev/null; then
  "$CLI" embed --model "$M" --input "$T/lines.txt" --out "$T/full/e.npy" > /dev/null 2>&1
  before=$(md5sum < "$T/full/e.npy")
  for i in $(seq 400); do echo "satır $i: Kitap okumayı çok seviyorum."; done > "$T/many.txt"
  "$CLI" embed --model "$M" --input "$T/many.txt" --out "$T/full/e.npy" > /dev/null 2> "$T/err"; rc=$?
  check "embed onto a full disk exits 4 naming the file and the reason" \
    "[ $rc -eq 4 ] && grep -q '^error: .*full/e.npy.*No space left on device' '$T/err'"
  check "the previous output is intact and nothing else is left" \
    "[ \"\$(md5sum < '$T/full/e.npy')\" = '$before' ] && [ \"\$(ls '$T/full')\" = e.npy ]"
  umount "$T/full"
else
  echo "skip: a full-disk check needs root and tmpfs"
fi

rm -rf "$T"
exit $fail
