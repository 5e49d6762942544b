#!/usr/bin/python3
"""Writes golden.jsonl: a golden set for the model app.py serves.

40 rows of the breast-cancer data (every 14th), each with its 30 inputs, the
class the model predicts and its class probabilities, computed here with the
same training as app.py (Debian python3-sklearn). `driftwatch synth run`
checks that the server still answers them (tolerance 1e-6).

Run from the repository root:  /usr/bin/python3 testdata/modelserver/make_golden.py
"""
import json
import os

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = load_breast_cancer()
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=0))
model.fit(data.data, data.target)  # as app.py's train()
rows = data.data[::14][:40]
proba = model.predict_proba(rows)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.jsonl")
with open(out, "w") as f:
    for x, p in zip(rows, proba):
        f.write(json.dumps({"inputs": [float(v) for v in x], "class": int(p.argmax()),
                            "probabilities": [round(float(v), 9) for v in p]}) + "\n")
print("wrote", out)
