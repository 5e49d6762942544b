"""Numpy reference for bench/mmd.sh: the MMD permutation test as a numpy user writes it.

    mmd_numpy.py gen DIR            write DIR/x.f64 and DIR/y.f64 (2000x16 each, little-endian float64)
    mmd_numpy.py test DIR n m d B [ix|trick]

"ix" (the default) is the alibi-detect way (alibi_detect.cd.*.mmd, mmd2_from_kernel_matrix):
the pooled kernel matrix once, then for each permutation the matrix re-indexed by the permuted
rows and the three block means. alibi-detect writes K[idx][:, idx]; K[np.ix_(idx, idx)] computes
the same thing about 2.5x faster here, so we use it. "trick" is the cleverer numpy a reader might
write instead (aᵀKa with precomputed row sums, one n×N row gather per permutation); it is
reported for context only.

The statistic is the biased MMD² (V-statistic) with the Gaussian kernel exp(-‖a-b‖²/(2σ²)) and
σ = median of the pooled pairwise distances, as drift.MMDTest computes it.
"""
import sys
import time

import numpy as np
from scipy.spatial.distance import cdist, pdist


def gen(out):
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 1.0, (2000, 16))
    y = rng.normal(0.0, 1.0, (2000, 16)) + 0.05
    x.astype("<f8").tofile(f"{out}/x.f64")
    y.astype("<f8").tofile(f"{out}/y.f64")


def test(src, n, m, d, B, method):
    x = np.fromfile(f"{src}/x.f64", dtype="<f8").reshape(n, d)
    y = np.fromfile(f"{src}/y.f64", dtype="<f8").reshape(m, d)
    t0 = time.perf_counter()
    z = np.vstack([x, y])
    sigma = np.median(pdist(z))
    K = np.exp(-cdist(z, z, "sqeuclidean") / (2 * sigma**2))

    def blocks(P):
        return P[:n, :n].mean() + P[n:, n:].mean() - 2 * P[:n, n:].mean()

    observed = blocks(K)
    rng = np.random.default_rng(1)
    perm = np.empty(B)
    if method == "ix":
        for b in range(B):
            idx = rng.permutation(n + m)
            perm[b] = blocks(K[np.ix_(idx, idx)])
    else:
        r = K.sum(axis=1)
        T = r.sum()
        for b in range(B):
            a = np.zeros(n + m, dtype=bool)
            a[rng.permutation(n + m)[:n]] = True
            sxx = K[a][:, a].sum()
            ar = r[a].sum()
            perm[b] = sxx / n**2 + (T - 2 * ar + sxx) / m**2 - 2 * (ar - sxx) / (n * m)
    p = (1 + np.count_nonzero(perm >= observed)) / (1 + B)
    secs = time.perf_counter() - t0
    print(f"statistic={observed!r} sigma={sigma!r} p={p!r} seconds={secs!r}")


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        n, m, d, B = map(int, sys.argv[3:7])
        test(sys.argv[2], n, m, d, B, sys.argv[7] if len(sys.argv) > 7 else "ix")
