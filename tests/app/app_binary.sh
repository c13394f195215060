#!/usr/bin/env bash
# The embedlab GUI binary: the SentencePiece + LibTorch self-test in its process, a screenshot of the
# main window, and a missing path on the command line (a message; the app still opens).
set -u
APP="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
fail=0
out=$("$APP" --self-test "$EMBEDLAB_FIXTURES/sentencepiece/tr_bpe_2k_bytefallback.model") || { echo "FAIL: self-test exit"; fail=1; }
echo "$out" | $PY -c '
import json,sys,os
j=json.load(sys.stdin)
e=json.load(open(os.environ["EMBEDLAB_FIXTURES"]+"/sentencepiece/tr_bpe_2k_bytefallback.expected.json"))["items"][0]
assert e["text"]=="Merhaba dünya!"
assert j["ids"]==e["ids"], (j["ids"], e["ids"])
assert j["decoded"]==e["text"]
assert j["tensor_sum"]==sum(e["ids"])
' || { echo "FAIL: self-test output $out"; fail=1; }
shot="$EMBEDLAB_TEST_TMP/screenshots/app_main_window.png"
mkdir -p "$(dirname "$shot")"; rm -f "$shot"
HOME="$EMBEDLAB_TEST_TMP/home" QT_QPA_PLATFORM=offscreen "$APP" --empty --screenshot "$shot" /no/such/model || { echo "FAIL: screenshot run"; fail=1; }
$PY - "$shot" <<'PYEOF' || { echo "FAIL: screenshot file"; fail=1; }
import sys, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h = struct.unpack('>II', data[16:24])
assert w >= 800 and h >= 600, (w, h)
PYEOF
# --session FILE --screenshot: a saved session (an evaluation row, no models) is restored, then rendered.
sess="$EMBEDLAB_TEST_TMP/app_binary_session.json"; sshot="$EMBEDLAB_TEST_TMP/screenshots/app_session.png"; rm -f "$sshot"
cat > "$sess" <<'JSON'
{"format": "embedlab-session", "version": 1, "models": [], "current_model": -1,
 "panels": {"evaluation": {"task": "sts", "data": "/no/such/sts.tsv",
   "rows": [{"model": "demo", "model_path": "/m", "task": "sts", "data": "/d/sts.tsv", "main": "spearman",
             "main_value": 0.75, "metrics": [["spearman", 0.75], ["pearson", 0.7]], "settings": "mean"}],
   "status": "1 result", "progress": 1000},
   "window": {"front": "evaluation"}}}
JSON
HOME="$EMBEDLAB_TEST_TMP/home" QT_QPA_PLATFORM=offscreen timeout 120 "$APP" --session "$sess" --screenshot "$sshot" \
  || { echo "FAIL: --session screenshot run"; fail=1; }
[ -s "$sshot" ] || { echo "FAIL: no session screenshot"; fail=1; }
echo '{"format": "embedlab-session", "version": 7' > "$sess.bad"
HOME="$EMBEDLAB_TEST_TMP/home" QT_QPA_PLATFORM=offscreen timeout 120 "$APP" --session "$sess.bad" \
  --screenshot "$EMBEDLAB_TEST_TMP/screenshots/app_bad_session.png" || { echo "FAIL: a broken session stops the app"; fail=1; }
# A corrupt autosave at start: a message, the file kept aside as .bad-TIME, and the app opens empty (not
# the default workspace, which is only for a first run).
h="$EMBEDLAB_TEST_TMP/home-badautosave"; rm -rf "$h"; mkdir -p "$h/.local/share/embedlab/embedlab"
echo '{"format": "embedlab-session", "vers' > "$h/.local/share/embedlab/embedlab/autosave.embedlab-session.json"
HOME="$h" XDG_DATA_HOME= QT_QPA_PLATFORM=offscreen timeout 120 "$APP" --screenshot "$EMBEDLAB_TEST_TMP/screenshots/app_bad_autosave.png" \
  2> "$h/err" || { echo "FAIL: a corrupt autosave stops the app"; fail=1; }
grep -q "could not be restored.*starting empty" "$h/err" || { echo "FAIL: no message for a corrupt autosave: $(cat $h/err)"; fail=1; }
ls "$h/.local/share/embedlab/embedlab/" | grep -q '^autosave.embedlab-session.json.bad-' \
  || { echo "FAIL: the corrupt autosave was not kept aside"; fail=1; }
# With a real OpenGL context (xvfb + Mesa llvmpipe) the map is part of the window too.
if command -v xvfb-run >/dev/null; then
  glshot="$EMBEDLAB_TEST_TMP/screenshots/app_main_window_gl.png"; rm -f "$glshot"
  # Under the sanitizers this run keeps ASan and UBSan but not leak detection: the xcb platform and
  # Mesa (dlclose'd at exit, its allocations then of no module LeakSanitizer can name) keep ~1.3 KB for
  # the life of the process (tests/CMakeLists.txt says the same for the gl_* tests).
  HOME="$EMBEDLAB_TEST_TMP/home" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb \
    "$APP" --empty --screenshot "$glshot" || { echo "FAIL: screenshot run under xvfb"; fail=1; }
  [ -s "$glshot" ] || { echo "FAIL: no GL screenshot"; fail=1; }
fi
[ $fail -eq 0 ] && echo "app binary: all checks passed"
exit $fail
