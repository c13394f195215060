#!/usr/bin/env bash
# CLI test for `embedlab-cli morph boundaries`: a small gold treebank with a hand computation for the
# seed-format Turkish tokenizer (its pieces are known), the JSON contract for several tokenizers, and
# bad input (missing treebank, no word lines, unknown study, no tokenizer).
#   bash tests/cli/morph.sh path/to/embedlab-cli      (env EMBEDLAB_FIXTURES)
set -uo pipefail
CLI="${1:?usage: morph.sh path/to/embedlab-cli}"
FIX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
PY="${REFERENCE_PYTHON:-/usr/bin/python3}"
T="$(mktemp -d)"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

printf '<S>\t<S>+BSTag\nKitapları\tkitap+NOUN+A3PL+P3SG+NOM\nevlerimizden\tev+NOUN+A3PL+P1PL+ABL\nve\tve+CONJ\n.\t.+PUNC\ndiyor\tde+VERB+POS+PROG1+A3SG\nyarım satır\n</S>\t</S>+ESTag\n' > "$T/gold.txt"
SEED="$FIX/tokenizers/turkish-seed"
"$CLI" morph boundaries --gold "$T/gold.txt" --tokenizer "$SEED" --tokenizer "$FIX/tokenizers/gemma3" --bootstrap 50 \
  > "$T/out.json" 2> "$T/err"; rc=$?
check "morph boundaries exits 0" "[ $rc -eq 0 ]"
check "a malformed treebank line is reported with its number" "grep -q 'gold.txt:7: not word<TAB>root+POS+tags' '$T/err'"
# The seed's pieces of each word, from `tokenize` (independent of the benchmark's code), give the
# expected figures by hand: boundaries from the lowercased pieces after <uppercase> and the space.
printf ' Kitapları\n evlerimizden\n ve\n' | "$CLI" tokenize --tokenizer "$SEED" > "$T/pieces.jsonl"
check "the JSON contract and the seed's figures equal a hand computation from its pieces" "'$PY' - '$T/out.json' '$T/pieces.jsonl' <<'PY'
import json, sys
out = json.load(open(sys.argv[1]))
assert [o['tokenizer'] for o in out] == ['turkish-seed', 'gemma3'], out
for o in out:
    for k in ('tokenizer', 'words', 'excluded', 'boundary_hit', 'root_intact', 'tokens_per_word', 'ci95'):
        assert k in o, k
    assert o['words'] == 3 and o['excluded'] == 1, o
    lo, hi = o['ci95']['boundary_hit']; assert lo <= o['boundary_hit'] <= hi, o
words = [('kitapları', 5), ('evlerimizden', 2), ('ve', 2)]
hits = eligible = intact = pieces = 0
for (w, root), line in zip(words, open(sys.argv[2])):
    toks = [t for t in json.loads(line)['tokens'] if t not in (' ', '<uppercase>')]
    assert ''.join(toks) == w, (toks, w)
    bounds, p = [], 0
    for t in toks[:-1]:
        p += len(t); bounds.append(p)
    pieces += len(toks)
    if len(w) > root:
        eligible += 1; hits += root in bounds
    intact += not any(0 < b < root for b in bounds)
s = out[0]
assert abs(s['boundary_hit'] - hits / eligible) < 1e-12, (s, hits, eligible)
assert abs(s['root_intact'] - intact / 3) < 1e-12, (s, intact)
assert abs(s['tokens_per_word'] - pieces / 3) < 1e-12, (s, pieces)
PY"

# `eval morph`: the same figures for a model's tokenizer (here the seed's, given with --tokenizer).
"$CLI" eval morph --model "$FIX/models/gpt2_tiny" --tokenizer "$SEED" --data "$T/gold.txt" --seed 0 \
  > "$T/eval.json" 2> /dev/null; rc=$?
check "eval morph exits 0 with morph boundaries' figures" "[ $rc -eq 0 ] && '$PY' - '$T/eval.json' '$T/out.json' <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))[0]
assert e['task'] == 'morph', e
for k in ('boundary_hit', 'root_intact', 'tokens_per_word', 'words', 'excluded'):
    assert e[k] == m[k], (k, e[k], m[k])
