// Package rules turns the Results of detectors, collectors and synthetic
// checks into alerts: each Rule applies a threshold, with warning and
// critical levels and optional hysteresis, to the results of one name,
// and keeps one state machine per series (rule × result label set):
//
//	inactive ──▶ pending ──▶ firing ──▶ resolved ──▶ inactive
//
// See Rule for the configuration and Engine.Evaluate for the semantics.
package rules

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// minRetention is the least time an inactive series is kept after its
// last result.
const minRetention = time.Hour

// Engine evaluates rules over results. Its methods are safe for
// concurrent use; evaluations are serialized.
type Engine struct {
	mu       sync.Mutex
	rules    []*rule
	byResult map[string][]*rule
	scratch  renderScratch
	lastOut  int // alerts returned by the last evaluation: a capacity hint

	series         atomic.Int64
	evicted        atomic.Int64
	overflow       atomic.Int64
	belowSamples   atomic.Int64
	templateErrors atomic.Int64
}

// Stats are counters of an Engine.
type Stats struct {
	Series          int64 // series kept now, all rules together
	Evicted         int64 // inactive series dropped after their retention
	Overflow        int64 // results dropped because their rule had max_series series
	BelowMinSamples int64 // results ignored by a rule for having fewer than min_samples
	TemplateErrors  int64 // annotations that failed to render
}

// Stats returns the counters of e.
func (e *Engine) Stats() Stats {
	return Stats{
		Series:          e.series.Load(),
		Evicted:         e.evicted.Load(),
		Overflow:        e.overflow.Load(),
		BelowMinSamples: e.belowSamples.Load(),
		TemplateErrors:  e.templateErrors.Load(),
	}
}

// rule is a compiled Rule with its series.
type rule struct {
	name       string
	op         op
	th         thresholds
	recover    float64
	hasRecover bool
	forDur     time.Duration
	keep       time.Duration
	occCount   int
	occWithin  time.Duration
	minSamples int
	noData     NoData // State "" when none
	maxSeries  int
	retention  time.Duration
	match      map[string]string
	labels     map[string]string
	templates  []*template.Template

	// The series, densely stored so that advancing them all walks memory
	// in order; index maps a series' fingerprint (of the result labels) to
	// its position in list.
	list  []series
	index map[uint64]int32
}

// New validates and compiles rules. Rule names must be unique: the name
// is the alert's NameLabel. The error joins every problem, each prefixed
// by the rule's position, rules[i].
func New(rules []Rule) (*Engine, error) {
	e := &Engine{byResult: make(map[string][]*rule)}
	var errs []error
	first := map[string]int{}
	for i := range rules {
		r := &rules[i]
		if err := r.Validate(); err != nil {
			errs = append(errs, prefixed(fmt.Sprintf("rules[%d]:", i), err)...)
			continue
		}
		if j, ok := first[r.Name]; ok {
			errs = append(errs, fmt.Errorf("rules[%d]: name %q is already used by rules[%d]", i, r.Name, j))
			continue
		}
		first[r.Name] = i
		c := compile(r)
		e.rules = append(e.rules, c)
		e.byResult[r.Result] = append(e.byResult[r.Result], c)
	}
	if errs != nil {
		return nil, errors.Join(errs...)
	}
	return e, nil
}

// compile turns a valid Rule into a rule.
func compile(r *Rule) *rule {
	o, _ := parseOp(r.Op)
	c := &rule{
		name:       r.Name,
		op:         o,
		th:         thresholds{warning: clonePtr(r.Warning), critical: clonePtr(r.Critical)},
		forDur:     r.For,
		keep:       r.KeepFiringFor,
		minSamples: r.MinSamples,
		maxSeries:  r.MaxSeries,
		match:      cloneMap(r.Match),
		labels:     cloneMap(r.Labels),
		index:      make(map[uint64]int32),
	}
	if r.Recover != nil {
		c.recover, c.hasRecover = *r.Recover, true
	}
	if c.maxSeries == 0 {
		c.maxSeries = DefaultMaxSeries
	}
	c.retention = max(minRetention, r.For, r.KeepFiringFor)
	if r.Occurrences != nil {
		c.occCount, c.occWithin = r.Occurrences.Count, r.Occurrences.Within
		c.retention = max(c.retention, c.occWithin)
	}
	if r.NoData != nil {
		c.noData = *r.NoData
		c.retention = max(c.retention, c.noData.After)
	}
	keys := make([]string, 0, len(r.Annotations))
	for k := range r.Annotations {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t, _ := parseTemplate(k, r.Annotations[k]) // Validate parsed it
		c.templates = append(c.templates, t)
	}
	return c
}

