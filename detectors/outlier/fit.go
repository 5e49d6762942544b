package outlier

import (
	"fmt"
	"math"
	"slices"
)

// Method names a scorer.
type Method string

// The methods of Fit.
const (
	MethodZScore      Method = "zscore"
	MethodMahalanobis Method = "mahalanobis"
	MethodIForest     Method = "iforest"
	MethodKNN         Method = "knn"
)

// Methods lists the methods Fit knows, in a fixed order.
var Methods = []Method{MethodZScore, MethodMahalanobis, MethodIForest, MethodKNN}

// Folds is the number of folds of the out-of-fold calibration of Fit.
const Folds = 5

// Options set up Fit. The zero value with a Method is valid.
type Options struct {
	Method Method
	// FPR is the target false-positive rate on the reference, in (0, 1);
	// 0 means 0.005.
	FPR float64
	// K is the neighbour of MethodKNN; 0 means 5.
	K int
	// IForest sets up MethodIForest.
	IForest IForestConfig
}

// Model is a fitted scorer with its calibrated threshold.
type Model struct {
	Method    Method
	Scorer    Scorer
	Threshold float64 // a score above it is an outlier
	FPR       float64
}

// Outlier reports whether x scores above the threshold, and its score.
func (m *Model) Outlier(x []float64) (bool, float64) {
	s := m.Scorer.Score(x)
	return s > m.Threshold, s
}

// fitFunc fits one method on reference rows.
type fitFunc func(ref [][]float64, o *Options) Scorer

// fitters maps each method to its fitting function; Fit and Validate read
// the same map.
var fitters = map[Method]fitFunc{
	MethodZScore:      func(ref [][]float64, _ *Options) Scorer { return FitRobustZ(ref) },
	MethodMahalanobis: func(ref [][]float64, _ *Options) Scorer { return FitMahalanobis(ref) },
	MethodIForest:     func(ref [][]float64, o *Options) Scorer { return FitIForest(ref, o.IForest) },
	MethodKNN:         func(ref [][]float64, o *Options) Scorer { return FitKNN(ref, o.K) },
}

func (o *Options) defaults() {
	if o.FPR == 0 {
		o.FPR = 0.005
	}
	if o.K == 0 {
		o.K = 5
	}
}

// Validate checks o against a reference of rows rows.
func (o Options) Validate(rows int) error {
	o.defaults()
	if _, ok := fitters[o.Method]; !ok {
		return fmt.Errorf("unknown outlier method %q (want zscore, mahalanobis, iforest or knn)", o.Method)
	}
	if !(o.FPR > 0 && o.FPR < 1) {
		return fmt.Errorf("fpr %g: must be in (0, 1)", o.FPR)
	}
	minRows := 2
	switch o.Method {
	case MethodKNN:
		minRows = o.K + 2 // leave-one-out needs k other rows
	case MethodMahalanobis, MethodIForest:
		minRows = 2 * Folds
	}
	if rows < minRows {
		return fmt.Errorf("reference of %d rows: %s needs at least %d", rows, o.Method, minRows)
	}
	if o.K < 1 {
		return fmt.Errorf("k %d: must be at least 1", o.K)
	}
	return nil
}

// Fit fits the scorer of o.Method on the reference rows and calibrates its
// threshold to o.FPR (see Threshold) on scores of reference rows the
// scorer did not see:
//
//   - zscore: in-sample scores (a row moves a median or MAD by at most
//     one order statistic, so the bias is negligible);
//   - mahalanobis, iforest: out-of-fold scores, row i scored by a model
//     fitted on the rows of the other Folds−1 folds (fold = i mod Folds);
//   - knn: leave-one-out, the distance to the k-th nearest other row.
//
// In-sample scores would set the threshold too low relative to new data
// from the same population, and so flag more than FPR of it. Out-of-fold
// models see 4/5 of the rows, so their scores run slightly high and the
// threshold errs on the side of fewer flags (an iforest fold also uses
// ψ = min(256, 4n/5)). The model returned is fitted on all the rows.
//
// Cost: zscore O(n·d); mahalanobis O(n·d²); iforest 6 forests; knn's
// leave-one-out is O(n²·d), so keep a knn reference to thousands of rows.
// It returns the error of Validate, or one naming the first row that is
// ragged or has a NaN or ±Inf.
func Fit(ref [][]float64, o Options) (*Model, error) {
	if err := o.Validate(len(ref)); err != nil {
		return nil, err
	}
	for i, r := range ref {
		if len(r) == 0 || len(r) != len(ref[0]) {
			return nil, fmt.Errorf("reference row %d has %d values, row 0 has %d", i, len(r), len(ref[0]))
		}
		for j, v := range r {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("reference row %d, column %d is %v: want finite values", i, j, v)
			}
		}
	}
	if o.Method == MethodMahalanobis {
		for j := range ref[0] {
			var ss float64
			for _, r := range ref {
				ss += r[j] * r[j]
			}
			if math.IsInf(ss, 0) {
				return nil, fmt.Errorf("reference column %d: values too large for mahalanobis (their squares overflow); rescale it", j)
			}
		}
	}
	o.defaults()
	fit := fitters[o.Method]
	m := &Model{Method: o.Method, FPR: o.FPR, Scorer: fit(ref, &o)}
	scores := make([]float64, len(ref))
	switch o.Method {
	case MethodZScore:
		scores = ScoreRows(scores[:0], m.Scorer, ref)
	case MethodKNN:
		knn := m.Scorer.(*KNN)
		for i, r := range ref {
			scores[i] = knn.score(r, i)
		}
	default:
		var in, out [][]float64
		var at []int
		for f := range Folds {
			in, out, at = in[:0], out[:0], at[:0]
			for i, r := range ref {
				if i%Folds == f {
					out, at = append(out, r), append(at, i)
				} else {
					in = append(in, r)
				}
			}
			s := ScoreRows(nil, fit(in, &o), out)
			for p, i := range at {
				scores[i] = s[p]
			}
		}
	}
	m.Threshold = Threshold(slices.Clone(scores), o.FPR)
	return m, nil
}
