#!/usr/bin/python3
"""Independent plain-PyTorch reference for embedlab's training engine.

Run with Debian's interpreter (torch 1.13, numpy):  /usr/bin/python3 tests/reference/train_reference.py ...
Only the standard library, torch and numpy are used (safetensors is read/written by hand). The model code
is written from the Hugging Face conventions (Gemma3ForCausalLM text model, GPT2LMHeadModel, BertModel /
BertForMaskedLM, XLMRobertaForMaskedLM) and shared/fixtures/README.md, not from the C++ engine.

Modes
  --selfcheck [--dtype f32|f64] [--fixtures DIR]
      Runs every case of every fixture model and compares hidden_states.i, layer_output.i,
      last_hidden_state, logits, mean_pooled, pooler_output, mlm_logits and greedy_step_logits (plus
      greedy ids and the encoders' position_ids, exactly) with expected/<name>.safetensors on valid
      positions (attention_mask == 1). f32 fixtures: |a-e| <= 1e-4 + 1e-4*|e|. gemma3_tiny_bf16 is run
      in bf16 (HF-style rounding; in f64 mode: in f64) and checked with the README's bf16 tolerance
      (atol 0.4, rtol 0.03, per-tensor relative L2 <= 0.03). Last stdout line:
      {"selfcheck": {model: max_abs_err, ...}, "ok": true|false}; exit status 1 when not ok.
      DIR defaults to $EMBEDLAB_FIXTURES_DIR, else <repo>/../shared/fixtures.

  --model DIR --ids FILE --forward-out OUT.safetensors [--seq-len L] [--dtype f32|f64]
      One right-padded batch of all lines of FILE; writes input_ids, attention_mask, hidden_states.i,
      layer_output.i (decoders), last_hidden_state, mean_pooled, logits (decoders), mlm_logits (MLM head
      present), pooler_output (pooler present).

  --model DIR --objective lm|mlm|contrastive --out OUT.safetensors [training flags]
      --ids FILE (lm, mlm) --labels FILE (mlm) --pairs FILE (contrastive)
      --steps S (1) --batch-size B (2) --grad-accum K (1) --seq-len L (0 = no truncation)
      --optimizer sgd|adamw (adamw) --lr (1e-4) --betas b1,b2 (0.9,0.999) --eps (1e-8)
      --weight-decay (0) --warmup W (0) --schedule constant|linear|cosine (constant) --clip C (0 = off)
      --train all|embeddings|embeddings+head|layers:i,j,.. (all) --pooling mean|cls|last (mean)
      --temperature tau (0.05) --matryoshka d1,d2,.. --dtype f32|f64 --seed (0) --threads (1)
      --embedding-padding-idx hf|none (hf)

Training conventions (the product's contract)
  * Data: one sequence per line, comma-separated ids (blank lines are skipped); truncated to the first L
    ids. Micro-batch j = step*K + m takes lines (j*B + i) % N, i = 0..B-1, right-padded to its longest
    row with pad = config pad_token_id if it is an int in [0, vocab), else 0; attention_mask 1 on real
    tokens; token_type_ids 0. Positions: arange for Gemma/GPT-2/BERT; XLM-R/RoBERTa
    cumsum(ids != pad) * (ids != pad) + pad (from the ids, as HF does).
  * lm: CE(logits[:, t], ids[:, t+1]) where mask[:, t+1] == 1. mlm: CE(mlm_logits, labels) where label
    != -100 (labels padded with -100). Step loss = sum of CE over all K micro-batches / step target
    count; the gradient is that of the step loss. contrastive: each side encoded separately, pooled,
    L2-normalised (F.normalize, eps 1e-12), logits = a @ b.T / tau,
    loss = (CE(logits, arange) + CE(logits.T, arange)) / 2 (CE = batch mean), matryoshka = mean over
    dims of that loss on the first d dims (truncate, then normalise); step loss = mean over the K
    micro-batches.
  * Optimizers: torch.optim.SGD(lr, momentum=0) / torch.optim.AdamW(lr, betas, eps), two groups:
    weight_decay on ndim >= 2 tensors that are not embedding tables (word/position/token_type
    embeddings, wte, wpe, embed_tokens), 0 on the rest. Parameters that get no gradient in a step
    (grad None, e.g. BERT's pooler under mlm) are skipped by the optimizer (no decay either).
  * LambdaLR with Hugging Face's get_{constant,linear,cosine}_schedule_with_warmup lambdas; the first
    optimizer step uses lambda(0). The logged lr is the lr the step used.
  * grad_norm: total L2 norm of the trainable parameters' gradients before clipping; --clip C > 0 calls
    torch.nn.utils.clip_grad_norm_(params, C) (which scales by C / (norm + 1e-6) when that is < 1).
  * Embedding gradients follow HF's nn.Embedding(padding_idx=pad): lookups of the pad id give no
    gradient to that row (Gemma embed_tokens, BERT/XLM-R word_embeddings, XLM-R position_embeddings;
    GPT-2 has no padding_idx). The tied head still gives that row gradient. --embedding-padding-idx
    none turns this off.
  * Output: every tensor of the input file, same key names; float tensors in the compute dtype (F32 or
    F64), other dtypes unchanged; tied aliases present in the file (lm_head.weight when tied,
    cls.predictions.decoder.*, lm_head.decoder.*) are written with their source's trained value.
    Last stdout line: {"log": [{"step", "loss", "lr", "grad_norm", "tokens"}, ...]} where tokens =
    real input tokens of the step (both sides for contrastive).
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------------------
_ST_NP = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1",
          "U8": "u1", "BOOL": "?"}
_TORCH_ST = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
             torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
             torch.bool: "BOOL"}


def read_safetensors(path):
    """Returns (dict name -> torch tensor in the file's dtype, in header order; metadata dict or None)."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None)
    base = 8 + n
    out = {}
    for name, info in header.items():
        dt, shape = info["dtype"], info["shape"]
        s, e = info["data_offsets"]
        buf = data[base + s:base + e]
        if dt == "BF16":
            u = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            t = torch.from_numpy(u.view(np.float32).reshape(shape).copy()).to(torch.bfloat16)
        elif dt in _ST_NP:
            arr = np.frombuffer(buf, dtype=np.dtype(_ST_NP[dt])).reshape(shape)
            t = torch.from_numpy(arr.astype(arr.dtype.newbyteorder("="), copy=True))
        else:
            raise ValueError("%s: unsupported safetensors dtype %s (%s)" % (path, dt, name))
        if t.numel() * t.element_size() != e - s:
            raise ValueError("%s: size mismatch for %s" % (path, name))
        out[name] = t
    return out, meta


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors (name -> torch tensor) in sorted-name order, header padded with spaces to 8 bytes."""
    names = sorted(tensors)
    header = {"__metadata__": metadata if metadata is not None else {"format": "pt"}}
    blobs, off = [], 0
    for name in names:
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _TORCH_ST:
            raise ValueError("cannot write dtype %s (%s)" % (t.dtype, name))
        if t.dtype == torch.bfloat16:
            b = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            a = t.numpy()
            b = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _TORCH_ST[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    hb = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hb += b" " * ((8 - len(hb) % 8) % 8)
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------------------------------
DTYPES = {"f32": torch.float32, "f64": torch.float64, "bf16": torch.bfloat16}
EMBED_SUFFIXES = ("word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight",
                  "wte.weight", "wpe.weight", "embed_tokens.weight")
BUFFER_SUFFIXES = ("embeddings.position_ids", "attn.bias", "attn.masked_bias", "rotary_emb.inv_freq")


def _has_suffix(key, suffixes):
    """key equals one of suffixes or ends with '.' + one of them (whole dotted components only)."""
    return any(key == s or key.endswith("." + s) for s in suffixes)


def is_buffer(key):
    """Non-parameter buffers of old checkpoints (ignored by the forward pass, written back unchanged)."""
    return _has_suffix(key, BUFFER_SUFFIXES)


def is_embedding_table(key):
    return _has_suffix(key, EMBED_SUFFIXES)


def _act(name):
    name = (name or "gelu").lower()
    if name in ("gelu", "gelu_python"):
        return lambda x: F.gelu(x)
    if name in ("gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate"):
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "relu":
        return F.relu
    if name in ("silu", "swish"):
        return F.silu
    raise ValueError("unsupported activation %r" % name)


def _norm_dtype(x):
    """Dtype in which norms / softmax are computed: f64 stays f64, everything else goes through f32."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _find_anchor(keys, suffix):
    hits = [k for k in keys if k == suffix or k.endswith("." + suffix)]
    if len(hits) != 1:
        raise ValueError("expected exactly one tensor named *%s, found %s" % (suffix, hits))
    return hits[0][:len(hits[0]) - len(suffix)]


class RefModel:
    """Holds the tensors of one model folder under their file key names and runs the forward pass.

    params: key -> tensor (floating tensors converted to the compute dtype, as new leaf tensors).
    aliases: tied key present in the file -> key of the tensor it is tied to."""

    def __init__(self, model_dir, dtype=torch.float32, padding_idx_mode="hf"):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.cfg = cfg = json.load(f)
        raw, self.meta = read_safetensors(os.path.join(model_dir, "model.safetensors"))
        self.file_dtypes = {k: v.dtype for k, v in raw.items()}
        self.key_order = list(raw)
        self.dtype = dtype
        self.padding_idx_mode = padding_idx_mode
        mt = cfg.get("model_type")
        if mt is None:
            arch = " ".join(cfg.get("architectures") or [])
            mt = ("gemma3_text" if "Gemma3" in arch else "gpt2" if "GPT2" in arch else
                  "xlm-roberta" if "XLMRoberta" in arch else "roberta" if "Roberta" in arch else
                  "bert" if "Bert" in arch else None)
        if mt in ("gemma3_text", "gemma3"):
            self.family = "gemma3"
        elif mt == "gpt2":
            self.family = "gpt2"
        elif mt == "bert":
            self.family = "bert"
        elif mt in ("xlm-roberta", "roberta"):
            self.family = "xlmr"
        else:
            raise ValueError("unsupported model_type %r" % mt)
        self.is_decoder = self.family in ("gemma3", "gpt2")
        # Interventions (issue #15): heads zeroed before the output projection, layers skipped (identity).
        self.zero_heads = set()   # {(layer, head)}
        self.skip_layers = set()
        self.mean_heads = {}      # {(layer, head): tensor [hd]}: the head's output replaced by this vector
        self.record_heads = None  # {} to collect {layer: (sum [heads, hd] float64, real tokens)} over forwards
        self.patches = {}         # {state: (value [B or 1, T or P, hidden], positions or None)}: the residual replaced
        self._mask = None
        self.params = {}
        for k, v in raw.items():
            if v.is_floating_point() and not is_buffer(k):
                self.params[k] = v.to(dtype).clone()
            else:
                self.params[k] = v.clone()
        self.aliases = {}
        keys = set(raw)
        V = cfg["vocab_size"]
        pad = cfg.get("pad_token_id")
        self.pad_id = pad if isinstance(pad, int) and not isinstance(pad, bool) and 0 <= pad < V else 0
        self.vocab = V
        if self.family == "gemma3":
            self._init_gemma(keys)
        elif self.family == "gpt2":
            self._init_gpt2(keys)
        else:
            self._init_encoder(keys)
        # Parameters that can be trained: floating, not buffers, not tied aliases.
        self.trainable_keys = [k for k in self.key_order if k in self.params and k not in self.aliases
                               and self.params[k].is_floating_point() and not is_buffer(k)]

    # ---- name resolution ------------------------------------------------------------------------------
    def _init_gemma(self, keys):
        c = self.cfg
        if c.get("use_bidirectional_attention"):
            raise ValueError("use_bidirectional_attention is not supported")
        self.P = _find_anchor(keys, "embed_tokens.weight")
        self.embed_key = self.P + "embed_tokens.weight"
        self.nl = c["num_hidden_layers"]
        self.block_prefix = [self.P + "layers.%d." % i for i in range(self.nl)]
        if c.get("layer_types"):
            lt = c["layer_types"]
            if len(lt) != self.nl:
                raise ValueError("layer_types has %d entries for %d layers" % (len(lt), self.nl))
            self.sliding = [t == "sliding_attention" for t in lt]
        else:
            pat = c.get("sliding_window_pattern", c.get("_sliding_window_pattern", 6))
            self.sliding = [bool((i + 1) % pat != 0) for i in range(self.nl)]
        self.hidden = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.nkv = c.get("num_key_value_heads", self.nh)
        self.hd = c.get("head_dim") or self.hidden // self.nh
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.window = c.get("sliding_window")
        self.scaling = float(c.get("query_pre_attn_scalar", 256)) ** -0.5
        self.attn_cap = c.get("attn_logit_softcapping")
        self.final_cap = c.get("final_logit_softcapping")
        self.base_local = float(c.get("rope_local_base_freq", 10000.0))
        self.base_global = float(c.get("rope_theta", 1000000.0))
        self.rope_factor = 1.0
        rs = c.get("rope_scaling")
        if rs:
            rtype = rs.get("rope_type", rs.get("type", "default"))
            if rtype == "linear":
                self.rope_factor = float(rs["factor"])
            elif rtype != "default":
                raise ValueError("rope_scaling type %r not supported" % rtype)
        self.act = _act(c.get("hidden_activation", c.get("hidden_act", "gelu_pytorch_tanh")))
        self.final_norm_key = self.P + "norm.weight"
        self._init_head(keys, c.get("tie_word_embeddings", True))
        self.emb_padding_idx = self.pad_id if self.padding_idx_mode == "hf" else None

    def _init_gpt2(self, keys):
        c = self.cfg
        self.P = _find_anchor(keys, "wte.weight")
        self.embed_key = self.P + "wte.weight"
        self.nl = c["n_layer"]
        self.block_prefix = [self.P + "h.%d." % i for i in range(self.nl)]
        self.hidden = c["n_embd"]
        self.nh = c["n_head"]
        self.hd = self.hidden // self.nh
        self.eps = c.get("layer_norm_epsilon", 1e-5)
        self.max_pos = c.get("n_positions", 1024)
        self.act = _act(c.get("activation_function", "gelu_new"))
        self.scale_attn_weights = c.get("scale_attn_weights", True)
        self.scale_by_layer = c.get("scale_attn_by_inverse_layer_idx", False)
        self.final_norm_key = self.P + "ln_f.weight"
        self._init_head(keys, c.get("tie_word_embeddings", True))
        self.emb_padding_idx = None  # GPT-2's wte has no padding_idx

    def _init_head(self, keys, tied):
        head = [k for k in keys if k == "lm_head.weight" or k.endswith(".lm_head.weight")]
        if tied:
            self.head_key = self.embed_key
            for k in head:
                self.aliases[k] = self.embed_key
        else:
            if len(head) != 1:
                raise ValueError("tie_word_embeddings is false but the file has no lm_head.weight")
            self.head_key = head[0]

    def _init_encoder(self, keys):
        c = self.cfg
        self.P = _find_anchor(keys, "embeddings.word_embeddings.weight")
        self.embed_key = self.P + "embeddings.word_embeddings.weight"
        self.nl = c["num_hidden_layers"]
        self.block_prefix = [self.P + "encoder.layer.%d." % i for i in range(self.nl)]
        self.hidden = c["hidden_size"]
        self.nh = c["num_attention_heads"]
        self.hd = self.hidden // self.nh
        self.eps = c.get("layer_norm_eps", 1e-12)
        self.max_pos = c.get("max_position_embeddings", 512)
        if c.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("only absolute position embeddings are supported")
        self.act = _act(c.get("hidden_act", "gelu"))
        self.has_pooler = (self.P + "pooler.dense.weight") in keys
        self.emb_padding_idx = self.pad_id if self.padding_idx_mode == "hf" else None
        # MLM heads: BERT style (cls.predictions.*) or RoBERTa style (lm_head.*)
        self.mlm_style = None
        if "cls.predictions.transform.dense.weight" in keys:
            self.mlm_style = "bert"
            for k in ("cls.predictions.decoder.weight",):
                if k in keys:
                    self.aliases[k] = self.embed_key
            if "cls.predictions.decoder.bias" in keys:
                self.aliases["cls.predictions.decoder.bias"] = "cls.predictions.bias"
        elif "lm_head.dense.weight" in keys:
            self.mlm_style = "roberta"
            if "lm_head.decoder.weight" in keys:
                self.aliases["lm_head.decoder.weight"] = self.embed_key
            if "lm_head.decoder.bias" in keys:
                self.aliases["lm_head.decoder.bias"] = "lm_head.bias"

    # ---- parameter sets -------------------------------------------------------------------------------
    def embedding_keys(self):
        return [k for k in self.trainable_keys if is_embedding_table(k)]

    def head_keys(self):
        out = []
        for k in self.trainable_keys:
            if self.is_decoder and k == getattr(self, "head_key", None) and k != self.embed_key:
                out.append(k)
            elif not self.is_decoder and (k.startswith("cls.predictions.") or k.startswith("lm_head.")):
                out.append(k)
        return out

    def select_trainable(self, spec):
        if spec == "all":
            return list(self.trainable_keys)
        if spec == "embeddings":
            return self.embedding_keys()
        if spec == "embeddings+head":
            sel = set(self.embedding_keys()) | set(self.head_keys())
            return [k for k in self.trainable_keys if k in sel]
        if spec.startswith("layers:"):
            idx = [int(s) for s in spec[len("layers:"):].split(",") if s.strip() != ""]
            for i in idx:
                if not 0 <= i < self.nl:
                    raise ValueError("layer %d out of range (model has %d)" % (i, self.nl))
            pre = tuple(self.block_prefix[i] for i in idx)
            return [k for k in self.trainable_keys if k.startswith(pre)]
        raise ValueError("unknown --train %r" % spec)

    def state_for_output(self):
        out = {}
        for k in self.key_order:
            src = self.aliases.get(k, k)
            t = self.params[src].detach()
            if not self.file_dtypes[k].is_floating_point:
                t = t.to(self.file_dtypes[k])
            out[k] = t.clone()
        return out

    # ---- building blocks ------------------------------------------------------------------------------
    def p(self, k):
        return self.params[k]

    def lin(self, x, pre):
        b = self.params.get(pre + ".bias")
        return F.linear(x, self.params[pre + ".weight"], b)

    def ln(self, x, pre, eps):
        w, b = self.params[pre + ".weight"], self.params[pre + ".bias"]
        return F.layer_norm(x, (x.shape[-1],), w.to(x.dtype), b.to(x.dtype), eps)

    def rms(self, x, w):
        nd = _norm_dtype(x)
        xf = x.to(nd)
        out = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        out = out * (1.0 + w.to(nd))
        return out.to(x.dtype)

    def embed(self, ids, key, padding_idx):
        return F.embedding(ids, self.params[key], padding_idx=padding_idx)

    @staticmethod
    def attend(q, k, v, allowed, scale, softcap=None):
        """q [B,H,L,D], k/v [B,H,L,D], allowed bool broadcastable to [B,H,L,L]; softmax in f32 (f64 stays)."""
        s = torch.matmul(q, k.transpose(-1, -2)) * scale
        if softcap:
            s = torch.tanh(s / softcap) * softcap
        sd = _norm_dtype(s)
        s = s.to(sd).masked_fill(~allowed, torch.finfo(sd).min)
        pr = torch.softmax(s, dim=-1).to(v.dtype)
        return torch.matmul(pr, v)

    # ---- forward ---------------------------------------------------------------------------------------
    def forward(self, ids, mask, token_type_ids=None, heads=("logits",)):
        """ids, mask: int64 [B, L]. Returns dict with hidden_states (list), layer_output (decoders),
        last_hidden_state, mean_pooled and the requested heads: 'logits' (decoders), 'mlm_logits',
        'pooler_output' (encoders; skipped when the file has no such head)."""
        self._mask = mask
        if self.family == "gemma3":
            out = self._fwd_gemma(ids, mask, heads)
        elif self.family == "gpt2":
            out = self._fwd_gpt2(ids, mask, heads)
        else:
            out = self._fwd_encoder(ids, mask, token_type_ids, heads)
        h = out["last_hidden_state"]
        m = mask.to(h.dtype).unsqueeze(-1)
        out["mean_pooled"] = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return out

    def _zero(self, a, li):
        """a: [B, heads, L, hd], the attention output of layer li before the heads are merged."""
        if self.record_heads is not None:
            m = self._mask.to(torch.float64)[:, None, :, None]
            s = (a.detach().to(torch.float64) * m).sum((0, 2))
            n = float(self._mask.sum())
            prev = self.record_heads.get(li)
            self.record_heads[li] = (s, n) if prev is None else (prev[0] + s, prev[1] + n)
        heads = [h for (l, h) in self.zero_heads if l == li]
        means = [(h, v) for (l, h), v in self.mean_heads.items() if l == li]
        if not heads and not means:
            return a
        a = a.clone()
        a[:, heads] = 0
        for h, v in means:
            a[:, h] = v.to(a.dtype)
        return a

    def _patch(self, x, state):
        """Activation patching: hidden state `state` (0 = the embedding output, l = the input of layer l, nl =
        the last layer's output, before a decoder's final norm) replaced by a stored value, at every position
        or at the listed ones."""
        if state not in self.patches:
            return x
        value, positions = self.patches[state]
        x = x.clone()
        if positions is None:
            x[:] = value.to(x.dtype).expand(x.shape[0], -1, -1)
        else:
            x[:, positions] = value.to(x.dtype).expand(x.shape[0], -1, -1)
        return x

    def readout(self, h):
        """The logit lens: a hidden state before the final norm → final norm, LM head, final soft-cap."""
        if self.family == "gemma3":
            logits = F.linear(self.rms(h, self.p(self.final_norm_key)), self.params[self.head_key])
            if self.final_cap:
                logits = torch.tanh(logits / self.final_cap) * self.final_cap
            return logits
        if self.family == "gpt2":
            return F.linear(self.ln(h, self.P + "ln_f", self.eps), self.params[self.head_key])
        raise ValueError("the logit lens needs a causal LM")

    def _rope(self, L, base, factor, dtype):
        cd = torch.float64 if self.dtype == torch.float64 else torch.float32
        inv = 1.0 / (base ** (torch.arange(0, self.hd, 2, dtype=torch.int64).to(cd) / self.hd))
        inv = inv / factor
        freqs = torch.outer(torch.arange(L, dtype=torch.int64).to(cd), inv)
        emb = torch.cat([freqs, freqs], dim=-1)
        return emb.cos().to(dtype), emb.sin().to(dtype)

    @staticmethod
    def _apply_rope(x, cos, sin):
        h = x.shape[-1] // 2
        rot = torch.cat([-x[..., h:], x[..., :h]], dim=-1)
        return x * cos + rot * sin

    def _fwd_gemma(self, ids, mask, heads):
        B, L = ids.shape
        E = self.params[self.embed_key]
        x = self.embed(ids, self.embed_key, self.emb_padding_idx)
        x = x * torch.tensor(self.hidden ** 0.5, dtype=E.dtype)
        x = self._patch(x, 0)
        i_pos = torch.arange(L).view(L, 1)
        j_pos = torch.arange(L).view(1, L)
        causal = j_pos <= i_pos
        keyok = mask.bool().view(B, 1, 1, L)
        allowed_full = causal.view(1, 1, L, L) & keyok
        allowed_slide = allowed_full
        if self.window is not None:
            allowed_slide = allowed_full & (j_pos > i_pos - self.window).view(1, 1, L, L)
        rope_cache = {}
        hs, lo = [x], []
        rep = self.nh // self.nkv
        for li in range(self.nl):
            if li in self.skip_layers:
                x = self._patch(x, li + 1)
                lo.append(x)
                if li < self.nl - 1:
                    hs.append(x)
                continue
            pre = self.block_prefix[li]
            sl = self.sliding[li]
            res = x
            h = self.rms(x, self.p(pre + "input_layernorm.weight"))
            q = self.lin(h, pre + "self_attn.q_proj").view(B, L, self.nh, self.hd).transpose(1, 2)
            k = self.lin(h, pre + "self_attn.k_proj").view(B, L, self.nkv, self.hd).transpose(1, 2)
            v = self.lin(h, pre + "self_attn.v_proj").view(B, L, self.nkv, self.hd).transpose(1, 2)
            q = self.rms(q, self.p(pre + "self_attn.q_norm.weight"))
            k = self.rms(k, self.p(pre + "self_attn.k_norm.weight"))
            ck = (sl, q.dtype)
            if ck not in rope_cache:
                rope_cache[ck] = (self._rope(L, self.base_local, 1.0, q.dtype) if sl else
                                  self._rope(L, self.base_global, self.rope_factor, q.dtype))
            cos, sin = rope_cache[ck]
            q = self._apply_rope(q, cos, sin)
            k = self._apply_rope(k, cos, sin)
            if rep > 1:
                k = k.repeat_interleave(rep, dim=1)
                v = v.repeat_interleave(rep, dim=1)
            a = self.attend(q, k, v, allowed_slide if sl else allowed_full, self.scaling, self.attn_cap)
            a = self._zero(a, li)
            a = a.transpose(1, 2).reshape(B, L, self.nh * self.hd)
            a = self.lin(a, pre + "self_attn.o_proj")
            a = self.rms(a, self.p(pre + "post_attention_layernorm.weight"))
            x = res + a
            res = x
            h = self.rms(x, self.p(pre + "pre_feedforward_layernorm.weight"))
            g = self.act(self.lin(h, pre + "mlp.gate_proj")) * self.lin(h, pre + "mlp.up_proj")
            h = self.lin(g, pre + "mlp.down_proj")
            h = self.rms(h, self.p(pre + "post_feedforward_layernorm.weight"))
            x = res + h
            x = self._patch(x, li + 1)
            lo.append(x)
            if li < self.nl - 1:
                hs.append(x)
        x = self.rms(x, self.p(self.final_norm_key))
        hs.append(x)
        out = {"hidden_states": hs, "layer_output": lo, "last_hidden_state": x}
        if "logits" in heads:
            logits = F.linear(x, self.params[self.head_key])
            if self.final_cap:
                logits = torch.tanh(logits / self.final_cap) * self.final_cap
            out["logits"] = logits
        return out

    def _fwd_gpt2(self, ids, mask, heads):
        B, L = ids.shape
        if L > self.max_pos:
            raise ValueError("sequence length %d > n_positions %d" % (L, self.max_pos))
        pos = torch.arange(L).view(1, L)
        x = self.embed(ids, self.P + "wte.weight", None) + self.embed(pos, self.P + "wpe.weight", None)
        x = self._patch(x, 0)
        i_pos = torch.arange(L).view(L, 1)
        j_pos = torch.arange(L).view(1, L)
        allowed = (j_pos <= i_pos).view(1, 1, L, L) & mask.bool().view(B, 1, 1, L)
        hs, lo = [x], []
        for li in range(self.nl):
            if li in self.skip_layers:
                x = self._patch(x, li + 1)
                lo.append(x)
                if li < self.nl - 1:
                    hs.append(x)
                continue
            pre = self.block_prefix[li]
            h = self.ln(x, pre + "ln_1", self.eps)
            qkv = self.conv1d(h, pre + "attn.c_attn")
            q, k, v = qkv.split(self.hidden, dim=-1)
            q, k, v = (t.view(B, L, self.nh, self.hd).transpose(1, 2) for t in (q, k, v))
            scale = 1.0
            if self.scale_attn_weights:
                scale = 1.0 / float(self.hd) ** 0.5
            if self.scale_by_layer:
                scale = scale / float(li + 1)
            a = self.attend(q, k, v, allowed, scale)
            a = self._zero(a, li)
            a = a.transpose(1, 2).reshape(B, L, self.hidden)
            x = x + self.conv1d(a, pre + "attn.c_proj")
            h = self.ln(x, pre + "ln_2", self.eps)
            h = self.conv1d(self.act(self.conv1d(h, pre + "mlp.c_fc")), pre + "mlp.c_proj")
            x = x + h
            x = self._patch(x, li + 1)
            lo.append(x)
            if li < self.nl - 1:
                hs.append(x)
        x = self.ln(x, self.P + "ln_f", self.eps)
        hs.append(x)
        out = {"hidden_states": hs, "layer_output": lo, "last_hidden_state": x}
        if "logits" in heads:
            out["logits"] = F.linear(x, self.params[self.head_key])
        return out

    def conv1d(self, x, pre):
        """HF Conv1D: weight [in, out]."""
        w, b = self.params[pre + ".weight"], self.params[pre + ".bias"]
        return F.linear(x, w.t(), b)

    def position_ids(self, ids):
        if self.family == "xlmr":
            ne = (ids != self.pad_id).long()
            return torch.cumsum(ne, dim=1) * ne + self.pad_id
        B, L = ids.shape
        return torch.arange(L).view(1, L).expand(B, L)

    def _fwd_encoder(self, ids, mask, tt, heads):
        B, L = ids.shape
        pos = self.position_ids(ids)
        if int(pos.max()) >= self.max_pos:
            raise ValueError("position id %d >= max_position_embeddings %d" % (int(pos.max()), self.max_pos))
        if tt is None:
            tt = torch.zeros_like(ids)
        P = self.P + "embeddings."
        pos_pad = self.pad_id if (self.family == "xlmr" and self.padding_idx_mode == "hf") else None
        x = (self.embed(ids, P + "word_embeddings.weight", self.emb_padding_idx)
             + self.embed(tt, P + "token_type_embeddings.weight", None)
             + self.embed(pos, P + "position_embeddings.weight", pos_pad))
        x = self.ln(x, P + "LayerNorm", self.eps)
        x = self._patch(x, 0)
        allowed = mask.bool().view(B, 1, 1, L)
        hs = [x]
        scale = 1.0 / math.sqrt(self.hd)
        for li in range(self.nl):
            if li in self.skip_layers:
                x = self._patch(x, li + 1)
                hs.append(x)
                continue
            pre = self.block_prefix[li]
            q, k, v = (self.lin(x, pre + "attention.self." + n).view(B, L, self.nh, self.hd).transpose(1, 2)
                       for n in ("query", "key", "value"))
            a = self._zero(self.attend(q, k, v, allowed, scale), li).transpose(1, 2).reshape(B, L, self.hidden)
            a = self.ln(self.lin(a, pre + "attention.output.dense") + x, pre + "attention.output.LayerNorm",
                        self.eps)
            h = self.act(self.lin(a, pre + "intermediate.dense"))
            x = self.ln(self.lin(h, pre + "output.dense") + a, pre + "output.LayerNorm", self.eps)
            x = self._patch(x, li + 1)
            hs.append(x)
        out = {"hidden_states": hs, "last_hidden_state": x, "position_ids": pos}
        if "pooler_output" in heads and self.has_pooler:
            out["pooler_output"] = torch.tanh(self.lin(x[:, 0], self.P + "pooler.dense"))
        if "mlm_logits" in heads and self.mlm_style is not None:
            E = self.params[self.embed_key]
            if self.mlm_style == "bert":
                t = self.act(self.lin(x, "cls.predictions.transform.dense"))
                t = self.ln(t, "cls.predictions.transform.LayerNorm", self.eps)
                out["mlm_logits"] = F.linear(t, E, self.params["cls.predictions.bias"])
            else:
                t = F.gelu(self.lin(x, "lm_head.dense"))
                t = self.ln(t, "lm_head.layer_norm", self.eps)
                out["mlm_logits"] = F.linear(t, E, self.params["lm_head.bias"])
        return out


# ----------------------------------------------------------------------------------------------------
# selfcheck
# ----------------------------------------------------------------------------------------------------
def default_fixtures_dir():
    env = os.environ.get("EMBEDLAB_FIXTURES_DIR")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo), "shared", "fixtures")


