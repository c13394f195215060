#!/usr/bin/env bash
# embedlab-cli train static: skip-gram with character n-grams on Turkish text writes word2vec text and
# binary files that embedlab reads back (the same numbers), with vectors for --oov-words composed from
# n-grams; a tokenizer's pieces can be the units; bad options are refused with exit 3 and no file.
# Called by CTest as: bash train_static.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-train-static.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }
CORPUS="$SRC/data/npm/nlptoolkit-corpus/corpus.txt"
if [ -f "$CORPUS" ]; then head -4000 "$CORPUS" > "$T/tr.txt"; else
  "$PY" -c "import json; print('\n'.join(json.load(open('$FX/tokenizers/sentences.json'))['sentences']*40))" > "$T/tr.txt"
fi
printf 'kitaplarımızdan\nzzzqqq\nkitaplarımızdan\n' > "$T/oov.txt"
common="--input $T/tr.txt --dim 24 --epochs 2 --min-count 3 --buckets 50000 --threads 1 --seed 3"
"$CLI" train static $common --oov-words "$T/oov.txt" --out "$T/v.vec" > "$T/v.json" 2> "$T/err"; rc=$?
check "text output exits 0" "[ $rc -eq 0 ]"
check "the JSON has the contract's fields" "json $T/v.json \"all(k in d for k in ('words','vocab','seconds','words_per_second')) and d['words'] > d['vocab'] > 50 and d['words_per_second'] > 0\" | grep -q True"
WORDS=$(wc -w < "$T/tr.txt")
check "words are the corpus' whitespace words" "[ \"\$(json $T/v.json \"d['words']\")\" = $WORDS ]"
check "the header says vocab + OOV rows and the dimension" "[ \"\$(head -1 $T/v.vec)\" = \"\$(json $T/v.json \"str(d['vocab'] + d['oov_written']) + ' 24'\")\" ]"
check "the OOV word is written once" "[ \$(grep -c '^kitaplarımızdan ' $T/v.vec) -eq 1 ]"
check "every line has 25 fields" "awk 'NR>1 && NF!=25 {bad=1} END {exit bad}' $T/v.vec"
"$CLI" train static $common --out "$T/v.bin" > "$T/b.json" 2> "$T/err"; rc=$?
check "binary output exits 0" "[ $rc -eq 0 ]"
"$CLI" neighbors --input "$T/v.bin" --query 've' --k 3 > "$T/n.json" 2> "$T/err"; rc=$?
check "the binary file is read back by neighbors" "[ $rc -eq 0 ] && grep -q '\"label\"' $T/n.json"
check "text and binary hold the same vectors (one thread, one seed: the same run)" \
  "$PY -c \"
import numpy as np
t = open('$T/v.vec', encoding='utf-8').read().rstrip('\\n').split('\\n')
n, d = map(int, t[0].split())
vt = {l.split(' ')[0]: np.array(l.split(' ')[1:], dtype=np.float64) for l in t[1:]}
b = open('$T/v.bin', 'rb').read(); hdr, rest = b.split(b'\\n', 1)
nb, db = map(int, hdr.split()); assert db == d == 24 and nb == n - $(json $T/v.json "d['oov_written']")
pos = 0; worst = 0.0
for _ in range(nb):
    sp = rest.index(b' ', pos); w = rest[pos:sp].decode(); v = np.frombuffer(rest[sp + 1:sp + 1 + 4 * d], dtype='<f4')
    pos = sp + 1 + 4 * d + 1
    worst = max(worst, float(np.max(np.abs(vt[w] - v) / (np.abs(v) + 1e-3))))
print('ok' if worst < 1e-4 else worst)\" | grep -q ok"
if [ -f "$FX/tokenizers/turkish-seed/kokler.json" ]; then
  "$CLI" train static $common --units "tokenizer:$FX/tokenizers/turkish-seed" --subwords none --out "$T/p.vec" > "$T/p.json" 2> "$T/err"; rc=$?
  check "tokenizer pieces as units" "[ $rc -eq 0 ] && [ \"\$(json $T/p.json \"d['words'] > $WORDS\")\" = True ]"
