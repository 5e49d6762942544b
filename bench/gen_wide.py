#!/usr/bin/python3
"""Writes two CSVs of ROWS rows x 8 numeric columns for bench/detect.sh.

Usage: gen_wide.py OUTDIR [ROWS]. Deterministic (numpy default_rng(0)).
The current file shifts two columns slightly, so some features drift.
"""
import sys

import numpy as np
import pandas as pd

out = sys.argv[1]
rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
rng = np.random.default_rng(0)
cols = [f"f{i}" for i in range(8)]
ref = pd.DataFrame(rng.normal(size=(rows, 8)), columns=cols)
cur = pd.DataFrame(rng.normal(size=(rows, 8)), columns=cols)
cur["f0"] += 0.3
cur["f1"] *= 1.2
ref.to_csv(f"{out}/ref.csv", index=False, float_format="%.6f")
cur.to_csv(f"{out}/cur.csv", index=False, float_format="%.6f")
