#!/usr/bin/env bash
# embedlab-cli train tokenizer: BPE and unigram SentencePiece models trained on Turkish text load, have
# the asked vocabulary, round-trip text (byte fallback) and are refused cleanly for bad input.
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
"$CLI" train tokenizer --kind morph --input "$T/tr.txt" --vocab-size 600 --out "$T/m" > /dev/null 2> "$T/err"; rc=$?
check "the morph kind is refused by name" "[ $rc -eq 3 ] && grep -q 'morph' $T/err"
"$CLI" train tokenizer --kind bpe --input "$T/none.txt" --vocab-size 600 --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "a missing corpus exits 3" "[ $rc -eq 3 ] && [ ! -e $T/x ] && ! ls $T | grep -q partial"
exit $fail
