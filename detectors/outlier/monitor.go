package outlier

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Names of the Results a Monitor emits.
const (
	// ResultOutlierRate is one per call of Results with records since the
	// last: labels model, version, method; Value is the share of records
	// scored above the threshold, Samples the records scored. Severity is
	// Warning when the share is above FPR + 3·√(FPR(1−FPR)/Samples), the
	// binomial upper band of clean traffic, else OK.
	ResultOutlierRate = "outlier_rate"
	// ResultDataQuality is one per kind and call of Results with records
	// since the last: labels model, version, kind (one of the Quality*
	// constants); Value is the number of feature values with that issue,
	// Samples the records. Severity is Info when Value > 0, else OK.
	ResultDataQuality = "data_quality_issues"
	// ResultFeatureQuality is ResultDataQuality for one feature of the
	// reference (label feature): one per feature and kind with issues
	// since the last call of Results, and one with Value 0 after, so
	// that an alert on it resolves.
	ResultFeatureQuality = "feature_quality_issues"
)

// DefaultRecent is the default number of recent outliers a Monitor keeps.
const DefaultRecent = 100

// topFeatures is how many extreme features an Outlier carries.
const topFeatures = 3

// Config sets up a Monitor.
type Config struct {
	Model, Version string
	Options            // Method, FPR and the method's settings
	Recent         int // outliers kept for Recent; 0 means DefaultRecent
	// Categories are the reference's categorical features, by name, with
	// the categories each holds: their values are checked (unseen
	// categories, wrong types, missing), not scored.
	Categories map[string][]string
	// Fitted, when set, is a Model already fitted on the same reference
	// (by Fit with the same Options), shared by the Monitors of several
	// model versions; nil fits one.
	Fitted *Model
}

// FeatureZ is one extreme feature of an outlier.
type FeatureZ struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Z     float64 `json:"z"` // robust z-score, see RobustZ
}

// Outlier is one record scored above the threshold.
type Outlier struct {
	Time      time.Time  `json:"time"`
	RequestID string     `json:"request_id,omitempty"`
	Score     float64    `json:"score"`
	Threshold float64    `json:"threshold"`
	Features  []FeatureZ `json:"features"` // the most extreme first
}

// MonitorStats are a Monitor's counters since it was made.
type MonitorStats struct {
	Observed  uint64 // records scored
	Synthetic uint64 // synthetic records left out
	Outliers  uint64
	Unknown   uint64 // values of names the reference does not have, ignored
}

// Monitor is the live outlier detector of one model version: it scores
// each record's numeric features with a Model fitted on a given reference
// and counts the records above the threshold and the data-quality issues
// of their values.
//
// A feature of the reference that is missing from a record, not a number,
// NaN or ±Inf is counted as a data-quality issue and imputed with the
// reference median before scoring, so one bad value does not by itself
// make an outlier; a finite value outside the reference range is counted
// (out_of_range) and scored as it is. A categorical feature of the
// reference (Config.Categories) is only checked: missing, a category it
// never holds (unseen_category), a number (wrong_type). Every issue is
// counted per feature too (ResultFeatureQuality, Quality). Values of names
// the reference does not have are ignored and counted (Stats). Synthetic
// records are left out.
//
// Observe and Results must be called from one goroutine, like
// drift.Monitor; Recent and Stats may be called from any goroutine.
type Monitor struct {
	cfg      Config
	model    *Model
	z        *RobustZ
	names    []string
	col      map[string]int
	cache    []int // column by position in the last record; -1 none
	cacheKey []string
	row      []float64
	seen     []bool // by feature: numeric ones, then categorical ones
	top      []Extreme
	cats     []map[string]bool // the categories of feature len(names)+i
	quality  *quality

	// Since the last Results.
	records, outliers int
	now               time.Time

	mu     sync.Mutex
	recent []Outlier // ring of at most cap
	next   int       // where the next outlier goes once full

	observed, synthetic, nOutliers, unknown atomic.Uint64
}

