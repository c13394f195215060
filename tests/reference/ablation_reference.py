#!/usr/bin/python3
"""Independent reference for `embedlab-cli ablate` (issue #15): recomputes every row of a study's
results.json with the PyTorch reference model (train_reference.RefModel), numpy, scipy and sklearn, and
checks the figures embedlab wrote.

The model folder must use the byte-level tokenizer of the CLI tests (ids = the UTF-8 bytes of a text,
no special tokens), so that the reference needs no tokenizer of its own. Each text is run alone (no
padding), which embedlab's padded batches must reproduce. Metrics recomputed: sts (spearman, pearson)
and perplexity (one window: the texts are short). Memory figures are checked against the arithmetic.

    ablation_reference.py --study STUDY.json --results DIR/results.json [--tol 1e-5]
Exit 0 and "ok ..." lines when every row agrees; otherwise the first disagreement and exit 1.
"""
import argparse
import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
from scipy.stats import pearsonr, spearmanr

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("train_reference", os.path.join(HERE, "train_reference.py"))
ref = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ref)

torch.set_num_threads(1)


def byte_ids(text):
    return list(text.encode("utf-8"))


def read_sts(path, lo=0.0, hi=5.0):
    rows = [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8") if l.strip()]
    if rows and rows[0][0].lower() in ("sentence1", "s1", "text1"):
        rows = rows[1:]
    s1 = [r[0] for r in rows]
    s2 = [r[1] for r in rows]
    gold = [(float(r[2]) - lo) / (hi - lo) for r in rows]
    return s1, s2, gold


def sentence_vectors(model, texts, layer, normalize):
    """Mean over the tokens of hidden state `layer` (-1 = the last), each text alone."""
    out = []
    with torch.no_grad():
        for t in texts:
            ids = torch.tensor([byte_ids(t)], dtype=torch.int64)
            mask = torch.ones_like(ids)
            o = model.forward(ids, mask, None if model.is_decoder else torch.zeros_like(ids), heads=())
            hs = o["hidden_states"]
            h = hs[layer] if layer >= 0 else hs[len(hs) + layer]
            v = h[0].double().mean(0).numpy()
            out.append(v)
    v = np.array(out)
    if normalize:
        v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    return v


def sts_metrics(v, n, gold):
    a, b = v[:n].astype(np.float64), v[n:].astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    cos = np.where((na > 0) & (nb > 0), (a * b).sum(1) / np.maximum(na * nb, 1e-300), 0.0)
    return {"spearman": spearmanr(gold, cos).correlation, "pearson": pearsonr(gold, cos)[0]}


def perplexity(model, path):
    ids = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip():
            continue
        ids += byte_ids(line) + byte_ids("\n")
    x = torch.tensor([ids], dtype=torch.int64)
    with torch.no_grad():
        o = model.forward(x, torch.ones_like(x), None, heads=("logits",))
        lp = torch.log_softmax(o["logits"][0].double(), -1)
        nll = -lp[torch.arange(len(ids) - 1), x[0, 1:]].mean().item()
    return {"perplexity": math.exp(nll), "mean_nll": nll}


def bf16_round(x):
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def quantize(x, level):
    x = np.asarray(x, dtype=np.float32)
    if level == "f32":
        return x
    if level == "bf16":
        return bf16_round(x)
    if level == "int8":
        scale = (np.abs(x).max(1, keepdims=True) / np.float32(127)).astype(np.float32)
        scale = np.where(scale > 0, scale, np.float32(1))
        return (np.clip(np.round(x / scale), -127, 127) * scale).astype(np.float32)
    return (np.where(x >= 0, 1.0, -1.0) * np.abs(x).mean(1, keepdims=True)).astype(np.float32)


def stored_bytes(rows, dim, level):
    return {"f32": rows * dim * 4, "bf16": rows * dim * 2, "int8": rows * (dim + 4),
            "binary": rows * ((dim + 7) // 8 + 4)}[level]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--study", required=True)
    p.add_argument("--results", required=True)
    p.add_argument("--tol", type=float, default=1e-5)
    a = p.parse_args()
    study = json.load(open(a.study))
    res = json.load(open(a.results))
    base = os.path.dirname(os.path.abspath(a.study))
    path = lambda x: x if os.path.isabs(x) else os.path.normpath(os.path.join(base, x))
    model_dir = path(study["model"])
    typ = study["type"]
    params = study.get(typ, {})
    emb = study.get("embedding", {})
    layer, normalize = emb.get("layer", -1), emb.get("normalize", False)
    metrics = study["metrics"]

    def fresh():
        return ref.RefModel(model_dir, dtype=torch.float32)

    rows = res["rows"]
    model = fresh()
    fails = []

    def check(name, got, want, tol=a.tol):
        if want is None or (isinstance(want, float) and math.isnan(want)):
            ok = got is None
        else:
            ok = got is not None and abs(got - want) <= tol * max(1.0, abs(want))
        if not ok:
            fails.append("%s: embedlab %r, reference %r" % (name, got, want))

    # The baseline's vectors per STS metric (vector studies transform them).
    def evaluate(m, row_model, row_layer=None, vector_fn=None, record=False):
        out = {}
        for spec_ in metrics:
            name = spec_.get("name", spec_["task"])
            if spec_["task"] == "sts":
                s1, s2, gold = read_sts(path(spec_["data"]), spec_.get("min_score", 0.0), spec_.get("max_score", 5.0))
                v = sentence_vectors(row_model, s1 + s2, layer if row_layer is None else row_layer, normalize)
                if vector_fn is not None:
                    v = vector_fn(v.astype(np.float32))
                    if normalize:
                        v = v / np.maximum(np.linalg.norm(v.astype(np.float64), axis=1, keepdims=True), 1e-12)
                for k, x in sts_metrics(v, len(s1), gold).items():
                    out[name + "." + k] = x
                out["_rows_" + name] = 2 * len(s1)
            elif spec_["task"] == "perplexity":
                if vector_fn is not None or row_layer is not None:
                    out[name + ".perplexity"] = None
                else:
                    for k, x in perplexity(row_model, path(spec_["data"])).items():
                        out[name + "." + k] = x
        return out

    model.record_heads = {} if typ == "heads" and params.get("mode", "zero") == "mean" else None
    baseline = evaluate(metrics, model)
    means = model.record_heads
    model.record_heads = None
    first = rows[0]
    assert first["setting"] == "baseline", first["setting"]
    for k, v in baseline.items():
        if not k.startswith("_"):
            check("baseline " + k, first["metrics"].get(k), v)
    weight_bytes = res["model"]["weight_bytes"]
    hidden = res["model"]["hidden"]
    vocab = res["model"]["vocab"]
    n_rows = sum(v for k, v in baseline.items() if k.startswith("_rows_"))

    # Completeness: the rows are the study's settings, in order (from the study and the model's own config).
    def expected_params():
        nl, nh, hid = model.nl, model.nh, model.hidden
        read = layer if layer >= 0 else nl + 1 + layer
        embed_only = all(m["task"] not in ("perplexity", "morph") for m in metrics)
        limit = read if embed_only and read < nl else nl
        if typ == "heads":
            mean = params.get("mode", "zero") == "mean"
            ls = params.get("layers") or list(range(read if mean and read < nl else limit))
            return [{"layer": l, "head": h} for l in ls for h in (params.get("heads") or range(nh))]
        if typ == "layers":
            if params.get("mode", "skip") == "read":
                return [{"layer": l} for l in (params.get("layers") or range(nl + 1))]
            return [{"layer": l} for l in (params.get("layers") or range(limit))]
        if typ == "precision":
            return [{"bits": {"f32": 32, "bf16": 16, "int8": 8, "binary": 1}[x]}
                    for x in params.get("levels", ["f32", "bf16", "int8", "binary"])]
        if typ == "dimensions" and params.get("mode", "prefix") in ("prefix", "pca") and "sizes" in params:
            return [{"dims": k} for k in params["sizes"]]
        return None
    want_rows = expected_params()
    if want_rows is not None:
        got_rows = [{k: r["params"][k] for k in want_rows[0]} for r in rows[1:]] if want_rows else []
        if got_rows != want_rows:
            fails.append("the rows are not the study's settings: %r, expected %r" % (got_rows, want_rows))

    # Layer bytes from the weights file itself (a skipped layer is not stored).
    raw, _ = ref.read_safetensors(os.path.join(model_dir, "model.safetensors"))
    def layer_bytes(l):
        import re
        pat = re.compile(r"(^|\.)(layers|h|layer)\.%d\." % l)
        return sum(t.numel() * t.element_size() for k, t in raw.items() if pat.search(k))

    emb_orig = model.params[model.embed_key].clone()
    for row in rows[1:]:
        pr = row["params"]
        got = row["metrics"]
        want = None
        if typ == "heads":
            model.zero_heads, model.mean_heads = set(), {}
            l, h = pr["layer"], pr["head"]
            if params.get("mode", "zero") == "zero":
                model.zero_heads = {(l, h)}
            else:
                s, n = means[l]
                model.mean_heads = {(l, h): (s / n)[h].float()}
            want = evaluate(metrics, model)
            model.zero_heads, model.mean_heads = set(), {}
            check(row["setting"] + " memory", row["memory_bytes"], weight_bytes, 0)
        elif typ == "layers":
            if params.get("mode", "skip") == "skip":
                model.skip_layers = {pr["layer"]}
                want = evaluate(metrics, model)
                model.skip_layers = set()
                check(row["setting"] + " memory = weights - the layer's tensors", row["memory_bytes"],
                      weight_bytes - layer_bytes(pr["layer"]), 0)
            else:
                want = evaluate(metrics, model, row_layer=pr["layer"])
        elif typ == "dimensions":
            mode = params.get("mode", "prefix")
            if mode == "prefix":
                fn = lambda v, k=pr["dims"]: v[:, :k]
            elif mode == "pca":
                from sklearn.decomposition import PCA
                fn = lambda v, k=pr["dims"]: PCA(n_components=k, svd_solver="full").fit_transform(v.astype(np.float64)).astype(np.float32)
            elif mode == "drop":
                fn = lambda v, a_=pr["first"], b_=pr["last"]: np.delete(v, np.arange(a_, b_ + 1), axis=1)
            elif mode == "zero":
                def fn(v, a_=pr["first"], b_=pr["last"]):
                    v = v.copy()
                    v[:, a_:b_ + 1] = 0
                    return v
            else:
                fn = None  # random: the subset is embedlab's draw; only determinism is checked (by the test)
            if fn is not None:
                want = evaluate(metrics, model, vector_fn=fn)
            check(row["setting"] + " memory", row["memory_bytes"], n_rows * pr["dims"] * 4, 0)
        elif typ == "precision":
            level = row["setting"]
            if params.get("target", "vectors") == "vectors":
                want = evaluate(metrics, model, vector_fn=lambda v, lv=level: quantize(v, lv))
                check(row["setting"] + " memory", row["memory_bytes"], stored_bytes(n_rows, hidden, level), 0)
            else:
                model.params[model.embed_key] = torch.from_numpy(quantize(emb_orig.numpy(), level))
                want = evaluate(metrics, model)
                model.params[model.embed_key] = emb_orig.clone()
                check(row["setting"] + " memory", row["memory_bytes"],
                      weight_bytes - vocab * hidden * 4 + stored_bytes(vocab, hidden, level), 0)
        elif typ == "tokens":
            e = emb_orig.clone()
            fill = e.mean(0) if params.get("mode", "zero") == "mean" else torch.zeros(hidden)
            for i in pr["ids"]:
                e[i] = fill
            model.params[model.embed_key] = e
            want = evaluate(metrics, model)
            model.params[model.embed_key] = emb_orig.clone()
        elif typ == "vocabulary":
            counts = np.zeros(vocab, dtype=np.int64)
            for line in open(path(params["corpus"]), encoding="utf-8"):
                for i in byte_ids(line.rstrip("\n")):
                    counts[i] += 1
            specials = sorted(res["model"].get("special_ids", []))
            order = specials + sorted((i for i in range(vocab) if i not in specials), key=lambda i: (-counts[i], i))
            keep = pr["keep"]
            kept, dropped = order[:keep], order[keep:]
            e = emb_orig.clone()
            if dropped:
                if params.get("map", "unk") == "nearest":
                    kn = e[kept] / e[kept].norm(dim=1, keepdim=True).clamp_min(1e-12)
                    q = e[dropped] / e[dropped].norm(dim=1, keepdim=True).clamp_min(1e-12)
                    best = (q @ kn.T).argmax(1)
                    e[dropped] = emb_orig[torch.tensor(kept)[best]]
                else:
                    raise SystemExit("the byte tokenizer has no unknown token")
            model.params[model.embed_key] = e
            want = evaluate(metrics, model)
            model.params[model.embed_key] = emb_orig.clone()
            cov = counts[kept].sum() / max(1, counts.sum())
            check(row["setting"] + " coverage", pr["coverage"], float(cov), 1e-12)
            check(row["setting"] + " memory", row["memory_bytes"],
                  weight_bytes - vocab * hidden * 4 + keep * hidden * 4 + vocab * 4, 0)
        if want is not None:
            for k, v in want.items():
                if not k.startswith("_"):
                    check(row["setting"] + " " + k, got.get(k), v)
            for k in res["main_metrics"]:
                b, x = first["metrics"].get(k), got.get(k)
                d = row["delta"].get(k)
                check(row["setting"] + " delta " + k, d, None if b is None or x is None else x - b, 1e-12)
    if fails:
        for f in fails[:20]:
            print("FAIL:", f)
        print("%d disagreements over %d rows" % (len(fails), len(rows)))
        sys.exit(1)
    print("ok: %d rows of a %s study agree with the reference" % (len(rows), typ))


if __name__ == "__main__":
    main()
