package main

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"time"
)

// Targets from the issue.
const (
	targetAddedP99 = 200 * time.Microsecond
	targetCPUPer1k = 0.05 // CPU-seconds per 1,000 requests
	targetResident = 64 << 20
)

const mib = 1 << 20

// durations picks one kind of duration out of an openResult.
type durations func(*openResult) []time.Duration

var (
	fromDue  durations = func(x *openResult) []time.Duration { return x.latency }
	fromSend durations = func(x *openResult) []time.Duration { return x.service }
	sendLag  durations = func(x *openResult) []time.Duration { return x.lag }
)

// report writes the results as tables.
func report(w io.Writer, r *results) {
	o := r.o
	sc, bare := r.path(viaName), r.path(bareName)
	fmt.Fprintf(w, "\n== driftwatch sidecar bench ==\n")
	fmt.Fprintf(w, "machine:  %s; load average %s at the start\n", machine(), r.loadavg)
	fmt.Fprintf(w, "upstream: in-process net/http on %s, a fixed %d-byte OIP v2 response\n", r.upstream, len(inferResponse))
	fmt.Fprintf(w, "requests: POST /v2/models/bench/infer, OIP v2 FP64 tensor [1,%d], %d distinct bodies of %d bytes on average (seed %d)\n",
		o.features, o.bodies, r.meanBody, o.seed)
	if sc != nil {
		fmt.Fprintf(w, "sidecar:  driftwatch sidecar --config (pid %d, proxy %s, admin %s), OIP v2 decoding,\n", sc.proc.pid, sc.proc.listen, sc.proc.admin)
		fmt.Fprintf(w, "          tumbling drift windows of %d records, reference = the first %d\n", o.window, o.window)
	}
	if bare != nil {
		fmt.Fprintf(w, "baseline: bare proxy = plain httputil.ReverseProxy, separate process (pid %d, %s), no tap\n", bare.proc.pid, bare.proc.listen)
	}
	if proxyProcs > 0 {
		fmt.Fprintf(w, "proxies:  GOMAXPROCS=%d\n", proxyProcs)
	}

	fmt.Fprintf(w, "\n-- latency at %g req/s: open loop, %d rounds × %v per path, paths taking turns; from each request's due time (µs) --\n",
		o.rate, o.rounds, o.duration)
	latencyTable(w, r, fromDue)
	fmt.Fprintf(w, "\n-- the same, timed from the actual send (leaves out the generator's own lag) (µs) --\n")
	latencyTable(w, r, fromSend)
	fmt.Fprintf(w, "\ngenerator lag (actual send − due time), all rounds:")
	for _, p := range r.paths {
		s := summarize(pool(p, sendLag, true))
		fmt.Fprintf(w, "  %s p50 %s p99 %s µs;", p.t.name, us(s.q[0]), us(s.q[2]))
	}
	fmt.Fprintln(w)

	if r.paths[0].closed != nil {
		throughputTable(w, r)
	}
	if sc == nil {
		return
	}
	resourceTable(w, r)
	fmt.Fprintf(w, "\n-- sidecar /metrics at the end --\n")
	metricsReport(w, r, sc)

	fmt.Fprintf(w, "\n-- targets (the sidecar; the bare proxy alongside for scale) --\n")
	direct := r.paths[0]
	added := addedPooled(sc, direct, fromDue)
	cpu := perK(sc.cpuStage, sc.rateRequests)
	verdict := func(met bool) string {
		if met {
			return "met"
		}
		return "NOT MET"
	}
	fmt.Fprintf(w, "%-34s %-11s %-12s %-8s %s\n", "", "target", "sidecar", "", "bare proxy")
	row := func(what, target, measured string, met bool, baseline string) {
		fmt.Fprintf(w, "%-34s %-11s %-12s %-8s %s\n", what, target, measured, verdict(met), baseline)
	}
	bp99, bcpu, bhwm := "-", "-", "-"
	if bare != nil {
		bp99 = fmt.Sprintf("%.3f ms", addedPooled(bare, direct, fromDue)[2].Seconds()*1e3)
		bcpu = fmt.Sprintf("%.4f s", perK(bare.cpuStage, bare.rateRequests))
		bhwm = fmt.Sprintf("%.1f MiB", float64(bare.memEnd.hwm)/mib)
	}
	p99 := fmt.Sprintf("added p99 at %g req/s", o.rate)
	if added[2] < 0 {
		// The direct path's p99 was the worse one: noise swamped the effect.
		fmt.Fprintf(w, "%-34s %-11s %-12s %-8s %s\n", p99, "≤ 0.200 ms", fmt.Sprintf("%.3f ms", added[2].Seconds()*1e3), "unclear", bp99)
		fmt.Fprintf(w, "%-34s (negative: noise exceeds the effect; run longer, e.g. --duration 20s --rounds 6)\n", "")
	} else {
		row(p99, "≤ 0.200 ms", fmt.Sprintf("%.3f ms", added[2].Seconds()*1e3), added[2] <= targetAddedP99, bp99)
	}
	row("CPU per 1,000 requests", "≤ 0.050 s", fmt.Sprintf("%.4f s", cpu), cpu <= targetCPUPer1k, bcpu)
	row("resident memory (VmHWM)", "≤ 64 MiB", fmt.Sprintf("%.1f MiB", float64(sc.memEnd.hwm)/mib), sc.memEnd.hwm <= targetResident, bhwm)
}