// NewMonitor fits cfg.Method on the reference rows, whose columns are
// named by features, and returns a Monitor. It returns an error when the
// options are invalid, a name is repeated or empty, or the rows do not
// have len(features) columns.
func NewMonitor(cfg Config, features []string, ref [][]float64) (*Monitor, error) {
	wrap := func(err error) error {
		return fmt.Errorf("outlier monitor %s %s: %w", cfg.Model, cfg.Version, err)
	}
	if len(features) == 0 {
		return nil, wrap(fmt.Errorf("no features"))
	}
	col := make(map[string]int, len(features))
	all := slices.Clone(features)
	var cats []map[string]bool
	for _, n := range slices.Sorted(maps.Keys(cfg.Categories)) {
		all = append(all, n)
		set := map[string]bool{}
		for _, c := range cfg.Categories[n] {
			set[c] = true
		}
		cats = append(cats, set)
	}
	for i, n := range all {
		if n == "" {
			return nil, wrap(fmt.Errorf("feature %d has no name", i))
		}
		if _, dup := col[n]; dup {
			return nil, wrap(fmt.Errorf("feature %q listed twice", n))
		}
		col[n] = i
	}
	for i, r := range ref {
		if len(r) != len(features) {
			return nil, wrap(fmt.Errorf("reference row %d has %d values, want %d", i, len(r), len(features)))
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, wrap(fmt.Errorf("reference row %d: %s is %v", i, features[j], v))
			}
		}
	}
	model := cfg.Fitted
	if model == nil {
		var err error
		if model, err = Fit(ref, cfg.Options); err != nil {
			return nil, wrap(err)
		}
	}
	if cfg.Recent <= 0 {
		cfg.Recent = DefaultRecent
	}
	return &Monitor{
		cfg: cfg, model: model, z: FitRobustZ(ref),
		names: features, col: col, cats: cats, quality: newQuality(all),
		row: make([]float64, len(features)), seen: make([]bool, len(all)),
		recent: make([]Outlier, 0, cfg.Recent),
	}, nil
}

// Model returns the fitted model with its threshold.
func (m *Monitor) Model() *Model { return m.model }

// column returns the column of the i-th value of a record, named name, or
// -1; records of one model list their values in the same order, so the
// column found for each position is cached.
func (m *Monitor) column(i int, name string) int {
	if i < len(m.cache) && m.cacheKey[i] == name {
		return m.cache[i]
	}
	c, ok := m.col[name]
	if !ok {
		c = -1
	}
	if i < 4*len(m.names) {
		for len(m.cache) <= i {
			m.cache, m.cacheKey = append(m.cache, -1), append(m.cacheKey, "")
		}
		m.cache[i], m.cacheKey[i] = c, strings.Clone(name)
		if c >= 0 {
			m.cacheKey[i] = m.quality.names[c] // no copy of the record's name kept
		}
	}
	return c
}

