#!/usr/bin/env bash
# embedlab-cli bench generate|embed|project|load: one JSON object each, with the contract's fields
# (machine, threads, dtype) and plausible figures; bad usage and bad input exit 2 and 3.
# Called as: bash bench.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="$EMBEDLAB_FIXTURES/models"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-bench.$$"
rm -rf "$T"; mkdir -p "$T"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
# json FILE EXPR: the Python expression over `j` (the parsed object) must be true.
json() { "$PY" -c "import json,sys,math; j=json.load(open('$1')); sys.exit(0 if ($2) else 1)"; }

"$CLI" bench generate --model "$FX/gemma3_tiny" --prompt-tokens 24 --new-tokens 6 --repeat 2 --threads 2 > "$T/gen.json" 2> "$T/gen.err"
check "bench generate exits 0" "[ $? -eq 0 ]"
check "generate: contract fields" "json $T/gen.json \"j['bench']=='generate' and j['threads']==2 and j['dtype']=='f32' and j['machine'] and j['device']=='cpu'\""
check "generate: rates positive, two runs" "json $T/gen.json \"j['prefill_tokens_per_second']>0 and j['decode_tokens_per_second']>0 and len(j['decode_runs'])==2 and j['prompt_tokens']==24\""
check "generate: median of the runs" "json $T/gen.json \"abs(j['decode_tokens_per_second']-sorted(j['decode_runs'])[0]/2-sorted(j['decode_runs'])[1]/2)<1e-6*j['decode_tokens_per_second']\""

"$CLI" bench generate --model "$FX/gemma3_tiny_bf16" --dtype bf16 --prompt-tokens 8 --new-tokens 4 --repeat 1 > "$T/genb.json" 2>/dev/null
check "generate bf16" "json $T/genb.json \"j['dtype']=='bf16' and j['decode_tokens_per_second']>0\""

"$CLI" bench generate --model "$FX/gpt2_tiny" --prompt-tokens 8 --new-tokens 4 --batch 3 --repeat 1 > "$T/genbatch.json" 2>/dev/null
check "generate --batch: the batch's tokens" "json $T/genbatch.json \"j['batch']==3 and j['decode_tokens_per_second']>0 and j['prefill_tokens_per_second']>0\""
"$CLI" bench generate --model "$FX/gpt2_tiny" --batch 0 > /dev/null 2>&1
check "generate --batch 0 is a usage error" "[ $? -eq 2 ]"

"$CLI" bench embed --model "$FX/bert_tiny" --sentences 40 --batch-size 8 --repeat 2 > "$T/emb.json" 2>/dev/null
check "bench embed exits 0" "[ $? -eq 0 ]"
check "embed: fields and figures" "json $T/emb.json \"j['bench']=='embed' and j['sentences']==40 and j['batch_size']==8 and j['sentences_per_second']>0 and abs(j['tokens_per_second']-j['sentences_per_second']*j['tokens']/40)<1e-6*j['tokens_per_second']\""
# the synthetic corpus: 5 + floor(123·u³) tokens, u = frac(i·φ⁻¹), cut at the model's 64 positions
check "embed: corpus token count" "json $T/emb.json \"j['tokens']==sum(min(64,5+int(123*math.modf(i*0.6180339887498949)[0]**3)) for i in range(40))\""

"$CLI" bench project --points 400 --dim 8 --method tsne > "$T/proj.json" 2>/dev/null
check "bench project exits 0" "[ $? -eq 0 ]"
check "project: t-SNE keeps the clusters" "json $T/proj.json \"j['points']==400 and j['dim']==8 and j['seconds']>0 and j['trustworthiness']>0.9 and j['quality_sample']==400\""

"$CLI" bench load --model "$FX/gpt2_tiny" > "$T/load.json" 2>/dev/null
check "bench load exits 0" "[ $? -eq 0 ]"
# weight bytes = the safetensors payload (F32), computed independently from the header
check "load: weight bytes equal the file's tensors" "json $T/load.json \"j['weight_bytes']==sum(4*math.prod(v['shape']) for k,v in json.loads(open('$FX/gpt2_tiny/model.safetensors','rb').read()[8:8+int.from_bytes(open('$FX/gpt2_tiny/model.safetensors','rb').read(8),'little')]).items() if k!='__metadata__' and k.split('.')[-2:]!=['attn','bias'] and not k.endswith('masked_bias')) and j['load_seconds']>=0 and j['peak_rss_bytes']>0\""

"$CLI" bench > /dev/null 2> "$T/e1"; rc=$?
check "no benchmark named: usage, exit 2" "[ $rc -eq 2 ]"
"$CLI" bench generate --preset no-such-preset > /dev/null 2> "$T/e2"; rc=$?
check "unknown preset: exit 2 with the preset names" "[ $rc -eq 2 ] && grep -q 'gemma3-270m' $T/e2"
"$CLI" bench generate --model "$FX/bert_tiny" > /dev/null 2> "$T/e3"; rc=$?
check "encoder for generate: exit 3, clear message" "[ $rc -eq 3 ] && grep -q '^error: bench generate needs a causal' $T/e3"
"$CLI" bench load --model "$T/missing" > /dev/null 2> "$T/e4"; rc=$?
check "missing model folder: exit 3" "[ $rc -eq 3 ] && grep -q '^error:' $T/e4"

rm -rf "$T"
exit $fail