def selfcheck(fixtures, dtype):
    results, ok_all = {}, True
    names = ["gemma3_tiny", "gpt2_tiny", "bert_tiny", "xlmr_tiny", "gemma3_tiny_bf16"]
    for name in names:
        bf16 = name.endswith("_bf16")
        cdt = (torch.float64 if dtype == torch.float64 else torch.bfloat16) if bf16 else dtype
        model = RefModel(os.path.join(fixtures, "models", name), dtype=cdt)
        exp, _ = read_safetensors(os.path.join(fixtures, "expected", name + ".safetensors"))
        with open(os.path.join(fixtures, "expected", name + ".json")) as f:
            info = json.load(f)
        tol = info["tolerance"]
        atol, rtol, rel_l2_max = tol["atol"], tol["rtol"], tol.get("rel_l2_max")
        worst_abs, worst_key, fails, nchk, worst_rel = 0.0, None, [], 0, 0.0
        for case in info["cases"]:
            ids = exp[case + ".input_ids"]
            mask = exp[case + ".attention_mask"]
            tt = exp.get(case + ".token_type_ids")
            with torch.no_grad():
                out = model.forward(ids, mask, tt, heads=("logits", "mlm_logits", "pooler_output"))
            got = {"last_hidden_state": out["last_hidden_state"], "mean_pooled": out["mean_pooled"]}
            for i, t in enumerate(out["hidden_states"]):
                got["hidden_states.%d" % i] = t
            for i, t in enumerate(out.get("layer_output", [])):
                got["layer_output.%d" % i] = t
            for k in ("logits", "mlm_logits", "pooler_output"):
                if k in out:
                    got[k] = out[k]
            if case + ".position_ids" in exp:
                if not torch.equal(out["position_ids"].long(), exp[case + ".position_ids"]):
                    fails.append(case + ".position_ids")
            if case + ".greedy_new_ids" in exp:  # greedy by full recomputation
                seq = ids.clone()
                steps, new = [], []
                with torch.no_grad():
                    for _ in range(exp[case + ".greedy_new_ids"].shape[1]):
                        lg = model.forward(seq, torch.ones_like(seq), heads=("logits",))["logits"][:, -1]
                        steps.append(lg[0])
                        nxt = int(torch.argmax(lg[0].float()))
                        new.append(nxt)
                        seq = torch.cat([seq, torch.tensor([[nxt]])], dim=1)
                got["greedy_step_logits"] = torch.stack(steps)
                if new != exp[case + ".greedy_new_ids"][0].tolist():
                    fails.append(case + ".greedy_new_ids")
            m = mask.bool()
            for k, g in got.items():
                ek = case + "." + k
                if ek not in exp:
                    continue
                e = exp[ek].double()
                g = g.detach().double()
                if g.shape != e.shape:
                    fails.append(ek + " shape %s vs %s" % (tuple(g.shape), tuple(e.shape)))
                    continue
                if g.dim() >= 2 and tuple(g.shape[:2]) == tuple(m.shape):
                    g, e = g[m], e[m]
                d = (g - e).abs()
                nchk += 1
                md = float(d.max())
                if md > worst_abs:
                    worst_abs, worst_key = md, ek
                if bool((d > atol + rtol * e.abs()).any()):
                    fails.append(ek)
                if rel_l2_max is not None:
                    rl = float((g - e).norm() / e.norm().clamp(min=1e-30))
                    worst_rel = max(worst_rel, rl)
                    if rl > rel_l2_max:
                        fails.append(ek + " rel_l2")
        ok = not fails
        ok_all &= ok
        results[name] = worst_abs
        extra = (" rel_l2_max=%.4f" % worst_rel) if rel_l2_max is not None else ""
        print("%-18s compute=%-8s tensors=%3d max_abs_err=%.3e (%s)%s tol atol=%g rtol=%g%s -> %s"
              % (name, str(cdt).replace("torch.", ""), nchk, worst_abs, worst_key, extra, atol, rtol,
                 (" rel_l2<=%g" % rel_l2_max) if rel_l2_max is not None else "",
                 "ok" if ok else "FAIL " + ", ".join(fails[:8])))
    print(json.dumps({"selfcheck": results, "ok": ok_all}))
    return ok_all


