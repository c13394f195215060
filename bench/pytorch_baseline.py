#!/usr/bin/python3
"""PyTorch baseline for bench/bench_models.cpp: the same shapes, the same random-weight setup, the
same threads, measured the same way (Debian python3-torch 1.13, eager, inference_mode).

  /usr/bin/python3 bench/pytorch_baseline.py [--threads 2] [--prefill 512] [--decode 64] [--quick]

Gemma 3 (270m shape): HF-style eager attention with a concatenating KV cache, sliding layers masked
to the window; BERT-base: eager encoder, mean pooling, batches of 32 padded to their longest sentence, both in
corpus order (a plain DataLoader / tokenizer(padding=True) loop) and sorted by length (what
sentence-transformers' encode() does)."""
import argparse, json, math, platform, time

import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
p.add_argument("--prefill", type=int, default=512)
p.add_argument("--decode", type=int, default=64)
p.add_argument("--sentences", type=int, default=128)
p.add_argument("--quick", action="store_true")
p.add_argument("--rounds", type=int, default=1, help="medians of this many rounds (prefill + decode; corpus passes)")
a = p.parse_args()
if a.quick:
    a.prefill, a.decode = 64, 8
torch.set_num_threads(a.threads)
torch.manual_seed(1234)

V, H, NL, NH, NKV, D, I, W = 262144, 640, 18, 4, 1, 256, 2048, 512
sliding = [(i + 1) % 6 != 0 for i in range(NL)]


def rms(x, w, eps=1e-6):
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps) * (1.0 + w.float())).type_as(x)


def inv_freq(base):
    return 1.0 / (base ** (torch.arange(0, D, 2).float() / D))


INV = {True: inv_freq(1e4), False: inv_freq(1e6)}


