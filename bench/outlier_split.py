#!/usr/bin/python3
"""Write testdata/breast-cancer-outliers/ from Debian's python3-sklearn copy
of the Wisconsin Diagnostic Breast Cancer data (deterministic).

train.csv: 200 benign rows chosen by numpy.random.RandomState(0).
test.csv:  the other 157 benign rows (outlier=0) and all 212 malignant
           rows (outlier=1), in the dataset's order.

Usage: /usr/bin/python3 bench/outlier_split.py [outdir]
"""
import csv
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer

TRAIN = 200


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "testdata/breast-cancer-outliers"
    os.makedirs(out, exist_ok=True)
    ds = load_breast_cancer()
    x, y = ds.data, ds.target  # target 1 = benign, 0 = malignant
    names = [n.replace(" ", "_") for n in ds.feature_names]
    benign = np.flatnonzero(y == 1)
    perm = np.random.RandomState(0).permutation(len(benign))
    train = np.sort(benign[perm[:TRAIN]])
    in_train = np.zeros(len(y), dtype=bool)
    in_train[train] = True
    with open(os.path.join(out, "train.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names)
        for i in train:
            w.writerow([repr(float(v)) for v in x[i]])
    with open(os.path.join(out, "test.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(names + ["outlier"])
        for i in range(len(y)):
            if not in_train[i]:
                w.writerow([repr(float(v)) for v in x[i]] + [int(y[i] == 0)])


if __name__ == "__main__":
    main()