# ----------------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------------
def _parse_ids(s, where):
    s = s.strip()
    if not s:
        return []
    try:
        return [int(t) for t in s.split(",")]
    except ValueError:
        raise ValueError("bad id list at %s" % where)


def read_id_lines(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                out.append(_parse_ids(line, "%s:%d" % (path, n)))
    if not out:
        raise ValueError("%s has no sequences" % path)
    return out


def read_pairs(path):
    out = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 2:
                raise ValueError("%s:%d: expected ids_a<TAB>ids_b" % (path, n))
            out.append((_parse_ids(parts[0], "%s:%d" % (path, n)), _parse_ids(parts[1], "%s:%d" % (path, n))))
    if not out:
        raise ValueError("%s has no pairs" % path)
    return out


def pad_batch(seqs, pad_value, L):
    seqs = [s[:L] if L > 0 else s for s in seqs]
    T = max(len(s) for s in seqs)
    if T == 0:
        raise ValueError("empty sequence batch")
    ids = torch.full((len(seqs), T), pad_value, dtype=torch.int64)
    mask = torch.zeros((len(seqs), T), dtype=torch.int64)
    for i, s in enumerate(seqs):
        if s:
            ids[i, :len(s)] = torch.tensor(s, dtype=torch.int64)
            mask[i, :len(s)] = 1
    return ids, mask


def batch_lines(j, B, N):
    return [(j * B + i) % N for i in range(B)]


# ----------------------------------------------------------------------------------------------------
# schedule, optimizer
# ----------------------------------------------------------------------------------------------------
def hf_lr_lambda(kind, W, S):
    """Hugging Face get_{constant,linear,cosine}_schedule_with_warmup (num_cycles 0.5)."""
    if kind == "constant":
        def f(step):
            if step < W:
                return float(step) / float(max(1.0, W))
            return 1.0
    elif kind == "linear":
        def f(step):
            if step < W:
                return float(step) / float(max(1, W))
            return max(0.0, float(S - step) / float(max(1, S - W)))
    elif kind == "cosine":
        def f(step):
            if step < W:
                return float(step) / float(max(1, W))
            progress = float(step - W) / float(max(1, S - W))
            return max(0.0, 0.5 * (1.0 + math.cos(math.pi * 0.5 * 2.0 * progress)))
    else:
        raise ValueError("unknown schedule %r" % kind)
    return f


def param_groups(model, keys, weight_decay):
    decay, no_decay = [], []
    for k in keys:
        t = model.params[k]
        if t.dim() >= 2 and not is_embedding_table(k):
            decay.append(t)
        else:
            no_decay.append(t)
    groups = []
    if decay:
        groups.append({"params": decay, "weight_decay": weight_decay})
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def make_optimizer(model, keys, a):
    groups = param_groups(model, keys, a.weight_decay)
    if not groups:
        raise ValueError("--train %s selects no parameters" % a.train)
    if a.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=a.lr, momentum=0.0)
    if a.optimizer == "adamw":
        b1, b2 = (float(x) for x in a.betas.split(","))
        return torch.optim.AdamW(groups, lr=a.lr, betas=(b1, b2), eps=a.eps)
    raise ValueError("unknown optimizer %r" % a.optimizer)


