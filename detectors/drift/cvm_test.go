package drift

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Expected values in cvm_test.go and anderson_test.go come from Debian's
// scipy 1.10.1 (/usr/bin/python3), with this prelude:
//
//	import numpy as np, warnings
//	from scipy import stats
//	warnings.simplefilter("ignore")  # anderson_ksamp warns at its p-value cap/floor
//	def gen(n, a, c, mod, scale, shift):  # same as cvmGen
//	    return np.sort(np.array([((a*i + c) % mod) / scale + shift for i in range(n)]))
//	def load(p): return np.array([float(l) for l in open(p) if not l.startswith('#')])
//	x200 = load('testdata/cvm_ad_x200.txt')
//	y300 = load('testdata/cvm_ad_y300.txt')
//	def cvm(x, y):
//	    r = stats.cramervonmises_2samp(x, y); print(repr(r.statistic), repr(r.pvalue))
//	def ad(*s):
//	    r = stats.anderson_ksamp(list(s)); print(repr(r.statistic), repr(r.significance_level))
//
// Tolerances: statistic 1e-6 relative, p-value 1e-4 relative (1e-8 absolute
// when tiny).
const (
	cvmTolStat = 1e-6
	cvmTolP    = 1e-4
	cvmTolPAbs = 1e-8
)

// cvmGen returns ((a*i + c) mod m) / scale + shift for i < n, sorted. The
// integer part is exact and the division and addition are correctly rounded,
// so Python computes the same values.
func cvmGen(n, a, c, m int, scale, shift float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64((a*i+c)%m)/scale + shift
	}
	slices.Sort(out)
	return out
}

// cvmStride returns x[start::step][:limit] (limit < 0: no limit), as numpy
// slicing does.
func cvmStride(x []float64, start, step, limit int) []float64 {
	var out []float64
	for i := start; i < len(x) && (limit < 0 || len(out) < limit); i += step {
		out = append(out, x[i])
	}
	return out
}

