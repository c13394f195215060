#!/usr/bin/env bash
# embedlab-cli eval: every task on precomputed vectors (--vectors) checked against scipy/sklearn, the
# JSON names of ../shared/design/cli.md, compute figures, and the bad-input exits (3) and usage exits (2).
# Called by CTest as: bash eval.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
T=${EMBEDLAB_TEST_TMP:-/tmp}/cli-eval.$$
FIX=${EMBEDLAB_FIXTURES:-../shared/fixtures}
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

# ---- data and vectors (made by numpy, seeded) ----
"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, os
t = sys.argv[1]; rng = np.random.default_rng(7)
# STS: 8 pairs; vectors = s1 rows then s2 rows
s = rng.normal(size=(8, 6)); s2 = s + rng.normal(scale=0.8, size=(8, 6))
open(f"{t}/sts.tsv", "w").write("sentence1\tsentence2\tscore\n" + "".join(
    f"Cümle {i}\tBenzer cümle {i}\t{g}\n" for i, g in enumerate([0, 1.5, 2, 2, 3.2, 4, 4.8, 5])))
np.save(f"{t}/sts.npy", np.vstack([s, s2]).astype(np.float32))
# bitext: 10 pairs
a = rng.normal(size=(10, 6)); b = a + rng.normal(scale=0.9, size=(10, 6))
open(f"{t}/bitext.tsv", "w").write("".join(f"Open file {i}\tDosya aç {i}\n" for i in range(10)))
np.save(f"{t}/bitext.npy", np.vstack([a, b]).astype(np.float32))
# retrieval: 3 queries, 6 docs
os.makedirs(f"{t}/ret", exist_ok=True)
open(f"{t}/ret/queries.tsv", "w").write("id\ttext\nq1\tkedi\nq2\tmasa\nq3\tdeniz\n")
open(f"{t}/ret/corpus.tsv", "w").write("id\ttitle\ttext\n" + "".join(f"d{i}\t\tbelge {i}\n" for i in range(6)))
open(f"{t}/ret/qrels.tsv", "w").write("query-id\tcorpus-id\tscore\nq1\td0\t2\nq1\td3\t1\nq2\td1\t1\nq3\td5\t1\n")
d = rng.normal(size=(6, 6)); q = np.vstack([d[0] + 0.1, d[1] + 0.1, d[2]])
np.save(f"{t}/ret.npy", np.vstack([q, d]).astype(np.float32))
# clustering: 3 separated blobs
c = np.repeat(np.eye(3) * 10, 5, axis=0) + rng.normal(scale=0.1, size=(15, 3))
open(f"{t}/clu.tsv", "w").write("".join(f"metin {i}\tetiket{i // 5}\n" for i in range(15)))
np.save(f"{t}/clu.npy", c.astype(np.float32))
# classification: train rows then test rows
y = np.array([i % 2 for i in range(20)]); x = rng.normal(size=(20, 4)); x[:, 0] += np.where(y == 1, 4, -4)
lines = "".join(f"yorum {i}\t{'pos' if y[i] else 'neg'}\t{'train' if i < 14 else 'test'}\n" for i in range(20))
open(f"{t}/cls.tsv", "w").write("text\tlabel\tsplit\n" + lines)
np.save(f"{t}/cls.npy", x.astype(np.float32))
PYEOF