def total_grad_norm(params):
    gs = [p.grad for p in params if p.grad is not None]
    if not gs:
        return 0.0
    return float(torch.norm(torch.stack([torch.norm(g.detach(), 2.0) for g in gs]), 2.0))


# ----------------------------------------------------------------------------------------------------
# losses
# ----------------------------------------------------------------------------------------------------
def pool(model, out, mask, how):
    h = out["last_hidden_state"]
    if how == "mean":
        return out["mean_pooled"]
    if how == "cls":
        return h[:, 0]
    if how == "last":
        idx = (mask.sum(1) - 1).clamp(min=0)
        return h[torch.arange(h.shape[0]), idx]
    raise ValueError("unknown pooling %r" % how)


def contrastive_loss(ea, eb, tau, dims):
    n = ea.shape[0]
    lab = torch.arange(n)
    losses = []
    for d in dims:
        a = F.normalize(ea[:, :d], p=2.0, dim=-1)
        b = F.normalize(eb[:, :d], p=2.0, dim=-1)
        lg = a @ b.t() / tau
        losses.append((F.cross_entropy(lg, lab) + F.cross_entropy(lg.t(), lab)) / 2)
    return torch.stack(losses).mean()


class Trainer:
    def __init__(self, model, a):
        self.model, self.a = model, a
        self.K, self.B, self.L = a.grad_accum, a.batch_size, a.seq_len
        if a.objective in ("lm", "mlm"):
            if not a.ids:
                raise ValueError("--ids is required for --objective %s" % a.objective)
            self.lines = read_id_lines(a.ids)
            if a.objective == "lm" and not model.is_decoder:
                raise ValueError("--objective lm needs a decoder (gemma3, gpt2)")
            if a.objective == "mlm":
                if model.is_decoder or model.mlm_style is None:
                    raise ValueError("--objective mlm needs an encoder with an MLM head in the file "
                                     "(cls.predictions.* or lm_head.*)")
                if not a.labels:
                    raise ValueError("--labels is required for --objective mlm")
                self.labels = read_id_lines(a.labels)
                if len(self.labels) != len(self.lines):
                    raise ValueError("--labels has %d lines, --ids %d" % (len(self.labels), len(self.lines)))
                for n, (x, y) in enumerate(zip(self.lines, self.labels)):
                    if len(x) != len(y):
                        raise ValueError("line %d: %d ids but %d labels" % (n + 1, len(x), len(y)))
        elif a.objective == "contrastive":
            if not a.pairs:
                raise ValueError("--pairs is required for --objective contrastive")
            self.lines = read_pairs(a.pairs)
            H = model.hidden
            self.dims = [int(d) for d in a.matryoshka.split(",")] if a.matryoshka else [H]
            for d in self.dims:
                if not 0 < d <= H:
                    raise ValueError("matryoshka dim %d outside 1..%d" % (d, H))
        else:
            raise ValueError("unknown objective %r" % a.objective)
        self.N = len(self.lines)

    def micro_batch(self, j):
        rows = batch_lines(j, self.B, self.N)
        pad = self.model.pad_id
        if self.a.objective == "contrastive":
            ia, ma = pad_batch([self.lines[r][0] for r in rows], pad, self.L)
            ib, mb = pad_batch([self.lines[r][1] for r in rows], pad, self.L)
            return {"a": (ia, ma), "b": (ib, mb)}
        ids, mask = pad_batch([self.lines[r] for r in rows], pad, self.L)
        mbd = {"ids": ids, "mask": mask}
        if self.a.objective == "mlm":
            lab, _ = pad_batch([self.labels[r] for r in rows], -100, self.L)
            mbd["labels"] = lab
        else:
            tgt = ids[:, 1:].masked_fill(mask[:, 1:] == 0, -100)
            mbd["labels"] = tgt
        return mbd

    def step(self, s):
        """Forward + backward of step s (0-based); returns (loss, tokens). Gradients accumulate in .grad."""
        mbs = [self.micro_batch(s * self.K + m) for m in range(self.K)]
        model = self.model
        if self.a.objective == "contrastive":
            total, tokens = 0.0, 0
            for mb in mbs:
                (ia, ma), (ib, mbk) = mb["a"], mb["b"]
                tokens += int(ma.sum()) + int(mbk.sum())
                oa = model.forward(ia, ma, None, heads=())
                ob = model.forward(ib, mbk, None, heads=())
                ea = pool(model, oa, ma, self.a.pooling)
                eb = pool(model, ob, mbk, self.a.pooling)
                loss = contrastive_loss(ea, eb, self.a.temperature, self.dims)
                (loss / self.K).backward()
                total += float(loss.detach())
            return total / self.K, tokens
        count = sum(int((mb["labels"] != -100).sum()) for mb in mbs)
        denom = float(max(count, 1))
        tokens = sum(int(mb["mask"].sum()) for mb in mbs)
        total = 0.0
        for mb in mbs:
            if self.a.objective == "lm":
                out = model.forward(mb["ids"], mb["mask"], None, heads=("logits",))
                lg = out["logits"][:, :-1]
            else:
                out = model.forward(mb["ids"], mb["mask"], torch.zeros_like(mb["ids"]), heads=("mlm_logits",))
                lg = out["mlm_logits"]
            lg = lg.reshape(-1, lg.shape[-1])
            if lg.dtype not in (torch.float32, torch.float64):
                lg = lg.float()
            ce = F.cross_entropy(lg, mb["labels"].reshape(-1), ignore_index=-100, reduction="sum")
            (ce / denom).backward()
            total += float(ce.detach())
        return total / denom, tokens


