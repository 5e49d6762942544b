package drift

import (
	"fmt"
	"math"
	"testing"
)

// Expected values: scipy 1.10.1 with the prelude at the top of cvm_test.go
// (gen, load, ad); helpers cvmGen, cvmStride, cvmMap, cvmLoad and cvmCheck
// are shared with that file.
func TestAndersonDarling(t *testing.T) {
	x200 := cvmLoad(t, "cvm_ad_x200.txt")
	y300 := cvmLoad(t, "cvm_ad_y300.txt")
	shift := func(d float64) func(float64) float64 { return func(v float64) float64 { return v + d } }
	round2 := func(v float64) float64 { return math.RoundToEven(v * 2) } // np.round(v*2)
	var seventeen [][]float64
	for i := range 17 {
		seventeen = append(seventeen, cvmGen(20, 3+i, i, 13, 1, 0))
	}
	tests := []struct {
		name    string
		samples [][]float64
		a2, p   float64
		large   bool
		source  string
	}{
		{name: "2 samples 2v2", samples: [][]float64{{1, 2}, {3, 4}},
			a2: 1.5427784316797186, p: 0.07502559142197461,
			source: "ad([1.,2.], [3.,4.])"},
		{name: "2 samples 1v3", samples: [][]float64{{1}, {2, 3, 4}},
			a2: 1.3636363636363114, p: 0.08902970028514424,
			source: "ad([1.], [2.,3.,4.])"},
		{name: "2 samples interior p", samples: [][]float64{x200, y300},
			a2: 4.9155111033320615, p: 0.003720072013962969,
			source: "ad(x200, y300)"},
		{name: "2 samples upper cap 0.25", samples: [][]float64{cvmStride(x200, 0, 2, -1), cvmStride(x200, 1, 2, -1)},
			a2: -1.2944081656780262, p: 0.25,
			source: "ad(x200[::2], x200[1::2])"},
		{name: "2 samples lower cap 0.001", samples: [][]float64{x200, cvmMap(y300, shift(1))},
			a2: 95.22246209422781, p: 0.001,
			source: "ad(x200, y300 + 1.0)"},
		{name: "2 samples ties lower cap", samples: [][]float64{cvmGen(500, 3, 1, 7, 1, 0), cvmGen(400, 5, 2, 8, 1, 0)},
			a2: 16.022765151747947, p: 0.001,
			source: "ad(gen(500, 3, 1, 7, 1.0, 0.0), gen(400, 5, 2, 8, 1.0, 0.0))"},
		{name: "2 samples ties upper cap", samples: [][]float64{cvmGen(500, 3, 1, 7, 1, 0), cvmGen(400, 5, 2, 7, 1, 0)},
			a2: -1.3130457186219286, p: 0.25,
			source: "ad(gen(500, 3, 1, 7, 1.0, 0.0), gen(400, 5, 2, 7, 1.0, 0.0))"},
		{name: "3 samples interior p", samples: [][]float64{x200, y300, cvmMap(cvmStride(x200, 0, 2, -1), shift(0.3))},
			a2: 3.416913292262016, p: 0.010100958659533305,
			source: "ad(x200, y300, x200[::2]+0.3)"},
		{name: "3 samples interior p near 0.1", samples: [][]float64{cvmStride(x200, 0, 2, -1), cvmStride(x200, 1, 2, -1), cvmStride(y300, 0, 2, -1)},
			a2: 1.1697253365827742, p: 0.11500959189440636,
			source: "ad(x200[::2], x200[1::2], y300[::2])"},
		{name: "3 samples upper cap", samples: [][]float64{cvmStride(x200, 0, 2, -1), cvmStride(x200, 1, 2, -1), cvmStride(y300, 0, 3, -1)},
			a2: 0.40938360859249734, p: 0.25,
			source: "ad(x200[::2], x200[1::2], y300[::3])"},
		{name: "3 samples ties interior p", samples: [][]float64{cvmMap(x200, round2), cvmMap(y300, round2), cvmMap(cvmStride(x200, 0, 3, -1), round2)},
			a2: 3.9597251161090985, p: 0.005622358098819762,
			source: "ad(np.round(x200*2), np.round(y300*2), np.round(x200[::3]*2))"},
		{name: "3 samples ties lower cap", samples: [][]float64{cvmGen(300, 3, 1, 7, 1, 0), cvmGen(200, 5, 2, 7, 1, 0), cvmGen(250, 2, 0, 9, 1, 0)},
			a2: 21.623113571500138, p: 0.001,
			source: "ad(gen(300, 3, 1, 7, 1.0, 0.0), gen(200, 5, 2, 7, 1.0, 0.0), gen(250, 2, 0, 9, 1.0, 0.0))"},
		{name: "17 samples ties", samples: seventeen,
			a2: 0.9471656769069586, p: 0.1641529484626908,
			source: "ad(*[gen(20, 3+i, i, 13, 1.0, 0.0) for i in range(17)])"},
		{name: "2 samples 1M", samples: [][]float64{cvmGen(1000000, 7919, 3, 1000003, 1000003, 0), cvmGen(1000000, 104729, 11, 1000033, 1000033, 0.0005)},
			a2: 1.5813087623455724, p: 0.07232519264558428, large: true,
			source: "ad(gen(1000000, 7919, 3, 1000003, 1000003.0, 0.0), gen(1000000, 104729, 11, 1000033, 1000033.0, 0.0005))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.large && testing.Short() {
				t.Skip("large input")
			}
			a2, p := AndersonDarling(tc.samples...)
			cvmCheck(t, "A2", a2, tc.a2, cvmTolStat, 0)
			cvmCheck(t, "p", p, tc.p, cvmTolP, cvmTolPAbs)
			if t.Failed() {
				t.Logf("scipy: %s", tc.source)
			}
		})
	}
}

