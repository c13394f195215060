#!/usr/bin/env bash
# embedlab-cli tokstats: counts agree with `tokenize` and with Python's own word/character counts;
# bad input gets the contract's exit codes. Called by CTest as: bash tokstats.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
T="$EMBEDLAB_TEST_TMP/cli_tokstats"; mkdir -p "$T"
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

cat > "$T/corpus.txt" <<'TXT'
Kitabı masanın üzerine bıraktım.
İstanbul'da yaşıyorum ve Ankara'ya sık sık gidiyorum.
Öğrenciler kütüphanede çalıştılar.
TXT
SEED="$EMBEDLAB_FIXTURES/tokenizers/turkish-seed"
SP="$EMBEDLAB_FIXTURES/sentencepiece/tr_unigram_2k.model"
"$CLI" tokstats --tokenizer "$SEED" --tokenizer "$SP" --input "$T/corpus.txt" > "$T/stats.json"; rc=$?
check "tokstats exits 0" "[ $rc -eq 0 ]"
for tok in "$SEED" "$SP"; do
  "$CLI" tokenize --tokenizer "$tok" --input "$T/corpus.txt" > "$T/$(basename "$tok").jsonl" || fail=1
done
check "tokens equal tokenize; words, chars and fertility equal Python's counts" "$PY - '$T' <<'PYEOF'
import json, sys
t = sys.argv[1]
stats = json.load(open(t + '/stats.json'))
assert len(stats) == 2, stats
lines = open(t + '/corpus.txt', encoding='utf-8').read().splitlines()
words = sum(len(l.split()) for l in lines)
chars = sum(len(l) for l in lines)
for s, name in zip(stats, ['turkish-seed', 'tr_unigram_2k.model']):
    toks = [json.loads(l)['ids'] for l in open(t + '/' + name + '.jsonl', encoding='utf-8')]
    assert s['tokens'] == sum(len(x) for x in toks), (s['tokens'], sum(len(x) for x in toks))
    assert s['words'] == words and s['chars'] == chars, (s['words'], words, s['chars'], chars)
    assert abs(s['fertility'] - s['tokens'] / words) < 1e-9
    assert s['unique_tokens'] == len({i for x in toks for i in x})
    assert 0 <= s['tr_pct'] <= 100 and 0 <= s['pure_pct'] <= 100
    for k in ('tokens', 'words', 'chars', 'fertility', 'unique_tokens', 'tr_pct', 'pure_pct', 'seconds'):
        assert k in s, k
PYEOF"

: > "$T/empty.txt"
"$CLI" tokstats --tokenizer "$SEED" --input "$T/empty.txt" >/dev/null 2>"$T/err"; rc=$?
check "empty corpus exits 3 with a message" "[ $rc -eq 3 ] && grep -q '^error: ' '$T/err'"
"$CLI" tokstats --input "$T/corpus.txt" >/dev/null 2>&1; rc=$?
check "no tokenizer exits 2" "[ $rc -eq 2 ]"
"$CLI" tokstats --tokenizer /no/such/tokenizer --input "$T/corpus.txt" >/dev/null 2>&1; rc=$?
check "missing tokenizer exits 3" "[ $rc -eq 3 ]"
printf 'iyi\n\xff\xfe bozuk\n' > "$T/bad.txt"
"$CLI" tokstats --tokenizer "$SEED" --input "$T/bad.txt" >/dev/null 2>"$T/err"; rc=$?
check "invalid UTF-8 is reported with its line number" "[ $rc -eq 0 ] && grep -q '2' '$T/err'"
[ $fail -eq 0 ] && echo "cli.tokstats: all checks passed"
exit $fail
