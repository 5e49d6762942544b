package outlier

import (
	"fmt"
	"testing"
)

// benchData returns n×d standard normal rows.
func benchData(seed uint64, n, d int) [][]float64 {
	rng := newRand(seed)
	buf := make([]float64, n*d)
	for i := range buf {
		buf[i] = rng.NormFloat64()
	}
	x := make([][]float64, n)
	for i := range x {
		x[i] = buf[i*d : (i+1)*d]
	}
	return x
}

// BenchmarkFitScore fits a scorer on 100,000 × 20 rows and scores the same
// 100,000 rows, like sklearn's fit(X).score_samples(X) in bench/outlier.sh
// ("raw"); "calibrated" is Fit, which adds the out-of-fold threshold.
// KNN, brute force, is measured on 10,000 reference rows and 1,000 queries.
func BenchmarkFitScore(b *testing.B) {
	const n, d = 100_000, 20
	x := benchData(1, n, d)
	out := make([]float64, 0, n)
	raw := map[Method]func() Scorer{
		MethodZScore:      func() Scorer { return FitRobustZ(x) },
		MethodMahalanobis: func() Scorer { return FitMahalanobis(x) },
		MethodIForest:     func() Scorer { return FitIForest(x, IForestConfig{}) },
	}
	for _, method := range []Method{MethodZScore, MethodMahalanobis, MethodIForest} {
		b.Run(fmt.Sprintf("raw/%s/%dx%d", method, n, d), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out = ScoreRows(out[:0], raw[method](), x)
			}
		})
		b.Run(fmt.Sprintf("calibrated/%s/%dx%d", method, n, d), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m, err := Fit(x, Options{Method: method})
				if err != nil {
					b.Fatal(err)
				}
				out = ScoreRows(out[:0], m.Scorer, x)
			}
		})
	}
	b.Run("raw/knn/10000x20+1000", func(b *testing.B) {
		ref, q := x[:10_000], x[10_000:11_000]
		b.ReportAllocs()
		for b.Loop() {
			out = ScoreRows(out[:0], FitKNN(ref, 5), q)
		}
	})
}

// BenchmarkMonitorObserve is the per-record cost of a live Monitor.
func BenchmarkMonitorObserve(b *testing.B) {
	names, train, test, _ := loadSplit(b)
	for _, method := range Methods {
		b.Run(string(method), func(b *testing.B) {
			m, err := NewMonitor(Config{Options: Options{Method: method}}, names, train)
			if err != nil {
				b.Fatal(err)
			}
			recs := make([]obsRecord, len(test))
			for i, x := range test {
				recs[i] = record(names, x, benchTime)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				m.Observe(recs[i%len(recs)])
				i++
			}
		})
	}
}
