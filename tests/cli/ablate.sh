#!/usr/bin/env bash
# Interventions in `embed` and `eval`, and `embedlab-cli ablate` (issue #15), against the independent
# PyTorch reference (tests/reference/train_reference.py, ablation_reference.py) with scipy, numpy and
# sklearn: the fixture models with a byte-level tokenizer (ids = UTF-8 bytes), each study's every row
# recomputed (heads zero/mean grid, layers skip/read, dimensions prefix/pca/drop, precision of vectors
# and of the embedding matrix, tokens, vocabulary), memory figures by arithmetic, outputs (JSON, CSV,
# SVG), determinism, and bad input (exit 3 naming the field, the layer, the budget).
#   bash tests/cli/ablate.sh path/to/embedlab-cli      (env EMBEDLAB_FIXTURES, EMBEDLAB_SOURCE_DIR)
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
REF="$SRC/tests/reference/train_reference.py"
ABL="$SRC/tests/reference/ablation_reference.py"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-ablate.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }

# Model folders: the fixture weights plus a byte-level tokenizer.json (no merges, ids 0–255 = bytes).
"$PY" - "$T" "$FX" <<'PY'
import json, os, shutil, sys
t, fx = sys.argv[1], sys.argv[2]
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs, n = {}, 0
for b in range(256):
    if b in bs: cs[b] = chr(b)
    else: cs[b] = chr(256 + n); n += 1
