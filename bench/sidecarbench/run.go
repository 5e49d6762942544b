package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// stopGrace is how long a proxy process gets to exit after SIGTERM.
const stopGrace = 10 * time.Second

// Names of the paths.
const (
	directName = "direct"
	viaName    = "via sidecar"
	bareName   = "bare proxy"
)

// pathResult is what was measured on one path.
type pathResult struct {
	t    *target
	proc *process // nil for the direct path

	rate         []*openResult // fixed-rate phases, one per round
	rateRequests int           // requests sent in them
	cpuOwn       cpuTimes      // process CPU during its own fixed-rate phases
	cpuStage     cpuTimes      // process CPU over the whole fixed-rate stage
	sentAtRead   int           // requests sent through it when memAfterRate was read
	memAfterRate memory

	closed    *closedResult
	cpuClosed cpuTimes
	peakQueue float64 // largest tap queue length seen in the closed loop; -1 if unknown
	peakRSS   int64   // largest VmRSS seen then
	wrk       *wrkResult

	sent    int // requests sent through it in all
	memEnd  memory
	stopped string
}

// results is everything a run measured, for the report.
type results struct {
	o        *options
	loadavg  string // /proc/loadavg at the start
	upstream string
	meanBody int
	paths    []*pathResult // direct first, then the sidecar, then the bare proxy

	metrics    []sample
	metricsErr error
	procErr    error // first error reading /proc
}

// path returns the result of the path called name, or nil.
func (r *results) path(name string) *pathResult {
	for _, p := range r.paths {
		if p.t.name == name {
			return p
		}
	}
	return nil
}

