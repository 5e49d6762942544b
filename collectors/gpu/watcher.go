package gpu

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// DefaultInterval is the polling interval of a Watcher given none.
const DefaultInterval = 15 * time.Second

// watchState is what the last poll found.
type watchState uint8

const (
	stateStart   watchState = iota // not polled yet
	stateOK                        // samples read
	stateNoGPU                     // ErrNoGPU
	stateFailing                   // any other error
)

// Watcher polls a Source at an interval and keeps the samples of the last
// poll for Results and for Prometheus (it is a prometheus.Collector; see
// the package documentation for the metrics). It never fails: a machine
// without a GPU gets one log line "no GPU: <reason>", and a failing source
// one warning; each later change of state (GPU found, failing, recovered)
// is one more line, and nothing is logged while the state stays the same.
// Its methods are safe for concurrent use.
type Watcher struct {
	src      Source
	interval time.Duration
	log      *slog.Logger

	pollMu sync.Mutex // one poll at a time
	buf    []Sample   // the poll's buffer, swapped with samples; under pollMu

	mu      sync.Mutex
	name    string // the source's name at the last poll
	samples []Sample
	state   watchState
	reason  string // the last poll's error, "" when it succeeded
	errors  uint64 // polls that failed, ErrNoGPU aside
	invalid uint64 // values present but unreadable
	failed  int    // polls failed since the state changed
}

// NewWatcher returns a Watcher of src polling every interval
// (DefaultInterval when 0 or negative). Each poll is bounded by the
// interval as well as by the source's own timeout. l nil means
// slog.Default().
func NewWatcher(src Source, interval time.Duration, l *slog.Logger) *Watcher {
	if interval <= 0 {
		interval = DefaultInterval
	}
	if l == nil {
		l = slog.Default()
	}
	return &Watcher{src: src, interval: interval, log: l, name: sourceName(src)}
}

// Run polls at once and then every interval until ctx is done.
func (w *Watcher) Run(ctx context.Context) {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.Poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll reads the source once and keeps what it read. The samples a
// failing source still returned are kept: they were read.
func (w *Watcher) Poll(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	w.pollMu.Lock()
	defer w.pollMu.Unlock()
	pctx, cancel := context.WithTimeout(ctx, w.interval)
	samples, err := w.src.Sample(pctx, w.buf[:0])
	cancel()
	if err != nil && ctx.Err() != nil {
		return // shutting down: not the source's fault
	}
	name := sourceName(w.src)
	invalid := 0
	for i := range samples {
		invalid += samples[i].Invalid
	}

	w.mu.Lock()
	prev, prevReason, failed := w.state, w.reason, w.failed
	w.buf, w.samples = w.samples, samples
	w.name = name
	w.invalid += uint64(invalid)
	switch {
	case err == nil:
		w.state, w.reason = stateOK, ""
	case errors.Is(err, ErrNoGPU):
		w.state, w.reason = stateNoGPU, err.Error()
	default:
		w.state, w.reason = stateFailing, err.Error()
		w.errors++
	}
	if w.state == prev {
		w.failed++
	} else {
		w.failed = 0
	}
	state, reason := w.state, w.reason
	w.mu.Unlock()

	if state == prev {
		return
	}
	switch state {
	case stateOK:
		args := []any{"source", name, "gpus", len(samples)}
		if prev != stateStart {
			args = append(args, "after", prevReason, "failed_polls", failed+1)
		}
		w.log.Info("GPU source ok", args...)
	case stateNoGPU:
		w.log.Info(ErrNoGPU.Error()+": "+strings.TrimPrefix(reason, ErrNoGPU.Error()+": "), "source", name)
	case stateFailing:
		w.log.Warn("GPU source failing", "source", name, "err", reason)
	}
}

// Close closes the source when it has a Close method (NVML shuts down).
// Call it after Run returned.
func (w *Watcher) Close() error {
	if c, ok := w.src.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// Samples appends the samples of the last poll to dst.
func (w *Watcher) Samples(dst []Sample) []Sample {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append(dst, w.samples...)
}

// Err returns the error of the last poll, nil when it succeeded or no poll
// was made yet.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.reason == "" {
		return nil
	}
	if w.state == stateNoGPU {
		return &noGPUError{w.reason}
	}
	return errors.New(w.reason)
}

// noGPUError keeps a no-GPU reason matching ErrNoGPU.
type noGPUError struct{ msg string }

func (e *noGPUError) Error() string { return e.msg }
func (e *noGPUError) Unwrap() error { return ErrNoGPU }

// Results appends to dst one gpu_source_up result at now (1 when the last
// poll read at least one GPU, else 0 with the reason as evidence) and the
// results of the last poll's samples (see Results).
func (w *Watcher) Results(now time.Time, dst []obs.Result) []obs.Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.state == stateStart {
		return dst
	}
	up := obs.Result{Name: ResultSourceUp, Labels: obs.Labels{"source": w.name}, Time: now, Value: 1}
	if w.state != stateOK {
		up.Value = 0
		up.Evidence = []obs.Field{{Key: "reason", Value: w.reason}}
		if w.state == stateFailing {
			up.Severity = obs.Warning
		}
	}
	dst = append(dst, up)
	return appendResults(dst, w.samples)
}
