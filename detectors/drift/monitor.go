package drift

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/detectors/stream"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// Names of the Results a Monitor emits.
const (
	// ResultFeature is one per tested column and window: Value is the
	// test's statistic, Severity Warning when the column drifted.
	ResultFeature = "feature_drift"
	// ResultDataset is one per window: Value 1 when the dataset drifted,
	// else 0, Severity Warning when it drifted.
	ResultDataset = "dataset_drift"
)

// Monitor is the live drift detector of one model version. It compares
// windows of records (see stream.Window) with a reference, with Compare,
// and emits one Result per column and one for the dataset each time a
// window is complete. Prediction values are compared as columns named
// PredictionPrefix+name (output drift).
//
// A record becomes one row: a Number value goes to a numeric column (NaN
// and ±Inf count as missing), a Category to a categorical one; a value of
// the other kind than its column's (a number in a categorical column, or
// the reverse) is counted and treated as missing, and so is a column absent
// from the record. Names the reference does not have are ignored and
// counted, and the report of the window says so. Synthetic records are
// counted and left out of everything.
//
// Observe and Results must be called from one goroutine; LastReport, Last
// and Stats may be called from any goroutine at any time. Memory is bounded
// by the window's Cap() rows of at most MaxColumns values, plus the
// reference.
type Monitor struct {
	cfg         MonitorConfig
	opt         Options
	win         *stream.Window
	minRecords  int
	maxColumns  int
	features    bool
	predictions bool
	now         time.Time // latest time seen

	// While ReferenceFirst records are collected, ref is nil and building
	// holds the columns.
	ref            []Column
	building       []refColumn
	refRows        int
	refFrom, refTo time.Time // of the records collected as the reference
	refWindow      string    // the reference_window evidence

	featCol, predCol     map[string]int // name → column
	featCache, predCache []nameCol      // column by position in the record
	categorical          []bool         // per column
	pos                  []int          // per column: index in a numeric or string row
	nNum, nStr           int
	num                  []float64 // Cap() rows of nNum
	str                  []string  // Cap() rows of nStr

	cur   []Column // the window's columns, reused
	slots []int

	// Since the last evaluation, for the report's warnings.
	winUnknown, winKind, winSynthetic, winTruncated int
	unknownNames                                    []string

	stats monitorCounters
	last  atomic.Pointer[lastReport]
}

type nameCol struct {
	name string
	col  int // -1: not a column
}

type refColumn struct {
	name string
	kind obs.Kind // Missing until the first value
	n    int      // rows
	num  []float64
	str  []string
}

type lastReport struct {
	rep *Report
	at  time.Time
}

type monitorCounters struct {
	observed, synthetic, sampled, kindChanges, unknown, droppedColumns,
	truncated, windows, skipped, errors atomic.Uint64
	referenceRows atomic.Int64
	lastError     atomic.Pointer[string]
}

// MonitorStats are a Monitor's counters since it was made.
type MonitorStats struct {
	Observed        uint64 // non-synthetic records observed, reference included
	Synthetic       uint64 // synthetic records left out
	Sampled         uint64 // records left out of a full window by sampling
	KindChanges     uint64 // values of the other kind than their column, treated as missing
	UnknownFeatures uint64 // values whose name the reference does not have
	DroppedColumns  uint64 // values of names past MaxColumns while collecting the reference
	Truncated       uint64 // categories cut to MaxCategoryBytes
	Windows         uint64 // windows compared
	SkippedWindows  uint64 // complete windows with fewer than MinRecords records
	Errors          uint64 // windows whose comparison failed
	LastError       string
	ReferenceRows   int // 0 while the reference is being collected
}

