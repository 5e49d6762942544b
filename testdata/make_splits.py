#!/usr/bin/python3
"""Regenerates the real-data splits in testdata/ from Debian packages.

Run from the repository root:  /usr/bin/python3 testdata/make_splits.py
Needs python3-sklearn and python3-vega-datasets (Debian). Deterministic.
"""
import os

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine
from vega_datasets import data as vega

OUT = os.path.dirname(os.path.abspath(__file__))


def write(df, name):
    path = os.path.join(OUT, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    df.to_csv(path, index=False, float_format="%.6g")


def splits(frame, shift_col, name, seed, strength):
    """Writes reference / current-random / current-shift CSVs.

    The rows are split in half at random (seed). The reference is one half,
    current-random the other half (no drift expected). current-shift is a
    covariate-shifted sample of the other half: a row is kept with
    probability sigmoid(strength * z), z the standardised value of shift_col,
    which favours large values the way a change in the population would.
    """
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(frame))
    half = len(frame) // 2
    ref, other = frame.iloc[np.sort(idx[:half])], frame.iloc[np.sort(idx[half:])]
    z = (other[shift_col] - frame[shift_col].mean()) / frame[shift_col].std()
    keep = rng.random(len(other)) < 1 / (1 + np.exp(-strength * z))
    write(ref, f"{name}/reference.csv")
    write(other, f"{name}/current-random.csv")
    write(other[keep.to_numpy()], f"{name}/current-shift.csv")


bc = load_breast_cancer(as_frame=True)
f = bc.frame.copy()
f["diagnosis"] = np.array(bc.target_names)[bc.target]
f = f.drop(columns="target")
splits(f, "mean radius", "breast-cancer", seed=7, strength=2)

w = load_wine(as_frame=True)
f = w.frame.copy()
f["cultivar"] = np.array(w.target_names)[w.target]
f = f.drop(columns="target")
# Wine has 178 rows: a milder shift would be invisible at 89 vs ~40 rows.
splits(f, "alcohol", "wine", seed=11, strength=4)

sw = vega.seattle_weather()
sw["date"] = pd.to_datetime(sw["date"])
for year in (2012, 2015):
    part = sw[sw["date"].dt.year == year].copy()
    part["date"] = part["date"].dt.strftime("%Y-%m-%d")
    write(part, f"seattle-weather/{year}.csv")
