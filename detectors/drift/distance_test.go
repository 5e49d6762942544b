package drift

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// distTestClose reports whether got is within rel of want relatively or abs
// absolutely.
func distTestClose(got, want, rel, abs float64) bool {
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// distTestCase is one pair of vectors with the expected value of each distance.
type distTestCase struct {
	name             string
	ref, cur         []float64
	psi, js, hel, tv float64
}

// distTestCases returns the cases shared by the distance tests. Expected
// values come from /usr/bin/python3 with scipy 1.10.1, numpy 1.24:
//
//	import numpy as np
//	from scipy.spatial.distance import jensenshannon
//	def norm(v):
//	    v = np.asarray(v, dtype=float); return v / v.sum()
//	def psi(r, c):
//	    p, q = norm(r), norm(c)
//	    p = np.where(p == 0, 1e-4, p); q = np.where(q == 0, 1e-4, q)
//	    return np.sum((q - p) * np.log(q / p))
//	def hel(r, c):
//	    p, q = norm(r), norm(c)
//	    return np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q))**2) / 2)
//	def tv(r, c):
//	    p, q = norm(r), norm(c); return np.abs(p - q).sum() / 2
//	print(psi(r, c), jensenshannon(r, c, base=2), hel(r, c), tv(r, c))
func distTestCases() []distTestCase {
	return []distTestCase{
		{
			name: "equal up to scale",
			ref:  []float64{1, 2, 3, 4}, cur: []float64{2, 4, 6, 8},
		},
		{
			name: "shift",
			ref:  []float64{10, 20, 30, 40}, cur: []float64{40, 30, 20, 10},
			psi: 0.9128696382935673, js: 0.3918681606471551, hel: 0.3318162917087773, tv: 0.4,
		},
		{
			// An empty bin in each vector: PSI replaces the zero proportions
			// by PSIEpsilon without renormalising.
			name: "empty bins",
			ref:  []float64{0, 5, 10, 5}, cur: []float64{3, 5, 12, 0},
			psi: 3.0697129898172193, js: 0.4508695861196161, hel: 0.4497526459008706, tv: 0.25,
		},
		{
			name: "disjoint supports",
			ref:  []float64{1, 0}, cur: []float64{0, 1},
			psi: 18.418838675877968, js: 1.0, hel: 1.0, tv: 1.0,
		},
		{
			name: "deciles",
			ref:  []float64{100, 100, 100, 100, 100, 100, 100, 100, 100, 100},
			cur:  []float64{80, 90, 95, 100, 100, 105, 110, 110, 105, 105},
			psi:  0.008410998713428187, js: 0.03892186527593878, hel: 0.03241473482922746, tv: 0.03499999999999999,
		},
		{
			name: "single category",
			ref:  []float64{7}, cur: []float64{3},
		},
		{
			name: "probabilities",
			ref:  []float64{0.1, 0.2, 0.7}, cur: []float64{0.3, 0.3, 0.4},
			psi: 0.42815370492506505, js: 0.27366687589869926, hel: 0.22955540235828983, tv: 0.29999999999999993,
		},
		{
			// r = range(1, 51), c = range(50, 0, -1)
			name: "many categories",
			ref:  distTestRange(1, 51, 1), cur: distTestRange(50, 0, -1),
			psi: 1.8108895109030605, js: 0.5146627522414357, hel: 0.4485753788748518, tv: 0.4901960784313726,
		},
	}
}

// distTestRun checks f against the expected values that want picks from each
// case, its symmetry, its NaN for all-zero vectors and its panic on a length
// mismatch.
func distTestRun(t *testing.T, f func(ref, cur []float64) float64, want func(distTestCase) float64) {
	t.Helper()
	for _, tc := range distTestCases() {
		t.Run(tc.name, func(t *testing.T) {
			w := want(tc)
			got := f(tc.ref, tc.cur)
			if !distTestClose(got, w, 1e-6, 1e-12) {
				t.Errorf("got %v, want %v", got, w)
			}
			if sw := f(tc.cur, tc.ref); !distTestClose(sw, got, 1e-12, 1e-15) {
				t.Errorf("swapped arguments give %v, want %v", sw, got)
			}
		})
	}
	t.Run("zero total", func(t *testing.T) {
		if got := f([]float64{0, 0}, []float64{1, 2}); !math.IsNaN(got) {
			t.Errorf("got %v for an all-zero ref, want NaN", got)
		}
		if got := f([]float64{1, 2}, []float64{0, 0}); !math.IsNaN(got) {
			t.Errorf("got %v for an all-zero cur, want NaN", got)
		}
	})
	t.Run("length mismatch", func(t *testing.T) {
		defer func() {
			if r := recover(); r != distLengthMismatch {
				t.Errorf("recovered %v, want %q", r, distLengthMismatch)
			}
		}()
		f([]float64{1, 2}, []float64{1, 2, 3})
	})
}

func TestPSI(t *testing.T) {
	distTestRun(t, PSI, func(tc distTestCase) float64 { return tc.psi })
}

func TestJensenShannon(t *testing.T) {
	distTestRun(t, JensenShannon, func(tc distTestCase) float64 { return tc.js })
}

func TestHellinger(t *testing.T) {
	distTestRun(t, Hellinger, func(tc distTestCase) float64 { return tc.hel })
}

func TestTotalVariation(t *testing.T) {
	distTestRun(t, TotalVariation, func(tc distTestCase) float64 { return tc.tv })
}

// distTestRange returns the float64 values of Python's range(from, to, step).
func distTestRange(from, to, step int) []float64 {
	var r []float64
	for i := from; (to-i)*step > 0; i += step {
		r = append(r, float64(i))
	}
	return r
}

// Expected edges come from /usr/bin/python3 with numpy 1.24:
//
//	def edges(ref, bins):
//	    e = np.quantile(np.asarray(ref, float), np.arange(1, bins)/bins)
//	    out = []
//	    for v in e:
//	        if not out or v > out[-1]: out.append(v)
//	    return out
func TestQuantileEdges(t *testing.T) {
	squares := make([]float64, 100)
	for i := range squares {
		squares[i] = float64((i+1)*(i+1)) / 7
	}
	tests := []struct {
		name string
		ref  []float64
		bins int
		want []float64
	}{
		{
			// edges([3.0]*7, 10): nine equal deciles collapse to one edge.
			name: "constant reference", ref: []float64{3, 3, 3, 3, 3, 3, 3}, bins: 10,
			want: []float64{3},
		},
		{
			// edges(np.arange(1, 101, dtype=float)**2 / 7, 10)
			name: "deciles", ref: squares, bins: 10,
			want: []float64{16.985714285714288, 61.828571428571436, 134.67142857142855, 235.51428571428573,
				364.3571428571429, 521.2, 706.0428571428571, 918.8857142857144, 1159.7285714285715},
		},
		{
			// edges([1,1,1,1,2,2,3,10], 4)
			name: "duplicated quantiles", ref: []float64{1, 1, 1, 1, 2, 2, 3, 10}, bins: 4,
			want: []float64{1.0, 1.5, 2.25},
		},
		{
			// edges([5.0], 10)
			name: "n=1", ref: []float64{5}, bins: 10,
			want: []float64{5},
		},
		{
			// edges([0.1, 0.7, 0.2, 0.9, 1.3], 3)
			name: "terciles", ref: []float64{0.1, 0.2, 0.7, 0.9, 1.3}, bins: 3,
			want: []float64{0.3666666666666666, 0.8333333333333333},
		},
		{name: "one bin", ref: []float64{1, 2, 3}, bins: 1, want: nil},
		{name: "empty reference", ref: nil, bins: 10, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := QuantileEdges(nil, tc.ref, tc.bins)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if !distTestClose(got[i], tc.want[i], 1e-12, 0) {
					t.Errorf("edge %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
	t.Run("appends", func(t *testing.T) {
		// Existing content is kept and not compared with the new edges.
		got := QuantileEdges([]float64{7}, []float64{1, 2, 3}, 2)
		if want := []float64{7, 2}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("bad bins", func(t *testing.T) {
		defer func() {
			if r := recover(); r != distBadBins {
				t.Errorf("recovered %v, want %q", r, distBadBins)
			}
		}()
		QuantileEdges(nil, []float64{1}, 0)
	})
}

// Expected counts come from /usr/bin/python3 with numpy 1.24:
//
//	np.bincount(np.searchsorted(edges, x, side='left'), minlength=len(edges)+1)
func TestBinCounts(t *testing.T) {
	x := []float64{-5, 0.5, 1, 1, 1.5, 2, 2.5, 3, 100}
	tests := []struct {
		name  string
		dst   []float64
		x     []float64
		edges []float64
		want  []float64
	}{
		{
			// x = [-5, 0.5, 1, 1, 1.5, 2, 2.5, 3, 100], edges = [1, 2, 2.5] -> [4, 2, 1, 2]
			name: "right-closed", x: x, edges: []float64{1, 2, 2.5},
			want: []float64{4, 2, 1, 2},
		},
		{
			name: "reuses dst", dst: []float64{9, 9, 9, 9, 9, 9}, x: x, edges: []float64{1, 2, 2.5},
			want: []float64{4, 2, 1, 2},
		},
		{name: "no edges", x: x, want: []float64{9}},
		{name: "empty sample", x: nil, edges: []float64{0, 1}, want: []float64{0, 0, 0}},
		{name: "all above", x: []float64{5, 6}, edges: []float64{0, 1}, want: []float64{0, 0, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := BinCounts(tc.dst, tc.x, tc.edges)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("constant reference", func(t *testing.T) {
		// A constant reference gives one edge and puts everything in bin 0;
		// PSI then sees the current values above it as a new bin.
		ref := []float64{3, 3, 3, 3}
		edges := QuantileEdges(nil, ref, 10)
		rc := BinCounts(nil, ref, edges)
		cc := BinCounts(nil, []float64{2, 3, 4, 5}, edges)
		if !slices.Equal(rc, []float64{4, 0}) || !slices.Equal(cc, []float64{2, 2}) {
			t.Errorf("counts %v and %v, want [4 0] and [2 2]", rc, cc)
		}
	})
}

func ExamplePSI() {
	// Bin the reference at its quartiles, count both samples in those bins
	// and compare the shares (numpy, as in TestDistances: 2.1285158932529735).
	ref := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	cur := []float64{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	edges := QuantileEdges(nil, ref, 4)
	rc := BinCounts(nil, ref, edges)
	cc := BinCounts(nil, cur, edges)
	fmt.Println(edges, rc, cc)
	fmt.Printf("PSI=%.4f\n", PSI(rc, cc))
	// Output:
	// [3.75 6.5 9.25] [3 3 3 3] [0 3 3 6]
	// PSI=2.1285
}