out=$("$CLI" eval sts --vectors "$T/sts.npy" --data "$T/sts.tsv" 2>"$T/err"); rc=$?
check "eval sts exits 0" "[ $rc -eq 0 ]"
check "eval sts spearman/pearson equal scipy (1e-9) and compute figures present" "echo '$out' | $PY -c '
import json,sys,numpy as np
from scipy.stats import spearmanr, pearsonr
j=json.load(sys.stdin); v=np.load(\"$T/sts.npy\").astype(np.float64); a,b=v[:8],v[8:]
cos=(a*b).sum(1)/np.linalg.norm(a,axis=1)/np.linalg.norm(b,axis=1); g=[0,1.5,2,2,3.2,4,4.8,5]
assert abs(j[\"spearman\"]-spearmanr(g,cos).correlation)<1e-9, j
assert abs(j[\"pearson\"]-pearsonr(g,cos)[0])<1e-9, j
assert j[\"pairs\"]==8 and j[\"seconds\"]>=0 and j[\"peak_rss_bytes\"]>0 and \"sentences_per_second\" in j'"

out=$("$CLI" eval bitext --vectors "$T/bitext.npy" --data "$T/bitext.tsv" 2>"$T/err"); rc=$?
check "eval bitext exits 0" "[ $rc -eq 0 ]"
check "eval bitext accuracy/f1 equal sklearn" "echo '$out' | $PY -c '
import json,sys,numpy as np
from sklearn.metrics import f1_score, accuracy_score
j=json.load(sys.stdin); v=np.load(\"$T/bitext.npy\").astype(np.float64); v/=np.linalg.norm(v,axis=1,keepdims=True)
p=np.argmax(v[:10]@v[10:].T,axis=1); g=list(range(10))
assert abs(j[\"accuracy\"]-accuracy_score(g,p))<1e-12 and abs(j[\"f1\"]-f1_score(g,p,average=\"weighted\"))<1e-12, j'"

out=$("$CLI" eval retrieval --vectors "$T/ret.npy" --data "$T/ret" 2>"$T/err"); rc=$?
check "eval retrieval exits 0" "[ $rc -eq 0 ]"
check "eval retrieval has ndcg@10, mrr@10, recall@1..100" "echo '$out' | $PY -c '
import json,sys; j=json.load(sys.stdin)
for k in [\"ndcg@10\",\"mrr@10\",\"recall@1\",\"recall@3\",\"recall@5\",\"recall@10\",\"recall@100\"]: assert 0<=j[k]<=1, (k, j)
assert j[\"recall@100\"]==1.0 and j[\"queries\"]==3, j'"

out=$("$CLI" eval clustering --vectors "$T/clu.npy" --data "$T/clu.tsv" 2>"$T/err"); rc=$?
check "eval clustering exits 0 with v_measure 1 on separated blobs" "[ $rc -eq 0 ] && echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert abs(j[\"v_measure\"]-1)<1e-12 and j[\"clusters\"]==3, j'"

out=$("$CLI" eval classification --vectors "$T/cls.npy" --data "$T/cls.tsv" 2>"$T/err"); rc=$?
check "eval classification exits 0 with accuracy and f1" "[ $rc -eq 0 ] && echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"accuracy\"]==1.0 and j[\"f1\"]==1.0 and j[\"train\"]==14 and j[\"test\"]==6, j'"

# ---- bad input: exit 3 with a clear message ----
printf 'a\tb\t3\nc\td\n' > "$T/ragged.tsv"
"$CLI" eval sts --vectors "$T/sts.npy" --data "$T/ragged.tsv" >/dev/null 2>"$T/err"; rc=$?
check "ragged TSV exits 3 naming the line" "[ $rc -eq 3 ] && grep -q 'ragged.tsv:2: expected 3 tab-separated fields' '$T/err'"
printf 'a\tb\t3\nc\td\t6\n' > "$T/range.tsv"
"$CLI" eval sts --vectors "$T/sts.npy" --data "$T/range.tsv" >/dev/null 2>"$T/err"; rc=$?
check "gold score out of range exits 3" "[ $rc -eq 3 ] && grep -q 'outside the range' '$T/err'"
cp -r "$T/ret" "$T/ret2"; printf 'q1\td0\t1\nq1\td0\t2\n' > "$T/ret2/qrels.tsv"
"$CLI" eval retrieval --vectors "$T/ret.npy" --data "$T/ret2" >/dev/null 2>"$T/err"; rc=$?
check "duplicate qrels exits 3" "[ $rc -eq 3 ] && grep -q 'duplicate qrels entry' '$T/err'"
"$CLI" eval sts --vectors "$T/bitext.npy" --data "$T/sts.tsv" >/dev/null 2>"$T/err"; rc=$?
check "vectors/texts count mismatch exits 3" "[ $rc -eq 3 ] && grep -q 'rows but the task has' '$T/err'"
"$CLI" eval sts --model "$FIX/models/bert_tiny" --data "$T/sts.tsv" >/dev/null 2>"$T/err"; rc=$?
check "a model folder without a tokenizer exits 3 with a message" "[ $rc -eq 3 ] && grep -q '^error: ' '$T/err'"
"$CLI" eval perplexity --model "$FIX/models/gpt2_tiny" --data "$T/sts.tsv" >/dev/null 2>"$T/err"; rc=$?
check "perplexity without a tokenizer exits 3" "[ $rc -eq 3 ]"

# ---- --progress json: JSON lines on stderr, the result alone on stdout ----
"$CLI" eval clustering --vectors "$T/clu.npy" --data "$T/clu.tsv" --progress json >"$T/pj.out" 2>"$T/pj.err"; rc=$?
check "--progress json exits 0" "[ $rc -eq 0 ]"
check "--progress json: every stderr line is a progress/metric/log JSON object, the last at 1.0" "$PY - '$T/pj.err' '$T/pj.out' <<'PYEOF'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines, 'no progress lines'
objs = [json.loads(l) for l in lines]
assert all(('progress' in o and 'message' in o and 'eta' in o) or 'metric' in o or 'log' in o for o in objs), objs
prog = [o['progress'] for o in objs if 'progress' in o]
assert prog[-1] == 1.0 and all(0 <= p <= 1 for p in prog), prog
json.load(open(sys.argv[2]))  # stdout is the result, untouched
PYEOF"
"$CLI" eval clustering --vectors "$T/clu.npy" --data "$T/clu.tsv" --progress none >/dev/null 2>"$T/pn.err"; rc=$?
check "--progress none prints nothing on stderr" "[ $rc -eq 0 ] && [ ! -s '$T/pn.err' ]"
"$CLI" eval clustering --vectors "$T/clu.npy" --data "$T/clu.tsv" --progress loud >/dev/null 2>"$T/err"; rc=$?
check "--progress with an unknown style exits 2" "[ $rc -eq 2 ] && grep -q 'human, json or none' '$T/err'"

# ---- usage: exit 2 ----
"$CLI" eval sts --data "$T/sts.tsv" >/dev/null 2>&1; rc=$?
check "neither --model nor --vectors exits 2" "[ $rc -eq 2 ]"
"$CLI" eval sts --model x --vectors y --data "$T/sts.tsv" >/dev/null 2>&1; rc=$?
check "both --model and --vectors exits 2" "[ $rc -eq 2 ]"
"$CLI" eval translation --vectors "$T/sts.npy" --data "$T/sts.tsv" >/dev/null 2>&1; rc=$?
check "unknown task exits 2" "[ $rc -eq 2 ]"
"$CLI" eval perplexity --vectors "$T/sts.npy" --data "$T/sts.tsv" >/dev/null 2>&1; rc=$?
check "perplexity with --vectors exits 2" "[ $rc -eq 2 ]"

if [ $fail -ne 0 ]; then echo "cli.eval: FAILED"; exit 1; fi
echo "cli.eval: all checks passed"