// NewMonitor returns a Monitor, or the error of cfg.Validate.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("drift monitor %s %s: %w", cfg.Model, cfg.Version, err)
	}
	win, err := stream.NewWindow(cfg.Window)
	if err != nil {
		return nil, err
	}
	m := &Monitor{
		cfg: cfg, opt: cfg.Options, win: win,
		minRecords: max(cfg.MinRecords, 1), maxColumns: cfg.maxColumns(),
		features: cfg.testsFeatures(), predictions: cfg.testsPredictions(),
		featCol: map[string]int{}, predCol: map[string]int{},
	}
	if m.opt.Test == "" {
		m.opt = LiveOptions()
		m.opt.Yield = cfg.Options.Yield
	}
	m.opt.Progress = nil
	if cfg.Reference != nil {
		ref := cfg.selectReference()
		for i, c := range ref {
			if name, ok := strings.CutPrefix(c.Name, PredictionPrefix); ok {
				m.predCol[name] = i
			} else {
				m.featCol[c.Name] = i
			}
		}
		m.setReference(ref)
	}
	return m, nil
}

// setReference freezes the reference and lays out the window's rows; the
// name maps are already set.
func (m *Monitor) setReference(ref []Column) {
	m.ref = ref
	switch rows := 0; {
	case m.cfg.Reference != nil:
		if len(ref) > 0 {
			rows = max(len(ref[0].Num), len(ref[0].Str))
		}
		m.refWindow = fmt.Sprintf("%d rows", rows)
		if m.cfg.ReferenceName != "" {
			m.refWindow = fmt.Sprintf("%s (%d rows)", m.cfg.ReferenceName, rows)
		}
	default:
		m.refWindow = fmt.Sprintf("first %d records, %s to %s", m.refRows,
			m.refFrom.UTC().Format(time.RFC3339), m.refTo.UTC().Format(time.RFC3339))
	}
	m.building = nil
	m.categorical = make([]bool, len(ref))
	m.pos = make([]int, len(ref))
	m.cur = make([]Column, len(ref))
	for i, c := range ref {
		m.categorical[i] = c.Categorical
		m.cur[i] = Column{Name: c.Name, Categorical: c.Categorical}
		if c.Categorical {
			m.pos[i] = m.nStr
			m.nStr++
		} else {
			m.pos[i] = m.nNum
			m.nNum++
		}
	}
	n := m.win.Cap()
	m.num = make([]float64, n*m.nNum)
	m.str = make([]string, n*m.nStr)
	m.stats.referenceRows.Store(int64(rows(ref)))
}

func (m *Monitor) clock(t time.Time) time.Time {
	if t.After(m.now) {
		m.now = t
	}
	return m.now
}

// Observe adds a record: to the reference while ReferenceFirst records are
// being collected, then to the window. A record without a time is taken at
// the latest time seen.
func (m *Monitor) Observe(r obs.Record) {
	if r.Synthetic {
		m.stats.synthetic.Add(1)
		m.winSynthetic++
		return
	}
	m.stats.observed.Add(1)
	now := m.clock(r.Time)
	if m.ref == nil {
		if m.refRows == 0 {
			m.refFrom = now
		}
		m.refTo = now
		m.addReference(&r)
		return
	}
	slot, ok := m.win.Admit(now)
	m.stats.sampled.Store(m.win.Sampled())
	if !ok {
		return
	}
	num := m.num[slot*m.nNum : (slot+1)*m.nNum]
	for i := range num {
		num[i] = math.NaN()
	}
	str := m.str[slot*m.nStr : (slot+1)*m.nStr]
	clear(str)
	if m.features {
		for i := range r.Features {
			m.setRow(num, str, m.lookup(&m.featCache, m.featCol, i, r.Features[i].Name, false), &r.Features[i])
		}
	}
	if m.predictions {
		for i := range r.Prediction {
			m.setRow(num, str, m.lookup(&m.predCache, m.predCol, i, r.Prediction[i].Name, true), &r.Prediction[i])
		}
	}
}