assert e['ci95']['boundary_hit'][0] <= e['boundary_hit'] <= e['ci95']['boundary_hit'][1], e
PY"
"$CLI" eval morph --vectors "$T/none.npy" --data "$T/gold.txt" > /dev/null 2>&1; rc=$?
check "eval morph with --vectors exits 2" "[ $rc -eq 2 ]"
"$CLI" morph boundaries --gold "$T/none.txt" --tokenizer "$SEED" > /dev/null 2> "$T/err"; rc=$?
check "a missing treebank exits 3 with an error line" "[ $rc -eq 3 ] && grep -q '^error: .*cannot open' '$T/err'"
printf 'just text\nno tabs\n' > "$T/bad.txt"
"$CLI" morph boundaries --gold "$T/bad.txt" --tokenizer "$SEED" > /dev/null 2> "$T/err"; rc=$?
check "a treebank without word lines exits 3" "[ $rc -eq 3 ] && grep -q 'holds no line' '$T/err'"
"$CLI" morph stems --gold "$T/gold.txt" --tokenizer "$SEED" > /dev/null 2>&1; rc=$?
check "an unknown study exits 2" "[ $rc -eq 2 ]"
# `morph probe`: a treebank whose case is carried by a vector dimension (and noise), root-disjoint split.
"$PY" - "$T" <<'PY'
import random, sys
T = sys.argv[1]; rnd = random.Random(3)
cases = ['NOM', 'ACC', 'DAT', 'LOC']; ends = ['', 'i', 'e', 'de']
roots = ['kök%d' % i for i in range(60)]
with open(T + '/tb.txt', 'w') as tb, open(T + '/v.vec', 'w') as v:
    v.write('%d 6\n' % (len(roots) * 4))
    for r in roots:
        for c, e in zip(cases, ends):
            tb.write('%s%s\t%s+NOUN+A3SG+PNON+%s\n' % (r.upper() if c == 'NOM' else r, e, r, c))
            x = [rnd.gauss(0, 1) for _ in range(6)]; x[cases.index(c)] += 2.5
            v.write(r + e + ' ' + ' '.join('%.5f' % t for t in x) + '\n')
PY
"$CLI" morph probe --gold "$T/tb.txt" --vectors "$T/v.vec" --feature case > "$T/probe.json" 2> /dev/null; rc=$?
check "morph probe: the contract's fields; the probe beats majority and control; roots split" "[ $rc -eq 0 ] && '$PY' - '$T/probe.json' <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ('accuracy', 'majority', 'control', 'train', 'test'):
    assert k in d, k
assert d['train'] + d['test'] == 240 and d['test'] % 4 == 0 and d['missing'] == 0, d  # whole roots move
assert d['accuracy'] > 0.8 and d['majority'] < 0.4 and d['control'] < 0.5, d
PY"
"$CLI" morph probe --gold "$T/tb.txt" --vectors "$T/v.vec" --feature tense > /dev/null 2> "$T/err"; rc=$?
check "morph probe: an unknown feature exits 3" "[ $rc -eq 3 ] && grep -q 'feature' '$T/err'"
"$CLI" morph probe --gold "$T/tb.txt" > /dev/null 2>&1; rc=$?
check "morph probe without vectors or a model exits 2" "[ $rc -eq 2 ]"
"$CLI" morph probe --gold "$T/tb.txt" --model "$FIX/models/gpt2_tiny" --tokenizer "$SEED" --feature case > /dev/null 2> "$T/err"; rc=$?
check "morph probe: a tokenizer beyond the model's vocabulary exits 3" "[ $rc -eq 3 ] && grep -q 'beyond the model' '$T/err'"
cut -f1 "$T/tb.txt" > "$T/words.txt"
"$CLI" train tokenizer --kind bpe --input "$T/words.txt" --vocab-size 300 --out "$T/bpe" > /dev/null 2>&1
"$CLI" morph probe --gold "$T/tb.txt" --model "$FIX/models/gpt2_tiny" --tokenizer "$T/bpe" --layer 1 --feature case > "$T/pm.json" 2> "$T/err"; rc=$?
check "morph probe with a model reads its layer" "[ $rc -eq 0 ] && '$PY' -c \"import json; d = json.load(open('$T/pm.json')); assert d['layer'] == 1 and d['train'] > 0, d\""
"$CLI" morph boundaries --gold "$T/gold.txt" > /dev/null 2>&1; rc=$?
check "no --tokenizer exits 2" "[ $rc -eq 2 ]"
"$CLI" morph boundaries --gold "$T/gold.txt" --tokenizer "$T/nope" > /dev/null 2>&1; rc=$?
check "a missing tokenizer exits 3" "[ $rc -eq 3 ]"
exit $fail
