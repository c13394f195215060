#!/usr/bin/env bash
# embedlab-cli: version, devices, usage errors, and the SentencePiece + LibTorch self-test in the
# CLI binary. Called by CTest as: bash system.sh PATH_TO_EMBEDLAB_CLI
set -u
CLI="$1"
PY=${REFERENCE_PYTHON:-/usr/bin/python3}
fail=0
check() { if ! eval "$2"; then echo "FAIL: $1"; fail=1; else echo "ok: $1"; fi; }

out=$("$CLI" version) ; rc=$?
check "version exits 0" "[ $rc -eq 0 ]"
check "version JSON has version, torch, devices" \
  "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"version\"] and j[\"torch\"].startswith(\"1.\") or j[\"torch\"][0].isdigit(); assert \"cpu\" in j[\"devices\"]'"

# Transparent huge pages: where the kernel gives them on request, the CLI re-executes itself with
# glibc.malloc.hugetlb=1 (engine/device/blas_setup.h) unless the user's GLIBC_TUNABLES says otherwise.
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
expect_thp=$($PY -c "print('true' if '$thp' in ('always', 'madvise') else 'false')")
check "version reports malloc huge pages as the kernel allows ($thp)" \
  "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"malloc_huge_pages\"] == $( [ "$expect_thp" = true ] && echo True || echo False ), j'"
out3=$(EMBEDLAB_REEXECUTED=1 "$CLI" version)
check "an inherited re-exec marker does not stop the set-up (it carries another pid)" \
  "[ \"\$(echo '$out3' | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j.get(\"blas_core\"), j[\"malloc_huge_pages\"])')\" = \"\$(echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); print(j.get(\"blas_core\"), j[\"malloc_huge_pages\"])')\" ]"
if [ "$thp" = madvise ]; then
  out2=$(GLIBC_TUNABLES=glibc.malloc.hugetlb=0 "$CLI" version)
  check "a user's glibc.malloc.hugetlb=0 is kept" \
    "echo '$out2' | $PY -c 'import json,sys; j=json.load(sys.stdin); assert j[\"malloc_huge_pages\"] is False and j[\"transparent_huge_pages\"] == \"madvise\"'"
fi

# EMBEDLAB_CPU_ISA caps the hand-written kernels' instruction set for the whole process.
isa_p=$(EMBEDLAB_CPU_ISA=portable "$CLI" version | $PY -c 'import json,sys; print(json.load(sys.stdin)["cpu_isa"])')
check "EMBEDLAB_CPU_ISA=portable caps the kernels to the portable path" "[ \"$isa_p\" = portable ]"
isa_full=$(echo "$out" | $PY -c 'import json,sys; print(json.load(sys.stdin)["cpu_isa"])')
isa_2=$(EMBEDLAB_CPU_ISA=avx2 "$CLI" version | $PY -c 'import json,sys; print(json.load(sys.stdin)["cpu_isa"])')
check "EMBEDLAB_CPU_ISA=avx2 gives avx2 or less ($isa_full uncapped)" \
  "[ \"$isa_2\" = avx2 -o \"$isa_2\" = portable ] && { [ \"$isa_full\" = portable ] || [ \"$isa_2\" = avx2 ]; }"
isa_bad=$(EMBEDLAB_CPU_ISA=sse9 "$CLI" version 2>/tmp/embedlab-cli-err.$$ | $PY -c 'import json,sys; print(json.load(sys.stdin)["cpu_isa"])')
check "an unknown EMBEDLAB_CPU_ISA is named on stderr and ignored" \
  "grep -q 'EMBEDLAB_CPU_ISA=sse9' /tmp/embedlab-cli-err.$$ && [ \"$isa_bad\" = \"$isa_full\" ]"

out=$("$CLI" devices --threads 2) ; rc=$?
check "devices exits 0" "[ $rc -eq 0 ]"
check "devices JSON lists cpu with 2 threads" \
  "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); c=[d for d in j if d[\"name\"]==\"cpu\"][0]; assert c[\"available\"] is True and c[\"threads\"]==2'"

"$CLI" no-such-command >/dev/null 2>/tmp/embedlab-cli-err.$$; rc=$?
check "unknown command exits 2" "[ $rc -eq 2 ]"
check "unknown command prints usage" "grep -q 'usage: embedlab-cli' /tmp/embedlab-cli-err.$$"
"$CLI" devices --bogus >/dev/null 2>/tmp/embedlab-cli-err.$$; rc=$?
check "unknown option exits 2" "[ $rc -eq 2 ]"
"$CLI" devices --device tpu >/dev/null 2>&1; rc=$?
check "devices ignores --device (parsed, valid)" "[ $rc -eq 0 ]"
"$CLI" selftest --sp-model /nonexistent.model >/dev/null 2>/tmp/embedlab-cli-err.$$; rc=$?
check "missing .model exits 3" "[ $rc -eq 3 ]"
check "missing .model message" "grep -q '^error: cannot open SentencePiece model' /tmp/embedlab-cli-err.$$"

SP="$EMBEDLAB_FIXTURES/sentencepiece/tr_unigram_2k.model"
out=$("$CLI" selftest --sp-model "$SP" --text "Merhaba dünya!"); rc=$?
check "selftest exits 0" "[ $rc -eq 0 ]"
check "selftest ids equal libsentencepiece reference, torch op ran" \
  "echo '$out' | $PY -c 'import json,sys; j=json.load(sys.stdin); e=json.load(open(\"$EMBEDLAB_FIXTURES/sentencepiece/tr_unigram_2k.expected.json\"))[\"items\"][0]; assert j[\"ids\"]==e[\"ids\"], (j[\"ids\"], e[\"ids\"]); assert j[\"decoded\"]==e[\"decoded\"]; assert j[\"tensor_sum\"]==sum(e[\"ids\"]); assert abs(j[\"tensor_matmul_trace\"]-sum(i*i for i in e[\"ids\"]))<1e-3*sum(i*i for i in e[\"ids\"])'"
rm -f /tmp/embedlab-cli-err.$$
if [ $fail -ne 0 ]; then echo "cli.system: FAILED"; exit 1; fi
echo "cli.system: all checks passed"
