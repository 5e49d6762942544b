#!/bin/sh
# Outlier scorers against scikit-learn, in one run:
#   1. ROC AUC on testdata/breast-cancer-outliers (benign train, malignant
#      outliers) and testdata/digits-outliers (digits 1-9 train, zeros
#      outliers): ours (go test -run TestAUC -v) and sklearn's
#      (bench/outlier_sklearn.py --seeds);
#   2. fit + score of 100,000 x 20 rows: ours (go test -bench FitScore) and
#      sklearn's (bench/outlier_timing.py).
# Needs Debian's /usr/bin/python3 with python3-sklearn.
# Usage: bench/outlier.sh   (from the repository root)
set -eu
PY=${PY:-/usr/bin/python3}
cd "$(dirname "$0")/.."
echo "== ROC AUC: breast cancer (train: 200 benign; test: 157 benign + 212 malignant),"
echo "   digits (train: 400 of 1-9; test: 400 of 1-9 + 80 zeros)"
echo "-- driftwatch"
go test ./detectors/outlier/ -run 'TestAUC' -count=1 -v | grep -E '^=== RUN|AUC [0-9]' | sed 's/=== RUN   TestAUC\///'
for d in breast-cancer-outliers digits-outliers; do
	echo "-- scikit-learn, $d"
	"$PY" bench/outlier_sklearn.py --seeds "testdata/$d" 2>/dev/null
done
echo
echo "== fit + score, 100,000 x 20"
echo "-- driftwatch ($(nproc) CPUs)"
go test ./detectors/outlier/ -run '^$' -bench 'FitScore' -benchtime 3x -count=1 | grep -E '^Benchmark' |
	awk '{printf "%-60s %10.1f ms\n", $1, $3/1e6}'
echo "-- scikit-learn"
"$PY" bench/outlier_timing.py
