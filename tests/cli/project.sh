#!/usr/bin/env bash
# embedlab-cli project and neighbors (../shared/design/cli.md), checked with numpy.
# Called by CTest as: bash project.sh PATH_TO_EMBEDLAB_CLI (env EMBEDLAB_TEST_TMP, REFERENCE_PYTHON).
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
T="${EMBEDLAB_TEST_TMP:-/tmp}/cli-project.$$"
mkdir -p "$T"
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

# Data: 3 well-separated blobs (16-D, 200 points each), as .npy (float32 and float64), Projector TSV
# with labels (one holding a tab, escaped), and a copy with two NaN rows.
"$PY" - "$T" <<'PYEOF' || { echo "FAIL: cannot build test data with numpy"; exit 1; }
import sys, numpy as np
t = sys.argv[1]
rng = np.random.default_rng(0)
c = rng.normal(0, 10, (3, 16))
x = (c[np.repeat(np.arange(3), 200)] + rng.normal(0, 1, (600, 16))).astype(np.float32)
np.save(t + "/x.npy", x)
np.save(t + "/x64.npy", x.astype(np.float64))
labels = ["w%d" % i for i in range(600)]
labels[5] = "kedi"
labels[7] = "sekme\\tli"
with open(t + "/x_vectors.tsv", "w") as f:
    for r in x: f.write("\t".join(repr(float(v)) for v in r) + "\n")
with open(t + "/x_metadata.tsv", "w") as f:
    for l in labels: f.write(l + "\n")
y = x.copy(); y[3, 2] = np.nan; y[10, 0] = np.inf
np.save(t + "/nan.npy", y)
np.save(t + "/oned.npy", x[:, 0])
with open(t + "/ragged.tsv", "w") as f: f.write("1\t2\t3\n4\t5\t6\n7\t8\n")
PYEOF

# --- project: PCA, t-SNE, UMAP ---------------------------------------------------------------------
out=$("$CLI" project --input "$T/x.npy" --method pca --out "$T/pca.csv" --threads 2); rc=$?
check "pca exits 0" "[ $rc -eq 0 ]"
check "pca JSON: seconds, trustworthiness, knn_recall, k, sample_size" \
  "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert all(k in j for k in (\"seconds\",\"trustworthiness\",\"knn_recall\",\"k\",\"sample_size\")); assert j[\"k\"]==10 and j[\"sample_size\"]==600 and j[\"trustworthiness\"]>0.8, j'"
check "pca CSV equals numpy's PCA up to sign" \
  "$PY -c '
