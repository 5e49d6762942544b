#!/usr/bin/python3
"""scikit-learn's side of the outlier evaluation on
testdata/breast-cancer-outliers/ (see bench/outlier_split.py).

Prints the ROC AUC of IsolationForest(random_state=0) and
EllipticEnvelope(random_state=0) fitted on train.csv and scored on test.csv
(higher score = more outlying, i.e. -score_samples), plus reference
scorers computed with numpy/sklearn for cross-checking the Go ones.
With --write it also writes lw_covariance.csv (sklearn LedoitWolf on the
raw train.csv; first line shrinkage_, then covariance_ rows).

Usage: /usr/bin/python3 bench/outlier_sklearn.py [--write] [--seeds] [dir]
"""
import sys

import numpy as np
import scipy.stats
import sklearn
from sklearn.covariance import EllipticEnvelope, LedoitWolf
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors


def load(path):
    with open(path) as f:
        head = f.readline().strip().split(",")
    return head, np.loadtxt(path, delimiter=",", skiprows=1)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    d = args[0] if args else "testdata/breast-cancer-outliers"
    _, tr = load(d + "/train.csv")
    head, te = load(d + "/test.csv")
    xt, y = te[:, :-1], te[:, -1].astype(int)

    print(f"sklearn {sklearn.__version__}, numpy {np.__version__}")
    res = {}
    res["IsolationForest"] = -IsolationForest(random_state=0).fit(tr).score_samples(xt)
    if "--seeds" in sys.argv:  # one forest varies with its seed: the mean of 20
        aucs = [roc_auc_score(y, -IsolationForest(random_state=s).fit(tr).score_samples(xt)) for s in range(20)]
        print(f"IsolationForest, random_state 0-19: mean AUC {np.mean(aucs):.4f} (sd {np.std(aucs):.3f})")
    res["EllipticEnvelope"] = -EllipticEnvelope(random_state=0).fit(tr).score_samples(xt)
    # Cross-checks of our methods, written with sklearn/scipy pieces.
    # Constant columns (digits) get the Go code's fallbacks: a MAD of 0
    # becomes sqrt(pi/2) * the mean absolute deviation, and a deviation from
    # a column that is constant still is an infinite z; a standard deviation
    # of 0 becomes 1.
    med = np.median(tr, axis=0)
    mad = scipy.stats.median_abs_deviation(tr, axis=0, scale="normal")
    mad = np.where(mad == 0, np.sqrt(np.pi / 2) * np.mean(np.abs(tr - med), axis=0), mad)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(mad == 0, np.where(xt == med, 0, np.inf), (xt - med) / np.where(mad == 0, 1, mad))
    res["robust_z(max)"] = np.max(np.abs(z), axis=1)
    mad = np.where(mad == 0, 1, mad)
    mu, sd = tr.mean(axis=0), tr.std(axis=0)
    sd = np.where(sd == 0, 1, sd)
    res["LedoitWolf_mahalanobis(std)"] = LedoitWolf().fit((tr - mu) / sd).mahalanobis((xt - mu) / sd)
    nn = NearestNeighbors(n_neighbors=5).fit((tr - med) / mad)
    res["knn5_kth(robust-scaled)"] = nn.kneighbors((xt - med) / mad)[0][:, -1]
    for k, s in res.items():
        # roc_auc_score refuses inf; the largest float keeps the order and ties.
        s = np.minimum(s, np.finfo(float).max)
        print(f"{k:30s} AUC {roc_auc_score(y, s):.4f}")

    if "--write" in sys.argv:
        lw = LedoitWolf().fit(tr)
        with open(d + "/lw_covariance.csv", "w") as f:
            f.write(repr(float(lw.shrinkage_)) + "\n")
            for row in lw.covariance_:
                f.write(",".join(repr(float(v)) for v in row) + "\n")


if __name__ == "__main__":
    main()
