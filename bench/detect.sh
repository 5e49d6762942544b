#!/usr/bin/env bash
# Side-by-side: `driftwatch detect --test ks` against pandas + scipy's
# ks_2samp on the same two CSVs (1,000,000 rows x 8 numeric columns per side
# by default), end to end (reading the files included), in one run.
# Usage: bench/detect.sh [ROWS]   (from the repository root)
# Needs Debian python3-pandas and python3-scipy (/usr/bin/python3).
# numpy/OpenBLAS settings are left as the machine has them.
set -euo pipefail
rows=${1:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

echo "generating $rows x 8 CSVs in $dir ..."
/usr/bin/python3 bench/gen_wide.py "$dir" "$rows"
ls -lh "$dir"
go build -o "$dir/driftwatch" ./cmd/driftwatch

now() { date +%s.%N; }
t0=$(now)
/usr/bin/python3 bench/detect_scipy.py "$dir/ref.csv" "$dir/cur.csv" >"$dir/scipy.txt"
t1=$(now)
"$dir/driftwatch" detect --reference "$dir/ref.csv" --current "$dir/cur.csv" \
	--test ks --permutations 0 --format json --quiet >"$dir/dw.json"
t2=$(now)

py=$(echo "$t1 - $t0" | bc -l)
go=$(echo "$t2 - $t1" | bc -l)
echo
echo "pandas + scipy.stats.ks_2samp: ${py}s"
echo "driftwatch detect --test ks:   ${go}s"
printf 'ratio (scipy / driftwatch):    %.1fx\n' "$(echo "$py / $go" | bc -l)"

# The statistics must agree, or the timing means nothing.
/usr/bin/python3 - "$dir/scipy.txt" "$dir/dw.json" <<'PY'
import json, sys
want = {l.split()[0]: (float(l.split()[1]), float(l.split()[2])) for l in open(sys.argv[1])}
got = {f["name"]: (f["statistic"], f["p_value"]) for f in json.load(open(sys.argv[2]))["features"]}
for name, (d, p) in want.items():
    gd, gp = got[name]
    ok = abs(gd - d) <= 1e-6 * max(d, 1e-300) and (abs(gp - p) <= 1e-4 * p or abs(gp - p) <= 1e-8)
    print(f"{name}: D scipy {d:.6g} driftwatch {gd:.6g}  p scipy {p:.3g} driftwatch {gp:.3g}  {'ok' if ok else 'MISMATCH'}")
    if not ok:
        sys.exit(1)
PY