// TestAndersonDarlingPValue checks the interpolation of the significance
// level, including fitted values just past the 0.25 and 0.001 bounds, against
// the lines of scipy's anderson_ksamp (m = k-1):
//
//	b0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
//	b1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
//	b2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
//	sig = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])
//	c = b0 + b1/math.sqrt(m) + b2/m
//	if a2 < c.min(): p = 0.25
//	elif a2 > c.max(): p = 0.001
//	else: p = math.exp(np.polyval(np.polyfit(c, np.log(sig), 2), a2))
func TestAndersonDarlingPValue(t *testing.T) {
	tests := []struct {
		name  string
		m     int
		a2, p float64
	}{
		{"k=2 A2=0.3 capped", 1, 0.3, 0.25},
		{"k=2 A2=0.33", 1, 0.33, 0.24450897245210843},
		{"k=2 A2=2", 1, 2.0, 0.048731432277233803},
		{"k=2 A2=6.5", 1, 6.5, 0.0010464273366916272},
		{"k=2 A2=6.6 floored", 1, 6.6, 0.001},
		{"k=3 A2=0.45 fit above 0.25", 2, 0.45, 0.2512394472453941},
		{"k=3 A2=3", 2, 3.0, 0.015848304941590417},
		{"k=3 A2=5.56", 2, 5.56, 0.0010032897098802371},
		{"k=5 A2=1", 4, 1.0, 0.14561375106819446},
		{"k=17 A2=0.6 capped", 16, 0.6, 0.25},
		{"k=17 A2=4 floored", 16, 4.0, 0.001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cvmCheck(t, "p", adPValue(tc.a2, float64(tc.m)), tc.p, cvmTolP, cvmTolPAbs)
		})
	}
}

func TestAndersonDarlingPanics(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name    string
		samples [][]float64
		msg     string
	}{
		{"one sample", [][]float64{{1, 2, 3, 4}}, adTooFewSamples},
		{"empty sample", [][]float64{{1, 2, 3}, {}}, adEmptySample},
		{"three values", [][]float64{{1}, {2, 3}}, adTooFewValues},
		{"one distinct value", [][]float64{{1, 1}, {1, 1, 1}}, adTooFewDistinct},
		{"unsorted", [][]float64{{1, 3, 2}, {1, 2}}, adUnsorted},
		{"NaN", [][]float64{{1, 2}, {1, nan, 3}}, adNaN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != tc.msg {
					t.Errorf("panic %v, want %q", r, tc.msg)
				}
			}()
			AndersonDarling(tc.samples...)
		})
	}
}

// The numbers match stats.anderson_ksamp([x, y, z]) in scipy 1.10.1:
// statistic=1.2596407392293976, significance_level=0.10432138630283003.
func ExampleAndersonDarling() {
	x := []float64{0.1, 0.4, 0.7, 1.2, 1.5, 1.9, 2.1} // each sample sorted
	y := []float64{0.9, 1.3, 1.6, 2.0, 2.2, 2.8}
	z := []float64{0.2, 0.5, 0.8, 1.1, 1.4}
	a2, p := AndersonDarling(x, y, z)
	// p is only informative inside [0.001, 0.25]: outside the tabulated
	// critical values it is capped or floored at those bounds, so compare
	// with p >= 0.25 and p <= 0.001.
	fmt.Printf("A2 = %.4f, p = %.4f\n", a2, p)
	// Output:
	// A2 = 1.2596, p = 0.1043
}

func BenchmarkAndersonDarling(b *testing.B) {
	x := cvmGen(1000000, 7919, 3, 1000003, 1000003, 0)
	y := cvmGen(1000000, 104729, 11, 1000033, 1000033, 0.0005)
	b.ReportAllocs()
	for b.Loop() {
		AndersonDarling(x, y)
	}
}
