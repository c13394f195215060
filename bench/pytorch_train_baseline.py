#!/usr/bin/python3
"""PyTorch training-speed baseline for embedlab's training engine (Debian python3-torch 1.13, eager, CPU).

  /usr/bin/python3 bench/pytorch_train_baseline.py --model DIR --objective lm|contrastive|mlm \
      --batch-size B --seq-len L --steps N --warmup-steps W --threads T --dtype f32|bf16 \
      [--pooling mean|cls|last] [--temperature 0.05] [--seed 1234]

DIR is a model folder (config.json + model.safetensors, e.g. written by `embedlab-cli init`) of any of
the four families; the model code is tests/reference/train_reference.py (imported through sys.path), so
the forward pass is the one checked against shared/fixtures by `train_reference.py --selfcheck`.

What one step is
  * lm (Gemma 3, GPT-2): B random sequences of L ids, uniform in [0, vocab) from torch.Generator(seed),
    no padding; causal-LM cross-entropy (token mean, HF shift).
  * contrastive (all four): B pairs (two sides of L ids each); each side encoded separately, pooled
    (--pooling, default mean), L2-normalised, symmetric InfoNCE with in-batch negatives, tau 0.05.
  * mlm (encoders with an MLM head in the file): B sequences of L ids, 15% of positions labelled with
    their own id (no input masking: the cost is the same).
  Optimizer: torch.optim.AdamW(lr 1e-4, betas (0.9, 0.999), eps 1e-8, weight decay 0.01 on matrices that
  are not embedding tables, 0 elsewhere), every parameter trained.
  --dtype f32: f32 everything. --dtype bf16: f32 master weights (a BF16 file is upcast) and the forward
  pass under torch.autocast("cpu", dtype=torch.bfloat16); the loss is computed from f32 logits, the
  backward runs outside the autocast context (the usual PyTorch recipe); optimizer state stays f32.
  All W + N batches are drawn before timing. Steps 1..W are warm-up; steps W+1..W+N are timed one by one
  with time.perf_counter (zero_grad, forward, loss, backward, optimizer step).

Output: one JSON line with tokens_per_second (B*L per step for lm/mlm, 2*B*L for contrastive, divided by
the mean timed step time), step_seconds (mean), step_seconds_median, peak_rss_mb
(resource.getrusage(RUSAGE_SELF).ru_maxrss / 1024), threads, dtype, torch, and the setup."""
import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "reference"))
import train_reference as R  # noqa: E402


def main():
    p = argparse.ArgumentParser(description="PyTorch training-speed baseline")
    p.add_argument("--model", required=True)
    p.add_argument("--objective", choices=["lm", "contrastive", "mlm"], default="lm")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup-steps", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    p.add_argument("--pooling", choices=["mean", "cls", "last"], default="mean")
    p.add_argument("--temperature", type=float, default=0.05)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args()
    if a.steps < 1 or a.warmup_steps < 0 or a.batch_size < 1 or a.seq_len < 2:
        p.error("need --steps >= 1, --warmup-steps >= 0, --batch-size >= 1, --seq-len >= 2")
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    t0 = time.perf_counter()
    model = R.RefModel(a.model, dtype=torch.float32)
    load_s = time.perf_counter() - t0
    if a.objective == "lm" and not model.is_decoder:
        p.error("--objective lm needs a decoder (gemma3, gpt2); use contrastive or mlm for encoders")
    if a.objective == "mlm" and (model.is_decoder or model.mlm_style is None):
        p.error("--objective mlm needs an encoder with an MLM head in the file")
    keys = list(model.trainable_keys)
    for k in keys:
        model.params[k].requires_grad_(True)
    params = [model.params[k] for k in keys]
    n_params = sum(t.numel() for t in params)
    opt = torch.optim.AdamW(R.param_groups(model, keys, 0.01), lr=a.lr, betas=(0.9, 0.999), eps=1e-8)

    V, B, L = model.vocab, a.batch_size, a.seq_len
    g = torch.Generator().manual_seed(a.seed)
    total = a.warmup_steps + a.steps
    if a.objective == "contrastive":
        batches = [(torch.randint(0, V, (B, L), generator=g), torch.randint(0, V, (B, L), generator=g))
                   for _ in range(total)]
        tokens_per_step = 2 * B * L
    else:
        batches = []
        for _ in range(total):
            ids = torch.randint(0, V, (B, L), generator=g)
            if a.objective == "mlm":
                sel = torch.rand((B, L), generator=g) < 0.15
                batches.append((ids, torch.where(sel, ids, torch.full_like(ids, -100))))
            else:
                batches.append((ids, None))
        tokens_per_step = B * L
    mask = torch.ones((B, L), dtype=torch.int64)
    zeros = torch.zeros((B, L), dtype=torch.int64)

    def ctx():
        if a.dtype == "bf16":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def step(batch):
        opt.zero_grad(set_to_none=True)
        with ctx():
            if a.objective == "contrastive":
                tt = None if model.is_decoder else zeros
                oa = model.forward(batch[0], mask, tt, heads=())
                ob = model.forward(batch[1], mask, tt, heads=())
                ea = R.pool(model, oa, mask, a.pooling).float()
                eb = R.pool(model, ob, mask, a.pooling).float()
            elif a.objective == "lm":
                lg = model.forward(batch[0], mask, None, heads=("logits",))["logits"][:, :-1]
            else:
                lg = model.forward(batch[0], mask, zeros, heads=("mlm_logits",))["mlm_logits"]
        if a.objective == "contrastive":
            loss = R.contrastive_loss(ea, eb, a.temperature, [model.hidden])
        else:
            tgt = batch[0][:, 1:] if a.objective == "lm" else batch[1]
            loss = F.cross_entropy(lg.float().reshape(-1, V), tgt.reshape(-1), ignore_index=-100)
        loss.backward()
        opt.step()
        return float(loss.detach())

    losses, times = [], []
    for i, batch in enumerate(batches):
        t = time.perf_counter()
        losses.append(step(batch))
        dt = time.perf_counter() - t
        if i >= a.warmup_steps:
            times.append(dt)
    mean_s = sum(times) / len(times)
    res = {
        "tokens_per_second": tokens_per_step / mean_s,
        "step_seconds": mean_s,
        "step_seconds_median": statistics.median(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "threads": a.threads,
        "dtype": a.dtype,
        "torch": torch.__version__,
        "family": model.family,
        "objective": a.objective,
        "pooling": a.pooling if a.objective == "contrastive" else None,
        "batch_size": B,
        "seq_len": L,
        "tokens_per_step": tokens_per_step,
        "steps": a.steps,
        "warmup_steps": a.warmup_steps,
        "parameters": n_params,
        "load_seconds": load_s,
        "first_loss": losses[0],
        "last_loss": losses[-1],
        "machine": platform.machine(),
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