// lookup returns the column of the i-th value of a record, named name, or
// -1. Records of one model usually list their values in the same order, so
// the column found for each position is cached and a hit costs a string
// comparison (usually of two pointers to the same interned name).
func (m *Monitor) lookup(cache *[]nameCol, index map[string]int, i int, name string, pred bool) int {
	if c := *cache; i < len(c) && c[i].name == name {
		return c[i].col
	}
	col, ok := index[name]
	if !ok {
		col = -1
		if m.ref == nil {
			if len(m.building) < m.maxColumns {
				col = len(m.building)
				display := name
				if pred {
					display = PredictionPrefix + name
				}
				name = strings.Clone(name)
				m.building = append(m.building, refColumn{name: display, n: m.refRows + 1})
				index[name] = col
			} else {
				m.stats.droppedColumns.Add(1)
			}
		}
	}
	if i < m.maxColumns {
		for len(*cache) <= i {
			*cache = append(*cache, nameCol{col: -1})
		}
		(*cache)[i] = nameCol{name: name, col: col}
	}
	return col
}

// setRow stores v in a window row, or counts why it cannot.
func (m *Monitor) setRow(num []float64, str []string, col int, v *obs.Value) {
	if col < 0 {
		m.stats.unknown.Add(1)
		m.winUnknown++
		if len(m.unknownNames) < 5 && !slices.Contains(m.unknownNames, v.Name) {
			m.unknownNames = append(m.unknownNames, clip(v.Name, 64))
		}
		return
	}
	switch {
	case v.Kind == obs.Missing:
	case m.categorical[col] && v.Kind == obs.Category:
		str[m.pos[col]] = m.category(v.Str)
	case !m.categorical[col] && v.Kind == obs.Number:
		if !math.IsInf(v.Num, 0) {
			num[m.pos[col]] = v.Num
		}
	default:
		m.stats.kindChanges.Add(1)
		m.winKind++
	}
}

// category returns s, or a copy of its first MaxCategoryBytes bytes.
func (m *Monitor) category(s string) string {
	if len(s) <= MaxCategoryBytes {
		return s
	}
	m.stats.truncated.Add(1)
	m.winTruncated++
	return strings.Clone(clip(s, MaxCategoryBytes))
}

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// addReference adds a record to the reference being collected, and freezes
// the reference at ReferenceFirst records.
func (m *Monitor) addReference(r *obs.Record) {
	row := m.refRows
	for i := range m.building {
		c := &m.building[i]
		c.n = row + 1
		switch c.kind {
		case obs.Number:
			c.num = append(c.num, math.NaN())
		case obs.Category:
			c.str = append(c.str, "")
		}
	}
	if m.features {
		for i := range r.Features {
			m.setReference1(m.lookup(&m.featCache, m.featCol, i, r.Features[i].Name, false), row, &r.Features[i])
		}
	}
	if m.predictions {
		for i := range r.Prediction {
			m.setReference1(m.lookup(&m.predCache, m.predCol, i, r.Prediction[i].Name, true), row, &r.Prediction[i])
		}
	}
	m.refRows++
	if m.refRows < m.cfg.ReferenceFirst {
		return
	}
	ref := make([]Column, len(m.building))
	for i, c := range m.building {
		ref[i] = Column{Name: c.name, Categorical: c.kind == obs.Category, Num: c.num, Str: c.str}
		if c.kind == obs.Missing {
			ref[i].Num = slices.Repeat([]float64{math.NaN()}, m.refRows)
		}
	}
	m.setReference(ref)
	m.resetWindowCounts()
}

// setReference1 stores v in row of reference column col.
func (m *Monitor) setReference1(col, row int, v *obs.Value) {
	if col < 0 || v.Kind == obs.Missing {
		return
	}
	c := &m.building[col]
	if c.kind == obs.Missing {
		// The first value decides the column's type.
		c.kind = v.Kind
		if v.Kind == obs.Number {
			c.num = slices.Grow(slices.Repeat([]float64{math.NaN()}, c.n), m.cfg.ReferenceFirst-c.n)
		} else {
			c.str = slices.Grow(make([]string, c.n), m.cfg.ReferenceFirst-c.n)
		}
	}
	switch {
	case c.kind == obs.Number && v.Kind == obs.Number:
		if !math.IsInf(v.Num, 0) {
			c.num[row] = v.Num
		}
	case c.kind == obs.Category && v.Kind == obs.Category:
		c.str[row] = m.category(v.Str)
	default:
		m.stats.kindChanges.Add(1)
	}
}

