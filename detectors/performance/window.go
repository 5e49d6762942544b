package performance

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// task is the task a model version's pairs are evaluated as.
type task uint8

const (
	undecided task = iota // TaskAuto before a pair settles it
	classification
	regression
)

func (k task) String() string {
	if k == regression {
		return TaskRegression
	}
	return TaskClassification // an undecided window is evaluated as one
}

// Metric names, the "metric" label of a ResultName Result.
const (
	MetricAccuracy  = "accuracy"
	MetricPrecision = "precision"
	MetricRecall    = "recall"
	MetricMAE       = "mae"
	MetricRMSE      = "rmse"
)

// Metric is one measure of a window.
type Metric struct {
	Name  string // one of the Metric… constants
	Value float64
}

// Snapshot is the performance of one model version over one window.
type Snapshot struct {
	Model, Version string
	Task           string    // TaskClassification or TaskRegression
	Start, End     time.Time // the window's first label, and when it closed
	Pairs          int       // labelled predictions in the window
	Classes        int       // classification: classes in the labels and predictions
	Refused        int       // labels of this version refused during the window
	// Metrics are accuracy, precision and recall for a classification,
	// mae and rmse for a regression. The slice is shared: do not modify it.
	Metrics []Metric
}

// maxReady bounds the closed windows of a model version kept until the
// next Results; older ones are dropped and counted.
const maxReady = 16

// model is the state of one model version: its task and its open window.
type model struct {
	name, version string
	task          task

	// The open window: class pairs for a classification, number pairs for
	// a regression or while undecided (integral numbers only).
	start         time.Time
	truthS, predS []string
	truthN, predN []float64
	refused       int
	ready         []Snapshot // closed, not yet returned by Results
	last          *Snapshot  // the latest closed window
}

func (m *model) pairs() int { return len(m.truthS) + len(m.truthN) }

// add adds a pair to the window, or returns ErrKindMismatch. Values are
// valid (Number finite, or Category); fixed says whether m.task is set by
// the configuration rather than decided by the labels.
func (m *model) add(truth, pred *obs.Value, now time.Time, fixed bool) error {
	isCat := truth.Kind == obs.Category || pred.Kind == obs.Category
	switch m.task {
	case regression:
		if isCat {
			if fixed {
				return errKindRegression
			}
			return errKindDecided
		}
	case undecided:
		switch {
		case isCat:
			m.task = classification
			m.toClasses()
		case !integral(truth.Num) || !integral(pred.Num):
			m.task = regression
		}
	}
	if m.pairs() == 0 {
		m.start = now
	}
	if m.task == classification {
		m.truthS = append(m.truthS, class(truth))
		m.predS = append(m.predS, class(pred))
	} else {
		m.truthN = append(m.truthN, truth.Num)
		m.predN = append(m.predN, pred.Num)
	}
	return nil
}

// toClasses moves the window's number pairs to class pairs.
func (m *model) toClasses() {
	for i := range m.truthN {
		m.truthS = append(m.truthS, numClass(m.truthN[i]))
		m.predS = append(m.predS, numClass(m.predN[i]))
	}
	m.truthN, m.predN = m.truthN[:0], m.predN[:0]
}

// close evaluates the window, keeps its Snapshot and empties it. It
// reports whether an unreported Snapshot was dropped to make room.
func (m *model) close(now time.Time) (dropped bool) {
	t := m.task
	if t == undecided {
		m.toClasses() // integral numbers only: class labels
	}
	s := Snapshot{
		Model: m.name, Version: m.version, Task: t.String(),
		Start: m.start, End: now, Pairs: m.pairs(), Refused: m.refused,
	}
	if t == regression {
		s.Metrics = []Metric{
			{MetricMAE, MAE(m.truthN, m.predN)},
			{MetricRMSE, RMSE(m.truthN, m.predN)},
		}
	} else {
		p, r, k := precisionRecall(m.truthS, m.predS)
		s.Classes = k
		s.Metrics = []Metric{
			{MetricAccuracy, Accuracy(m.truthS, m.predS)},
			{MetricPrecision, p},
			{MetricRecall, r},
		}
	}
	if len(m.ready) == maxReady {
		m.ready = append(m.ready[:0], m.ready[1:]...)
		dropped = true
	}
	m.ready = append(m.ready, s)
	m.last = &s
	clear(m.truthS)
	clear(m.predS)
	m.truthS, m.predS = m.truthS[:0], m.predS[:0]
	m.truthN, m.predN = m.truthN[:0], m.predN[:0]
	m.refused = 0
	return dropped
}

// due reports whether the window must close at now: count reached, or
// Duration passed with at least minLabels pairs.
func (m *model) due(now time.Time, cfg *Config) bool {
	n := m.pairs()
	return n >= cfg.Window || cfg.Duration > 0 && n >= cfg.MinLabels && now.Sub(m.start) >= cfg.Duration
}

// appendResults appends one Result per metric of s.
func appendResults(dst []obs.Result, s *Snapshot, window int) []obs.Result {
	for _, mt := range s.Metrics {
		ev := make([]obs.Field, 0, 6)
		ev = append(ev,
			obs.Field{Key: "task", Value: s.Task},
			obs.Field{Key: "labels", Value: strconv.Itoa(s.Pairs)},
			obs.Field{Key: "window", Value: strconv.Itoa(window)},
		)
		if s.Task == TaskClassification {
			ev = append(ev, obs.Field{Key: "classes", Value: strconv.Itoa(s.Classes)})
		}
		ev = append(ev,
			obs.Field{Key: "refused", Value: strconv.Itoa(s.Refused)},
			obs.Field{Key: "span", Value: s.End.Sub(s.Start).Round(time.Second).String()},
		)
		dst = append(dst, obs.Result{
			Name:     ResultName,
			Labels:   obs.Labels{"model": s.Model, "version": s.Version, "metric": mt.Name},
			Time:     s.End,
			Value:    mt.Value,
			Severity: obs.Info,
			Samples:  s.Pairs,
			Evidence: ev,
		})
	}
	return dst
}

// integral reports whether v is a whole number.
func integral(v float64) bool { return v == math.Trunc(v) && !math.IsInf(v, 0) }

// class returns the class name of a valid value.
func class(v *obs.Value) string {
	if v.Kind == obs.Category {
		return v.Str
	}
	return numClass(v.Num)
}

// numClass names the class of a number by its shortest decimal form: 1 is
// "1" (the same class as the category "1", not "1.0"), 2.5 is "2.5".
func numClass(v float64) string {
	if integral(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10) // no allocation below 100
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// clipCategory returns s, or a copy of its first MaxCategoryBytes bytes
// cut on a rune boundary.
func clipCategory(s string) string {
	if len(s) <= MaxCategoryBytes {
		return s
	}
	n := MaxCategoryBytes
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return strings.Clone(s[:n])
}
