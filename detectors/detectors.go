// Package detectors runs live detectors over decoded records: the Detector
// interface, a Runner that fans records out to detectors and contains their
// panics, and PerModel, which keeps one detector per model version.
package detectors

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Detector watches records and says what it found. Observe and Results are
// called from one goroutine; Observe must be cheap (it runs per record), and
// Results appends what the detector has to say at now (often nothing) to
// dst and returns it.
type Detector interface {
	Observe(r obs.Record)
	Results(now time.Time, dst []obs.Result) []obs.Result
}

// Funcs makes a Detector of two functions; a nil function does nothing.
type Funcs struct {
	ObserveFunc func(r obs.Record)
	ResultsFunc func(now time.Time, dst []obs.Result) []obs.Result
}

// Observe implements Detector.
func (f Funcs) Observe(r obs.Record) {
	if f.ObserveFunc != nil {
		f.ObserveFunc(r)
	}
}

// Results implements Detector.
func (f Funcs) Results(now time.Time, dst []obs.Result) []obs.Result {
	if f.ResultsFunc != nil {
		return f.ResultsFunc(now, dst)
	}
	return dst
}

// Defaults of a Runner.
const (
	// DefaultMaxPanics: a detector that panicked this many times is
	// disabled (its state is likely broken, and each panic costs a stack
	// unwinding per record).
	DefaultMaxPanics = 100
	// DefaultLogEvery is the least time between two logs of one
	// detector's panics; the panics in between are counted in the next.
	DefaultLogEvery = 10 * time.Second
)

// Runner fans every record out to its detectors and collects their
// Results. A panic in a detector is recovered, counted per detector and
// logged (at most once per LogEvery per detector); the other detectors and
// the traffic are unaffected. After MaxPanics panics a detector is disabled:
// it sees no more records and is logged once more.
//
// A Runner is itself a Detector. Add detectors before the first Observe;
// Observe and Results are called from one goroutine, Panics from any.
type Runner struct {
	// MaxPanics disables a detector after that many panics; 0 means
	// DefaultMaxPanics, a negative value never disables.
	MaxPanics int
	// LogEvery throttles the logs of one detector's panics; 0 means
	// DefaultLogEvery.
	LogEvery time.Duration

	logger *slog.Logger
	dets   []*entry
}

type entry struct {
	name       string
	d          Detector
	panics     atomic.Uint64
	disabled   atomic.Bool
	lastLog    time.Time // Runner goroutine only
	suppressed int       // panics not logged since lastLog
}

// NewRunner returns a Runner without detectors that logs to l (nil means
// slog.Default()).
func NewRunner(l *slog.Logger) *Runner {
	if l == nil {
		l = slog.Default()
	}
	return &Runner{logger: l}
}

// Add adds a detector under a name, which labels its panics. Detectors run
// in the order they were added.
func (r *Runner) Add(name string, d Detector) {
	r.dets = append(r.dets, &entry{name: name, d: d})
}

// Observe implements Detector: it hands rec to every enabled detector.
func (r *Runner) Observe(rec obs.Record) {
	for _, e := range r.dets {
		if !e.disabled.Load() {
			r.observe(e, rec)
		}
	}
}

func (r *Runner) observe(e *entry, rec obs.Record) {
	defer func() {
		if p := recover(); p != nil {
			r.panicked(e, "observe", p)
		}
	}()
	e.d.Observe(rec)
}

// Results implements Detector: it appends the Results of every enabled
// detector. A detector that panics adds nothing.
func (r *Runner) Results(now time.Time, dst []obs.Result) []obs.Result {
	for _, e := range r.dets {
		if !e.disabled.Load() {
			dst = r.results(e, now, dst)
		}
	}
	return dst
}

func (r *Runner) results(e *entry, now time.Time, dst []obs.Result) (out []obs.Result) {
	n := len(dst)
	defer func() {
		if p := recover(); p != nil {
			r.panicked(e, "results", p)
			out = dst[:n]
		}
	}()
	return e.d.Results(now, dst)
}

