package drift

import (
	"fmt"
	"math"
	"testing"
)

// chiTestClose reports whether got is within rel of want relatively, or within
// abs absolutely (for values near zero).
func chiTestClose(got, want, rel, abs float64) bool {
	if math.IsNaN(want) || math.IsInf(want, 0) {
		return math.IsNaN(got) && math.IsNaN(want) || got == want
	}
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// Expected values come from /usr/bin/python3 with scipy 1.10.1, numpy 1.24:
//
//	import numpy as np
//	from scipy.stats import chi2_contingency
//	def f(ref, cur):
//	    t = np.array([ref, cur], dtype=float)
//	    keep = t.sum(axis=0) > 0
//	    r = chi2_contingency(t[:, keep], correction=False)
//	    print(repr(r.statistic), repr(r.pvalue), r.dof)
//
// and each case's comment gives the call.
func TestChiSquare(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []float64
		stat, p  float64
		dof      int
	}{
		{
			// f([10, 10, 20], [20, 20, 20]) (the scipy docstring table)
			name: "scipy docstring",
			ref:  []float64{10, 10, 20}, cur: []float64{20, 20, 20},
			stat: 2.7777777777777777, p: 0.24935220877729622, dof: 2,
		},
		{
			// f([30, 0, 5, 0], [25, 0, 15, 3]): column 1 is dropped, column 3 is zero in ref only.
			name: "zero cells",
			ref:  []float64{30, 0, 5, 0}, cur: []float64{25, 0, 15, 3},
			stat: 7.715191784959229, p: 0.02111871019165963, dof: 2,
		},
		{
			// f([100, 200], [120, 180]): one degree of freedom, no Yates correction.
			name: "2x2 uncorrected",
			ref:  []float64{100, 200}, cur: []float64{120, 180},
			stat: 2.8708133971291865, p: 0.09019927243804592, dof: 1,
		},
		{
			// f([5000, 4000], [4800, 4300])
			name: "large counts",
			ref:  []float64{5000, 4000}, cur: []float64{4800, 4300},
			stat: 14.372958680802341, p: 0.0001499401749408327, dof: 1,
		},
		{
			// f([1000, 10, 500, 3, 70, 250, 80, 40, 2, 45], [900, 30, 480, 9, 60, 300, 85, 20, 1, 100])
			name: "many categories",
			ref:  []float64{1000, 10, 500, 3, 70, 250, 80, 40, 2, 45},
			cur:  []float64{900, 30, 480, 9, 60, 300, 85, 20, 1, 100},
			stat: 51.94386483029237, p: 4.632156448322684e-08, dof: 9,
		},
		{
			// f([500, 500, 0], [300, 300, 400])
			name: "tiny p-value",
			ref:  []float64{500, 500, 0}, cur: []float64{300, 300, 400},
			stat: 500.0, p: 2.6691902155412655e-109, dof: 2,
		},
		{
			// f([1000, 0], [0, 1000]): the p-value underflows to 0 in scipy too.
			name: "disjoint supports",
			ref:  []float64{1000, 0}, cur: []float64{0, 1000},
			stat: 2000.0, p: 0.0, dof: 1,
		},
		{
			// f([0.5, 1.5, 2.0], [1.0, 1.0, 3.0]): fractional counts are accepted.
			name: "fractional counts",
			ref:  []float64{0.5, 1.5, 2.0}, cur: []float64{1.0, 1.0, 3.0},
			stat: 0.35999999999999993, p: 0.835270211411272, dof: 2,
		},
		{
			// f([3, 1], [3, 1])
			name: "identical rows",
			ref:  []float64{3, 1}, cur: []float64{3, 1},
			stat: 0, p: 1, dof: 1,
		},
		// The remaining cases are our documented conventions: scipy returns
		// 0, 1, 0 for a single column and raises for an empty row.
		{
			name: "single category",
			ref:  []float64{0, 7, 0}, cur: []float64{0, 3, 0},
			stat: 0, p: 1, dof: 0,
		},
		{
			name: "empty row",
			ref:  []float64{4, 6}, cur: []float64{0, 0},
			stat: 0, p: 1, dof: 0,
		},
		{
			name: "empty table",
			ref:  nil, cur: nil,
			stat: 0, p: 1, dof: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stat, p, dof := ChiSquare(tc.ref, tc.cur)
			if !chiTestClose(stat, tc.stat, 1e-6, 1e-12) {
				t.Errorf("stat = %v, want %v", stat, tc.stat)
			}
			if !chiTestClose(p, tc.p, 1e-4, 1e-8) {
				t.Errorf("p = %v, want %v", p, tc.p)
			}
			if dof != tc.dof {
				t.Errorf("dof = %d, want %d", dof, tc.dof)
			}
			// The test is symmetric in its rows.
			s2, p2, d2 := ChiSquare(tc.cur, tc.ref)
			if !chiTestClose(s2, stat, 1e-12, 1e-12) || !chiTestClose(p2, p, 1e-12, 0) || d2 != dof {
				t.Errorf("swapped rows give (%v, %v, %d), want (%v, %v, %d)", s2, p2, d2, stat, p, dof)
			}
		})
	}
}

func TestChiSquareLengthMismatch(t *testing.T) {
	defer func() {
		if r := recover(); r != chiLengthMismatch {
			t.Errorf("recovered %v, want %q", r, chiLengthMismatch)
		}
	}()
	ChiSquare([]float64{1, 2}, []float64{1})
}

func ExampleChiSquare() {
	// Category counts of a feature in the reference and current windows.
	ref := []float64{10, 10, 20}
	cur := []float64{20, 20, 20}
	stat, p, dof := ChiSquare(ref, cur)
	fmt.Printf("stat=%.4f p=%.4f dof=%d\n", stat, p, dof)
	// Output:
	// stat=2.7778 p=0.2494 dof=2
}