// Observe scores a record and counts it.
func (m *Monitor) Observe(r obs.Record) {
	if r.Synthetic {
		m.synthetic.Add(1)
		return
	}
	if r.Time.After(m.now) {
		m.now = r.Time
	}
	clear(m.seen)
	for i := range r.Features {
		v := &r.Features[i]
		c := m.column(i, v.Name)
		if c < 0 {
			m.unknown.Add(1)
			continue
		}
		if m.seen[c] {
			continue // a repeated name: the first value counts
		}
		m.seen[c] = true
		if c >= len(m.names) {
			m.checkCategory(c, v)
			continue
		}
		bad := -1
		switch {
		case v.Kind == obs.Missing:
			bad = kMissing
		case v.Kind != obs.Number:
			bad = kWrongType
		case math.IsNaN(v.Num) || math.IsInf(v.Num, 0):
			bad = kNaN
		case v.Num < m.z.Min[c] || v.Num > m.z.Max[c]:
			m.quality.add(c, kOutOfRange)
		}
		m.row[c] = v.Num
		if bad >= 0 {
			m.quality.add(c, bad)
			m.row[c] = m.z.Median[c]
		}
	}
	for c, ok := range m.seen {
		if !ok {
			m.quality.add(c, kMissing)
			if c < len(m.names) {
				m.row[c] = m.z.Median[c]
			}
		}
	}
	m.records++
	m.observed.Add(1)
	out, score := m.model.Outlier(m.row)
	if !out {
		return
	}
	m.outliers++
	m.nOutliers.Add(1)
	m.top = m.z.Top(m.top[:0], m.row, topFeatures)
	o := Outlier{
		Time: r.Time, RequestID: r.RequestID, Score: score, Threshold: m.model.Threshold,
		Features: make([]FeatureZ, len(m.top)),
	}
	if o.Time.IsZero() {
		o.Time = m.now
	}
	for i, e := range m.top {
		o.Features[i] = FeatureZ{Name: m.names[e.Feature], Value: e.Value, Z: e.Z}
	}
	m.mu.Lock()
	if len(m.recent) < cap(m.recent) {
		m.recent = append(m.recent, o)
	} else {
		m.recent[m.next] = o
		m.next = (m.next + 1) % len(m.recent)
	}
	m.mu.Unlock()
}

// Recent appends the kept outliers to dst, newest first, and returns the
// extended slice. It is safe to call from any goroutine; the Features of
// the outliers must not be modified.
func (m *Monitor) Recent(dst []Outlier) []Outlier {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.recent)
	for i := range n {
		dst = append(dst, m.recent[(m.next-1-i+2*n)%n])
	}
	return dst
}

// Stats returns the Monitor's counters; it is safe from any goroutine.
func (m *Monitor) Stats() MonitorStats {
	return MonitorStats{
		Observed: m.observed.Load(), Synthetic: m.synthetic.Load(),
		Outliers: m.nOutliers.Load(), Unknown: m.unknown.Load(),
	}
}

// Results implements detectors.Detector: when records were observed since
// the last call, it appends one ResultOutlierRate and one
// ResultDataQuality per kind and the ResultFeatureQuality of the features
// with issues for them to dst, and starts a new window.
func (m *Monitor) Results(now time.Time, dst []obs.Result) []obs.Result {
	if m.records == 0 {
		return dst
	}
	n := float64(m.records)
	rate := float64(m.outliers) / n
	fpr := m.model.FPR
	band := fpr + 3*math.Sqrt(fpr*(1-fpr)/n)
	sev := obs.OK
	if rate > band {
		sev = obs.Warning
	}
	method := string(m.model.Method)
	dst = append(dst, obs.Result{
		Name:     ResultOutlierRate,
		Labels:   obs.Labels{"model": m.cfg.Model, "version": m.cfg.Version, "method": method},
		Time:     now,
		Value:    rate,
		Severity: sev,
		Samples:  m.records,
		Evidence: []obs.Field{
			{Key: "outliers", Value: strconv.Itoa(m.outliers)},
			{Key: "records", Value: strconv.Itoa(m.records)},
			{Key: "fpr", Value: formatFloat(fpr)},
			{Key: "expected_max", Value: formatFloat(band)},
			{Key: "threshold", Value: formatFloat(m.model.Threshold)},
		},
	})
	dst = m.quality.results(now, m.cfg.Model, m.cfg.Version, m.records, dst)
	m.records, m.outliers = 0, 0
	return dst
}

// checkCategory counts the issues of v, a value of the categorical
// feature c.
func (m *Monitor) checkCategory(c int, v *obs.Value) {
	switch {
	case v.Kind == obs.Missing:
		m.quality.add(c, kMissing)
	case v.Kind != obs.Category:
		m.quality.add(c, kWrongType)
	case !m.cats[c-len(m.names)][v.Str]:
		m.quality.add(c, kUnseen)
	}
}

// Quality returns, per feature and kind, the data-quality issues counted
// since the Monitor was made (only those with issues); it is safe from any
// goroutine.
func (m *Monitor) Quality() []FeatureQuality { return m.quality.counts(nil) }

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
