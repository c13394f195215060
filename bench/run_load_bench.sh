#!/usr/bin/env bash
# Load at full size (issue #19, docs/reliability.md "Load"): memory stays bounded while embedlab
#  1. embeds a corpus of SIZE_MB (default 1024) end to end with `embedlab-cli embed` (the fixture
#     Gemma 3 with a byte-level tokenizer) — peak RSS and lines per second, and the same command on a
#     1/16 slice, so that the peak can be compared (streaming: it must not grow with the corpus);
#  2. reads a one-line file of LINE_MB (default 1024) through the corpus reader every panel and task
#     uses (the engine test Faults.CorpusReaderHoldsAtMostMaxLineBytesOfALine at that size);
#  3. draws 2,000,000 points on the embedding map (bench_map under xvfb-run: full points and the
#     density level of detail, against a QPainter baseline in the same run).
#   bash bench/run_load_bench.sh [build dir]      (env SIZE_MB, LINE_MB, EMBEDLAB_FIXTURES)
set -euo pipefail
B="${1:-build}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
FX="${EMBEDLAB_FIXTURES:-$SRC/../shared/fixtures}"
SIZE_MB=${SIZE_MB:-1024}
LINE_MB=${LINE_MB:-1024}
T="${TMPDIR:-/tmp}/embedlab-load.$$"
mkdir -p "$T"; trap 'rm -rf "$T"' EXIT
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p') · $(nproc) threads"

# A model folder: the fixture Gemma 3 and a byte-level tokenizer.json (ids = UTF-8 bytes).
"$PY" - "$T/gemma" "$FX" <<'PYEOF'
import json, os, shutil, sys
d, fx = sys.argv[1], sys.argv[2]
os.makedirs(d)
for f in ("config.json", "model.safetensors"): shutil.copy(os.path.join(fx, "models/gemma3_tiny", f), d)
bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
cs, n = {}, 0
for b in range(256):
    if b in bs: cs[b] = chr(b)
    else: cs[b] = chr(256 + n); n += 1
bl = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
json.dump({"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
           "pre_tokenizer": bl, "post_processor": bl, "decoder": bl,
           "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                     "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
                     "vocab": {cs[b]: b for b in range(256)}, "merges": []}}, open(os.path.join(d, "tokenizer.json"), "w"))
PYEOF

# 1. The corpus: the news corpus's lines (or synthetic Turkish), repeated with a counter to SIZE_MB.
NEWS="$SRC/data/npm/nlptoolkit-corpus/corpus.txt"
"$PY" - "$T/corpus.txt" "$SIZE_MB" "$NEWS" <<'PYEOF'
import os, sys
out, mb, news = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(news, encoding="utf-8").read().split("\n")[:5000] if os.path.exists(news) else \
        [f"bu ev {i} çok güzel ve kitaplar yakında" for i in range(5000)]
lines = [l for l in lines if l.strip()]
target, n = mb << 20, 0
with open(out, "w", encoding="utf-8") as f:
    i = 0
    while n < target:
        s = f"{lines[i % len(lines)]} {i}\n"; f.write(s); n += len(s.encode()); i += 1
PYEOF
lines=$(wc -l < "$T/corpus.txt")
head -n $((lines / 16)) "$T/corpus.txt" > "$T/slice.txt"
run_embed() {  # input label
  /usr/bin/time -f "%M %e" -o "$T/time" "$B/bin/embedlab-cli" embed --model "$T/gemma" --input "$1" \
    --batch-size 64 --out "$T/out.npy" > "$T/embed.json"
  read -r rss secs < "$T/time"
  echo "$2: $(wc -l < "$1") lines ($(( $(stat -c %s "$1") >> 20 )) MB) in ${secs} s — $("$PY" -c "import json; print(round(json.load(open('$T/embed.json'))['per_second']))") lines/s, peak RSS $((rss / 1024)) MB, output $(( $(stat -c %s "$T/out.npy") >> 20 )) MB"
}
run_embed "$T/slice.txt" "embed 1/16"
run_embed "$T/corpus.txt" "embed all"
rm -f "$T/corpus.txt" "$T/slice.txt" "$T/out.npy"

# 2. A one-line file of LINE_MB through the corpus reader.
EMBEDLAB_TEST_TMP="$T" EMBEDLAB_LOAD_LINE_MB="$LINE_MB" "$B/bin/test_engine_io" \
  --gtest_filter='Faults.CorpusReaderHoldsAtMostMaxLineBytesOfALine' | grep -E "MB line|OK|FAILED"

# 3. Two million points on the map.
if [ -x "$B/bin/bench_map" ]; then
  xvfb-run -a -s "-screen 0 1280x1024x24" "$B/bin/bench_map" --sizes 2000000 --frames 10
fi