// latencyTable writes per-round and pooled quantiles of get, and the
// differences between the paths.
func latencyTable(w io.Writer, r *results, get durations) {
	fmt.Fprintf(w, "%-6s %-15s %8s %6s", "round", "path", "requests", "errors")
	for _, n := range quantileNames {
		fmt.Fprintf(w, " %8s", n)
	}
	fmt.Fprintf(w, " %8s\n", "max")
	row := func(round, path string, n, errs int, s summary) {
		fmt.Fprintf(w, "%-6s %-15s %8d %6d", round, path, n, errs)
		for _, q := range s.q {
			fmt.Fprintf(w, " %8s", us(q))
		}
		fmt.Fprintf(w, " %8s\n", us(s.max))
	}
	for ri := range r.paths[0].rate {
		for _, p := range r.paths {
			x := p.rate[ri]
			row(fmt.Sprint(ri+1), p.t.name, x.sent, x.errs, summarize(x.ok(get(x))))
		}
	}
	for _, p := range r.paths {
		n, errs := 0, 0
		for _, x := range p.rate {
			n += x.sent
			errs += x.errs
		}
		row("all", p.t.name, n, errs, summarize(pool(p, get, false)))
	}
	diff := func(label string, a, b *pathResult) {
		if a == nil || b == nil {
			return
		}
		fmt.Fprintf(w, "%-38s", label+", pooled")
		for _, d := range addedPooled(a, b, get) {
			fmt.Fprintf(w, " %8s", us(d))
		}
		fmt.Fprintf(w, "\n%-38s", label+", median of rounds")
		for _, d := range addedMedian(a, b, get) {
			fmt.Fprintf(w, " %8s", us(d))
		}
		fmt.Fprintln(w)
	}
	diff("sidecar − direct", r.path(viaName), r.paths[0])
	diff("bare proxy − direct", r.path(bareName), r.paths[0])
	diff("sidecar − bare proxy", r.path(viaName), r.path(bareName))
}

