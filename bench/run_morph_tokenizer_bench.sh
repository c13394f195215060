#!/usr/bin/env bash
# The morphology-aware tokenizer against a SentencePiece BPE of the same size trained on the same text,
# the seed's tokenizer and the real tokenizers, on the treebank's boundary metrics (issue #17 item 3),
# plus the lossless round trip of every corpus line. Needs tools/install-data.sh's data.
#   bash bench/run_morph_tokenizer_bench.sh [build/bin/embedlab-cli] [OUT_DIR]   (env EMBEDLAB_FIXTURES)
set -euo pipefail
CLI="${1:-build/bin/embedlab-cli}"
OUT="${2:-/tmp/embedlab-morph-bench}"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
V=${VOCAB:-32768}
NEWS=data/npm/nlptoolkit-corpus/corpus.txt; DEB=data/tr/corpus.txt
DICT=data/npm/nlptoolkit-dictionary; TB=data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt
for f in "$NEWS" "$DEB" "$DICT/turkish_dictionary.txt" "$TB"; do
  [ -f "$f" ] || { echo "missing $f: run tools/install-data.sh (and tools/extract_turkish_corpus.py for $DEB)" >&2; exit 3; }
done
mkdir -p "$OUT"
cat "$NEWS" "$DEB" > "$OUT/train.txt"
lscpu | grep -m1 'Model name' || true
/usr/bin/time -f "morph: %e s" "$CLI" train tokenizer --kind morph --input "$NEWS" --input "$DEB" --lexicon "$DICT" \
  --vocab-size "$V" --out "$OUT/morph" --force > "$OUT/morph.json" 2> "$OUT/morph.err"
tail -1 "$OUT/morph.err"
MV=$("$PY" -c "import json; print(json.load(open('$OUT/morph.json'))['vocab_size'])")
/usr/bin/time -f "bpe: %e s" "$CLI" train tokenizer --kind bpe --input "$OUT/train.txt" --vocab-size "$MV" \
  --out "$OUT/bpe" --force > /dev/null 2> "$OUT/bpe.err"   # the same number of ids as the morph tokenizer
tail -1 "$OUT/bpe.err"
TOKS=(--tokenizer "$OUT/morph" --tokenizer "$OUT/bpe" --tokenizer "$FX/tokenizers/turkish-seed")
for t in gemma3 gpt4o llama3 qwen3; do [ -e "$FX/tokenizers/$t" ] && TOKS+=(--tokenizer "$FX/tokenizers/$t"); done
"$CLI" morph boundaries --gold "$TB" "${TOKS[@]}" > "$OUT/boundaries.json" 2>/dev/null
"$CLI" tokenize --tokenizer "$OUT/morph" --input "$OUT/train.txt" | "$PY" -c "import json,sys; [print(json.dumps(json.loads(l)['ids'])) for l in sys.stdin]" > "$OUT/ids.txt"
"$CLI" tokenize --tokenizer "$OUT/morph" --decode --input "$OUT/ids.txt" > "$OUT/dec.jsonl"
"$PY" - "$OUT" "$MV" <<'PY'
import json, sys
out, mv = sys.argv[1], int(sys.argv[2])
rows = json.load(open(out + '/boundaries.json'))
bpe = next(r for r in rows if r['path'].endswith('/bpe'))
print(f"morph vocabulary {mv} ids; BPE {bpe['tokenizer']}")
print(f"{'tokenizer':<14}{'boundary hit':>22}{'root intact':>22}{'pieces/word':>13}{'× BPE':>7}")
for r in rows:
    bh, ri = r['ci95']['boundary_hit'], r['ci95']['root_intact']
    print(f"{r['tokenizer']:<14}{r['boundary_hit']*100:7.1f} [{bh[0]*100:5.1f},{bh[1]*100:5.1f}]"
          f"{r['root_intact']*100:9.1f} [{ri[0]*100:5.1f},{ri[1]*100:5.1f}]{r['tokens_per_word']:13.3f}"
          f"{r['tokens_per_word']/bpe['tokens_per_word']:7.2f}")
a = open(out + '/train.txt', encoding='utf-8').read().split('\n')[:-1]
b = [json.loads(l)['text'] for l in open(out + '/dec.jsonl', encoding='utf-8')]
bad = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
print(f"lossless round trip: {len(a) - bad} of {len(a)} corpus lines")
PY
