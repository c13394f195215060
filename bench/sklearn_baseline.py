#!/usr/bin/env python3
"""Baselines for bench_projection: scikit-learn's TSNE and umap-learn on the same .npy matrix.

Writes OUT_DIR/sklearn_tsne.npy, OUT_DIR/umap_learn.npy and OUT_DIR/baseline.json
({"results": {name: {"seconds": ..}}, "versions": {...}}); bench_projection scores the embeddings with
the same trustworthiness code and sample as its own. Threads: set OMP_NUM_THREADS / NUMBA_NUM_THREADS
before starting Python (run_projection_bench.sh does). umap-learn is run without random_state so that it
may use its threads (with a seed it runs single-threaded); its numba functions are compiled by a small
warm-up fit first, which is not timed.

    sklearn_baseline.py --input X.npy --out-dir DIR [--threads 2] [--methods tsne,umap]
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--methods", default="tsne,umap")
    args = ap.parse_args()
    x = np.load(args.input).astype(np.float32)
    os.makedirs(args.out_dir, exist_ok=True)
    results, versions = {}, {}
    methods = args.methods.split(",")
    import sklearn
    versions["sklearn"] = sklearn.__version__
    if "tsne" in methods:
        from sklearn.manifold import TSNE
        t0, c0 = time.perf_counter(), time.process_time()
        kw = dict(n_components=2, perplexity=30.0, init="pca", random_state=0, n_jobs=args.threads)
        try:
            tsne = TSNE(learning_rate="auto", **kw)
        except TypeError:
            tsne = TSNE(**kw)
        y = tsne.fit_transform(x)
        results["sklearn_tsne"] = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
        np.save(os.path.join(args.out_dir, "sklearn_tsne.npy"), y.astype(np.float32))
        print("sklearn_tsne", results["sklearn_tsne"], file=sys.stderr, flush=True)
    if "umap" in methods:
        try:
            import umap
        except ImportError:
            print("umap-learn is not installed (apt-get install umap-learn)", file=sys.stderr)
        else:
            versions["umap-learn"] = getattr(umap, "__version__", "?")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                umap.UMAP(n_components=2, n_jobs=args.threads).fit_transform(x[:500])  # numba warm-up
                t0, c0 = time.perf_counter(), time.process_time()
                y = umap.UMAP(n_components=2, n_neighbors=15, min_dist=0.1, n_jobs=args.threads).fit_transform(x)
            results["umap_learn"] = {"seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - c0}
            np.save(os.path.join(args.out_dir, "umap_learn.npy"), y.astype(np.float32))
            print("umap_learn", results["umap_learn"], file=sys.stderr, flush=True)
    with open(os.path.join(args.out_dir, "baseline.json"), "w") as f:
        json.dump({"results": results, "versions": versions, "threads": args.threads}, f)
    print(json.dumps({"results": results, "versions": versions}))


if __name__ == "__main__":
    main()