vocab = {cs[b]: b for b in range(256)}; vocab["<|endoftext|>"] = 511
bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
tok = {"version": "1.0", "truncation": None, "padding": None,
       "added_tokens": [{"id": 511, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False,
                         "normalized": False, "special": True}],
       "normalizer": None, "pre_tokenizer": bl, "post_processor": bl, "decoder": bl,
       "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                 "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": vocab, "merges": []}}
for m in ("gemma3_tiny", "bert_tiny"):
    d = os.path.join(t, m); os.makedirs(d)
    for f in ("config.json", "generation_config.json", "model.safetensors"):
        if os.path.exists(os.path.join(fx, "models", m, f)): shutil.copy(os.path.join(fx, "models", m, f), d)
    json.dump(tok, open(os.path.join(d, "tokenizer.json"), "w"))
# STS pairs (ASCII and Turkish letters), a small text for perplexity and vocabulary counts
pairs = [("Kedi masanın üstünde uyuyor.", "Bir kedi masada uyuyor.", 4.6), ("Yarın yağmur yağacak.", "Hava yarın yağmurlu.", 4.0),
         ("Çocuklar parkta oynuyor.", "Borsa bugün düştü.", 0.2), ("Kitabı okudum.", "Kitap okundu.", 3.5),
         ("Gemi limandan ayrıldı.", "Tren istasyona vardı.", 1.2), ("Ev çok güzel.", "Bu ev harika.", 4.2),
         ("Su kaynıyor.", "Deniz dalgalı.", 1.0), ("Ali okula gitti.", "Ali okula yürüdü.", 3.8),
         ("Elma kırmızı.", "Araba hızlı.", 0.0), ("Kar yağıyor.", "Dışarıda kar var.", 4.1),
         ("Öğretmen ders anlattı.", "Öğrenciler sınava girdi.", 2.0), ("Telefon çaldı.", "Kapı çalındı.", 1.5)]
open(os.path.join(t, "sts.tsv"), "w").write("sentence1\tsentence2\tscore\n" + "".join("%s\t%s\t%s\n" % p for p in pairs))
open(os.path.join(t, "text.txt"), "w").write("Bugün hava çok güzel.\nYarın okula gideceğiz.\nKediler süt içer.\n")
PY
G="$T/gemma3_tiny"; B="$T/bert_tiny"
printf 'Kedi masanın üstünde uyuyor.\nBir kedi\nÇocuklar parkta oynuyor ve gülüyor.\n' > "$T/in.txt"

# ---- interventions in embed and eval --------------------------------------------------------------------
embed_ref() {  # model iv-flags out.npy: mean-pooled last hidden state of each line (alone), reference model
  "$PY" - "$REF" "$1" "$T/in.txt" "$3" "$2" <<'PY'
import sys, importlib.util, numpy as np, torch
spec = importlib.util.spec_from_file_location("ref", sys.argv[1]); ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
m = ref.RefModel(sys.argv[2]); iv = sys.argv[5].split()
for f, v in zip(iv[::2], iv[1::2]):
    if f == "--zero-heads": m.zero_heads = {tuple(map(int, x.split(":"))) for x in v.split(",")}
    if f == "--skip-layers": m.skip_layers = {int(x) for x in v.split(",")}
rows = []
with torch.no_grad():
    for line in open(sys.argv[3], encoding="utf-8"):
        ids = torch.tensor([list(line.rstrip("\n").encode())])
        o = m.forward(ids, torch.ones_like(ids), None if m.is_decoder else torch.zeros_like(ids), heads=())
        rows.append(o["mean_pooled"][0].double().numpy())
np.save(sys.argv[4], np.array(rows))
PY
}
maxdiff() { "$PY" -c "import numpy as np; print(float(np.abs(np.load('$1').astype(np.float64)-np.load('$2')).max()))"; }
for M in "$G" "$B"; do
  n=$(basename "$M")
  IV="--zero-heads 0:1,1:3 --skip-layers 1"
  [ "$n" = bert_tiny ] && IV="--zero-heads 0:1,1:3 --skip-layers 0"
  "$CLI" embed --model "$M" --input "$T/in.txt" $IV --out "$T/$n.iv.npy" > /dev/null 2> "$T/err"; rc=$?
  check "$n: embed with interventions exits 0" "[ $rc -eq 0 ]"
  "$CLI" embed --model "$M" --input "$T/in.txt" --out "$T/$n.plain.npy" > /dev/null 2>&1
  embed_ref "$M" "$IV" "$T/$n.ref.npy"
  d=$(maxdiff "$T/$n.iv.npy" "$T/$n.ref.npy")
  check "$n: embed --zero-heads --skip-layers equals the reference's pooled forward (max |diff| $d)" "$PY -c 'import sys; sys.exit(0 if $d < 2e-5 else 1)'"
  d=$(maxdiff "$T/$n.plain.npy" "$T/$n.ref.npy")
  check "$n: ... and differs from the plain embedding ($d)" "$PY -c 'import sys; sys.exit(0 if $d > 1e-3 else 1)'"
done
"$CLI" embed --model "$G" --input "$T/in.txt" --zero-heads 0:9 --out "$T/x.npy" > /dev/null 2> "$T/err"; rc=$?
check "embed: a head beyond the model exits 3 naming it, writing nothing" "[ $rc -eq 3 ] && grep -q 'head 9' $T/err && [ ! -e $T/x.npy ]"
"$CLI" eval sts --model "$G" --data "$T/sts.tsv" --skip-layers 2 --zero-heads 3:0 > "$T/e.json" 2> "$T/err"; rc=$?
check "eval sts with interventions exits 0 and records them" "[ $rc -eq 0 ] && [ \"\$(json $T/e.json \"d['interventions']\")\" = 'zero 3:0 · skip 2' ]"
cat > "$T/one.json" <<EOF
{"model": "gemma3_tiny", "type": "layers", "layers": {"mode": "skip", "layers": [2]},
 "metrics": [{"task": "sts", "data": "sts.tsv"}, {"task": "perplexity", "data": "text.txt"}]}
EOF
"$CLI" eval perplexity --model "$G" --data "$T/text.txt" --skip-layers 2 > "$T/p.json" 2> "$T/err"; rc=$?
check "eval perplexity --skip-layers exits 0" "[ $rc -eq 0 ]"
"$PY" - "$ABL" "$T" <<'PY' > "$T/pref.json"
import sys, json, importlib.util, torch
spec = importlib.util.spec_from_file_location("abl", sys.argv[1]); abl = importlib.util.module_from_spec(spec); spec.loader.exec_module(abl)
m = abl.ref.RefModel(sys.argv[2] + "/gemma3_tiny"); m.skip_layers = {2}
s1, s2, gold = abl.read_sts(sys.argv[2] + "/sts.tsv")
m2 = abl.ref.RefModel(sys.argv[2] + "/gemma3_tiny"); m2.skip_layers = {2}; m2.zero_heads = {(3, 0)}
v = abl.sentence_vectors(m2, s1 + s2, -1, False)
print(json.dumps({"ppl": abl.perplexity(m, sys.argv[2] + "/text.txt")["perplexity"], "sts": abl.sts_metrics(v, len(s1), gold)["spearman"]}))
PY
check "eval perplexity --skip-layers 2 equals the reference's perplexity" "$PY -c \"
import json; a=json.load(open('$T/p.json')); r=json.load(open('$T/pref.json'))
assert abs(a['perplexity']-r['ppl'])<1e-4*r['ppl'], (a['perplexity'], r)\""
check "eval sts --skip-layers 2 --zero-heads 3:0 equals the reference's spearman" "$PY -c \"
import json; a=json.load(open('$T/e.json')); r=json.load(open('$T/pref.json'))
assert abs(a['spearman']-r['sts'])<1e-6, (a['spearman'], r)\""
"$CLI" eval sts --vectors "$T/gemma3_tiny.iv.npy" --data "$T/sts.tsv" --skip-layers 1 > /dev/null 2> "$T/err"; rc=$?
check "eval: interventions with --vectors are a usage error (2)" "[ $rc -eq 2 ]"

# ---- ablate: one run per study type, every row against the reference --------------------------------------
study() {  # name json → runs it, then the reference
  printf '%s\n' "$2" > "$T/$1.json"
  "$CLI" ablate --study "$T/$1.json" --out "$T/out-$1" > "$T/$1.sum.json" 2> "$T/$1.err"; local rc=$?
  check "ablate $1 exits 0" "[ $rc -eq 0 ] || (cat $T/$1.err; false)"
  "$PY" "$ABL" --study "$T/$1.json" --results "$T/out-$1/results.json" > "$T/$1.ref" 2>&1
  check "ablate $1: every row equals the reference ($(tail -1 $T/$1.ref))" "grep -q '^ok:' $T/$1.ref || (head -20 $T/$1.ref; false)"
}
STS='"metrics": [{"task": "sts", "data": "sts.tsv"}]'
study heads '{"model": "gemma3_tiny", "type": "heads", "heads": {"mode": "zero"},
  "metrics": [{"task": "sts", "data": "sts.tsv"}, {"task": "perplexity", "data": "text.txt"}]}'