// panicked counts, logs with throttling and maybe disables.
func (r *Runner) panicked(e *entry, during string, p any) {
	n := e.panics.Add(1)
	limit := r.MaxPanics
	if limit == 0 {
		limit = DefaultMaxPanics
	}
	disable := limit > 0 && n >= uint64(limit)
	every := r.LogEvery
	if every == 0 {
		every = DefaultLogEvery
	}
	now := time.Now()
	if !disable && !e.lastLog.IsZero() && now.Sub(e.lastLog) < every {
		e.suppressed++
		return
	}
	e.lastLog = now
	attrs := []any{
		slog.String("detector", e.name),
		slog.String("during", during),
		slog.String("panic", clip(fmt.Sprint(p), 512)),
		slog.Uint64("panics_total", n),
		slog.Int("panics_not_logged", e.suppressed),
		slog.String("stack", clip(string(debug.Stack()), 4096)),
	}
	e.suppressed = 0
	if disable {
		e.disabled.Store(true)
		r.logger.Error("detector disabled after too many panics", attrs...)
		return
	}
	r.logger.Error("detector panicked; recovered", attrs...)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// DetectorPanics is the panic count of one detector of a Runner.
type DetectorPanics struct {
	Detector string
	Panics   uint64
	Disabled bool
}

// Panics returns the panic count of every detector, in the order they were
// added, for metrics. It is safe to call from any goroutine.
func (r *Runner) Panics() []DetectorPanics {
	out := make([]DetectorPanics, len(r.dets))
	for i, e := range r.dets {
		out[i] = DetectorPanics{Detector: e.name, Panics: e.panics.Load(), Disabled: e.disabled.Load()}
	}
	return out
}

// DefaultMaxModels is the number of model versions a PerModel tracks when
// given no limit.
const DefaultMaxModels = 64

// ModelKey identifies a model version.
type ModelKey struct {
	Model, Version string
}

// PerModel keeps one detector per model version, made by New on the first
// record of that version. It tracks at most MaxModels versions, so that
// memory stays bounded whatever the traffic claims: records of further
// versions are dropped and counted. A version whose detector could not be
// made takes its place too and its records are dropped (counted as errors),
// rather than retried per record.
//
// PerModel is a Detector; Observe and Results are called from one
// goroutine, Get, Keys and the counters from any.
type PerModel[D Detector] struct {
	newFn     func(model, version string) (D, error)
	maxModels int

	mu    sync.RWMutex // guards writes of byKey and order against readers
	byKey map[ModelKey]*modelEntry[D]
	order []*modelEntry[D]

	dropped, errors atomic.Uint64
	lastError       atomic.Pointer[string]
}

type modelEntry[D Detector] struct {
	key ModelKey
	d   D
	ok  bool
}

// NewPerModel returns a PerModel making detectors with newFn, for at most
// maxModels model versions (0 means DefaultMaxModels).
func NewPerModel[D Detector](maxModels int, newFn func(model, version string) (D, error)) *PerModel[D] {
	if maxModels <= 0 {
		maxModels = DefaultMaxModels
	}
	return &PerModel[D]{newFn: newFn, maxModels: maxModels, byKey: map[ModelKey]*modelEntry[D]{}}
}

// Observe implements Detector: it hands r to the detector of its model
// version, made first if needed.
func (p *PerModel[D]) Observe(r obs.Record) {
	// Only this goroutine writes byKey, so it reads it without the lock.
	e := p.byKey[ModelKey{r.Model, r.Version}]
	if e == nil {
		e = p.add(r.Model, r.Version)
	}
	if e == nil || !e.ok {
		p.dropped.Add(1)
		return
	}
	e.d.Observe(r)
}

func (p *PerModel[D]) add(model, version string) *modelEntry[D] {
	if len(p.order) >= p.maxModels {
		return nil
	}
	key := ModelKey{strings.Clone(model), strings.Clone(version)}
	e := &modelEntry[D]{key: key}
	d, err := p.newFn(key.Model, key.Version)
	if err != nil {
		p.errors.Add(1)
		msg := fmt.Sprintf("model %q version %q: %v", clip(key.Model, 128), clip(key.Version, 128), err)
		p.lastError.Store(&msg)
	} else {
		e.d, e.ok = d, true
	}
	p.mu.Lock()
	p.byKey[key] = e
	p.order = append(p.order, e)
	p.mu.Unlock()
	return e
}

// Results implements Detector: it appends the Results of every model
// version's detector, in the order the versions were first seen.
func (p *PerModel[D]) Results(now time.Time, dst []obs.Result) []obs.Result {
	for _, e := range p.order {
		if e.ok {
			dst = e.d.Results(now, dst)
		}
	}
	return dst
}

// Get returns the detector of a model version, if it has one.
func (p *PerModel[D]) Get(model, version string) (D, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if e := p.byKey[ModelKey{model, version}]; e != nil && e.ok {
		return e.d, true
	}
	var zero D
	return zero, false
}

// Keys returns the model versions that have a detector, in the order they
// were first seen.
func (p *PerModel[D]) Keys() []ModelKey {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]ModelKey, 0, len(p.order))
	for _, e := range p.order {
		if e.ok {
			out = append(out, e.key)
		}
	}
	return out
}

// Dropped returns the number of records dropped because their model
// version was past the limit or its detector could not be made.
func (p *PerModel[D]) Dropped() uint64 { return p.dropped.Load() }

// Errors returns the number of detectors that could not be made, and the
// last error.
func (p *PerModel[D]) Errors() (uint64, string) {
	msg := ""
	if m := p.lastError.Load(); m != nil {
		msg = *m
	}
	return p.errors.Load(), msg
}