def train(a):
    dtype = DTYPES[a.dtype]
    model = RefModel(a.model, dtype=dtype, padding_idx_mode=a.embedding_padding_idx)
    keys = model.select_trainable(a.train)
    if not keys:
        raise ValueError("--train %s selects no parameters" % a.train)
    for k in model.trainable_keys:
        model.params[k].requires_grad_(k in keys)
    params = [model.params[k] for k in keys]
    opt = make_optimizer(model, keys, a)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, hf_lr_lambda(a.schedule, a.warmup, a.steps))
    trainer = Trainer(model, a)
    log = []
    for s in range(a.steps):
        opt.zero_grad(set_to_none=True)
        lr = opt.param_groups[0]["lr"]
        loss, tokens = trainer.step(s)
        if a.clip > 0:
            gn = float(torch.nn.utils.clip_grad_norm_(params, a.clip))
        else:
            gn = total_grad_norm(params)
        opt.step()
        sched.step()
        log.append({"step": s + 1, "loss": loss, "lr": lr, "grad_norm": gn, "tokens": tokens})
        if a.verbose:
            print(json.dumps(log[-1]), file=sys.stderr)
    if a.out:
        write_safetensors(a.out, model.state_for_output(), model.meta)
    print(json.dumps({"log": log}))


def parse_interventions(model, a):
    if a.zero_heads:
        for item in a.zero_heads.split(","):
            l, h = item.split(":")
            model.zero_heads.add((int(l), int(h)))
    if a.skip_layers:
        model.skip_layers = {int(x) for x in a.skip_layers.split(",")}
    if getattr(a, "patch_residual", ""):
        parts = a.patch_residual.split(":")
        state, path = int(parts[0]), parts[1]
        name = parts[2] if len(parts) > 2 else "hidden_states.%d" % state
        t, _ = read_safetensors(path)
        positions = [int(v) for v in a.patch_positions.split(",")] if a.patch_positions else None
        value = t[name]  # covers positions 0..T-1 (a forward's hidden state); positions pick which are replaced
        if positions is not None:
            value = value[:, positions]
        model.patches[state] = (value, positions)