check "heads: the full 6 × 4 grid + baseline, a heatmap SVG, CSV with a header and 25 rows" "[ \"\$(json $T/out-heads/results.json \"len(d['rows'])\")\" = 25 ] && [ \$(wc -l < $T/out-heads/results.csv) -eq 26 ] && $PY -c \"import xml.dom.minidom as x; d=x.parse('$T/out-heads/heads_heatmap.svg'); assert len(d.getElementsByTagName('rect'))>=24\""
check "heads: perplexity changes for some head (the grid is not all zero)" "$PY -c \"
import json; d=json.load(open('$T/out-heads/results.json'))
assert any(abs(r['delta']['perplexity.perplexity'])>1e-6 for r in d['rows'][1:])\""
study heads-mean '{"model": "bert_tiny", "type": "heads", "heads": {"mode": "mean", "layers": [0, 1]}, '"$STS"'}'
study heads-mean-gemma '{"model": "gemma3_tiny", "type": "heads", "heads": {"mode": "mean", "layers": [0, 5], "heads": [0, 2]},
  "metrics": [{"task": "sts", "data": "sts.tsv"}, {"task": "perplexity", "data": "text.txt"}]}'
study heads-early '{"model": "gemma3_tiny", "type": "heads", "embedding": {"layer": 2}, '"$STS"'}'
check "heads with vectors read at hidden state 2: only layers 0–1 (8 settings) can change them" "[ \"\$(json $T/out-heads-early/results.json \"len(d['rows'])\")\" = 9 ]"
# The reference notices figures that do not belong to their row: two rows' metrics swapped must fail.
"$PY" - "$T/out-heads/results.json" "$T/out-heads/tampered.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = d["rows"]
r[1]["metrics"], r[2]["metrics"] = r[2]["metrics"], r[1]["metrics"]
json.dump(d, open(sys.argv[2], "w"))
PY
"$PY" "$ABL" --study "$T/heads.json" --results "$T/out-heads/tampered.json" > "$T/tamper.out" 2>&1; rc=$?
check "the reference fails on a results file whose rows were swapped ($(tail -1 $T/tamper.out))" "[ $rc -ne 0 ]"
study layers-skip '{"model": "gemma3_tiny", "type": "layers", "layers": {"mode": "skip"}, "embedding": {"normalize": true},
  "metrics": [{"task": "sts", "data": "sts.tsv"}, {"task": "perplexity", "data": "text.txt"}]}'
