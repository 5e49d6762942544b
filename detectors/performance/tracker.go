package performance

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// ResultName names the Results of a Tracker: one per metric and closed
// window, labelled model, version and metric (see the Metric… constants),
// Value the metric, Samples the labelled pairs of the window. The Severity is
// Info: this package measures, alert rules judge.
const ResultName = "model_performance"

// Tracker joins delayed labels to the predictions they are about and
// measures each model version's performance over windows of labelled
// predictions; see the package documentation.
//
// Observe and Results are called from one goroutine (it is shaped as a
// detectors.Detector; give it all records, of every model version: do not
// wrap it in detectors.PerModel, as labels name no model). Label, Last and
// Stats may be called from any goroutine at any time.
type Tracker struct {
	cfg  Config // with defaults
	task task   // of new model versions

	mu        sync.Mutex
	now       int64 // latest time seen, Unix ns
	pend      pending
	models    []*model
	byModel   map[modelKey]int32
	lastModel int32   // index of the last record's model version, or -1
	cur       request // the request of the last record

	stats counters
}

type modelKey struct{ name, version string }

// request is the request whose instances Observe is counting.
type request struct {
	id    string // as in the record, for comparison
	key   string // a copy of id once an instance is stored, else ""
	model int32
	n     int32 // instances seen
}

type counters struct {
	observed, synthetic, noRequestID, noPrediction, dropped,
	stored, evicted, expired,
	labelsMatched, labelsUnknown, labelsExpired, labelsDuplicate, labelsInvalid,
	windows, windowsDropped atomic.Uint64
	pending, models atomic.Int64
}

// Stats are a Tracker's counters since it was made. Observed = Synthetic +
// NoRequestID + NoPrediction + Dropped + Stored; every Label call counts
// once in exactly one of the Labels… counters.
type Stats struct {
	Observed     uint64 // records observed
	Synthetic    uint64 // synthetic records, left out
	NoRequestID  uint64 // records without a request id, or with one longer than MaxRequestIDBytes
	NoPrediction uint64 // records without the compared prediction value (or with NaN or ±Inf)
	Dropped      uint64 // records of model versions past MaxModels
	Stored       uint64 // predictions stored to wait for their labels

	Evicted uint64 // predictions dropped unlabelled to stay within MaxPending
	Expired uint64 // predictions dropped unlabelled after TTL
	Pending int    // predictions held now, labelled or not (at most MaxPending)

	LabelsMatched   uint64 // labels joined and added to a window
	LabelsUnknown   uint64 // ErrUnknownRequest
	LabelsExpired   uint64 // ErrExpired
	LabelsDuplicate uint64 // ErrDuplicate
	LabelsInvalid   uint64 // the other errors: index, no prediction, kind, value

	Windows        uint64 // windows closed and evaluated
	WindowsDropped uint64 // closed windows dropped before Results returned them (more than 16 per version between two calls)
	Models         int    // model versions tracked
}

// New returns a Tracker, or the error of cfg.Validate. Zero fields of cfg
// take their defaults.
func New(cfg Config) (*Tracker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("performance: %w", err)
	}
	cfg = cfg.withDefaults()
	t := &Tracker{
		cfg:       cfg,
		pend:      newPending(cfg.MaxPending),
		byModel:   map[modelKey]int32{},
		lastModel: -1,
		cur:       request{model: -1},
	}
	switch cfg.Task {
	case TaskClassification:
		t.task = classification
	case TaskRegression:
		t.task = regression
	}
	return t, nil
}

// Config returns the Tracker's configuration with its defaults set.
func (t *Tracker) Config() Config { return t.cfg }

// clock returns the time of tm in Unix ns, the latest seen when tm is zero
// or earlier, so that time never runs backwards.
func (t *Tracker) clock(tm time.Time) int64 {
	if !tm.IsZero() {
		t.now = max(t.now, tm.UnixNano())
	}
	return t.now
}

// Observe stores the prediction of r under its request id, to wait for its
// label; see the package documentation for what is stored and for how long.
// A record without a Time is taken at the latest time seen.
func (t *Tracker) Observe(r obs.Record) {
	c := &t.stats
	c.observed.Add(1)
	if r.Synthetic {
		c.synthetic.Add(1)
		return
	}
	if r.RequestID == "" || len(r.RequestID) > MaxRequestIDBytes {
		c.noRequestID.Add(1)
		return
	}
	pred, ok := t.prediction(&r)
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.clock(r.Time)
	t.expire(now)
	mi := t.model(r.Model, r.Version)
	index := t.instance(r.RequestID, mi)
	switch {
	case mi < 0:
		c.dropped.Add(1)
		return
	case !ok || index < 0:
		c.noPrediction.Add(1)
		return
	}
	if t.pend.len() == t.cfg.MaxPending {
		if labelled := t.pend.pop(); !labelled {
			c.evicted.Add(1)
		}
	}
	first := t.cur.key == ""
	if first {
		t.cur.key = strings.Clone(r.RequestID)
	}
	s := slot{id: t.cur.key, time: now, index: index, model: mi, kind: pred.Kind, num: pred.Num}
	if pred.Kind == obs.Category {
		s.str = clipCategory(pred.Str)
	}
	t.pend.add(s, first)
	c.stored.Add(1)
	c.pending.Store(int64(t.pend.len()))
}

