#!/usr/bin/python3
"""Time scikit-learn's fit + score_samples on n x d standard normal rows
(default 100,000 x 20), the peer of
`go test ./detectors/outlier -bench FitScore`. Prints one line per method
with the best of --repeat runs in milliseconds.

Usage: /usr/bin/python3 bench/outlier_timing.py [n] [d] [--repeat=3]
"""
import sys
import time

import numpy as np
import sklearn
from sklearn.covariance import EllipticEnvelope, LedoitWolf
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import NearestNeighbors


def best(f, repeat):
    t = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t * 1e3


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 100_000
    d = int(args[1]) if len(args) > 1 else 20
    repeat = 3
    for a in sys.argv[1:]:
        if a.startswith("--repeat="):
            repeat = int(a.split("=", 1)[1])
    x = np.random.RandomState(0).standard_normal((n, d))
    print(f"sklearn {sklearn.__version__}, {n}x{d}, best of {repeat}")

    def robust_z():
        med = np.median(x, axis=0)
        mad = 1.482602218505602 * np.median(np.abs(x - med), axis=0)
        return np.max(np.abs((x - med) / mad), axis=1)

    def lw():
        mu, sd = x.mean(0), x.std(0)
        z = (x - mu) / sd
        return LedoitWolf().fit(z).mahalanobis(z)

    cases = [
        ("zscore (numpy median/MAD)", robust_z),
        ("LedoitWolf.fit+mahalanobis", lw),
        ("EllipticEnvelope.fit+score_samples", lambda: EllipticEnvelope(random_state=0).fit(x).score_samples(x)),
        ("IsolationForest.fit+score_samples", lambda: IsolationForest(random_state=0).fit(x).score_samples(x)),
        ("NearestNeighbors(5) 10000 ref, 1000 queries",
         lambda: NearestNeighbors(n_neighbors=5, algorithm="brute").fit(x[:10000]).kneighbors(x[10000:11000])),
    ]
    for name, f in cases:
        print(f"{name:45s} {best(f, repeat):10.1f} ms")


if __name__ == "__main__":
    main()
