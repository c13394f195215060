#!/usr/bin/env bash
# embedlab-cli train tokenizer: BPE and unigram SentencePiece models trained on Turkish text load, have
# the asked vocabulary, round-trip text (byte fallback) and are refused cleanly for bad input; the
# morphology-aware kind builds its four files from a lexicon, splits words at their roots, round-trips
# every line, and (with the real data) beats a same-size BPE on the treebank's boundary metrics.
# Called by CTest as: bash train_tokenizer.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
SRC=${EMBEDLAB_SOURCE_DIR:-.}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-train-tokenizer.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }
CORPUS="$SRC/data/npm/nlptoolkit-corpus/corpus.txt"
if [ -f "$CORPUS" ]; then head -3000 "$CORPUS" > "$T/tr.txt"; else
  "$PY" -c "import json; print('\n'.join(json.load(open('$FX/tokenizers/sentences.json'))['sentences']*20))" > "$T/tr.txt"
fi
for kind in bpe unigram; do
  "$CLI" train tokenizer --kind $kind --input "$T/tr.txt" --vocab-size 600 --out "$T/$kind" > "$T/$kind.json" 2> "$T/err"; rc=$?
  check "$kind exits 0" "[ $rc -eq 0 ]"
  check "$kind has the asked vocabulary" "[ \"\$(json $T/$kind.json \"d['vocab_size']\")\" = 600 ]"
  echo 'Kitaplarımızı okuyoruz; Ǆ ☀ — Ğğ.' > "$T/probe.txt"
  "$CLI" tokenize --tokenizer "$T/$kind" --input "$T/probe.txt" | "$PY" -c "import json,sys; print(json.dumps(json.loads(sys.stdin.readline())['ids']))" > "$T/ids"
  "$CLI" tokenize --tokenizer "$T/$kind" --decode < "$T/ids" > "$T/dec"
  check "$kind round-trips unseen letters" "[ \"\$($PY -c \"import json; print(json.load(open('$T/dec'))['text'])\")\" = \"\$(cat $T/probe.txt)\" ]"