// Evaluate feeds results to the rules and then advances the state of
// every series at now. Call it with each batch of results, and also
// periodically with none (every 15s, say), so that for, keep_firing_for,
// occurrences windows and no_data advance when no result comes; now must
// not go backwards.
//
// A result applies to each rule whose result is its Name, whose match
// labels it has, and whose min_samples its Samples reach. Its series is
// the rule and the result's label set. A series' condition is whether its
// last result met a threshold (or, while firing with recover set, was
// still beyond recover); with occurrences, whether at least count results
// within the last `within` did. The condition keeps its last value while
// no result comes, until no_data applies.
//
// Annotations are rendered when the state, the severity or the no-data
// condition of a series changes; Value, Samples and Evidence are those of
// the last result at every evaluation. Occurrences are counted at the
// results' Time (now when zero or later than now).
//
// Memory is bounded: a series that is inactive and has had no result for
// max(1h, for, keep_firing_for, occurrences.within, no_data.after) is
// dropped (Stats.Evicted), and a rule keeps at most max_series series;
// results of further label sets are dropped (Stats.Overflow).
//
// Evaluate returns, in no particular order, every alert that is pending
// or firing at now, and every alert that resolved at now (returned once;
// the series is inactive at the next evaluation). An alert that was
// pending and whose condition cleared is not returned. Each *Alert is a
// copy the caller may keep; its Labels, Annotations and Evidence are
// shared with the engine, which never modifies them afterwards, and must
// be treated as read-only.
func (e *Engine) Evaluate(now time.Time, results []obs.Result) []*alert.Alert {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range results {
		e.feed(now, &results[i])
	}
	vals := make([]alert.Alert, 0, e.lastOut+e.lastOut/8)
	for _, r := range e.rules {
		for i := 0; i < len(r.list); {
			s := &r.list[i]
			if e.advance(r, s, now) {
				vals = append(vals, s.alert)
			}
			if s.alert.State == alert.Inactive && now.Sub(s.lastSeen) >= r.retention {
				r.remove(i)
				e.series.Add(-1)
				e.evicted.Add(1)
				continue // the last series moved to i
			}
			i++
		}
	}
	e.lastOut = len(vals)
	out := make([]*alert.Alert, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out
}

// feed applies one result to the series of the rules it matches.
func (e *Engine) feed(now time.Time, res *obs.Result) {
	rules := e.byResult[res.Name]
	if len(rules) == 0 {
		return
	}
	var (
		fp       uint64
		hashed   bool
		evidence []obs.Field
		cloned   bool
	)
	ts := res.Time
	if ts.IsZero() || ts.After(now) {
		ts = now
	}
	for _, r := range rules {
		if res.Samples < r.minSamples {
			e.belowSamples.Add(1)
			continue
		}
		if !matches(res.Labels, r.match) {
			continue
		}
		if !hashed {
			fp, hashed = alert.Fingerprint(res.Labels), true
		}
		i, ok := r.index[fp]
		if !ok {
			if len(r.list) >= r.maxSeries {
				e.overflow.Add(1)
				continue
			}
			i = int32(len(r.list))
			r.list = append(r.list, newSeries(r, fp, res.Labels))
			r.index[fp] = i
			e.series.Add(1)
		}
		s := &r.list[i]
		if !cloned {
			evidence, cloned = slices.Clone(res.Evidence), true
		}
		level := r.th.level(r.op, res.Value)
		truth := level > obs.OK ||
			r.hasRecover && s.alert.State == alert.Firing && r.op.beyondRecover(res.Value, r.recover)
		s.alert.Value = res.Value
		s.alert.Samples = res.Samples
		s.alert.Evidence = evidence
		s.lastSeen = now
		s.truth = truth
		s.level = level
		if truth && r.occCount > 0 {
			s.push(ts, r.occCount)
		}
	}
}

// remove drops the series at i, moving the last one into its place.
func (r *rule) remove(i int) {
	delete(r.index, r.list[i].fp)
	last := len(r.list) - 1
	if i != last {
		r.list[i] = r.list[last]
		r.index[r.list[i].fp] = int32(i)
	}
	r.list[last] = series{} // let the garbage collector have its maps
	r.list = r.list[:last]
}

// matches reports whether l has every label of m with the same value; an
// absent label has the value "".
func matches(l obs.Labels, m map[string]string) bool {
	for k, v := range m {
		if l[k] != v {
			return false
		}
	}
	return true
}

func clonePtr(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
