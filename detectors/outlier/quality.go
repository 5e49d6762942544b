package outlier

import (
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Kinds of data-quality issue, the kind label of ResultDataQuality and
// ResultFeatureQuality.
const (
	// QualityMissing: a reference feature absent from the record, or of
	// Kind obs.Missing (null).
	QualityMissing = "missing"
	// QualityNaN: NaN or ±Inf.
	QualityNaN = "nan"
	// QualityOutOfRange: a finite number outside the reference's
	// [min, max] for that feature.
	QualityOutOfRange = "out_of_range"
	// QualityUnseenCategory: a category the reference's categorical
	// column never holds.
	QualityUnseenCategory = "unseen_category"
	// QualityWrongType: a category (string) where the reference has
	// numbers, or a number where it has categories.
	QualityWrongType = "wrong_type"
)

var qualityKinds = [...]string{QualityMissing, QualityNaN, QualityOutOfRange, QualityUnseenCategory, QualityWrongType}

// Indexes in qualityKinds.
const (
	kMissing = iota
	kNaN
	kOutOfRange
	kUnseen
	kWrongType
	nKinds
)

// FeatureQuality is the number of values of one feature with one kind of
// issue since the Monitor was made.
type FeatureQuality struct {
	Feature, Kind string
	Count         uint64
}

// quality counts the data-quality issues of a Monitor's records per
// feature (the reference's, so the set is bounded) and kind.
type quality struct {
	names []string        // numeric features, then categorical ones
	tick  []int           // feature·nKinds + kind → issues since the last results
	shown []bool          // the pair had a ResultFeatureQuality at the last results
	total []atomic.Uint64 // since the start
}

func newQuality(names []string) *quality {
	n := len(names) * nKinds
	return &quality{names: names, tick: make([]int, n), shown: make([]bool, n), total: make([]atomic.Uint64, n)}
}

func (q *quality) add(feature, kind int) {
	q.tick[feature*nKinds+kind]++
	q.total[feature*nKinds+kind].Add(1)
}

// results appends one ResultDataQuality per kind, and one
// ResultFeatureQuality per feature and kind with issues since the last
// call or at the last call (its 0 lets an alert on it resolve), then
// starts a new window.
func (q *quality) results(now time.Time, model, version string, records int, dst []obs.Result) []obs.Result {
	var byKind [nKinds]int
	for i, n := range q.tick {
		byKind[i%nKinds] += n
	}
	for k, kind := range qualityKinds {
		sev := obs.OK
		if byKind[k] > 0 {
			sev = obs.Info
		}
		dst = append(dst, obs.Result{
			Name: ResultDataQuality, Labels: obs.Labels{"model": model, "version": version, "kind": kind},
			Time: now, Value: float64(byKind[k]), Severity: sev, Samples: records,
		})
	}
	for i, n := range q.tick {
		if n == 0 && !q.shown[i] {
			continue
		}
		q.shown[i] = n > 0
		sev := obs.OK
		if n > 0 {
			sev = obs.Info
		}
		dst = append(dst, obs.Result{
			Name:   ResultFeatureQuality,
			Labels: obs.Labels{"model": model, "version": version, "feature": q.names[i/nKinds], "kind": qualityKinds[i%nKinds]},
			Time:   now, Value: float64(n), Severity: sev, Samples: records,
		})
	}
	clear(q.tick)
	return dst
}

// counts appends the pairs with issues since the start to dst.
func (q *quality) counts(dst []FeatureQuality) []FeatureQuality {
	for i := range q.total {
		if n := q.total[i].Load(); n > 0 {
			dst = append(dst, FeatureQuality{Feature: q.names[i/nKinds], Kind: qualityKinds[i%nKinds], Count: n})
		}
	}
	return dst
}