import numpy as np, csv
x=np.load(\"$T/x.npy\").astype(np.float64); xc=x-x.mean(0)
u,s,vt=np.linalg.svd(xc, full_matrices=False); ref=xc@vt[:2].T
rows=list(csv.reader(open(\"$T/pca.csv\")))
assert rows[0]==[\"row\",\"label\",\"x\",\"y\"], rows[0]
got=np.array([[float(v) for v in r[2:]] for r in rows[1:]])
assert got.shape==(600,2)
for c in range(2):
    sgn=np.sign((got[:,c]*ref[:,c]).sum()); assert np.allclose(got[:,c]*sgn, ref[:,c], atol=1e-3*np.abs(ref).max()), c
'"

for m in tsne umap; do
  out=$("$CLI" project --input "$T/x.npy" --method $m --seed 3 --out "$T/$m.csv" --threads 2); rc=$?
  check "$m exits 0" "[ $rc -eq 0 ]"
  check "$m trustworthiness >= 0.9, one CSV row per vector" \
    "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"trustworthiness\"]>=0.9 and 0<=j[\"knn_recall\"]<=1, j' && [ \$(wc -l < $T/$m.csv) -eq 601 ]"
  check "$m keeps the three blobs apart" \
    "$PY -c '
import numpy as np
y=np.loadtxt(\"$T/$m.csv\", delimiter=\",\", skiprows=1, usecols=(2,3)); lab=np.repeat(np.arange(3),200)
cen=np.array([y[lab==c].mean(0) for c in range(3)]); rad=max(np.linalg.norm(y[lab==c]-cen[c],axis=1).mean() for c in range(3))
assert min(np.linalg.norm(cen[a]-cen[b]) for a in range(3) for b in range(a+1,3)) > 2*rad
'"
done
out2=$("$CLI" project --input "$T/x.npy" --method tsne --seed 3 --out "$T/tsne2.csv" --threads 2)
check "tsne reproducible with the same seed" "cmp -s $T/tsne.csv $T/tsne2.csv"

out=$("$CLI" project --input "$T/x_vectors.tsv" --method umap --dims 3 --neighbors 10 --min-dist 0.3 --metric cosine --seed 1 --out "$T/u3.csv"); rc=$?
check "umap 3-D from TSV with labels exits 0" "[ $rc -eq 0 ]"
check "3-D CSV has x,y,z and the labels" \
  "$PY -c '
import csv
rows=list(csv.reader(open(\"$T/u3.csv\")))
assert rows[0]==[\"row\",\"label\",\"x\",\"y\",\"z\"] and len(rows)==601, rows[0]
assert rows[6][1]==\"kedi\" and rows[8][1]==\"sekme\tli\", (rows[6], rows[8])
'"
out=$("$CLI" project --input "$T/x64.npy" --method tsne --dims 3 --perplexity 10 --iterations 300 --out "$T/t3.csv"); rc=$?
check "tsne 3-D from float64 .npy exits 0" "[ $rc -eq 0 ] && head -1 $T/t3.csv | grep -q '^row,label,x,y,z$'"

out=$("$CLI" project --input "$T/nan.npy" --method pca --out "$T/nan.csv" 2>"$T/err"); rc=$?
check "NaN/Inf rows: exit 0, excluded_rows 2, reported on stderr" \
  "[ $rc -eq 0 ] && echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"excluded_rows\"]==2 and j[\"count\"]==598 and j[\"rows_read\"]==600, j' && grep -q 'NaN or Inf' $T/err"
check "NaN/Inf rows: one CSV line per input vector, nan for excluded ones" \
  "[ \$(wc -l < $T/nan.csv) -eq 601 ] && grep -q '^3,,nan,nan$' $T/nan.csv && grep -q '^10,,nan,nan$' $T/nan.csv"

# --- bad usage and bad input ------------------------------------------------------------------------
"$CLI" project --input "$T/x.npy" --method foo --out "$T/o.csv" 2>/dev/null; rc=$?
check "unknown method exits 2" "[ $rc -eq 2 ]"
"$CLI" project --input "$T/x.npy" --method pca --dims 4 --out "$T/o.csv" 2>/dev/null; rc=$?
check "--dims 4 exits 2" "[ $rc -eq 2 ]"
"$CLI" project --input "$T/x.npy" --method tsne --metric dot --out "$T/o.csv" 2>/dev/null; rc=$?
check "--metric dot for project exits 2" "[ $rc -eq 2 ]"
"$CLI" project --input "$T/missing.npy" --method pca --out "$T/o.csv" 2>"$T/err"; rc=$?
check "missing input exits 3 with error:" "[ $rc -eq 3 ] && grep -q '^error: ' $T/err"
"$CLI" project --input "$T/oned.npy" --method pca --out "$T/o.csv" 2>"$T/err"; rc=$?
check "1-D data exits 3" "[ $rc -eq 3 ] && grep -q '1-D' $T/err"
"$CLI" project --input "$T/ragged.tsv" --method pca --out "$T/o.csv" 2>"$T/err"; rc=$?
check "ragged TSV exits 3 naming line 3" "[ $rc -eq 3 ] && grep -q ':3:' $T/err"

# --- neighbors --------------------------------------------------------------------------------------
for m in cosine dot euclidean; do
  out=$("$CLI" neighbors --input "$T/x.npy" --query 42 --k 7 --metric $m); rc=$?
  check "neighbors $m exits 0 and matches numpy" \
    "[ $rc -eq 0 ] && echo '$out' | $PY -c '
import json,sys,numpy as np
j=json.load(sys.stdin); x=np.load(\"$T/x.npy\").astype(np.float64); q=x[42]
if \"$m\"==\"cosine\": s=x@q/np.linalg.norm(x,axis=1)/np.linalg.norm(q); order=np.argsort(-s)
elif \"$m\"==\"dot\": s=x@q; order=np.argsort(-s)
else: s=np.linalg.norm(x-q,axis=1); order=np.argsort(s)
order=[i for i in order if i!=42][:7]
assert [e[\"row\"] for e in j]==order, ([e[\"row\"] for e in j], order)
assert all(abs(e[\"score\"]-s[e[\"row\"]])<1e-3*max(1,abs(s[e[\"row\"]])) for e in j)
assert all(set(e)=={\"row\",\"label\",\"score\"} for e in j)
'"
done
out=$("$CLI" neighbors --input "$T/x_vectors.tsv" --query kedi --k 3); rc=$?
check "neighbors by label" "[ $rc -eq 0 ] && echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert len(j)==3 and all(e[\"row\"]!=5 and isinstance(e[\"label\"],str) for e in j), j'"
"$CLI" neighbors --input "$T/x_vectors.tsv" --query köpek 2>/dev/null; rc=$?
check "unknown label exits 3" "[ $rc -eq 3 ]"
"$CLI" neighbors --input "$T/nan.npy" --query 3 2>"$T/err"; rc=$?
check "query of an excluded NaN row exits 3" "[ $rc -eq 3 ] && grep -q 'NaN' $T/err"
"$CLI" neighbors --input "$T/x.npy" 2>/dev/null; rc=$?
check "neighbors without --query exits 2" "[ $rc -eq 2 ]"
out=$("$CLI" neighbors --input "$T/x.npy" --analogy 1,2,3 --k 4 --metric euclidean); rc=$?
check "analogy excludes its inputs" "[ $rc -eq 0 ] && echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert len(j)==4 and not {1,2,3} & {e[\"row\"] for e in j}'"

rm -rf "$T"
if [ $fail -ne 0 ]; then echo "cli.project: FAILED"; exit 1; fi
echo "cli.project: all checks passed"
