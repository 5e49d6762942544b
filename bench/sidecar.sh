#!/usr/bin/env bash
# bench/sidecar.sh measures what `driftwatch sidecar` costs, in one run on
# loopback: an in-process upstream that answers at once (the fast model
# server), 32-feature OIP v2 requests, and the sidecar as a separate process
# with OIP v2 decoding and tumbling drift windows of 10,000 records against
# a reference of the first 10,000. A bare httputil.ReverseProxy, also a
# separate process, runs alongside as the baseline: what any Go reverse
# proxy costs on this machine. "sidecar − bare proxy" is driftwatch's own
# share.
#
#   - latency at 1,000 req/s, open loop on a fixed schedule: 3 rounds × 8 s
#     per path, the paths taking turns. "added" is a proxy's quantile minus
#     the direct one; "pooled" takes all rounds together (the headline),
#     "median of rounds" the per-round differences. The first table times
#     each request from when it was due (stalls are not hidden); the second
#     from when it was actually sent.
#   - maximum throughput: 16 connections in a closed loop, 4 s per path, with
#     the Go generator and, when installed, wrk; ratio = path / direct.
#     Generator, upstream and proxy share the machine's CPUs.
#   - each proxy's CPU seconds per 1,000 requests (utime + stime from
#     /proc/PID/stat over the 1,000 req/s stage) and VmRSS / VmHWM; the
#     sidecar has seen 26,000 requests by the first reading (reference and a
#     window full), over 100,000 by the last.
#   - the sidecar's /metrics: tap drops, request count, overhead histogram.
# The last lines compare the sidecar with the targets (added p99 ≤ 0.2 ms,
# ≤ 0.05 CPU-s per 1,000 requests, ≤ 64 MiB resident), the bare proxy
# alongside; a missed target is reported, not an error. Latency on a shared
# machine is noisy: compare paths within one run, not across runs.
#
# Run from the repository root: bash bench/sidecar.sh [sidecarbench flags]
# (for example --duration 20s --rounds 6; see --help). About 2 minutes.
set -euo pipefail

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go build -o "$tmp/driftwatch" ./cmd/driftwatch
go build -o "$tmp/sidecarbench" ./bench/sidecarbench

wrk=()
if command -v wrk >/dev/null; then
	wrk=(--wrk "$(command -v wrk)")
fi

"$tmp/sidecarbench" --driftwatch "$tmp/driftwatch" "${wrk[@]}" "$@"