fi
# Projector output with parts of speech from a treebank: vectors.tsv + metadata.tsv that the map reads.
printf 've\tve+CONJ\nbir\tbir+DET\nkitap\tkitap+NOUN+A3SG+PNON+NOM\n' > "$T/tb.txt"
"$CLI" train static $common --gold "$T/tb.txt" --out "$T/tr_vectors.tsv" > "$T/p.json" 2> "$T/err"; rc=$?
check "Projector output names its metadata and counts the POS-labelled rows" \
  "[ $rc -eq 0 ] && [ \"\$(json $T/p.json \"d['metadata']\")\" = $T/tr_metadata.tsv ] && [ \"\$(json $T/p.json \"d['pos_labelled']\")\" -ge 1 ]"
check "the metadata has a header, one row per vector, and CONJ for ve" \
  "[ \"\$(head -1 $T/tr_metadata.tsv)\" = \"\$(printf 'word\tcount\tpos\tunit')\" ] && [ \$((\$(wc -l < $T/tr_metadata.tsv) - 1)) -eq \$(wc -l < $T/tr_vectors.tsv) ] && grep -qP '^ve\t[0-9]+\tCONJ\tvocabulary$' $T/tr_metadata.tsv"
"$CLI" neighbors --input "$T/tr_vectors.tsv" --query ve --k 2 > /dev/null 2> "$T/err"; rc=$?
check "neighbors reads the Projector pair (labels from the metadata)" "[ $rc -eq 0 ]"
bad() {  # name, expected stderr text, args...
  local name="$1" text="$2"; shift 2
  "$CLI" train static "$@" > /dev/null 2> "$T/err"; local rc=$?
  check "$name exits 3" "[ $rc -eq 3 ] && grep -qi -- \"$text\" $T/err && [ ! -e $T/bad.vec ]"
}
bad "unknown units" "units" --input "$T/tr.txt" --units letters --out "$T/bad.vec"
bad "morph units without a tokenizer name --tokenizer" "--tokenizer" --input "$T/tr.txt" --units morph --out "$T/bad.vec"
bad "morph units with a tokenizer of another kind" "kind morph" --input "$T/tr.txt" --units morph --tokenizer "$FX/tokenizers/turkish-seed" --out "$T/bad.vec"
# Morphological units: a morphology-aware tokenizer from a hand-made lexicon; each word becomes its root
# and suffix groups, allomorphs one unit (lar = ler), no space or <uppercase> units.
mkdir -p "$T/lex"
printf 'kitap CL_ISIM IS_SD\nev CL_ISIM\ngel CL_FIIL\nokul CL_ISIM\ngöz CL_ISIM\n' > "$T/lex/turkish_dictionary.txt"
printf 'kitap kitap\nev ev\n' > "$T/lex/turkish_morphological_lexicon.txt"
for i in $(seq 40); do printf 'Kitaplar evlerde\nevler kitaplarda\ngözler okullarda\n'; done > "$T/m.txt"
"$CLI" train tokenizer --kind morph --input "$T/m.txt" --input "$T/tr.txt" --lexicon "$T/lex" --vocab-size 1500 --out "$T/morph" > /dev/null 2> "$T/err"
"$CLI" train static --input "$T/m.txt" --units morph --tokenizer "$T/morph" --min-count 1 --dim 8 --epochs 1 --subwords none --out "$T/m.vec" > /dev/null 2> "$T/err"; rc=$?
check "morph units: root and suffix-group units, allomorphs shared, no markers" "[ $rc -eq 0 ] && $PY - '$T/m.vec' <<'PY'
import sys
words = {l.split(' ')[0] for l in list(open(sys.argv[1], encoding='utf-8'))[1:]}
assert {'kitap', 'ev', 'göz', 'okul'} <= words, words
lar = {w for w in words if w in ('lar', 'ler')}
assert len(lar) == 1, words          # one unit for the plural's two forms
assert not any(w.strip() == '' or w.startswith('<') for w in words if w != '</s>'), words
PY"
bad "a reversed n-gram range" "subwords" --input "$T/tr.txt" --subwords 6-3 --out "$T/bad.vec"
bad "a missing corpus" "none.txt" --input "$T/none.txt" --out "$T/bad.vec"
bad "a min-count nothing reaches" "min-count" --input "$T/tr.txt" --min-count 100000000 --out "$T/bad.vec"
bad "an unknown extension" "vec" --input "$T/tr.txt" --out "$T/bad.npy"
bad "--gold without a .tsv output" "tsv" --input "$T/tr.txt" --gold "$T/tb.txt" --out "$T/bad.vec"
exit $fail