// Results implements detectors.Detector: when the window is complete at
// now, it compares it with the reference, keeps the report (LastReport)
// and appends the Results to dst (see ResultFeature and ResultDataset).
func (m *Monitor) Results(now time.Time, dst []obs.Result) []obs.Result {
	now = m.clock(now)
	if m.ref == nil || !m.win.Due(now) {
		return dst
	}
	m.slots = m.win.Slots(m.slots[:0])
	seen := m.win.Seen()
	m.win.Done(now)
	if len(m.slots) < m.minRecords {
		m.stats.skipped.Add(1)
		m.resetWindowCounts()
		return dst
	}
	for i := range m.cur {
		c, p := &m.cur[i], m.pos[i]
		if c.Categorical {
			c.Str = c.Str[:0]
			for _, s := range m.slots {
				c.Str = append(c.Str, m.str[s*m.nStr+p])
			}
		} else {
			c.Num = c.Num[:0]
			for _, s := range m.slots {
				c.Num = append(c.Num, m.num[s*m.nNum+p])
			}
		}
	}
	rep, err := Compare(m.ref, m.cur, m.opt)
	if err != nil {
		m.stats.errors.Add(1)
		msg := err.Error()
		m.stats.lastError.Store(&msg)
		m.resetWindowCounts()
		return dst
	}
	m.stats.windows.Add(1)
	rep.Warnings = append(rep.Warnings, m.windowWarnings(len(m.slots), seen)...)
	m.resetWindowCounts()
	m.last.Store(&lastReport{rep: rep, at: now})
	return m.appendResults(dst, rep, now)
}

func (m *Monitor) resetWindowCounts() {
	m.winUnknown, m.winKind, m.winSynthetic, m.winTruncated = 0, 0, 0, 0
	m.unknownNames = m.unknownNames[:0]
}

// windowWarnings says what was left out of the window since the last
// evaluation. Names of features are quoted; values never are.
func (m *Monitor) windowWarnings(n, seen int) []string {
	var w []string
	if seen > n {
		w = append(w, fmt.Sprintf("window sampled: %d of %d records compared", n, seen))
	}
	if m.winUnknown > 0 {
		w = append(w, fmt.Sprintf("%d values of features not in the reference ignored (%s)", m.winUnknown, quoteList(m.unknownNames)))
	}
	if m.winKind > 0 {
		w = append(w, fmt.Sprintf("%d values of another type than their column's (number vs category) treated as missing", m.winKind))
	}
	if m.winTruncated > 0 {
		w = append(w, fmt.Sprintf("%d categories longer than %d bytes cut", m.winTruncated, MaxCategoryBytes))
	}
	if m.winSynthetic > 0 {
		w = append(w, fmt.Sprintf("%d synthetic records left out", m.winSynthetic))
	}
	return w
}

