#!/usr/bin/python3
"""Write the outlier-detection splits of testdata/ from Debian's python3-sklearn
(deterministic).

breast-cancer (testdata/breast-cancer-outliers/), the Wisconsin Diagnostic
Breast Cancer data:
  train.csv: 200 benign rows chosen by numpy.random.RandomState(0).
  test.csv:  the other 157 benign rows (outlier=0) and all 212 malignant
             rows (outlier=1), in the dataset's order.

digits (testdata/digits-outliers/), the 8x8 handwritten digits (pixel
intensities 0..16; many pixels are always 0, so constant columns):
  train.csv: 400 rows of the digits 1-9 chosen by RandomState(0).
  test.csv:  400 other rows of 1-9 (outlier=0) and 80 zeros (outlier=1),
             chosen by the same generator, in the dataset's order.

Usage: /usr/bin/python3 bench/outlier_split.py [breast-cancer|digits] [outdir]
"""
import csv
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits


def write(out, names, x, train, test, outlier):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "train.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in train:
            w.writerow([repr(float(v)) for v in x[i]])
    with open(os.path.join(out, "test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + ["outlier"])
        for i in test:
            w.writerow([repr(float(v)) for v in x[i]] + [int(outlier[i])])


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "breast-cancer"
    rng = np.random.RandomState(0)
    if which == "breast-cancer":
        out = sys.argv[2] if len(sys.argv) > 2 else "testdata/breast-cancer-outliers"
        ds = load_breast_cancer()
        x, y = ds.data, ds.target  # target 1 = benign, 0 = malignant
        names = [n.replace(" ", "_") for n in ds.feature_names]
        benign = np.flatnonzero(y == 1)
        train = np.sort(benign[rng.permutation(len(benign))[:200]])
        test = np.setdiff1d(np.arange(len(y)), train)
        write(out, names, x, train, test, y == 0)
    elif which == "digits":
        out = sys.argv[2] if len(sys.argv) > 2 else "testdata/digits-outliers"
        ds = load_digits()
        x, y = ds.data, ds.target
        names = [f"pixel_{i // 8}_{i % 8}" for i in range(64)]
        inliers = np.flatnonzero(y != 0)[rng.permutation(int((y != 0).sum()))]
        zeros = np.flatnonzero(y == 0)[rng.permutation(int((y == 0).sum()))]
        train = np.sort(inliers[:400])
        test = np.sort(np.concatenate([inliers[400:800], zeros[:80]]))
        write(out, names, x, train, test, y == 0)
    else:
        sys.exit(f"unknown data set {which!r}: want breast-cancer or digits")


if __name__ == "__main__":
    main()