// cvmMap returns f applied to every value of x, sorted.
func cvmMap(x []float64, f func(float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	slices.Sort(out)
	return out
}

// cvmLoad reads one value per line from testdata, skipping # comments.
func cvmLoad(t testing.TB, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// cvmCheck reports a statistic or p-value outside the package tolerances.
func cvmCheck(t *testing.T, what string, got, want, rel, abs float64) {
	t.Helper()
	if got == want {
		return
	}
	if d := math.Abs(got - want); d > abs && d > rel*math.Abs(want) {
		t.Errorf("%s = %.17g, want %.17g (scipy); diff %.3g", what, got, want, d)
	}
}

func TestCramerVonMises(t *testing.T) {
	x200 := cvmLoad(t, "cvm_ad_x200.txt")
	y300 := cvmLoad(t, "cvm_ad_y300.txt")
	shift := func(d float64) func(float64) float64 { return func(v float64) float64 { return v + d } }
	round := func(s float64) func(float64) float64 {
		return func(v float64) float64 { return math.RoundToEven(v * s) } // np.round(v*s)
	}
	tests := []struct {
		name   string
		x, y   []float64
		t, p   float64
		large  bool
		source string
	}{
		// Exact p-value: both sizes at most 20.
		{name: "exact 2v2 separated", x: []float64{1, 2}, y: []float64{3, 4},
			t: 0.375, p: 0.3333333333333333,
			source: "cvm([1.,2.], [3.,4.])"},
		{name: "exact 2v3", x: []float64{1, 4}, y: []float64{2, 3, 5},
			t: 0.09999999999999998, p: 0.9,
			source: "cvm([1.,4.], [2.,3.,5.])"},
		{name: "exact 3v5", x: []float64{0.5, 1.5, 2.5}, y: []float64{0, 1, 2, 3, 4},
			t: 0.07916666666666661, p: 0.8928571428571429,
			source: "cvm([0.5,1.5,2.5], [0.,1.,2.,3.,4.])"},
		{name: "exact 7v6", x: cvmStride(x200, 0, 28, 7), y: cvmStride(y300, 0, 50, 6),
			t: 0.042124542124541975, p: 0.9801864801864801,
			source: "cvm(x200[:7*28:28], y300[:6*50:50])"},
		{name: "exact 10v13", x: cvmStride(x200, 5, 20, -1), y: cvmStride(y300, 7, 23, -1),
			t: 0.061872909698996725, p: 0.8470805006004898,
			source: "cvm(x200[5::20], y300[7::23])"},
		{name: "exact 19v20", x: cvmStride(x200, 0, 11, 19), y: cvmStride(y300, 3, 15, 20),
			t: 0.06455240665767015, p: 0.8116897815403401,
			source: "cvm(x200[::11][:19], y300[3::15][:20])"},
		{name: "exact 20v20", x: cvmStride(x200, 0, 10, -1), y: cvmStride(y300, 0, 15, -1),
			t: 0.08499999999999996, p: 0.6949848679548346,
			source: "cvm(x200[::10], y300[::15])"},
		{name: "exact 20v17 shifted", x: cvmStride(x200, 0, 10, -1), y: cvmMap(cvmStride(y300, 0, 18, 17), shift(1)),
			t: 1.126391096979332, p: 0.0009487729756627566,
			source: "cvm(x200[::10], y300[::18][:17]+1.0)"},
		{name: "exact 19v20 separated", x: cvmGen(19, 1, 0, 1000, 1, 0), y: cvmGen(20, 1, 0, 1000, 1, 1000),
			t: 3.2521367521367512, p: 2.9017778207699375e-11,
			source: "cvm(gen(19, 1, 0, 1000, 1.0, 0.0), gen(20, 1, 0, 1000, 1.0, 1000.0))"},
		{name: "exact ties 13v20", x: cvmGen(13, 1, 0, 1000, 1, 0), y: cvmGen(20, 1, 0, 1000, 1, 0),
			t: 0.3226010101010104, p: 0.12183586673357917,
			source: "cvm(gen(13, 1, 0, 1000, 1.0, 0.0), gen(20, 1, 0, 1000, 1.0, 0.0))"},
		{name: "exact ties 6v5", x: []float64{1, 1, 2, 3, 3, 3}, y: []float64{1, 2, 2, 4, 5},
			t: 0.11818181818181817, p: 0.5952380952380952,
			source: "cvm([1.,1.,2.,3.,3.,3.], [1.,2.,2.,4.,5.])"},
		{name: "exact ties 4v5", x: []float64{0, 0, 1, 1}, y: []float64{0, 1, 1, 1, 2},
			t: 0.12592592592592577, p: 0.5793650793650794,
			source: "cvm([0.,0.,1.,1.], [0.,1.,1.,1.,2.])"},
		{name: "exact ties rounded 20v15", x: cvmMap(cvmStride(x200, 0, 10, -1), round(1)), y: cvmMap(cvmStride(y300, 0, 20, -1), round(1)),
			t: 0.12380952380952337, p: 0.5030823091744007,
			source: "cvm(np.round(x200[::10]), np.round(y300[::20]))"},

		// Asymptotic p-value.
		{name: "asymptotic 21v20", x: cvmStride(x200, 0, 9, 21), y: cvmStride(y300, 0, 15, -1),
			t: 0.13954703832752635, p: 0.4384390517602591,
			source: "cvm(x200[::9][:21], y300[::15])"},
		{name: "asymptotic 200v300", x: x200, y: y300,
			t: 0.9266999999999967, p: 0.003648638284867056,
			source: "cvm(x200, y300)"},
		{name: "asymptotic ties rounded 200v300", x: cvmMap(x200, round(2)), y: cvmMap(y300, round(2)),
			t: 1.063216666666662, p: 0.0017442860236885904,
			source: "cvm(np.round(x200*2), np.round(y300*2))"},
		{name: "asymptotic ties 500v400", x: cvmGen(500, 3, 1, 7, 1, 0), y: cvmGen(400, 5, 2, 8, 1, 0),
			t: 1.3392425925925977, p: 0.00040160180161674663,
			source: "cvm(gen(500, 3, 1, 7, 1.0, 0.0), gen(400, 5, 2, 8, 1.0, 0.0))"},
		{name: "asymptotic identical samples p=1", x: cvmGen(50, 7, 0, 50, 10, 0), y: cvmGen(50, 7, 0, 50, 10, 0),
			t: 0, p: 1,
			source: "cvm(gen(50, 7, 0, 50, 10.0, 0.0), gen(50, 7, 0, 50, 10.0, 0.0))"},
		{name: "asymptotic separated series truncation", x: cvmGen(1000, 1, 0, 1000, 1, 0), y: cvmGen(1000, 1, 0, 1000, 1, 1000),
			t: 166.66674999999998, p: 4.037403666945494e-08,
			source: "cvm(gen(1000, 1, 0, 1000, 1.0, 0.0), gen(1000, 1, 0, 1000, 1.0, 1000.0))"},
		{name: "asymptotic 100k v 150k", x: cvmGen(100000, 7919, 3, 100003, 100003, 0), y: cvmGen(150000, 104729, 11, 150001, 150001, 0.003),
			t: 0.5436976746786968, p: 0.030905536365482544, large: true,
			source: "cvm(gen(100000, 7919, 3, 100003, 100003.0, 0.0), gen(150000, 104729, 11, 150001, 150001.0, 0.003))"},
		{name: "asymptotic 1M v 1M", x: cvmGen(1000000, 7919, 3, 1000003, 1000003, 0), y: cvmGen(1000000, 104729, 11, 1000033, 1000033, 0.0005),
			t: 0.12531097314786166, p: 0.47439918288851324, large: true,
			source: "cvm(gen(1000000, 7919, 3, 1000003, 1000003.0, 0.0), gen(1000000, 104729, 11, 1000033, 1000033.0, 0.0005))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.large && testing.Short() {
				t.Skip("large input")
			}
			gotT, gotP := CramerVonMises(tc.x, tc.y)
			cvmCheck(t, "T", gotT, tc.t, cvmTolStat, 0)
			cvmCheck(t, "p", gotP, tc.p, cvmTolP, cvmTolPAbs)
			// The statistic is symmetric in the samples, and so is the p-value.
			swT, swP := CramerVonMises(tc.y, tc.x)
			cvmCheck(t, "T swapped", swT, tc.t, cvmTolStat, 0)
			cvmCheck(t, "p swapped", swP, tc.p, cvmTolP, cvmTolPAbs)
			if t.Failed() {
				t.Logf("scipy: %s", tc.source)
			}
		})
	}
}

