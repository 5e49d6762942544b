package drift

import (
	"fmt"
	"math"
	"testing"
)

var corrNaN = math.NaN()

// corrTestEqual reports whether got and want have equal lengths and agree
// within rel relatively, NaN matching NaN.
func corrTestEqual(got, want []float64, rel float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.IsNaN(want[i]) {
			if !math.IsNaN(got[i]) {
				return false
			}
			continue
		}
		if math.Abs(got[i]-want[i]) > rel*math.Abs(want[i]) {
			return false
		}
	}
	return true
}

// corrTestCase is one vector of p-values with its adjusted values.
type corrTestCase struct {
	name    string
	p       []float64
	bh, bon []float64
}

// corrTestCases returns the cases shared by the correction tests.
// statsmodels is not installed next to /usr/bin/python3, so the expected
// values come from its fdr_bh algorithm written out in numpy 1.24, with NaNs
// set aside first (R's p.adjust convention):
//
//	def bh(p):
//	    # statsmodels.stats.multitest.multipletests(p, method='fdr_bh')[1]
//	    p = np.asarray(p, float); m = len(p)
//	    o = np.argsort(p, kind='mergesort'); ps = p[o]
//	    raw = ps / (np.arange(1, m + 1) / m)
//	    adj = np.minimum.accumulate(raw[::-1])[::-1]
//	    adj[adj > 1] = 1
//	    out = np.empty(m); out[o] = adj
//	    return out
//	def nanbh(p):
//	    p = np.asarray(p, float); out = np.full(len(p), np.nan); ok = ~np.isnan(p)
//	    out[ok] = bh(p[ok]); return out
//
// The Bonferroni values are min(1, m·p) by hand.
func corrTestCases() []corrTestCase {
	return []corrTestCase{
		{
			name: "five tests",
			p:    []float64{0.01, 0.04, 0.03, 0.005, 0.2},
			bh:   []float64{0.024999999999999998, 0.049999999999999996, 0.049999999999999996, 0.024999999999999998, 0.2},
			bon:  []float64{0.05, 0.2, 0.15, 0.025, 1},
		},
		{
			name: "single test",
			p:    []float64{0.5},
			bh:   []float64{0.5},
			bon:  []float64{0.5},
		},
		{
			name: "ties",
			p:    []float64{0.02, 0.02, 0.02, 0.9},
			bh:   []float64{0.02666666666666667, 0.02666666666666667, 0.02666666666666667, 0.9},
			bon:  []float64{0.08, 0.08, 0.08, 1},
		},
		{
			name: "step-up monotone",
			p:    []float64{0.9, 0.8, 0.95},
			bh:   []float64{0.95, 0.95, 0.95},
			bon:  []float64{1, 1, 1},
		},
		{
			name: "eight tests",
			p:    []float64{1e-10, 0.3, 0.001, 0.049, 0.051, 0.7, 0.04, 0.0125},
			bh: []float64{8e-10, 0.34285714285714286, 0.004, 0.06799999999999999, 0.06799999999999999,
				0.7, 0.06799999999999999, 0.03333333333333333},
			bon: []float64{8e-10, 1, 0.008, 0.392, 0.408, 1, 0.32, 0.1},
		},
		{
			// NaNs stay NaN and m is 3.
			name: "NaN p-values",
			p:    []float64{0.01, corrNaN, 0.04, 0.03, corrNaN},
			bh:   []float64{0.030000000000000002, corrNaN, 0.04, 0.04, corrNaN},
			bon:  []float64{0.03, corrNaN, 0.12, 0.09, corrNaN},
		},
		{name: "all NaN", p: []float64{corrNaN, corrNaN}, bh: []float64{corrNaN, corrNaN}, bon: []float64{corrNaN, corrNaN}},
		{name: "empty", p: []float64{}, bh: []float64{}, bon: []float64{}},
	}
}

// corrTestRun checks f against the expected values that want picks from each
// case, with a nil dst, a reused dst with stale content, and in place.
func corrTestRun(t *testing.T, f func(dst, p []float64) []float64, want func(corrTestCase) []float64) {
	t.Helper()
	for _, tc := range corrTestCases() {
		w := want(tc)
		t.Run(tc.name, func(t *testing.T) {
			orig := append([]float64(nil), tc.p...)
			if got := f(nil, tc.p); !corrTestEqual(got, w, 1e-12) {
				t.Errorf("f(nil, p) = %v, want %v", got, w)
			}
			if !corrTestEqual(tc.p, orig, 0) {
				t.Errorf("p was modified: %v, was %v", tc.p, orig)
			}
			dst := make([]float64, len(tc.p), len(tc.p)+3)
			for k := range dst {
				dst[k] = -7
			}
			if got := f(dst, tc.p); !corrTestEqual(got, w, 1e-12) {
				t.Errorf("f(dst, p) = %v, want %v", got, w)
			}
			inPlace := append([]float64(nil), tc.p...)
			if got := f(inPlace, inPlace); !corrTestEqual(got, w, 1e-12) {
				t.Errorf("f(p, p) = %v, want %v", got, w)
			}
		})
	}
}

func TestBonferroni(t *testing.T) {
	corrTestRun(t, Bonferroni, func(tc corrTestCase) []float64 { return tc.bon })
}

func TestBenjaminiHochberg(t *testing.T) {
	corrTestRun(t, BenjaminiHochberg, func(tc corrTestCase) []float64 { return tc.bh })
}

func ExampleBenjaminiHochberg() {
	// p-values of five features' tests; control the false discovery rate at 5%.
	p := []float64{0.01, 0.04, 0.03, 0.005, 0.2}
	adj := BenjaminiHochberg(nil, p)
	for i, a := range adj {
		fmt.Printf("feature %d: p=%.3f adjusted=%.3f drift=%v\n", i, p[i], a, a <= 0.05)
	}
	// Output:
	// feature 0: p=0.010 adjusted=0.025 drift=true
	// feature 1: p=0.040 adjusted=0.050 drift=true
	// feature 2: p=0.030 adjusted=0.050 drift=true
	// feature 3: p=0.005 adjusted=0.025 drift=true
	// feature 4: p=0.200 adjusted=0.200 drift=false
}
