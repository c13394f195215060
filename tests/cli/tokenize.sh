#!/usr/bin/env bash
# CLI test for `embedlab-cli tokenize`: fixture tokenizers against their reference encodings,
# --decode/--skip-special, SentencePiece, invalid UTF-8, empty lines and error exit codes.
#   bash tests/cli/tokenize.sh path/to/embedlab-cli      (env EMBEDLAB_FIXTURES)
set -euo pipefail

CLI="${1:?usage: tokenize.sh path/to/embedlab-cli}"
FIX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
PY="${REFERENCE_PYTHON:-/usr/bin/python3}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for tok in gemma3 gpt4o llama3 qwen3; do
    exp="$FIX/tokenizers/$tok/expected_encodings.json"
    path="$FIX/tokenizers/$tok/tokenizer.json.gz"
    [ "$tok" = gemma3 ] && path="$FIX/tokenizers/$tok"  # a folder: loadTokenizer finds tokenizer.json.gz
    # one sentence per line (sentences with a line break cannot be a single input line)
    "$PY" - "$exp" "$TMP/$tok" <<'EOF'
import json, sys
items = [i for i in json.load(open(sys.argv[1]))["items"] if "\n" not in i["text"] and "\r" not in i["text"]]
with open(sys.argv[2] + ".txt", "w") as f:
    for i in items: f.write(i["text"] + "\n")
with open(sys.argv[2] + ".ids", "w") as f:
    for i in items: f.write(json.dumps(i["ids_with_special_tokens"]) + "\n")
EOF
    "$CLI" tokenize --tokenizer "$path" --input "$TMP/$tok.txt" > "$TMP/$tok.plain" || fail "$tok: tokenize exited $?"
    "$CLI" tokenize --tokenizer "$path" --add-special < "$TMP/$tok.txt" > "$TMP/$tok.special" || fail "$tok: --add-special"
    "$CLI" tokenize --tokenizer "$path" --decode --input "$TMP/$tok.ids" > "$TMP/$tok.dec" || fail "$tok: --decode"
    "$CLI" tokenize --tokenizer "$path" --decode --skip-special --input "$TMP/$tok.ids" > "$TMP/$tok.decskip" || fail "$tok: --skip-special"
    "$PY" - "$exp" "$TMP/$tok" "$tok" <<'EOF' || fail "$tok: output differs from the reference"
import json, sys
exp, base, name = sys.argv[1], sys.argv[2], sys.argv[3]
items = [i for i in json.load(open(exp))["items"] if "\n" not in i["text"] and "\r" not in i["text"]]
def lines(suffix):
    return [json.loads(l) for l in open(base + suffix, encoding="utf-8")]
plain, special, dec, decskip = lines(".plain"), lines(".special"), lines(".dec"), lines(".decskip")
assert len(plain) == len(special) == len(dec) == len(decskip) == len(items), "line counts differ"
bad = 0
for i, p, s, d, k in zip(items, plain, special, dec, decskip):
    ok = (p["ids"] == i["ids_no_special_tokens"] and p["tokens"] == i["tokens_no_special_tokens"]
          and s["ids"] == i["ids_with_special_tokens"] and d["text"] == i["decoded_with_special_tokens"]
          and k["text"] == i["decoded_skip_special_tokens"])
    if not ok:
        bad += 1
        print("mismatch:", name, repr(i["text"]), file=sys.stderr)
print(f"{name}: {len(items) - bad}/{len(items)} lines match")
sys.exit(1 if bad else 0)
EOF
done

# SentencePiece .model
sp="$FIX/sentencepiece/tr_bpe_2k_bytefallback.model"
"$PY" - "$FIX/sentencepiece/tr_bpe_2k_bytefallback.expected.json" "$TMP/sp.txt" <<'EOF'
import json, sys
items = [i for i in json.load(open(sys.argv[1]))["items"] if "\n" not in i["text"] and "\r" not in i["text"]]
open(sys.argv[2], "w").write("".join(i["text"] + "\n" for i in items))
EOF
"$CLI" tokenize --tokenizer "$sp" --input "$TMP/sp.txt" > "$TMP/sp.out" || fail "sentencepiece tokenize"
"$CLI" tokenize --tokenizer "$sp" --add-special --input "$TMP/sp.txt" > "$TMP/sp.special" || fail "sentencepiece --add-special"
"$PY" - "$FIX/sentencepiece/tr_bpe_2k_bytefallback.expected.json" "$TMP/sp.out" "$TMP/sp.special" <<'EOF' || fail "sentencepiece output differs"
import json, sys
items = [i for i in json.load(open(sys.argv[1]))["items"] if "\n" not in i["text"] and "\r" not in i["text"]]
out = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
spc = [json.loads(l) for l in open(sys.argv[3], encoding="utf-8")]
assert len(out) == len(items) == len(spc)
for i, o, s in zip(items, out, spc):
    assert o["ids"] == i["ids"] and o["tokens"] == i["pieces"], i["text"]
    assert s["ids"] == i["ids_with_bos_eos"], i["text"]
print(f"sentencepiece: {len(items)}/{len(items)} lines match")
EOF