// prediction returns the value of r compared with labels, and whether r
// has a usable one.
func (t *Tracker) prediction(r *obs.Record) (obs.Value, bool) {
	var v *obs.Value
	name := t.cfg.Prediction
	if name == "" {
		name = "label"
	}
	for i := range r.Prediction {
		if r.Prediction[i].Name == name {
			v = &r.Prediction[i]
			break
		}
	}
	if v == nil && t.cfg.Prediction == "" && len(r.Prediction) > 0 {
		v = &r.Prediction[0]
	}
	if v == nil || v.Kind == obs.Missing || v.Kind == obs.Number && (math.IsNaN(v.Num) || math.IsInf(v.Num, 0)) {
		return obs.Value{}, false
	}
	return *v, true
}

// model returns the index of a model version in t.models, added if needed,
// or -1 past MaxModels.
func (t *Tracker) model(name, version string) int32 {
	if i := t.lastModel; i >= 0 {
		if m := t.models[i]; m.name == name && m.version == version {
			return i
		}
	}
	i, ok := t.byModel[modelKey{name, version}]
	if !ok {
		if len(t.models) >= t.cfg.MaxModels {
			return -1
		}
		i = int32(len(t.models))
		m := &model{name: strings.Clone(name), version: strings.Clone(version), task: t.task}
		t.models = append(t.models, m)
		t.byModel[modelKey{m.name, m.version}] = i
		t.stats.models.Store(int64(len(t.models)))
	}
	t.lastModel = i
	return i
}

// instance returns the index of the record's instance within its request:
// records of one request come one after another, in instance order. It
// returns -1 past math.MaxInt32 instances.
func (t *Tracker) instance(id string, model int32) int32 {
	if t.cur.model != model || t.cur.id != id {
		t.cur = request{id: id, model: model}
	}
	if t.cur.n == math.MaxInt32 {
		return -1
	}
	t.cur.n++
	return t.cur.n - 1
}

// expire drops the predictions older than TTL at now.
func (t *Tracker) expire(now int64) {
	n := t.pend.len()
	for s := t.pend.oldest(); s != nil && now-s.time > int64(t.cfg.TTL); s = t.pend.oldest() {
		if !t.pend.pop() {
			t.stats.expired.Add(1)
		}
	}
	if t.pend.len() != n {
		t.stats.pending.Store(int64(t.pend.len()))
	}
}

// close closes the window of m at now.
func (t *Tracker) close(m *model, now time.Time) {
	if m.close(now) {
		t.stats.windowsDropped.Add(1)
	}
	t.stats.windows.Add(1)
}

// Results implements detectors.Detector: it closes the windows due at now
// (by Duration; windows full by count closed when their last label came),
// drops the predictions older than TTL, and appends one Result per metric
// of every window closed since the last call, oldest first (see
// ResultName).
func (t *Tracker) Results(now time.Time, dst []obs.Result) []obs.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.expire(t.clock(now))
	for _, m := range t.models {
		if m.pairs() > 0 && m.due(now, &t.cfg) {
			t.close(m, now)
		}
		for i := range m.ready {
			dst = appendResults(dst, &m.ready[i], t.cfg.Window)
		}
		clear(m.ready)
		m.ready = m.ready[:0]
	}
	return dst
}

// Last returns the latest closed window of every model version that has
// one, in the order the versions were first seen.
func (t *Tracker) Last() []Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Snapshot
	for _, m := range t.models {
		if m.last != nil {
			out = append(out, *m.last)
		}
	}
	return out
}

// Stats returns the Tracker's counters.
func (t *Tracker) Stats() Stats {
	c := &t.stats
	return Stats{
		Observed: c.observed.Load(), Synthetic: c.synthetic.Load(), NoRequestID: c.noRequestID.Load(),
		NoPrediction: c.noPrediction.Load(), Dropped: c.dropped.Load(), Stored: c.stored.Load(),
		Evicted: c.evicted.Load(), Expired: c.expired.Load(), Pending: int(c.pending.Load()),
		LabelsMatched: c.labelsMatched.Load(), LabelsUnknown: c.labelsUnknown.Load(),
		LabelsExpired: c.labelsExpired.Load(), LabelsDuplicate: c.labelsDuplicate.Load(),
		LabelsInvalid: c.labelsInvalid.Load(),
		Windows:       c.windows.Load(), WindowsDropped: c.windowsDropped.Load(),
		Models: int(c.models.Load()),
	}
}
