"""Baseline for `embedlab-cli bench transfer`: the same work in numpy (Debian's python3-numpy), as a
researcher's script would do it.

    numpy_transfer_baseline.py rows REPORT.json SOURCE_ROWS HIDDEN   building every target row from the
        report's sources (Σ weight · source row) over a random source matrix of the same shape
    numpy_transfer_baseline.py omp ANCHORS TOKENS DIM K SAMPLE        per-token OMP (greedy atom choice on
        unit atoms, least squares on the chosen ones) timed on SAMPLE tokens, extrapolated to TOKENS

Prints one JSON object.
"""
import json
import sys
import time

import numpy as np


def omp(A, U, x, k):
    r = x.copy()
    sel = []
    for _ in range(k):
        c = np.abs(U @ r)
        c[sel] = -1
        sel.append(int(np.argmax(c)))
        S = A[sel].T
        coef, *_ = np.linalg.lstsq(S, x, rcond=None)
        r = x - S @ coef
    return sel, coef


def main():
    mode = sys.argv[1]
    if mode == "rows":
        rep = json.load(open(sys.argv[2]))
        rows, hidden = int(sys.argv[3]), int(sys.argv[4])
        rng = np.random.default_rng(0)
        src = rng.standard_normal((rows, hidden), dtype=np.float32)
        t0 = time.perf_counter()
        out = np.empty((len(rep["tokens"]), hidden), dtype=np.float32)
        for t in rep["tokens"]:
            s = t["sources"]
            if not s:
                out[t["id"]] = 0
                continue
            ids = [x["id"] for x in s]
            w = np.array([x["weight"] if x["weight"] is not None else 1.0 / len(s) for x in s], dtype=np.float32)
            out[t["id"]] = w @ src[ids]
        print(json.dumps({"baseline": "numpy rows", "seconds": time.perf_counter() - t0}))
    elif mode == "omp":
        n_anchor, n_tok, dim, k, sample = (int(v) for v in sys.argv[2:7])
        rng = np.random.default_rng(1)
        A = rng.standard_normal((n_anchor, dim))
        U = A / np.linalg.norm(A, axis=1, keepdims=True)
        X = rng.standard_normal((sample, dim))
        t0 = time.perf_counter()
        for x in X:
            omp(A, U, x, k)
        per = (time.perf_counter() - t0) / sample
        print(json.dumps({"baseline": "numpy omp", "seconds_per_token": per, "seconds": per * n_tok,
                          "sample": sample}))


if __name__ == "__main__":
    main()
