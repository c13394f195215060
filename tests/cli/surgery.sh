#!/usr/bin/env bash
# embedlab-cli surgery: keeping layers and pruning the vocabulary of a small Gemma with the real Gemma 3
# tokenizer.json: the contract's accounting fields, a folder that tokenizes the corpus to the same tokens
# and runs `generate`, and bad input / usage. Called by CTest as: bash surgery.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
FX="${EMBEDLAB_FIXTURES:-../shared/fixtures}"
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-surgery.$$"
rm -rf "$T"; mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }
json() { "$PY" -c "import json,sys; d=json.load(open('$1')); print($2)"; }

"$PY" - "$FX/models/gemma3_tiny/config.json" "$T/cfg.json" <<'PYEOF'
import json, sys
c = json.load(open(sys.argv[1])); c["vocab_size"] = 262144; c["hidden_size"] = 8
json.dump(c, open(sys.argv[2], "w"))
PYEOF
"$CLI" init --arch gemma3 --config "$T/cfg.json" --out "$T/src" > /dev/null 2>&1
cp "$FX/tokenizers/gemma3/tokenizer.json.gz" "$FX/tokenizers/gemma3/tokenizer_config.json" "$T/src/"
printf 'Kitapları masanın üstüne bıraktık.\nYarın İstanbul'"'"'a gidiyoruz.\nBu bir denemedir.\n' > "$T/c.txt"

"$CLI" surgery --model "$T/src" --keep-layers 0-2 --prune-vocab "$T/c.txt" --out "$T/cut" > "$T/s.json" 2> "$T/err"; rc=$?
check "surgery exits 0" "[ $rc -eq 0 ]"
check "the contract's fields" "[ \"\$(json $T/s.json \"all(k in d for k in ['params_before','params_after','bytes_before','bytes_after','vocab_before','vocab_after'])\")\" = True ]"
check "fewer parameters, vocabulary and layers" "[ \"\$(json $T/s.json \"d['params_after']<d['params_before'] and d['vocab_after']<d['vocab_before']==262144 and d['layers_after']==3 and d['bytes_after']==4*d['params_after']\")\" = True ]"
check "config matches" "[ \"\$(json $T/cut/config.json \"(d['vocab_size'],d['num_hidden_layers'],len(d['layer_types']))\")\" = \"(\$(json $T/s.json \"d['vocab_after']\"), 3, 3)\" ]"
"$CLI" tokenize --tokenizer "$T/src" --input "$T/c.txt" | "$PY" -c "import json,sys; print([json.loads(l)['tokens'] for l in sys.stdin])" > "$T/a"
"$CLI" tokenize --tokenizer "$T/cut" --input "$T/c.txt" | "$PY" -c "import json,sys; print([json.loads(l)['tokens'] for l in sys.stdin])" > "$T/b"
check "the pruned tokenizer gives the corpus the same tokens" "cmp -s $T/a $T/b"
"$CLI" generate --model "$T/cut" --prompt "Bu bir" --max-new-tokens 3 > /dev/null 2>&1; rc=$?
check "the cut model generates" "[ $rc -eq 0 ]"

"$CLI" surgery --model "$T/src" --keep-layers 0-9 --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "a layer out of range exits 3" "[ $rc -eq 3 ] && grep -q 'layers' $T/err"
"$CLI" surgery --model "$T/src" --out "$T/x" > /dev/null 2> "$T/err"; rc=$?
check "nothing to do exits 2" "[ $rc -eq 2 ]"
"$CLI" surgery --model "$T/src" --keep-layers 0 --out "$T/cut" > /dev/null 2> "$T/err"; rc=$?
check "an existing output exits 3" "[ $rc -eq 3 ] && grep -q -- '--force' $T/err"
check "nothing half-written" "[ ! -e $T/x ] && ! ls $T | grep -q partial"
exit $fail