// TestCramerVonMisesLimitingCDF checks the series for the limiting
// distribution, including its truncation beyond x = 4, against
//
//	from scipy.stats._hypotests import _cdf_cvm_inf
//	print(repr(1 - float(_cdf_cvm_inf(x))))
func TestCramerVonMisesLimitingCDF(t *testing.T) {
	tests := []struct {
		name string
		x, p float64
	}{
		{"x=0.01", 0.01, 0.9999941355671901},
		{"x=0.1", 0.1, 0.5848734384067972},
		{"x=0.5", 0.5, 0.039833217565609313},
		{"x=1", 1, 0.002460452180135797},
		{"x=2", 2, 1.2780736265760595e-05},
		{"x=4", 4, 7.086603526218482e-10},
		{"x=100 truncated", 100, 2.5954024041041635e-08},
		{"x=1e4 truncated", 1e4, 9.07745670075677e-07},
		{"x=1e6 truncated", 1e6, 1.1351080673405178e-05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The difference 1 - F loses the absolute error of F, about 1e-16.
			cvmCheck(t, "1-F", 1-cvmCDFInf(tc.x), tc.p, cvmTolP, 1e-13)
		})
	}
}

// TestCramerVonMisesBesselK checks e^{-q} K_{1/4}(q) against
//
//	from scipy.special import kv
//	print(repr(float(np.exp(-q) * kv(0.25, q))))
func TestCramerVonMisesBesselK(t *testing.T) {
	tests := []struct{ q, want float64 }{
		{1e-09, 383.3499832809336},
		{1e-06, 68.10715978254106},
		{0.001, 11.744725671941731},
		{0.1, 2.429630410969844},
		{1, 0.15846030751445728},
		{5, 2.501329905299072e-05},
		{20.8, 2.3467414604789697e-19},
		{50, 6.581432385620549e-45},
		{316.22776601683796, 1.4996288179422026e-276},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("q=%g", tc.q), func(t *testing.T) {
			cvmCheck(t, "e^-q K", cvmExpK14(tc.q), tc.want, 1e-12, 0)
		})
	}
}

func TestCramerVonMisesPanics(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		x, y []float64
		msg  string
	}{
		{"x too short", []float64{1}, []float64{1, 2}, cvmTooFew},
		{"y empty", []float64{1, 2}, nil, cvmTooFew},
		{"x unsorted", []float64{2, 1, 3}, []float64{1, 2}, cvmUnsorted},
		{"y unsorted at end", []float64{1, 2}, []float64{1, 3, 2}, cvmUnsorted},
		{"NaN first", []float64{nan, 1}, []float64{1, 2}, cvmNaN},
		{"NaN inside", []float64{1, 2}, []float64{1, nan, 3}, cvmNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.msg {
					t.Errorf("panic %v, want %q", r, tc.msg)
				}
			}()
			CramerVonMises(tc.x, tc.y)
		})
	}
}

// The numbers match stats.cramervonmises_2samp(x, y) in scipy 1.10.1:
// statistic=0.5454545454545456, pvalue=0.03896103896103896 (exact).
func ExampleCramerVonMises() {
	x := []float64{0.1, 0.4, 0.7, 1.2, 1.5}      // sorted
	y := []float64{0.9, 1.3, 1.6, 2.0, 2.2, 2.8} // sorted
	t, p := CramerVonMises(x, y)
	fmt.Printf("T = %.4f, p = %.4f\n", t, p)
	// Output:
	// T = 0.5455, p = 0.0390
}

func BenchmarkCramerVonMises(b *testing.B) {
	x := cvmGen(1000000, 7919, 3, 1000003, 1000003, 0)
	y := cvmGen(1000000, 104729, 11, 1000033, 1000033, 0.0005)
	b.ReportAllocs()
	for b.Loop() {
		CramerVonMises(x, y)
	}
}
