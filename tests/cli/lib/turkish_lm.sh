# Sourced by CLI suites that train a small causal LM on Turkish text (train.sh, distributed.sh); not a
# suite itself (CTest runs tests/cli/*.sh only). Needs PY, SRC and T set.
#   turkish_text FILE LINES   the news corpus's first LINES lines when installed (tools/install-data.sh),
#                             else generated sentences of Turkish roots and suffixes
#   tiny_gemma_config FILE    a 2-layer Gemma-3-shaped config.json (hidden 64, the seed's 32,768 vocabulary)
turkish_text() {
  local out=$1 lines=$2 corpus="$SRC/data/npm/nlptoolkit-corpus/corpus.txt"
  if [ -f "$corpus" ]; then head -"$lines" "$corpus" > "$out"; return; fi
  "$PY" - "$out" "$lines" <<'PYEOF'
import sys, itertools
words = "ev kitap okul kalem masa deniz yol göz el su".split()
suf = ["", "ler", "de", "den", "i", "imiz", "lerde", "e"]
with open(sys.argv[1], "w") as f:
    for i, (w, s) in enumerate(itertools.islice(itertools.cycle(itertools.product(words, suf)), 2 * int(sys.argv[2]))):
        f.write(f"bu {w}{s} çok güzel ve {words[i % 7]}{suf[i % 5]} yakın\n")
PYEOF
}

tiny_gemma_config() {
  cat > "$1" <<'JSON'
{"model_type": "gemma3_text", "architectures": ["Gemma3ForCausalLM"], "vocab_size": 32768, "hidden_size": 64,
 "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32,
 "sliding_window": 32, "layer_types": ["sliding_attention", "full_attention"], "max_position_embeddings": 512,
 "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "query_pre_attn_scalar": 32,
 "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": true, "bos_token_id": 2, "eos_token_id": 1, "pad_token_id": 0}
JSON
}