done
"$CLI" train tokenizer --kind bpe --input "$T/tr.txt" --vocab-size 600 --out "$T/bpe" > /dev/null 2> "$T/err"; rc=$?
check "an existing output exits 3" "[ $rc -eq 3 ] && grep -q -- '--force' $T/err"
# --- kind morph: a hand-made lexicon (kitap softens to kitab; kitaplık is derived with -lHk, so not a root)
L="$T/lex"; mkdir -p "$L"
printf 'kitap CL_ISIM IS_SD\nev CL_ISIM\ngel CL_FIIL\noku CL_FIIL\nokul CL_ISIM\naraba CL_ISIM\nistanbul IS_OA\nkişi CL_ISIM\nkitaplık CL_ISIM\n' > "$L/turkish_dictionary.txt"
printf 'kitap kitap\nev ev\nkitaplık kitap+lHk\nbozuk satır burada\n' > "$L/turkish_morphological_lexicon.txt"
for i in $(seq 20); do printf 'Kitaplarımızdan geldiler\nevlerde kitap okuyoruz\narabayla okula geldik\nkitaplığı aldık\nİstanbul'"'"'da 3 kişi, x-ray ☀\n'; done > "$T/m.txt"
"$CLI" train tokenizer --kind morph --input "$T/m.txt" --input "$T/tr.txt" --lexicon "$L" --vocab-size 1200 --out "$T/m" > "$T/m.json" 2> "$T/err"; rc=$?
check "morph exits 0" "[ $rc -eq 0 ]"
check "morph reports its parts and the malformed lexicon line" "json $T/m.json \"d['kind']=='morph' and d['roots']>=6 and d['suffix_groups']>50 and d['bpe']>0 and d['lexicon_entries_skipped']==1 and d['vocab_size']<=1200 and d['corpus_words_parsed']>0\" | grep -q True"
check "morph writes the seed's three files and morph.json" "[ -f $T/m/kokler.json ] && [ -f $T/m/ekler.json ] && [ -f $T/m/bpe_tokenler.json ] && json $T/m/morph.json \"d['format']=='embedlab-morph' and d['version']==1\" | grep -q True"
check "kitap and kitab share an id; derived kitaplık is no root; lar/ler share a suffix id" "$PY - '$T/m' <<'PY'
import json, sys
k = json.load(open(sys.argv[1] + '/kokler.json')); e = json.load(open(sys.argv[1] + '/ekler.json'))
assert k['<uppercase>'] == 0 and k[' '] == 2 and k['<eos>'] == 6, k
assert k['kitap'] == k['kitab'], (k['kitap'], k.get('kitab'))
assert 'kitaplık' not in k
assert e['lar'] == e['ler'] and e['larımızdan'] == e['lerimizden'], e
PY"
printf ' Kitaplarımızdan\n evlerde\n kitaplığı\n' > "$T/w.txt"
"$CLI" tokenize --tokenizer "$T/m" --input "$T/w.txt" > "$T/w.jsonl"
check "words split at the root: kitap|larımızdan, ev|lerde, kitap|lığı" "$PY - '$T/w.jsonl' <<'PY'
import json, sys
got = [[t for t in json.loads(l)['tokens'] if t not in (' ', '<uppercase>')] for l in open(sys.argv[1])]
assert got == [['kitap', 'larımızdan'], ['ev', 'lerde'], ['kitap', 'lığı']], got
PY"
printf 'Kitaplarımızı okuyoruz; Ǆ ☀ — Ğğ İstanbul'"'"'da 2024.\n' > "$T/probe.txt"
cat "$T/m.txt" >> "$T/probe.txt"
"$CLI" tokenize --tokenizer "$T/m" --input "$T/probe.txt" | "$PY" -c "import json,sys; [print(json.dumps(json.loads(l)['ids'])) for l in sys.stdin]" > "$T/ids"
"$CLI" tokenize --tokenizer "$T/m" --decode --input "$T/ids" > "$T/dec"
check "morph round-trips every line, unseen letters too" "$PY -c \"
import json
a = open('$T/probe.txt', encoding='utf-8').read().split('\n')[:-1]
b = [json.loads(l)['text'] for l in open('$T/dec', encoding='utf-8')]
assert a == b, [(x, y) for x, y in zip(a, b) if x != y][:3]
\""
# The encoder's own segmentation (no lossless fallback) already decodes back on plain Turkish lines:
# the cheapest segmentation and the decoder's choice of allomorphs agree.
printf 'Kitaplarımızdan geldiler\nevlerde kitap okuyoruz\narabayla okula geldik\nkitaplığı aldık\nABD ve NASA\n' > "$T/plain.txt"
"$CLI" tokenize --tokenizer "$T/m" --turkish-encoding reference --input "$T/plain.txt" | "$PY" -c "import json,sys; [print(json.dumps(json.loads(l)['ids'])) for l in sys.stdin]" > "$T/rids"
"$CLI" tokenize --tokenizer "$T/m" --decode --input "$T/rids" > "$T/rdec"
check "the morph encoder's own ids decode back on plain lines" "$PY -c \"
import json
a = open('$T/plain.txt', encoding='utf-8').read().split('\\n')[:-1]
b = [json.loads(l)['text'] for l in open('$T/rdec', encoding='utf-8')]
assert a == b, list(zip(a, b))
\""
printf 'x<allcaps>y <uppercase> <allcaps>\n' > "$T/lit.txt"
"$CLI" tokenize --tokenizer "$T/m" --input "$T/lit.txt" | "$PY" -c "import json,sys; print(json.dumps(json.loads(sys.stdin.readline())['ids']))" > "$T/lids"
"$CLI" tokenize --tokenizer "$T/m" --decode --input "$T/lids" > "$T/ldec"
check "a literal <allcaps> in the text is text, not the marker (id 7)" "$PY -c \"
import json
ids = json.load(open('$T/lids'))
assert 7 not in ids, ids
assert json.load(open('$T/ldec'))['text'] == open('$T/lit.txt', encoding='utf-8').read().rstrip('\\n')
\""
cp -r "$T/m" "$T/mbad"; printf '{"format": "embedlab-morph", "version": "1"}' > "$T/mbad/morph.json"
"$CLI" tokenize --tokenizer "$T/mbad" --input "$T/plain.txt" > /dev/null 2> "$T/err"; rc=$?
check "a morph.json with a wrong version type is a clear error (exit 3)" "[ $rc -eq 3 ] && grep -q 'must say' $T/err"
"$CLI" train tokenizer --kind morph --input "$T/m.txt" --vocab-size 1200 --out "$T/m2" > /dev/null 2> "$T/err"; rc=$?
check "morph without --lexicon is a usage error naming it" "[ $rc -eq 2 ] && grep -q -- '--lexicon' $T/err && [ ! -e $T/m2 ]"
"$CLI" train tokenizer --kind morph --input "$T/m.txt" --lexicon "$T" --vocab-size 1200 --out "$T/m2" > /dev/null 2> "$T/err"; rc=$?
check "a lexicon folder without its files names the missing file" "[ $rc -eq 3 ] && grep -q 'turkish_morphological_lexicon.txt' $T/err && [ ! -e $T/m2 ]"
"$CLI" train tokenizer --kind bpe --input "$T/m.txt" --input "$T/tr.txt" --vocab-size 600 --out "$T/m2" > /dev/null 2> "$T/err"; rc=$?
check "several --input only for morph" "[ $rc -eq 2 ] && grep -q 'several --input' $T/err"
# With the real lexicon and treebank (tools/install-data.sh): the morph tokenizer beats a BPE of the
# same size trained on the same text on both boundary metrics, with the intervals apart.
DICT="$SRC/data/npm/nlptoolkit-dictionary"; TB="$SRC/data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt"
if [ -f "$DICT/turkish_dictionary.txt" ] && [ -f "$TB" ]; then
  "$CLI" train tokenizer --kind morph --input "$T/tr.txt" --lexicon "$DICT" --vocab-size 8000 --out "$T/rm" > "$T/rm.json" 2> "$T/err"; rc=$?
  check "morph on the real lexicon exits 0" "[ $rc -eq 0 ]"
  V=$(json "$T/rm.json" "d['vocab_size']")
  "$CLI" train tokenizer --kind bpe --input "$T/tr.txt" --vocab-size "$V" --out "$T/rb" > /dev/null 2> "$T/err"
  "$CLI" morph boundaries --gold "$TB" --tokenizer "$T/rm" --tokenizer "$T/rb" --bootstrap 200 > "$T/b.json" 2> "$T/err"; rc=$?
  check "morph beats the same-size BPE on boundary hit and root intact, intervals apart" "[ $rc -eq 0 ] && $PY - '$T/b.json' <<'PY'
import json, sys
m, b = json.load(open(sys.argv[1]))
print('morph', m['boundary_hit'], m['root_intact'], m['tokens_per_word'], 'bpe', b['boundary_hit'], b['root_intact'], b['tokens_per_word'])
assert m['kind'] == 'embedlab-morph' and b['kind'] == 'sentencepiece'
for k in ('boundary_hit', 'root_intact'):
    assert m['ci95'][k][0] > b['ci95'][k][1], (k, m['ci95'][k], b['ci95'][k])
PY"
else
  echo "skip: the real lexicon and treebank are not installed (tools/install-data.sh)"
fi
"$CLI" train tokenizer --kind bpe --input "$T/none.txt" --vocab-size 600 --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "a missing corpus exits 3" "[ $rc -eq 3 ] && [ ! -e $T/x ] && ! ls $T | grep -q partial"
exit $fail