// throughputTable writes the maximum-throughput stage.
func throughputTable(w io.Writer, r *results) {
	o := r.o
	fmt.Fprintf(w, "\n-- maximum throughput: closed loop, %d connections, %v per path --\n", o.concurrency, o.maxDuration)
	fmt.Fprintf(w, "%-12s %9s %7s %8s %6s %8s %8s", "path", "req/s", "ratio", "requests", "errors", "p50 µs", "p99 µs")
	if r.paths[0].wrk != nil {
		fmt.Fprintf(w, " %10s %7s %5s", "wrk req/s", "ratio", "bad")
	}
	fmt.Fprintln(w)
	direct := r.paths[0]
	for _, p := range r.paths {
		c := p.closed
		s := summarize(c.latency)
		fmt.Fprintf(w, "%-12s %9.0f %7.2f %8d %6d %8s %8s", p.t.name, c.throughput(), c.throughput()/direct.closed.throughput(),
			c.done, c.errs, us(s.q[0]), us(s.q[2]))
		if p.wrk != nil {
			fmt.Fprintf(w, " %10.0f %7.2f %5d", p.wrk.rps, p.wrk.rps/direct.wrk.rps, p.wrk.bad)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "ratio = req/s / direct req/s. wrk: 1 thread. The generator, the upstream and the proxy share the machine's %d CPUs,\n", runtime.NumCPU())
	fmt.Fprintf(w, "so these are ceilings of the whole set-up, not of the proxy alone.\n")
}

// resourceTable writes the proxies' CPU time and memory.
func resourceTable(w io.Writer, r *results) {
	o := r.o
	fmt.Fprintf(w, "\n-- proxy processes: CPU-seconds per 1,000 requests (utime + stime, /proc/PID/stat) and memory (/proc/PID/status) --\n")
	fmt.Fprintf(w, "%-12s %8s %6s %10s %10s %12s %10s %10s %9s\n", "path", "at rate", "(sys)", "own phases", "saturated", "RSS at rate", "RSS end", "HWM end", "requests")
	for _, p := range r.paths[1:] {
		sat := math.NaN()
		if p.closed != nil {
			sat = perK(p.cpuClosed, p.closed.sent)
		}
		fmt.Fprintf(w, "%-12s %8s %5.0f%% %10s %10s %8.1f MiB %6.1f MiB %6.1f MiB %9d\n", p.t.name,
			num(perK(p.cpuStage, p.rateRequests)), sysShare(p.cpuStage), num(perK(p.cpuOwn, p.rateRequests)), num(sat),
			float64(p.memAfterRate.rss)/mib, float64(p.memEnd.rss)/mib, float64(p.memEnd.hwm)/mib, p.sent)
	}
	fmt.Fprintf(w, "at rate: CPU over the whole %g req/s stage (other paths' phases included) / its requests in that stage,\n", o.rate)
	fmt.Fprintf(w, "(sys) the kernel's share of it; ")
	fmt.Fprintf(w, "own phases: only during its own phases; saturated: during its closed-loop phase. One clock tick = %v.\n", time.Second/time.Duration(clockTicks()))
	fmt.Fprintf(w, "RSS at rate: after the fixed-rate stage; end: after every stage. requests: sent through it in all.\n")
	for _, p := range r.paths[1:] {
		fmt.Fprintf(w, "%s: %s\n", p.t.name, p.stopped)
	}
	if sc := r.path(viaName); sc != nil && sc.sentAtRead < 2*o.window {
		fmt.Fprintf(w, "WARNING: only %d requests went through the sidecar before \"RSS at rate\": the reference (%d) and a window (%d) were not both full\n",
			sc.sentAtRead, o.window, o.window)
	}
	if r.procErr != nil {
		fmt.Fprintf(w, "WARNING: reading /proc: %v\n", r.procErr)
	}
}

// perK returns CPU seconds per 1,000 of n requests.
func perK(cpu cpuTimes, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return cpu.total().Seconds() / (float64(n) / 1000)
}

// num formats a CPU-seconds figure, "-" when there is none.
func num(v float64) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.4f", v)
}

// sysShare returns the percentage of cpu spent in the kernel.
func sysShare(cpu cpuTimes) float64 {
	return 100 * cpu.sys.Seconds() / cpu.total().Seconds()
}