# Invalid UTF-8: replaced by U+FFFD, a warning naming the line on stderr, exit 0.
tok="$FIX/tokenizers/llama3/tokenizer.json.gz"
printf 'Merhaba\nka\xffl\xc3\n\n' | "$CLI" tokenize --tokenizer "$tok" > "$TMP/bad.out" 2> "$TMP/bad.err" || fail "invalid UTF-8 made tokenize fail"
grep -q "line 2" "$TMP/bad.err" || fail "no warning naming line 2: $(cat "$TMP/bad.err")"
grep -q "line 1" "$TMP/bad.err" && fail "spurious warning for line 1"
"$PY" - "$TMP/bad.out" <<'EOF' || fail "invalid UTF-8 output"
import json, sys
out = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(out) == 3, out
assert out[2] == {"ids": [], "tokens": []}, out[2]   # an empty line has no tokens
EOF
# ... and the ids decode back to the replaced text
sed -n 2p "$TMP/bad.out" | "$PY" -c 'import json,sys; print(json.dumps(json.loads(sys.stdin.read())["ids"]))' > "$TMP/bad.ids"
"$CLI" tokenize --tokenizer "$tok" --decode --input "$TMP/bad.ids" > "$TMP/bad.dec" || fail "decode of replaced text"
"$PY" -c 'import json,sys; t=json.loads(open(sys.argv[1]).read())["text"]; assert t == "ka\ufffdl\ufffd", repr(t)' "$TMP/bad.dec" \
    || fail "decoded replaced text differs"

# Errors: missing --tokenizer → 2; bad tokenizer path → 3; bad id line → 3; unknown flag → 2.
set +e
echo x | "$CLI" tokenize > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "missing --tokenizer exited $rc, expected 2"
echo x | "$CLI" tokenize --tokenizer "$TMP/nope.json" > /dev/null 2> "$TMP/err"; rc=$?
[ $rc -eq 3 ] || fail "missing tokenizer exited $rc, expected 3"
grep -q "^error: " "$TMP/err" || fail "no error: line"
echo "not json" > "$TMP/notjson.json"
echo x | "$CLI" tokenize --tokenizer "$TMP/notjson.json" > /dev/null 2>&1; rc=$?
[ $rc -eq 3 ] || fail "malformed tokenizer.json exited $rc, expected 3"
echo '[1, "a"]' | "$CLI" tokenize --tokenizer "$tok" --decode > /dev/null 2>&1; rc=$?
[ $rc -eq 3 ] || fail "bad id line exited $rc, expected 3"
echo x | "$CLI" tokenize --tokenizer "$tok" --bogus > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown flag exited $rc, expected 2"
set -e

# The seed-format Turkish tokenizer: lossless by default, the reference's ids on request (checked
# against the fixture's expected ids), and every line comes back with either decoder.
SEED="$FIX/tokenizers/turkish-seed"
"$PY" - "$SEED/expected.json" "$TMP/seed" <<'EOF2'
import json, sys
cases = [c for c in json.load(open(sys.argv[1]))["cases"] if "\n" not in c["text"]]
open(sys.argv[2] + ".txt", "w").write("".join(c["text"] + "\n" for c in cases))
open(sys.argv[2] + ".ids", "w").write("".join(json.dumps(c["ids"]) + "\n" for c in cases))
EOF2
printf 'adına ab de\nemoji \xF0\x9F\x98\x80 zekâ\n' >> "$TMP/seed.txt"
"$CLI" tokenize --tokenizer "$SEED" --turkish-encoding reference --input "$TMP/seed.txt" > "$TMP/seed.ref"
"$CLI" tokenize --tokenizer "$SEED" --input "$TMP/seed.txt" > "$TMP/seed.lossless"
"$PY" - "$TMP/seed.ref" "$TMP/seed.ids" <<'EOF2' || fail "turkish-seed: --turkish-encoding reference ids differ from the fixture"
import json, sys
got = [json.loads(l)["ids"] for l in open(sys.argv[1])]
exp = [json.loads(l) for l in open(sys.argv[2])]
assert got[:len(exp)] == exp, "reference ids"
EOF2
"$PY" -c 'import json,sys; [print(json.dumps(json.loads(l)["ids"])) for l in open(sys.argv[1])]' "$TMP/seed.lossless" > "$TMP/seed.lids"
"$CLI" tokenize --tokenizer "$SEED" --decode --input "$TMP/seed.lids" > "$TMP/seed.back"
"$PY" - "$TMP/seed.back" "$TMP/seed.txt" <<'EOF2' || fail "turkish-seed: the lossless ids do not decode to the input"
import json, sys
back = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
text = open(sys.argv[2], encoding="utf-8").read().split("\n")[:-1]
assert back == text, [(a, b) for a, b in zip(back, text) if a != b][:3]
EOF2
set +e
echo x | "$CLI" tokenize --tokenizer "$SEED" --turkish-encoding greedy > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--turkish-encoding greedy exited $rc, expected 2"
echo x | "$CLI" tokenize --tokenizer "$FIX/tokenizers/gpt4o/tokenizer.json.gz" --turkish-encoding reference > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "--turkish-encoding on a non-seed tokenizer exited $rc, expected 2"
set -e

echo "tokenize CLI: all checks passed"