def rope(x, p0, inv):
    L = x.shape[2]
    ang = torch.outer(torch.arange(p0, p0 + L).float(), inv)
    c, s = ang.cos(), ang.sin()
    xf = x.float()
    x1, x2 = xf[..., : D // 2], xf[..., D // 2:]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], -1).type_as(x)


def make_gemma(dtype):
    g = lambda *s: (torch.randn(*s) * 0.02).to(dtype)
    z = lambda *s: torch.zeros(*s, dtype=dtype)
    layers = [dict(q=g(NH * D, H), k=g(NKV * D, H), v=g(NKV * D, H), o=g(H, NH * D), qn=z(D), kn=z(D), n1=z(H), n2=z(H),
                   n3=z(H), n4=z(H), gate=g(I, H), up=g(I, H), down=g(H, I)) for _ in range(NL)]
    return dict(embed=g(V, H), norm=z(H), layers=layers)


def gemma_step(m, ids, cache, p0):
    B, L = ids.shape
    x = F.embedding(ids, m["embed"]) * torch.tensor(math.sqrt(H), dtype=m["embed"].dtype)
    for i, l in enumerate(m["layers"]):
        h = rms(x, l["n1"])
        q = rms(F.linear(h, l["q"]).view(B, L, NH, D), l["qn"]).transpose(1, 2)
        k = rms(F.linear(h, l["k"]).view(B, L, NKV, D), l["kn"]).transpose(1, 2)
        v = F.linear(h, l["v"]).view(B, L, NKV, D).transpose(1, 2)
        q = rope(q, p0, INV[sliding[i]]) * (256 ** -0.5)
        k = rope(k, p0, INV[sliding[i]])
        if cache[i] is not None:
            k = torch.cat([cache[i][0], k], 2)
            v = torch.cat([cache[i][1], v], 2)
        if sliding[i] and k.shape[2] > W:  # keep the window
            k, v = k[:, :, -(W + L - 1):], v[:, :, -(W + L - 1):]
        cache[i] = (k, v)
        T = k.shape[2]
        k0 = p0 + L - T
        qp = torch.arange(p0, p0 + L).unsqueeze(1)
        kp = torch.arange(k0, k0 + T).unsqueeze(0)
        allowed = kp <= qp
        if sliding[i]:
            allowed = allowed & (qp - kp < W)
        G = NH // NKV
        s = torch.matmul(q.reshape(B, NKV, G * L, D), k.transpose(-1, -2)).view(B, NH, L, T).float()
        s = s.masked_fill(~allowed, torch.finfo(torch.float32).min)
        pr = torch.softmax(s, -1).type_as(q)
        o = torch.matmul(pr.view(B, NKV, G * L, T), v).view(B, NH, L, D).transpose(1, 2).reshape(B, L, NH * D)
        x = x + rms(F.linear(o, l["o"]), l["n2"])
        h = rms(x, l["n3"])
        x = x + rms(F.linear(F.gelu(F.linear(h, l["gate"]), approximate="tanh") * F.linear(h, l["up"]), l["down"]), l["n4"])
    x = rms(x, m["norm"])
    return F.linear(x[:, -1:], m["embed"])


def corpus_sentence(i):
    """The benchmark corpus, identical in bench_models.cpp: sentence i has 5 + ⌊123·u³⌋ tokens with
    u = frac(i·φ⁻¹) — a long-tailed length distribution (median 20, mean ≈ 36, 10% above 94) in a
    shuffled order, like sentences of a real corpus."""
    u = math.modf(i * 0.6180339887498949)[0]
    L = 5 + int(123 * u ** 3)
    return [101] + [1000 + (i * 131 + t * 17) % 29000 for t in range(L - 2)] + [102]


def make_bert(dtype):
    Hb, Ib, Vb = 768, 3072, 30522
    g = lambda *s: (torch.randn(*s) * 0.02).to(dtype)
    z = lambda *s: torch.zeros(*s, dtype=dtype)
    o = lambda *s: torch.ones(*s, dtype=dtype)
    layers = [dict(q=g(Hb, Hb), qb=z(Hb), k=g(Hb, Hb), kb=z(Hb), v=g(Hb, Hb), vb=z(Hb), o=g(Hb, Hb), ob=z(Hb), l1=o(Hb), l1b=z(Hb),
                   i=g(Ib, Hb), ib=z(Ib), out=g(Hb, Ib), outb=z(Hb), l2=o(Hb), l2b=z(Hb)) for _ in range(12)]
    return dict(word=g(Vb, Hb), pos=g(512, Hb), typ=g(2, Hb), eln=o(Hb), elnb=z(Hb), layers=layers)


def ln(x, w, b):
    return F.layer_norm(x.float(), (x.shape[-1],), w.float(), b.float(), 1e-12).type_as(x)


def bert_embed(m, ids, mask):
    B, L = ids.shape
    x = F.embedding(ids, m["word"]) + m["typ"][0] + m["pos"][:L]
    x = ln(x, m["eln"], m["elnb"])
    allowed = mask.bool().view(B, 1, 1, L)
    for l in m["layers"]:
        q = F.linear(x, l["q"], l["qb"]).view(B, L, 12, 64).transpose(1, 2) * 0.125
        k = F.linear(x, l["k"], l["kb"]).view(B, L, 12, 64).transpose(1, 2)
        v = F.linear(x, l["v"], l["vb"]).view(B, L, 12, 64).transpose(1, 2)
        s = torch.matmul(q, k.transpose(-1, -2)).float().masked_fill(~allowed, torch.finfo(torch.float32).min)
        o = torch.matmul(torch.softmax(s, -1).type_as(q), v).transpose(1, 2).reshape(B, L, 768)
        x = ln(F.linear(o, l["o"], l["ob"]) + x, l["l1"], l["l1b"])
        x = ln(F.linear(F.gelu(F.linear(x, l["i"], l["ib"])), l["out"], l["outb"]) + x, l["l2"], l["l2b"])
    m_ = mask.unsqueeze(-1).float()
    return (x.float() * m_).sum(1) / m_.sum(1)


out = {"machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(), "torch": torch.__version__,
       "implementation": "pytorch eager (bench/pytorch_baseline.py)"}
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            out["machine"] = line.split(":", 1)[1].strip()
            break
except OSError:
    pass

def anon_huge_pages_mb():
    """Memory of this process in transparent huge pages (weights included when malloc asked for them)."""
    try:
        for line in open("/proc/self/smaps_rollup"):
            if line.startswith("AnonHugePages:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return None


res = []
with torch.inference_mode():
    for dtype in (torch.float32, torch.bfloat16):
        m = make_gemma(dtype)
        prompt = torch.randint(3, V, (1, a.prefill))
        gemma_step(m, prompt[:, :8], [None] * NL, 0)  # warm-up
        pres, decs = [], []
        for _ in range(max(1, a.rounds)):
            cache = [None] * NL
            t0 = time.perf_counter()
            logits = gemma_step(m, prompt, cache, 0)
            pres.append(time.perf_counter() - t0)
            nxt = int(logits.reshape(-1).argmax())
            t1 = time.perf_counter()
            for i in range(a.decode):
                nxt = int(gemma_step(m, torch.tensor([[nxt]]), cache, a.prefill + i).reshape(-1).argmax())
            decs.append(time.perf_counter() - t1)
        pre = sorted(pres)[len(pres) // 2]
        dec = sorted(decs)[len(decs) // 2]
        name = "f32" if dtype == torch.float32 else "bf16"
        res.append({"dtype": name, "prefill_tokens": a.prefill, "prefill_tokens_per_second": a.prefill / pre,
                    "decode_tokens": a.decode, "decode_tokens_per_second": a.decode / dec,
                    "anon_huge_pages_mb": anon_huge_pages_mb()})
        print(f"pytorch gemma3-270m {name}: prefill {a.prefill / pre:.1f} tok/s, decode {a.decode / dec:.2f} tok/s",
              file=__import__("sys").stderr)
        del m
    out["gemma3_270m"] = res

    n = 16 if a.quick else a.sentences
    sents = [corpus_sentence(i) for i in range(n)]
    enc = []
    for dtype in (torch.float32, torch.bfloat16):
        m = make_bert(dtype)

        def run(ss, sort):
            order = list(range(len(ss)))
            if sort:
                order.sort(key=lambda i: -len(ss[i]))
            for s in range(0, len(order), 32):
                chunk = [ss[i] for i in order[s:s + 32]]
                L = max(len(c) for c in chunk)
                ids = torch.tensor([c + [0] * (L - len(c)) for c in chunk])
                mask = torch.tensor([[1] * len(c) + [0] * (L - len(c)) for c in chunk])
                bert_embed(m, ids, mask)

        row = {"dtype": "f32" if dtype == torch.float32 else "bf16", "sentences": n, "batch_size": 32,
               "tokens": sum(len(x) for x in sents)}
        run(sents[:8], True)
        for key, sort in (("sentences_per_second", False), ("sorted_sentences_per_second", True)):
            times = []
            for _ in range(max(1, a.rounds)):  # median of the rounds, as for Gemma
                t0 = time.perf_counter()
                run(sents, sort)
                times.append(time.perf_counter() - t0)
            row[key] = n / sorted(times)[len(times) // 2]
        enc.append(row)
    out["bert_base_embed"] = enc
print(json.dumps(out))
