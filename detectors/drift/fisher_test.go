package drift

import (
	"fmt"
	"math"
	"testing"
)

// fisherTestClose reports whether got is within rel of want relatively, or
// within abs absolutely; NaN and ±Inf must match exactly.
func fisherTestClose(got, want, rel, abs float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// Expected values come from /usr/bin/python3 with scipy 1.10.1:
//
//	from scipy.stats import fisher_exact
//	r = fisher_exact([[a, b], [c, d]])
//	print(repr(r.statistic), repr(r.pvalue))
//
// where each case's comment gives the table.
func TestFisherExact(t *testing.T) {
	tests := []struct {
		name       string
		a, b, c, d int
		odds, p    float64
	}{
		// [[1, 9], [11, 3]]
		{"lady tasting tea", 1, 9, 11, 3, 0.030303030303030304, 0.0027594561852200836},
		// [[8, 2], [1, 5]]
		{"small", 8, 2, 1, 5, 20.0, 0.034965034965034975},
		// [[3, 5], [5, 3]]: the mirror table has exactly the same probability.
		{"symmetric tie", 3, 5, 5, 3, 0.36, 0.6192696192696193},
		// [[0, 5], [5, 0]]
		{"zero diagonal", 0, 5, 5, 0, 0.0, 0.007936507936507938},
		// [[0, 0], [3, 4]]
		{"zero row", 0, 0, 3, 4, math.NaN(), 1.0},
		// [[0, 3], [0, 4]]
		{"zero column", 0, 3, 0, 4, math.NaN(), 1.0},
		// [[5000, 4000], [4800, 4300]]
		{"large counts", 5000, 4000, 4800, 4300, 1.1197916666666667, 0.00015128090632045266},
		// [[1000, 0], [0, 1000]]: 2/C(2000, 1000) ≈ 1e-600 underflows to 0.
		{"underflow", 1000, 0, 0, 1000, math.Inf(1), 0.0},
		// [[100, 50], [50, 100]]
		{"symmetric margins", 100, 50, 50, 100, 4.0, 1.1382353606797913e-08},
		// [[10, 0], [3, 7]]
		{"zero off-diagonal", 10, 0, 3, 7, math.Inf(1), 0.0030959752321981426},
		// [[0, 10], [7, 3]]
		{"zero corner", 0, 10, 7, 3, 0.0, 0.0030959752321981426},
		// [[2, 7], [8, 2]]
		{"below mode", 2, 7, 8, 2, 0.07142857142857142, 0.02301413756522116},
		// [[1, 0], [0, 1]]
		{"n=2", 1, 0, 0, 1, math.Inf(1), 1.0},
		// [[5, 5], [5, 5]]
		{"at mode", 5, 5, 5, 5, 1.0, 1.0},
		// [[400, 600], [500, 500]]
		{"moderate counts", 400, 600, 500, 500, 0.6666666666666666, 8.453719674485626e-06},
		// [[1, 1000000], [20, 1000000]]
		{"rare event million rows", 1, 1000000, 20, 1000000, 0.05, 2.0979032919202422e-05},
		// [[50, 1], [2, 60]]
		{"tiny p", 50, 1, 2, 60, 1500.0, 1.7707481686471202e-28},
		// [[6, 6], [2, 10]]
		{"far side empty", 6, 6, 2, 10, 5.0, 0.1930273253466146},
		// [[20, 480], [40, 460]]
		{"rates 4% vs 8%", 20, 480, 40, 460, 0.4791666666666667, 0.010855246037293396},
		// [[300, 100], [100, 300]]: scipy gives 6.00629983095699e-47, and the
		// sum over all tables in mpmath at 50 digits 6.0062998309569919723e-47.
		{"very tiny p", 300, 100, 100, 300, 9.0, 6.00629983095699e-47},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			odds, p := FisherExact(tc.a, tc.b, tc.c, tc.d)
			if !fisherTestClose(odds, tc.odds, 1e-12, 0) {
				t.Errorf("odds ratio = %v, want %v", odds, tc.odds)
			}
			abs := 1e-8
			if tc.p < 1e-6 {
				// Tiny p-values are checked relatively: that is what log space buys.
				abs = 0
			}
			if tc.p == 0 {
				abs = 1e-300
			}
			if !fisherTestClose(p, tc.p, 1e-4, abs) {
				t.Errorf("p = %v, want %v", p, tc.p)
			}
			// The p-value does not depend on which row is ref or which
			// column is first.
			for _, sw := range [][4]int{{tc.c, tc.d, tc.a, tc.b}, {tc.b, tc.a, tc.d, tc.c}, {tc.d, tc.c, tc.b, tc.a}} {
				_, p2 := FisherExact(sw[0], sw[1], sw[2], sw[3])
				if !fisherTestClose(p2, p, 1e-9, 1e-300) {
					t.Errorf("p%v = %v, want %v as for the original table", sw, p2, p)
				}
			}
		})
	}
}

// TestFisherLogPMF checks the saddle-point hypergeometric log-probabilities
// against mpmath at 50 digits (/usr/bin/python3, mpmath 1.2.1):
//
//	lpmf = log(binomial(r, x)) + log(binomial(b, n-x)) - log(binomial(r+b, n))
func TestFisherLogPMF(t *testing.T) {
	tests := []struct {
		name       string
		x, r, b, n int
		want       float64
	}{
		{"small", 3, 8, 8, 8, -1.411950919119873880209815},
		{"edge of support", 0, 5, 5, 5, -5.529429087511423306730307},
		{"large near mode", 5000, 9000, 9100, 9800, -11.61780857695121339467418},
		{"large tail", 4400, 9000, 9100, 9800, -104.1442719319163975161575},
		{"million rows", 1, 1000001, 1000020, 21, -11.51147285505704102446928},
		{"mode of symmetric", 500, 1000, 1000, 1000, -3.333470401777698402118666},
		{"extreme of symmetric", 0, 1000, 1000, 1000, -1382.267993537480058553136},
		{"upper end", 50, 51, 62, 52, -63.90162312595060377122959},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := newFisherHyper(tc.r, tc.b, tc.n).logPMF(tc.x)
			// An absolute error of 1e-13 in the log is a relative error of
			// 1e-13 in the probability.
			if math.Abs(got-tc.want) > 1e-13*math.Max(1, math.Abs(tc.want)) {
				t.Errorf("logPMF = %.17g, want %.17g (diff %g)", got, tc.want, got-tc.want)
			}
		})
	}
}

func TestFisherExactNegative(t *testing.T) {
	defer func() {
		if r := recover(); r != fisherNegativeCount {
			t.Errorf("recovered %v, want %q", r, fisherNegativeCount)
		}
	}()
	FisherExact(1, -1, 2, 3)
}

func ExampleFisherExact() {
	// Rows are the reference and current windows; columns count rows with a
	// missing value and rows without one.
	odds, p := FisherExact(20, 480, 40, 460)
	fmt.Printf("odds ratio=%.4f p=%.4f\n", odds, p)
	// Output:
	// odds ratio=0.4792 p=0.0109
}
