package synthetics

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// ResultName is the name of the obs.Result each run emits, for rules:
// Value 1 when the check passes, 0 when it fails (once the failure has
// lasted the check's min_failure_duration; until then it still reads 1).
const ResultName = "probe_success"

// Runner runs checks on their schedules, each on its own goroutine, and
// hands every run's result to OnResult.
type Runner struct {
	probers  []*Prober
	log      *slog.Logger
	onResult func(Result)

	mu       sync.Mutex
	last     map[string]Result
	runs     map[string]*[2]uint64 // per check: passed, failed runs
	cronDown map[string]bool       // per check: the last Sentry check-in failed
}

// NewRunner returns a Runner of the probers; onResult (nil: none) is
// called from the checks' goroutines after every run, and l (nil:
// slog.Default()) gets a line when a check starts or stops failing.
func NewRunner(probers []*Prober, l *slog.Logger, onResult func(Result)) *Runner {
	if l == nil {
		l = slog.Default()
	}
	r := &Runner{probers: probers, log: l, onResult: onResult, last: map[string]Result{}, runs: map[string]*[2]uint64{}, cronDown: map[string]bool{}}
	for _, p := range probers {
		r.runs[p.check.Name] = new([2]uint64)
	}
	return r
}

// Run runs every check until ctx is done: the first run of each at a
// random time within its jitter, then every interval, each shifted by a
// random amount within the jitter (so that many sidecars do not probe in
// step).
func (r *Runner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, p := range r.probers {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
		wg.Go(func() { r.loop(ctx, p, rng) })
	}
	wg.Wait()
}

// RunOnce runs every check once, all at the same time, and returns the
// results in the order of the probers.
func (r *Runner) RunOnce(ctx context.Context) []Result {
	out := make([]Result, len(r.probers))
	var wg sync.WaitGroup
	for i, p := range r.probers {
		wg.Go(func() { out[i] = r.record(p, p.Run(ctx)) })
	}
	wg.Wait()
	return out
}

func (r *Runner) loop(ctx context.Context, p *Prober, rng *rand.Rand) {
	jitter := func() time.Duration {
		if j := p.check.jitter(); j > 0 {
			return time.Duration(rng.Int64N(int64(j)))
		}
		return 0
	}
	t := time.NewTimer(jitter())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res := p.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		r.record(p, res)
		t.Reset(p.check.interval() - p.check.jitter()/2 + jitter())
	}
}

// record applies min_failure_duration to res, keeps it, logs a change of
// state, and hands it on.
func (r *Runner) record(p *Prober, res Result) Result {
	r.mu.Lock()
	prev, seen := r.last[res.Check]
	if res.Success {
		res.Counted = true
		r.runs[res.Check][0]++
	} else {
		r.runs[res.Check][1]++
		res.FailingSince = res.Start
		if seen && !prev.Success {
			res.FailingSince = prev.FailingSince
		}
		res.Counted = res.Start.Sub(res.FailingSince) >= p.check.MinFailureDuration
	}
	r.last[res.Check] = res
	r.mu.Unlock()
	switch {
	case !res.Success && (!seen || prev.Success):
		r.log.Warn("synthetic check failing", "check", res.Check, "reason", res.Reason, "attempts", res.Attempts)
	case res.Success && seen && !prev.Success:
		r.log.Info("synthetic check passing again", "check", res.Check, "failed_for", res.Start.Sub(prev.FailingSince).Round(time.Second))
	}
	if p.cron != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.cron.checkIn(ctx, res)
		cancel()
		r.cronFailed(res.Check, err)
	}
	if r.onResult != nil {
		r.onResult(res)
	}
	return res
}

// cronFailed logs a check's Sentry check-in failing, once until it works
// again.
func (r *Runner) cronFailed(check string, err error) {
	r.mu.Lock()
	was := r.cronDown[check]
	r.cronDown[check] = err != nil
	r.mu.Unlock()
	switch {
	case err != nil && !was:
		r.log.Warn("Sentry cron check-in failed; the monitor may report the check missed", "check", check, "error", err)
	case err == nil && was:
		r.log.Info("Sentry cron check-in works again", "check", check)
	}
}

// Last returns the last result of every check that ran, by check name.
func (r *Runner) Last() map[string]Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]Result, len(r.last))
	for k, v := range r.last {
		out[k] = v
	}
	return out
}

// ObsResult is res as a result for the alert rules: Value 1 when it
// passed or its failure does not count yet, else 0; the evidence says
// why it failed (what was expected, what was seen), its status, latency
// and attempts.
func (res Result) ObsResult() obs.Result {
	labels := obs.Labels{"check": res.Check}
	for k, v := range res.Labels {
		if k != "check" {
			labels[k] = v
		}
	}
	o := obs.Result{Name: ResultName, Labels: labels, Time: res.Start, Value: 1, Severity: obs.OK}
	if !res.Success && res.Counted {
		o.Value, o.Severity = 0, obs.Critical
	}
	if res.Reason != "" {
		o.Evidence = append(o.Evidence, obs.Field{Key: "reason", Value: res.Reason})
	}
	o.Evidence = append(o.Evidence,
		obs.Field{Key: "status", Value: strconv.Itoa(res.Status)},
		obs.Field{Key: "latency", Value: res.Phases.Total.Round(time.Millisecond).String()},
		obs.Field{Key: "attempts", Value: strconv.Itoa(res.Attempts)})
	if !res.FailingSince.IsZero() {
		o.Evidence = append(o.Evidence, obs.Field{Key: "failing_since", Value: res.FailingSince.UTC().Format(time.RFC3339)})
	}
	if res.Golden {
		o.Evidence = append(o.Evidence, obs.Field{Key: "agreement", Value: strconv.FormatFloat(res.Agreement, 'g', 4, 64)})
	}
	return o
}