study layers-read '{"model": "bert_tiny", "type": "layers", "layers": {"mode": "read"}, '"$STS"'}'
check "layers read: perplexity-free study has hidden states 0–2 as rows" "[ \"\$(json $T/out-layers-read/results.json \"[r['params']['layer'] for r in d['rows'][1:]]\")\" = '[0, 1, 2]' ]"
study dims-prefix '{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"mode": "prefix", "sizes": [48, 16, 4]}, '"$STS"'}'
check "dimensions: a line chart SVG" "$PY -c \"import xml.dom.minidom as x; d=x.parse('$T/out-dims-prefix/chart.svg'); assert d.getElementsByTagName('path')\""
study dims-pca '{"model": "bert_tiny", "type": "dimensions", "dimensions": {"mode": "pca", "sizes": [16, 4]}, '"$STS"'}'
study dims-drop '{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"mode": "drop"}, '"$STS"'}'
study dims-zero '{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"mode": "zero", "ranges": [[0, 31]]}, '"$STS"'}'
study prec-vectors '{"model": "gemma3_tiny", "type": "precision", "precision": {"target": "vectors"}, '"$STS"'}'
study prec-embedding '{"model": "bert_tiny", "type": "precision", "precision": {"target": "embedding", "levels": ["bf16", "int8", "binary"]}, '"$STS"'}'
study tokens '{"model": "gemma3_tiny", "type": "tokens", "tokens": {"mode": "zero", "ids": [97, 32], "sets": [[101, 105]]}, '"$STS"'}'
study tokens-mean '{"model": "bert_tiny", "type": "tokens", "tokens": {"mode": "mean", "strings": ["ı"]}, '"$STS"'}'
study vocab '{"model": "gemma3_tiny", "type": "vocabulary", "vocabulary": {"corpus": "text.txt", "keep": [8, 20], "map": "nearest"}, '"$STS"'}'

# Determinism: random subsets are the same for a seed and differ for another.
R='{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"mode": "random", "sizes": [8], "repeats": 3}, "seed": SEED, '"$STS"'}'
for s in 1 1b 2; do
  printf '%s\n' "${R/SEED/${s%b}}" > "$T/r$s.json"
  "$CLI" ablate --study "$T/r$s.json" --out "$T/out-r$s" > /dev/null 2>&1
done
check "random dimensions: the same seed gives the same figures; another seed others" "$PY -c \"
import json; f=lambda s: [r['metrics'] for r in json.load(open('$T/out-r'+s+'/results.json'))['rows']]
assert f('1')==f('1b') and f('1')!=f('2')\""

