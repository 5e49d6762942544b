#!/usr/bin/env bash
# bench/mmd.sh compares drift.MMDTest with a vectorised numpy permutation test
# of the same statistic (biased MMD², Gaussian kernel, median-heuristic
# bandwidth, B = 500) on one deterministic data set: 2000×16 standard normal
# rows per side, the second side shifted by 0.05 (numpy default_rng(0)).
#
# Run from the repository root: bash bench/mmd.sh
#
# numpy runs with the machine's default BLAS threading: the script leaves the
# OPENBLAS_*/OMP_* environment variables alone, so numpy gets whatever the
# machine gives it (the hot loop is fancy indexing, not BLAS, anyway).
set -euo pipefail

PY=/usr/bin/python3 # has numpy and scipy; the first python3 on PATH may not
N=2000
M=2000
D=16
B=500

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(go version | cut -d' ' -f3), numpy $($PY -c 'import numpy; print(numpy.__version__)')"
"$PY" bench/mmd_numpy.py gen "$tmp"
go build -o "$tmp/mmdbench" ./bench/mmdbench

t0=$(now)
go_out=$("$tmp/mmdbench" "$tmp" "$N" "$M" "$D" "$B")
t1=$(now)
np_out=$("$PY" bench/mmd_numpy.py test "$tmp" "$N" "$M" "$D" "$B" ix)
t2=$(now)
tr_out=$("$PY" bench/mmd_numpy.py test "$tmp" "$N" "$M" "$D" "$B" trick)
t3=$(now)

echo "go:            $go_out"
echo "numpy (ix):    $np_out"
echo "numpy (trick): $tr_out"

field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

awk -v gs="$(field statistic "$go_out")" -v ns="$(field statistic "$np_out")" \
	-v gsig="$(field sigma "$go_out")" -v nsig="$(field sigma "$np_out")" \
	-v gt="$(field seconds "$go_out")" -v nt="$(field seconds "$np_out")" -v tt="$(field seconds "$tr_out")" \
	-v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" '
function abs(v) { return v < 0 ? -v : v }
BEGIN {
	gw = t1 - t0; nw = t2 - t1; tw = t3 - t2
	rel = abs(gs - ns) / abs(ns)
	relsig = abs(gsig - nsig) / abs(nsig)
	printf "statistic: go %.12g numpy %.12g rel diff %.2e\n", gs, ns, rel
	printf "sigma:     go %.12g numpy %.12g rel diff %.2e\n", gsig, nsig, relsig
	printf "compute wall time: go %.3fs, numpy %.3fs, numpy trick %.3fs\n", gt, nt, tt
	printf "process wall time: go %.3fs, numpy %.3fs, numpy trick %.3fs\n", gw, nw, tw
	printf "speed-up (compute): %.1fx over numpy, %.1fx over numpy trick\n", nt / gt, tt / gt
	if (rel > 1e-6 || relsig > 1e-6) { print "FAIL: statistics differ by more than 1e-6"; exit 1 }
	if (nt / gt < 5) { print "FAIL: speed-up below 5x"; exit 1 }
}'