// appendResults appends one Result per feature of rep and one for the
// dataset.
func (m *Monitor) appendResults(dst []obs.Result, rep *Report, now time.Time) []obs.Result {
	for i := range rep.Features {
		f := &rep.Features[i]
		ev := make([]obs.Field, 0, 10)
		if f.AdjustedPValue != nil {
			ev = append(ev, obs.Field{Key: "adjusted_p_value", Value: formatFloat(*f.AdjustedPValue)})
		}
		if f.PValue != nil {
			ev = append(ev, obs.Field{Key: "p_value", Value: formatFloat(*f.PValue)})
		}
		ev = append(ev,
			obs.Field{Key: "statistic", Value: formatFloat(f.Statistic)},
			obs.Field{Key: "threshold", Value: formatFloat(f.Threshold)},
			obs.Field{Key: "effect_size", Value: formatFloat(f.EffectSize)},
			obs.Field{Key: "effect_measure", Value: f.EffectMeasure},
			obs.Field{Key: "reference_count", Value: strconv.Itoa(f.ReferenceCount)},
			obs.Field{Key: "current_count", Value: strconv.Itoa(f.CurrentCount)},
			obs.Field{Key: "current_missing", Value: strconv.Itoa(f.CurrentMissing)},
			obs.Field{Key: "reference_window", Value: m.refWindow},
		)
		if f.Note != "" {
			ev = append(ev, obs.Field{Key: "note", Value: f.Note})
		}
		sev := obs.OK
		if f.Drift {
			sev = obs.Warning
		}
		dst = append(dst, obs.Result{
			Name:     ResultFeature,
			Labels:   obs.Labels{"model": m.cfg.Model, "version": m.cfg.Version, "feature": f.Name, "test": f.Test},
			Time:     now,
			Value:    f.Statistic,
			Severity: sev,
			Samples:  rep.CurrentRows,
			Evidence: ev,
		})
	}
	ev := []obs.Field{
		{Key: "drifted_features", Value: strconv.Itoa(rep.DriftedFeatures)},
		{Key: "features", Value: strconv.Itoa(len(rep.Features))},
		{Key: "drift_share", Value: formatFloat(rep.DriftShare)},
	}
	if top := rep.TopDrifted(3); len(top) > 0 {
		ev = append(ev, obs.Field{Key: "top_features", Value: topFeatures(top)})
		f := top[0]
		ev = append(ev,
			obs.Field{Key: "top_feature", Value: f.Name},
			obs.Field{Key: "test", Value: f.Test},
			obs.Field{Key: "statistic", Value: formatFloat(f.Statistic)})
		if f.PValue != nil {
			ev = append(ev, obs.Field{Key: "p_value", Value: formatFloat(*f.PValue)})
		}
		ev = append(ev, obs.Field{Key: "effect_size", Value: formatFloat(f.EffectSize)})
	}
	if mv := rep.Multivariate; mv != nil {
		ev = append(ev, obs.Field{Key: "mmd_p_value", Value: formatFloat(mv.PValue)})
	}
	ev = append(ev,
		obs.Field{Key: "reference_rows", Value: strconv.Itoa(rep.ReferenceRows)},
		obs.Field{Key: "current_rows", Value: strconv.Itoa(rep.CurrentRows)},
		obs.Field{Key: "reference_window", Value: m.refWindow},
	)
	if len(rep.Warnings) > 0 {
		ev = append(ev, obs.Field{Key: "warnings", Value: strconv.Itoa(len(rep.Warnings))})
	}
	res := obs.Result{
		Name:     ResultDataset,
		Labels:   obs.Labels{"model": m.cfg.Model, "version": m.cfg.Version},
		Time:     now,
		Samples:  rep.CurrentRows,
		Evidence: ev,
	}
	if rep.Drift {
		res.Value, res.Severity = 1, obs.Warning
	}
	return append(dst, res)
}

// topFeatures names the features with their effect size:
// "mean radius (0.41), worst area (0.38)".
func topFeatures(top []*Feature) string {
	var b strings.Builder
	for i, f := range top {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s (%.2g)", f.Name, f.EffectSize)
	}
	return b.String()
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// LastReport returns the report of the last window compared, or nil. The
// report must not be modified.
func (m *Monitor) LastReport() *Report {
	rep, _ := m.Last()
	return rep
}

// Last returns the report of the last window compared and the time it was
// compared at, or nil and the zero time.
func (m *Monitor) Last() (*Report, time.Time) {
	if l := m.last.Load(); l != nil {
		return l.rep, l.at
	}
	return nil, time.Time{}
}

// Stats returns the Monitor's counters.
func (m *Monitor) Stats() MonitorStats {
	s := &m.stats
	st := MonitorStats{
		Observed: s.observed.Load(), Synthetic: s.synthetic.Load(), Sampled: s.sampled.Load(),
		KindChanges: s.kindChanges.Load(), UnknownFeatures: s.unknown.Load(),
		DroppedColumns: s.droppedColumns.Load(), Truncated: s.truncated.Load(),
		Windows: s.windows.Load(), SkippedWindows: s.skipped.Load(), Errors: s.errors.Load(),
	}
	if e := s.lastError.Load(); e != nil {
		st.LastError = *e
	}
	st.ReferenceRows = int(s.referenceRows.Load())
	return st
}
