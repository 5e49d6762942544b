#!/usr/bin/env bash
# bench/alerts.sh compares driftwatch's alert engine with Prometheus
# Alertmanager (Debian's prometheus-alertmanager), in one run on loopback:
#
#   - from a breach to the first notification at a webhook, group_wait 10s,
#     200 alerts arriving at random times over 2 s, each its own group:
#     driftwatch's BenchmarkBreachToNotification (rules → dispatcher →
#     outbox on disk → deliverer → HTTP) against bench/ambench posting the
#     same schedule to Alertmanager's /api/v2/alerts. Reported as the time
#     beyond group_wait; the target is ≤ 1 s at p99.
#   - a restart: alerts accepted, the engine killed with SIGKILL before it
#     notified, restarted on the same state. driftwatch's TestEngineCrash
#     (1,000 alerts, killed mid-delivery) against Alertmanager with 200
#     alerts killed before group_wait; nobody re-sends the alerts.
#
# Run from the repository root: bash bench/alerts.sh. About 1.5 minutes.
set -euo pipefail

am=$(command -v prometheus-alertmanager || command -v alertmanager || true)
if [[ -z "$am" ]]; then
	echo "bench/alerts.sh: Alertmanager is not installed: apt-get install -y prometheus-alertmanager" >&2
	exit 1
fi

echo "driftwatch: breach → notification ..." >&2
dw=$(go test -run '^$' -bench BreachToNotification -benchtime 1x ./internal/sidecar/ | grep '^BenchmarkBreachToNotification')
dw_val() { awk -v k="$1" '{for (i = 2; i <= NF; i++) if ($i == k) print $(i-1)}' <<<"$dw"; }

echo "driftwatch: crash test ..." >&2
crash=$(go test -count=1 -run '^TestEngineCrash$' -v ./alerts/notify/ | grep 'engine crash test:')

echo "Alertmanager ($("$am" --version 2>&1 | head -1 | awk '{print $3}')): breach → notification, then a restart ..." >&2
out=$(go run ./bench/ambench --alertmanager "$am")
am_val() { awk -v k="$1" '$1 == k {print $2}' <<<"$out"; }

printf '\n%-44s %12s %14s %8s\n' "breach → first notification, beyond group_wait" driftwatch Alertmanager ratio
for q in p50 p99 max; do
	d=$(dw_val "$q-over-group_wait-ms")
	a=$(am_val "${q}_over_group_wait_ms")
	printf '%-44s %9.1f ms %11.1f ms %8s\n' "  $q" "$d" "$a" "$(awk -v d="$d" -v a="$a" 'BEGIN {printf "%.2f", (a > 0 ? d / a : 0)}')"
done
p99=$(dw_val p99-over-group_wait-ms)
awk -v p="$p99" 'BEGIN {exit !(p <= 1000)}' && verdict=met || verdict="NOT met"
echo "target: ≤ group_wait + 1 s at p99: $verdict"
echo
echo "restart (SIGKILL before delivery, same state, alerts not re-sent):"
echo "  driftwatch:   ${crash#*engine crash test: }"
echo "  Alertmanager: $(am_val restart_alerts) alerts accepted, $(am_val restart_lost) lost"
