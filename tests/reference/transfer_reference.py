"""Independent float64 reference for vocabulary transfer's sparse initialisations (numpy only; never
reads embedlab's code).

    transfer_reference.py sparsemax Z.npy            -> {"p": [[...], ...]}           one row per row of Z
    transfer_reference.py focus A.npy X.npy          -> {"p": [[...], ...]}           sparsemax(cos(X_i, A_j))
    transfer_reference.py omp A.npy X.npy K          -> {"sel": [[[j, c], ...], ...]}

sparsemax: Martins & Astudillo (2016), the projection onto the probability simplex.
FOCUS (Dobler & de Melo 2023): weights over anchor tokens = sparsemax of cosine similarities in the
auxiliary space. OMP (Pati et al. 1993; as mergekit's tokensurgeon): greedy selection of the atom whose
unit direction has the largest |correlation| with the residual, then least squares on all selected atoms.
"""
import json
import sys

import numpy as np


def sparsemax(z):
    z = np.asarray(z, dtype=np.float64)
    s = np.sort(z)[::-1]
    cs = np.cumsum(s)
    k = np.arange(1, len(z) + 1)
    support = 1 + k * s > cs
    kz = k[support][-1]
    tau = (cs[kz - 1] - 1) / kz
    return np.maximum(z - tau, 0)


def omp(A, x, k):
    A = np.asarray(A, dtype=np.float64)
    norms = np.linalg.norm(A, axis=1)
    U = A / np.where(norms > 0, norms, 1)[:, None]
    r = x.astype(np.float64).copy()
    sel = []
    coef = np.zeros(0)
    xn = np.linalg.norm(x)
    for _ in range(min(k, A.shape[0])):
        c = np.abs(U @ r)
        c[sel] = -1
        j = int(np.argmax(c))
        if not c[j] > 1e-12 * xn:
            break
        sel.append(j)
        S = A[sel].T  # [d, m]
        coef, *_ = np.linalg.lstsq(S, x, rcond=None)
        r = x - S @ coef
        if np.linalg.norm(r) <= 1e-10 * xn:
            break
    return [[j, float(c)] for j, c in zip(sel, coef)]


def main():
    mode = sys.argv[1]
    if mode == "sparsemax":
        Z = np.load(sys.argv[2]).astype(np.float64)
        print(json.dumps({"p": [sparsemax(z).tolist() for z in Z]}))
    elif mode == "focus":
        A = np.load(sys.argv[2]).astype(np.float64)
        X = np.load(sys.argv[3]).astype(np.float64)
        An = A / np.linalg.norm(A, axis=1, keepdims=True)
        Xn = X / np.linalg.norm(X, axis=1, keepdims=True)
        print(json.dumps({"p": [sparsemax(row).tolist() for row in Xn @ An.T]}))
    elif mode == "omp":
        A = np.load(sys.argv[2]).astype(np.float64)
        X = np.load(sys.argv[3]).astype(np.float64)
        k = int(sys.argv[4])
        print(json.dumps({"sel": [omp(A, x, k) for x in X]}))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
