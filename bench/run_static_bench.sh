#!/usr/bin/env bash
# Static embeddings (issue #17 item 4): embedlab's `train static` against Debian's fastText 0.9.2
# (`fasttext skipgram`) on the same corpus with the same settings (dim 100, 5 epochs, window 5, 5
# negatives, min count 5, n-grams 3–6, 2M buckets, t = 1e-4, lr 0.05), in one command: wall seconds
# and words/s of each run, then the morphology probes (case, number, possessive, POS; root-disjoint
# split of the treebank, engine/eval/morph_probe.h) of each run's vectors, mean over the runs.
#   bench/run_static_bench.sh [BUILD_DIR] [--threads 2] [--runs 2] [--corpus FILE]
# Goal: ≥ 1.0× fastText's training words/s and ≥ its probe accuracy.
set -euo pipefail
BUILD=${1:-build}; shift || true
THREADS=2; RUNS=2
here=$(cd "$(dirname "$0")" && pwd)
CORPUS="$here/../data/npm/nlptoolkit-corpus/corpus.txt"
TB="$here/../data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt"
while [ $# -gt 0 ]; do case "$1" in --threads) THREADS=$2; shift 2;; --runs) RUNS=$2; shift 2;;
  --corpus) CORPUS=$2; shift 2;; *) echo "unknown $1"; exit 2;; esac; done
command -v fasttext > /dev/null || { echo "fasttext is not installed (packaging/install-deps.sh)"; exit 2; }
[ -f "$CORPUS" ] && [ -f "$TB" ] || { echo "the corpus or the treebank is missing (packaging/install-data.sh)"; exit 2; }
CLI="$BUILD/bin/embedlab-cli"
T=$(mktemp -d /tmp/embedlab-static-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
echo "{\"cpu\": \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')\", \"threads\": $THREADS, \"corpus\": \"$CORPUS\", \"words\": $(wc -w < "$CORPUS")}" > "$T/meta.json"
for r in $(seq 1 "$RUNS"); do
  t0=$(now)
  fasttext skipgram -input "$CORPUS" -output "$T/ft$r" -dim 100 -epoch 5 -ws 5 -neg 5 -minCount 5 -minn 3 -maxn 6 \
    -bucket 2000000 -t 1e-4 -lr 0.05 -thread "$THREADS" -verbose 0
  t1=$(now)
  "$CLI" train static --input "$CORPUS" --out "$T/el$r.vec" --dim 100 --epochs 5 --window 5 --negatives 5 --min-count 5 \
    --subwords 3-6 --buckets 2000000 --sample 1e-4 --lr 0.05 --seed "$r" --threads "$THREADS" --progress none > "$T/el$r.json"
  t2=$(now)
  echo "{\"run\": $r, \"t\": [$t0, $t1, $t2]}" > "$T/time$r.json"
  for who in ft el; do
    for f in case number possessive pos; do
      "$CLI" morph probe --gold "$TB" --vectors "$T/$who$r.vec" --feature "$f" --progress none > "$T/probe-$who$r-$f.json"
    done
  done
done
/usr/bin/python3 - "$T" "$RUNS" <<'PYEOF'
import json, sys, statistics as st
T, runs = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f"{T}/meta.json"))
times = [json.load(open(f"{T}/time{r}.json")) for r in range(1, runs + 1)]
el = [json.load(open(f"{T}/el{r}.json")) for r in range(1, runs + 1)]
words = meta["words"] * 5
out = {"bench": "static", **meta, "runs": runs, "dim": 100, "epochs": 5, "dtype": "f32"}
ft_s = st.mean(t["t"][1] - t["t"][0] for t in times); el_s = st.mean(t["t"][2] - t["t"][1] for t in times)
out["fasttext"] = {"seconds": round(ft_s, 2), "words_per_second": round(words / ft_s)}
out["embedlab"] = {"seconds": round(el_s, 2), "words_per_second": round(words / el_s),
                   "train_words_per_second": round(st.mean(e["words_per_second"] for e in el))}
out["speed_ratio"] = round(ft_s / el_s, 2)
probes = {}
for f in ["case", "number", "possessive", "pos"]:
    row = {}
    for who, name in [("ft", "fasttext"), ("el", "embedlab")]:
        acc = [json.load(open(f"{T}/probe-{who}{r}-{f}.json"))["accuracy"] for r in range(1, runs + 1)]
        row[name] = round(st.mean(acc), 4)
        row[name + "_runs"] = [round(a, 4) for a in acc]
    p = json.load(open(f"{T}/probe-el1-{f}.json"))
    row["majority"] = round(p["majority"], 4); row["control"] = round(p["control"], 4)
    row["train"], row["test"] = p["train"], p["test"]
    row["delta"] = round(row["embedlab"] - row["fasttext"], 4)
    probes[f] = row
out["probes"] = probes
print(json.dumps(out, indent=1))
print(f"speed: embedlab {out['speed_ratio']}x fastText's wall time (goal >= 1.0); probe accuracy minus fastText's: "
      + ", ".join(f"{f} {probes[f]['delta']:+.4f}" for f in probes))
PYEOF