def lens_out(a):
    """The logit lens of one id sequence: per layer, per position, the top-k (id, prob)."""
    model = RefModel(a.model, dtype=DTYPES[a.dtype], padding_idx_mode=a.embedding_padding_idx)
    parse_interventions(model, a)
    ids = torch.tensor([read_id_lines(a.ids)[0]], dtype=torch.int64)
    with torch.no_grad():
        out = model.forward(ids, torch.ones_like(ids), None, heads=("logits",))
        layers = []
        probs = []
        for l in range(model.nl + 1):
            logits = model.readout(out["hidden_states"][l]) if l < model.nl else out["logits"]
            p = torch.softmax(logits.float()[0], dim=-1)
            v, i = torch.topk(p, a.top, dim=-1)
            layers.append([[{"id": int(i[t, j]), "prob": float(v[t, j])} for j in range(a.top)] for t in range(p.shape[0])])
            probs.append(p[-1])
        final = layers[-1][-1][0]["id"]
    print(json.dumps({"layers": layers, "next_token_prob": [float(p[final]) for p in probs], "next_token": final}))


def forward_out(a):
    model = RefModel(a.model, dtype=DTYPES[a.dtype], padding_idx_mode=a.embedding_padding_idx)
    parse_interventions(model, a)
    lines = read_id_lines(a.ids)
    ids, mask = pad_batch(lines, model.pad_id, a.seq_len)
    with torch.no_grad():
        out = model.forward(ids, mask, None if model.is_decoder else torch.zeros_like(ids),
                            heads=("logits", "mlm_logits", "pooler_output"))
    res = {"input_ids": ids, "attention_mask": mask}
    for i, t in enumerate(out["hidden_states"]):
        res["hidden_states.%d" % i] = t
    for i, t in enumerate(out.get("layer_output", [])):
        res["layer_output.%d" % i] = t
    for k in ("last_hidden_state", "mean_pooled", "logits", "mlm_logits", "pooler_output", "position_ids"):
        if k in out:
            res[k] = out[k].contiguous()
    write_safetensors(a.forward_out, res)
    print(json.dumps({"forward_out": a.forward_out, "keys": sorted(res)}))


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--selfcheck", action="store_true")
    p.add_argument("--fixtures", default=None)
    p.add_argument("--model")
    p.add_argument("--dtype", choices=["f32", "f64"], default="f32")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--forward-out")
    p.add_argument("--lens", action="store_true", help="print the logit lens of the first --ids line as JSON")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--zero-heads", default="", help="L:H[,L:H...]")
    p.add_argument("--skip-layers", default="", help="L[,L...]")
    p.add_argument("--patch-residual", default="", help="STATE:FILE[:TENSOR] (default tensor hidden_states.STATE)")
    p.add_argument("--patch-positions", default="", help="P[,P...] (default: every position)")
    p.add_argument("--objective", choices=["lm", "mlm", "contrastive"])
    p.add_argument("--ids")
    p.add_argument("--labels")
    p.add_argument("--pairs")
    p.add_argument("--out")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--grad-accum", type=int, default=1)
    p.add_argument("--seq-len", type=int, default=0, help="truncate sequences to this many ids (0 = no truncation)")
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="adamw")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--betas", default="0.9,0.999")
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--schedule", choices=["constant", "linear", "cosine"], default="constant")
    p.add_argument("--clip", type=float, default=0.0)
    p.add_argument("--train", default="all")
    p.add_argument("--pooling", choices=["mean", "cls", "last"], default="mean")
    p.add_argument("--temperature", type=float, default=0.05)
    p.add_argument("--matryoshka", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--embedding-padding-idx", choices=["hf", "none"], default="hf")
    p.add_argument("--verbose", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    torch.set_num_threads(max(1, a.threads))
    torch.manual_seed(a.seed)
    if a.selfcheck:
        ok = selfcheck(a.fixtures or default_fixtures_dir(), DTYPES[a.dtype])
        return 0 if ok else 1
    if not a.model:
        print("error: --model is required", file=sys.stderr)
        return 2
    try:
        if a.lens:
            if not a.ids:
                raise ValueError("--lens needs --ids")
            lens_out(a)
            return 0
        if a.forward_out:
            if not a.ids:
                raise ValueError("--forward-out needs --ids")
            forward_out(a)
            return 0
        if not a.objective:
            raise ValueError("--objective is required (or --forward-out / --selfcheck)")
        if a.steps < 1 or a.batch_size < 1 or a.grad_accum < 1:
            raise ValueError("--steps, --batch-size and --grad-accum must be >= 1")
        train(a)
    except (ValueError, KeyError, OSError) as e:
        print("error: %s" % (e,), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