# ---- bad input ----------------------------------------------------------------------------------------------
bad() {  # name json pattern
  printf '%s\n' "$2" > "$T/bad.json"
  "$CLI" ablate --study "$T/bad.json" --out "$T/out-bad-$1" > /dev/null 2> "$T/err"; local rc=$?
  check "bad study ($1): exit 3 and the message names it ($(head -c 160 $T/err))" "[ $rc -eq 3 ] && grep -q -- \"$3\" $T/err"
}
bad unknown-field '{"model": "gemma3_tiny", "type": "heads", "heds": {}, "colour": 1, '"$STS"'}' "'colour', 'heds'"
bad unknown-nested '{"model": "gemma3_tiny", "type": "heads", "heads": {"mode": "zero", "layer": [1]}, '"$STS"'}' "study.heads: unknown field 'layer'"
bad layer '{"model": "gemma3_tiny", "type": "heads", "heads": {"layers": [6]}, '"$STS"'}' "6 is beyond the model's 6 layers"
bad head '{"model": "gemma3_tiny", "type": "heads", "heads": {"heads": [0, 4]}, '"$STS"'}' "4 is beyond the model's 4 heads"
bad metric-task '{"model": "gemma3_tiny", "type": "heads", "metrics": [{"task": "stss", "data": "sts.tsv"}]}' "study.metrics\[0\].task must be"
bad ppl-encoder '{"model": "bert_tiny", "type": "heads", "metrics": [{"task": "perplexity", "data": "text.txt"}]}' "perplexity needs a causal LM"
bad budget '{"model": "gemma3_tiny", "type": "heads", "budget": {"seconds": 0.000001}, '"$STS"'}' "would take about"
check "a refused sweep keeps its baseline row on disk" "[ \"\$(json $T/out-bad-budget/results.json \"len(d['rows'])\")\" = 1 ]"
bad memory '{"model": "gemma3_tiny", "type": "tokens", "tokens": {"ids": [1]}, "budget": {"memory_bytes": 1000}, '"$STS"'}' "would need about"
bad unk '{"model": "gemma3_tiny", "type": "vocabulary", "vocabulary": {"corpus": "text.txt", "keep": [8]}, '"$STS"'}' "no unknown token"
bad dims '{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"sizes": [65]}, '"$STS"'}' "65 is more than the model's 64 dimensions"
bad json '{"model": ' "not valid JSON"
bad late-layer '{"model": "gemma3_tiny", "type": "heads", "heads": {"layers": [3]}, "embedding": {"layer": 2}, '"$STS"'}' "layer 3 runs after hidden state 2"
bad mean-late '{"model": "gemma3_tiny", "type": "heads", "heads": {"mode": "mean", "layers": [4]}, "embedding": {"layer": 2},
  "metrics": [{"task": "sts", "data": "sts.tsv"}, {"task": "perplexity", "data": "text.txt"}]}' "mean ablation of layer 4 needs"
bad name '{"model": "gemma3_tiny", "type": "heads", "metrics": [{"task": "sts", "data": "sts.tsv", "name": "a/b"}]}' "must be 1–64 letters"
bad scores '{"model": "gemma3_tiny", "type": "heads", "metrics": [{"task": "sts", "data": "sts.tsv", "min_score": 5, "max_score": 5}]}' "min_score must be below"
bad pca-size '{"model": "gemma3_tiny", "type": "dimensions", "dimensions": {"mode": "pca", "sizes": [30]}, '"$STS"'}' "pca 30 needs more vectors"
check "a refused PCA size keeps the baseline row and the estimate" "[ \"\$(json $T/out-bad-pca-size/results.json \"(len(d['rows']), d['estimate']['seconds'] > 0)\")\" = '(1, True)' ]"
"$CLI" ablate --out "$T/x" > /dev/null 2>&1; rc=$?
check "ablate without --study is a usage error (2)" "[ $rc -eq 2 ]"
exit $fail
