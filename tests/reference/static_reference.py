"""Independent float64 references for the static-embedding trainer (engine/train/static_embeddings.h).

  static_reference.py step FILE.json   one skip-gram centre step with negative sampling, in numpy
  static_reference.py hash WORD...     fastText's FNV-1a of each string (bytes sign-extended)

Prints one JSON line.
"""
import json
import sys

import numpy as np


def step(path):
    d = json.load(open(path))
    inp = np.array(d["input"], dtype=np.float64)
    out = np.array(d["output"], dtype=np.float64)
    rows, lr = d["rows"], d["lr"]
    h = inp[rows].mean(axis=0)
    gh = np.zeros_like(h)
    loss = 0.0
    for c, target in enumerate(d["targets"]):
        pairs = [(target, 1.0)] + [(t, 0.0) for t in d["negatives"][c]]
        for t, label in pairs:
            p = 1.0 / (1.0 + np.exp(-out[t] @ h))
            loss += -np.log(max(p if label else 1.0 - p, 1e-7))
            g = lr * (label - p)
            gh += g * out[t]
            out[t] += g * h
    for r in rows:  # a row named twice receives the gradient twice, as in fastText
        inp[r] += gh
    print(json.dumps({"input": inp.tolist(), "output": out.tolist(), "loss": loss}))


def fnv(words):
    res = []
    for w in words:
        h = 2166136261
        for b in w.encode("utf-8"):
            sb = b - 256 if b >= 128 else b
            h ^= sb & 0xFFFFFFFF
            h = (h * 16777619) & 0xFFFFFFFF
        res.append(h)
    print(json.dumps(res))


if __name__ == "__main__":
    if sys.argv[1] == "step":
        step(sys.argv[2])
    else:
        fnv(sys.argv[2:])
