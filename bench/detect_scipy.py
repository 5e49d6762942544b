#!/usr/bin/python3
"""The peer of `driftwatch detect --test ks`: pandas + scipy.stats.ks_2samp.

Usage: detect_scipy.py REF.csv CUR.csv. Prints one line per column.
"""
import sys

import pandas as pd
from scipy.stats import ks_2samp

ref = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
for col in ref.columns:
    r = ks_2samp(ref[col].dropna().to_numpy(), cur[col].dropna().to_numpy())
    print(f"{col} {r.statistic:.10g} {r.pvalue:.6g}")