// pool returns get over all rounds of p, of the successful requests only
// unless all is set.
func pool(p *pathResult, get durations, all bool) []time.Duration {
	var out []time.Duration
	for _, x := range p.rate {
		if all {
			out = append(out, get(x)...)
		} else {
			out = append(out, x.ok(get(x))...)
		}
	}
	return out
}

// addedPooled returns, per quantile, its value over all rounds of a minus
// its value over all rounds of b.
func addedPooled(a, b *pathResult, get durations) []time.Duration {
	qa, qb := summarize(pool(a, get, false)), summarize(pool(b, get, false))
	out := make([]time.Duration, len(quantiles))
	for i := range out {
		out[i] = qa.q[i] - qb.q[i]
	}
	return out
}

// addedMedian returns, per quantile, the median over rounds of a's value
// minus b's in the same round.
func addedMedian(a, b *pathResult, get durations) []time.Duration {
	out := make([]time.Duration, len(quantiles))
	for qi := range quantiles {
		var d []time.Duration
		for ri := range a.rate {
			xa, xb := a.rate[ri], b.rate[ri]
			d = append(d, summarize(xa.ok(get(xa))).q[qi]-summarize(xb.ok(get(xb))).q[qi])
		}
		out[qi] = median(d)
	}
	return out
}

// metricsReport writes the tap drops, request count and overhead histogram
// from the sidecar's /metrics.
func metricsReport(w io.Writer, r *results, sc *pathResult) {
	if r.metricsErr != nil {
		fmt.Fprintf(w, "could not read /metrics: %v\n", r.metricsErr)
		return
	}
	found := false
	for _, s := range r.metrics {
		if s.name == metricTapDropped {
			fmt.Fprintf(w, "%s%s %g\n", s.name, s.labels, s.value)
			found = true
		}
	}
	if !found {
		fmt.Fprintf(w, "%s: not exported\n", metricTapDropped)
	}
	if n, ok := sum(r.metrics, metricRequests); ok {
		fmt.Fprintf(w, "%s (all codes): %.0f; the bench sent %d through the sidecar", metricRequests, n, sc.sent)
		if sc.wrk != nil {
			fmt.Fprintf(w, ", not counting wrk's requests in flight when it stopped")
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "%s: not exported\n", metricRequests)
	}
	for _, name := range quotedSums {
		if v, ok := sum(r.metrics, name); ok {
			fmt.Fprintf(w, "%s: %.0f", name, v)
			if name == metricDriftDetected {
				fmt.Fprint(w, " (every window has the reference's distribution: 1 is a false alarm)")
			}
			fmt.Fprintln(w)
		}
	}
	if sc.peakQueue >= 0 {
		fmt.Fprintf(w, "%s: at most %.0f in the samples taken every %v during the sidecar's closed-loop phase (VmRSS at most %.1f MiB)\n",
			metricQueueLen, sc.peakQueue, sampleEvery, float64(sc.peakRSS)/mib)
	}
	h, ok := readHistogram(r.metrics, metricOverhead)
	if !ok || h.total == 0 {
		fmt.Fprintf(w, "%s: not exported or empty\n", metricOverhead)
		return
	}
	fmt.Fprintf(w, "%s: %.0f exchanges, mean %.1f µs, p50 ≤ %s, p99 ≤ %s (bucket bounds)\n",
		metricOverhead, h.total, h.sum/h.total*1e6, bound(h.quantileBound(0.5)), bound(h.quantileBound(0.99)))
}

// bound formats a histogram bucket bound in seconds as microseconds.
func bound(s float64) string {
	if math.IsInf(s, 1) || math.IsNaN(s) {
		return fmt.Sprint(s)
	}
	return fmt.Sprintf("%g µs", s*1e6)
}

// us formats d in microseconds with one decimal.
func us(d time.Duration) string {
	return strings.TrimSpace(fmt.Sprintf("%8.1f", float64(d)/1e3))
}