// run runs the bench and writes the report to stdout, progress to stderr.
func run(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	res := &results{o: o, loadavg: loadavg()}
	up, err := startUpstream()
	if err != nil {
		return fmt.Errorf("start upstream: %w", err)
	}
	defer up.close()
	res.upstream = up.addr
	bodies := makeBodies(o.bodies, o.features, o.seed)
	for _, b := range bodies {
		res.meanBody += len(b)
	}
	res.meanBody /= len(bodies)

	conns := max(o.workers, o.concurrency)
	res.paths = []*pathResult{{t: newTarget(directName, up.addr, conns)}}
	dir, err := os.MkdirTemp("", "sidecarbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	defer func() {
		for _, p := range res.paths {
			if p.proc != nil && p.proc.alive() {
				p.proc.stop(stopGrace)
			}
		}
	}()
	if !o.directOnly {
		progress(stderr, "starting %s sidecar", o.driftwatch)
		sc, err := startSidecar(ctx, o.driftwatch, dir, up.addr, o.window, o.readyTimeout)
		if err != nil {
			return err
		}
		res.paths = append(res.paths, &pathResult{t: newTarget(viaName, sc.listen, conns), proc: sc, peakQueue: -1})
		if o.baseline {
			progress(stderr, "starting the bare reverse proxy")
			bp, err := startBareProxy(ctx, up.addr, o.readyTimeout)
			if err != nil {
				return err
			}
			res.paths = append(res.paths, &pathResult{t: newTarget(bareName, bp.listen, conns), proc: bp})
		}
	}
	for _, p := range res.paths[1:] {
		if err := p.t.do(bodies[0]); err != nil {
			return fmt.Errorf("first request %s: %w; its output:\n%s", p.t.name, err, p.proc.output.indented())
		}
		p.sent++
	}

	ticks := clockTicks()
	cpu := func(p *pathResult) cpuTimes {
		if p.proc == nil {
			return cpuTimes{}
		}
		d, err := cpuTime(p.proc.pid, ticks)
		if err != nil && res.procErr == nil {
			res.procErr = err
		}
		return d
	}
	mem := func(p *pathResult) memory {
		m, err := readMemory(p.proc.pid)
		if err != nil && res.procErr == nil {
			res.procErr = err
		}
		return m
	}
	// check returns why the run cannot go on, if it cannot.
	check := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, p := range res.paths {
			if p.proc != nil && !p.proc.alive() {
				return fmt.Errorf("%s: the process exited during the run (%v); its output:\n%s", p.t.name, p.proc.waitErr, p.proc.output.indented())
			}
		}
		return nil
	}

	next := 0 // index of the next body to send
	phase := func(p *pathResult, d time.Duration) (*openResult, error) {
		r := openLoop(ctx, p.t, o.rate, d, o.workers, bodies, next)
		next += r.sent
		p.sent += r.sent
		if r.errs > 0 {
			progress(stderr, "  %d of %d requests failed, first: %v", r.errs, r.sent, r.err)
		}
		return r, check()
	}

	if o.warmup > 0 {
		for _, p := range res.paths {
			progress(stderr, "warm-up: %s at %g req/s for %v", p.t.name, o.rate, o.warmup)
			if _, err := phase(p, o.warmup); err != nil {
				return err
			}
		}
	}

	stage0 := make([]cpuTimes, len(res.paths))
	for i, p := range res.paths {
		stage0[i] = cpu(p)
	}
	for round := range o.rounds {
		// Round r starts with path r mod n, so each path takes each place
		// in the order equally often over n rounds.
		for k := range res.paths {
			p := res.paths[(round+k)%len(res.paths)]
			progress(stderr, "round %d/%d: %s at %g req/s for %v", round+1, o.rounds, p.t.name, o.rate, o.duration)
			c0 := cpu(p)
			r, err := phase(p, o.duration)
			if err != nil {
				return err
			}
			p.cpuOwn = p.cpuOwn.add(cpu(p).sub(c0))
			p.rateRequests += r.sent
			p.rate = append(p.rate, r)
		}
	}
	for i, p := range res.paths {
		if p.proc != nil {
			p.cpuStage = cpu(p).sub(stage0[i])
			p.memAfterRate = mem(p)
			p.sentAtRead = p.sent
		}
	}

	if o.maxDuration > 0 {
		for _, p := range res.paths {
			progress(stderr, "maximum throughput: %s, %d connections for %v", p.t.name, o.concurrency, o.maxDuration)
			c0 := cpu(p)
			stopSampling := func() {}
			if p.t.name == viaName {
				stopSampling = samplePeaks(p)
			}
			r := closedLoop(ctx, p.t, o.concurrency, o.maxDuration, bodies, next)
			stopSampling()
			next += r.sent
			p.cpuClosed = cpu(p).sub(c0)
			p.sent += r.sent
			p.closed = r
			if r.errs > 0 {
				progress(stderr, "  %d of %d requests failed, first: %v", r.errs, r.done+r.errs, r.err)
			}
			if err := check(); err != nil {
				return err
			}
		}
		if o.wrk != "" {
			script, err := writeWrkScript(dir, bodies)
			if err != nil {
				return err
			}
			for _, p := range res.paths {
				progress(stderr, "maximum throughput with wrk: %s, %d connections for %v", p.t.name, o.concurrency, o.maxDuration)
				r, err := runWrk(ctx, o.wrk, script, p.t, o.concurrency, o.maxDuration)
				if err != nil {
					return err
				}
				p.sent += r.requests
				p.wrk = r
				if err := check(); err != nil {
					return err
				}
			}
		}
	}

	if sc := res.path(viaName); sc != nil {
		var text string
		text, res.metricsErr = scrapeText(sc.proc.admin)
		res.metrics = parseMetrics(text)
		if o.metricsOut != "" && res.metricsErr == nil {
			if err := os.WriteFile(o.metricsOut, []byte(text), 0o644); err != nil {
				return fmt.Errorf("--metrics-out: %w", err)
			}
		}
	}
	for _, p := range res.paths {
		if p.proc != nil {
			p.memEnd = mem(p)
			p.stopped = p.proc.stop(stopGrace)
		}
	}
	report(stdout, res)
	return nil
}

// sampleEvery is how often the sidecar's queue length and RSS are sampled
// while it is saturated.
const sampleEvery = 250 * time.Millisecond

// samplePeaks records in p.peakQueue and p.peakRSS the largest tap queue length
// and VmRSS of p's process until the function it returns is called.
func samplePeaks(p *pathResult) (stop func()) {
	p.peakQueue = -1
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(sampleEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if m, err := readMemory(p.proc.pid); err == nil {
				p.peakRSS = max(p.peakRSS, m.rss)
			}
			if s, err := scrape(p.proc.admin); err == nil {
				if v, ok := sum(s, metricQueueLen); ok {
					p.peakQueue = max(p.peakQueue, v)
				}
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// loadavg returns the first three fields of /proc/loadavg, or "?".
func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(raw)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// machine describes where the bench runs.
func machine() string {
	return fmt.Sprintf("%d CPUs (GOMAXPROCS %d), %s/%s, %s", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
