package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// mmdCase is one input file under testdata/.
type mmdCase struct {
	D int       `json:"d"`
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

func mmdLoad(t testing.TB, name string) mmdCase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "mmd_"+name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var c mmdCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return c
}

func mmdClose(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.17g, want %.17g (rel err %.3g > %g)", what, got, want, math.Abs(got-want)/math.Abs(want), rel)
	}
}

// The inputs testdata/mmd_*.json and the expected values below were produced
// with numpy 1.24.2 and scipy 1.10.1 by:
//
//	import json
//	import numpy as np
//	from scipy.spatial.distance import cdist, pdist
//
//	def mmd2(x, y, s):
//	    k = lambda a, b: np.exp(-cdist(a, b, "sqeuclidean") / (2 * s**2))
//	    return k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean()
//
//	rng = np.random.default_rng(20240611)
//	cases = {
//	    "d1_unequal": (rng.normal(0, 1, (8, 1)), rng.normal(0.5, 1.5, (6, 1))),
//	    "d5_unequal": (rng.normal(0, 1, (25, 5)), rng.normal(0.3, 1, (15, 5))),
//	    "d5_equal": (rng.normal(0, 1, (25, 5)), 1.3 * rng.normal(0, 1, (25, 5))),
//	    "d3_ties": (rng.integers(0, 3, (10, 3)).astype(float), rng.integers(0, 3, (6, 3)).astype(float)),
//	}
//	for name, (x, y) in cases.items():
//	    x, y = np.round(x, 6), np.round(y, 6)
//	    with open(f"mmd_{name}.json", "w") as f:
//	        json.dump({"d": x.shape[1], "x": x.ravel().tolist(), "y": y.ravel().tolist()}, f)
//	    z = np.vstack([x, y])
//	    med = np.median(pdist(z))
//	    print(name, len(pdist(z)), repr(med), repr(mmd2(x, y, med)), repr(mmd2(x, y, 1.0)))
var mmdNumpy = []struct {
	name        string
	pairs       int // N(N−1)/2: odd and even counts exercise both median rules
	median      float64
	mmd2Median  float64
	mmd2Sigma1  float64
	description string
}{
	{"d1_unequal", 91, 0.9012819999999999, 0.1750513233953337, 0.1532658575588599, "d=1, n=8, m=6"},
	{"d5_unequal", 780, 2.8393208613697185, 0.1463310950470018, 0.17116634170709016, "d=5, n=25, m=15"},
	{"d5_equal", 1225, 3.6726259595034993, 0.07681647220191867, 0.09833843339935222, "d=5, n=m=25, scale change"},
	{"d3_ties", 120, 2.0, 0.08338504641682687, 0.19855522645157658, "d=3, integer grid, duplicate rows"},
}

const mmdRelTol = 1e-9 // well inside the 1e-6 the package promises

func TestMMDAgainstNumpy(t *testing.T) {
	for _, tc := range mmdNumpy {
		t.Run(tc.name, func(t *testing.T) {
			c := mmdLoad(t, tc.name)
			N := (len(c.X) + len(c.Y)) / c.D
			if got := N * (N - 1) / 2; got != tc.pairs {
				t.Fatalf("pairs = %d, want %d (%s)", got, tc.pairs, tc.description)
			}
			med := MedianDistance(c.X, c.Y, c.D)
			mmdClose(t, "MedianDistance", med, tc.median, mmdRelTol)
			mmdClose(t, "MMD2(median)", MMD2(c.X, c.Y, c.D, tc.median), tc.mmd2Median, mmdRelTol)
			mmdClose(t, "MMD2(1)", MMD2(c.X, c.Y, c.D, 1), tc.mmd2Sigma1, mmdRelTol)

			res := MMDTest(c.X, c.Y, c.D, 0, 99, 1)
			mmdClose(t, "MMDTest.Sigma", res.Sigma, tc.median, mmdRelTol)
			mmdClose(t, "MMDTest.Statistic", res.Statistic, tc.mmd2Median, mmdRelTol)
			if res.Permutations != 99 || res.PValue <= 0 || res.PValue > 1 {
				t.Errorf("MMDTest = %+v: bad Permutations or PValue", res)
			}
			// p is a multiple of 1/(1+B).
			if k := res.PValue * 100; math.Abs(k-math.Round(k)) > 1e-9 {
				t.Errorf("PValue %v is not a multiple of 1/100", res.PValue)
			}

			res = MMDTest(c.X, c.Y, c.D, 1, 19, 1)
			if res.Sigma != 1 {
				t.Errorf("MMDTest given sigma: Sigma = %v, want 1", res.Sigma)
			}
			mmdClose(t, "MMDTest(sigma=1).Statistic", res.Statistic, tc.mmd2Sigma1, mmdRelTol)

			// Swapping the samples changes neither the statistic nor the median.
			sw := MMDTest(c.Y, c.X, c.D, 0, 0, 1)
			mmdClose(t, "swapped Statistic", sw.Statistic, tc.mmd2Median, mmdRelTol)
			if sw.PValue != 1 {
				t.Errorf("B=0: PValue = %v, want 1", sw.PValue)
			}
		})
	}
}

// mmdNormal returns rows×d standard normal values plus shift.
func mmdNormal(rng *rand.Rand, rows, d int, shift float64) []float64 {
	a := make([]float64, rows*d)
	for i := range a {
		a[i] = rng.NormFloat64() + shift
	}
	return a
}

func TestMMDTestClearShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, d := range []int{1, 5} {
		t.Run(fmt.Sprintf("d=%d", d), func(t *testing.T) {
			x := mmdNormal(rng, 40, d, 0)
			y := mmdNormal(rng, 30, d, 3)
			const B = 199
			res := MMDTest(x, y, d, 0, B, 42)
			if want := 1.0 / (1 + B); res.PValue != want {
				t.Errorf("PValue = %v, want %v (statistic %v)", res.PValue, want, res.Statistic)
			}
		})
	}
}

func TestMMDTestIdenticalSamples(t *testing.T) {
	c := mmdLoad(t, "d5_equal")
	res := MMDTest(c.X, c.X, c.D, 0, 199, 3)
	if math.Abs(res.Statistic) > 1e-12 {
		t.Errorf("Statistic = %g, want 0", res.Statistic)
	}
	if got := MMD2(c.X, c.X, c.D, res.Sigma); math.Abs(got) > 1e-12 {
		t.Errorf("MMD2 = %g, want 0", got)
	}
	if res.PValue < 0.9 {
		t.Errorf("PValue = %v, want near 1", res.PValue)
	}
}

func TestMMDTestAllRowsEqual(t *testing.T) {
	x := []float64{1, 2, 1, 2, 1, 2}
	y := []float64{1, 2, 1, 2}
	res := MMDTest(x, y, 2, 0, 50, 9)
	want := MMDResult{Statistic: 0, PValue: 1, Sigma: 0, Permutations: 50}
	if res != want {
		t.Errorf("MMDTest = %+v, want %+v", res, want)
	}
	if got := MedianDistance(x, y, 2); got != 0 {
		t.Errorf("MedianDistance = %v, want 0", got)
	}
	if got := MMD2(x, y, 2, 0); got != 0 {
		t.Errorf("MMD2(sigma=0) = %v, want 0", got)
	}
}

func TestMMD2SigmaZeroIndicator(t *testing.T) {
	// More than half the pairs are duplicates, so the median is 0 and the
	// indicator kernel applies: x = {0,0,0}, y = {0,1}.
	// Kxx sum = 9, Kyy sum = 2, Kxy sum = 3: 9/9 + 2/4 − 2·3/6 = 0.5.
	x, y := []float64{0, 0, 0}, []float64{0, 1}
	if got := MedianDistance(x, y, 1); got != 0 {
		t.Fatalf("MedianDistance = %v, want 0", got)
	}
	if got := MMD2(x, y, 1, 0); got != 0.5 {
		t.Errorf("MMD2 = %v, want 0.5", got)
	}
	if got := MMDTest(x, y, 1, 0, 10, 1); got.Statistic != 0.5 || got.Sigma != 0 {
		t.Errorf("MMDTest = %+v, want Statistic 0.5, Sigma 0", got)
	}
}

func TestMMDTestDeterminism(t *testing.T) {
	// Both samples from one distribution, so p is far from 1/(1+B) and the
	// splits drawn matter.
	rng := rand.New(rand.NewPCG(3, 3))
	x, y := mmdNormal(rng, 30, 2, 0), mmdNormal(rng, 25, 2, 0)
	c := mmdCase{D: 2, X: x, Y: y}
	a := MMDTest(c.X, c.Y, c.D, 0, 499, 11)
	b := MMDTest(c.X, c.Y, c.D, 0, 499, 11)
	if a != b {
		t.Errorf("same seed: %+v != %+v", a, b)
	}
	// A different seed draws different splits; the p-value may differ, the
	// statistic may not.
	o := MMDTest(c.X, c.Y, c.D, 0, 499, 12)
	if o.Statistic != a.Statistic || o.Sigma != a.Sigma {
		t.Errorf("different seed changed the statistic: %+v vs %+v", o, a)
	}
	t.Logf("p(seed 11) = %v, p(seed 12) = %v", a.PValue, o.PValue)
}

// Not parallel: it changes GOMAXPROCS.
func TestMMDTestGOMAXPROCSIndependent(t *testing.T) {
	// Large enough that rows, column blocks, selection chunks and split
	// batches are all spread over several goroutines.
	rng := rand.New(rand.NewPCG(5, 5))
	x := mmdNormal(rng, 300, 3, 0)
	y := mmdNormal(rng, 220, 3, 0.1)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var ref MMDResult
	for i, procs := range []int{1, 2, 3, 8} {
		runtime.GOMAXPROCS(procs)
		res := MMDTest(x, y, 3, 0, 101, 77)
		med := MedianDistance(x, y, 3)
		if med != res.Sigma {
			t.Errorf("GOMAXPROCS=%d: MedianDistance %v != Sigma %v", procs, med, res.Sigma)
		}
		if i == 0 {
			ref = res
			continue
		}
		if res != ref {
			t.Errorf("GOMAXPROCS=%d: %+v, want %+v", procs, res, ref)
		}
	}
	mmdClose(t, "Statistic vs MMD2", ref.Statistic, MMD2(x, y, 3, ref.Sigma), 1e-10)

	// The radix selection agrees with a full sort of the 134,940 distances.
	z := mmdPool(x, y)
	var dist []float64
	for i := 0; i < 520; i++ {
		for j := i + 1; j < 520; j++ {
			dist = append(dist, math.Sqrt(mmdSqDist(z[3*i:3*i+3], z[3*j:3*j+3])))
		}
	}
	slices.Sort(dist)
	if want := (dist[len(dist)/2-1] + dist[len(dist)/2]) / 2; ref.Sigma != want {
		t.Errorf("Sigma = %v, want sorted median %v", ref.Sigma, want)
	}
}

func TestMedianDistanceSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := func(name string, a []float64) {
		t.Helper()
		sorted := slices.Sorted(slices.Values(a))
		for _, k := range []int{0, len(a) / 2, len(a) - 1} {
			for _, w := range []int{1, 3} {
				if got := mmdSelect(a, k, w); got != sorted[k] {
					t.Errorf("%s: mmdSelect(k=%d, workers=%d) = %v, want %v", name, k, w, got, sorted[k])
				}
			}
		}
	}
	n := 300_000
	uniform := make([]float64, n)
	ties := make([]float64, n)
	close := make([]float64, n) // agree in their top 48 bits
	equal := make([]float64, n)
	for i := range n {
		uniform[i] = rng.Float64() * 10
		ties[i] = float64(rng.IntN(3))
		close[i] = math.Float64frombits(math.Float64bits(2.5) + uint64(rng.IntN(1<<16)))
		equal[i] = 4
	}
	f("uniform", uniform)
	f("ties", ties)
	f("close", close)
	f("equal", equal)
	f("single", []float64{0})
}

func TestMMDPanics(t *testing.T) {
	f := func(name, want string, fn func()) {
		t.Helper()
		defer func() {
			t.Helper()
			if got := recover(); got != want {
				t.Errorf("%s: panic %v, want %q", name, got, want)
			}
		}()
		fn()
	}
	x := []float64{1, 2, 3, 4}
	f("MMD2 empty x", mmdEmpty, func() { MMD2(nil, x, 2, 1) })
	f("MMD2 empty y", mmdEmpty, func() { MMD2(x, nil, 2, 1) })
	f("MMD2 d=0", mmdBadDim, func() { MMD2(x, x, 0, 1) })
	f("MMD2 d<0", mmdBadDim, func() { MMD2(x, x, -1, 1) })
	f("MMD2 bad len", mmdBadLen, func() { MMD2(x, x[:3], 2, 1) })
	f("MMD2 sigma<0", mmdBadSigma, func() { MMD2(x, x, 2, -1) })
	f("MMD2 sigma NaN", mmdBadSigma, func() { MMD2(x, x, 2, math.NaN()) })
	f("MMDTest empty y", mmdEmpty, func() { MMDTest(x, nil, 2, 0, 10, 1) })
	f("MMDTest bad len", mmdBadLen, func() { MMDTest(x[:3], x, 2, 0, 10, 1) })
	f("MMDTest d=0", mmdBadDim, func() { MMDTest(x, x, 0, 0, 10, 1) })
	f("MMDTest B<0", mmdBadPerms, func() { MMDTest(x, x, 2, 0, -1, 1) })
	f("MMDTest sigma Inf", mmdBadSigma, func() { MMDTest(x, x, 2, math.Inf(1), 10, 1) })
	f("MedianDistance one row", mmdFewRows, func() { MedianDistance(x[:2], nil, 2) })
}

func ExampleMMDTest() {
	// Ten 2-d points and the same points moved by (2, 2).
	x := []float64{
		0.1, 0.3, -0.4, 0.2, 0.5, -0.1, -0.2, -0.5, 0.3, 0.4,
		-0.3, 0.1, 0.0, -0.2, 0.2, 0.5, -0.5, 0.0, 0.4, -0.3,
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v + 2
	}
	res := MMDTest(x, y, 2, 0, 999, 1)
	fmt.Printf("MMD² = %.4f, sigma = %.4f, p = %.3f over %d permutations\n",
		res.Statistic, res.Sigma, res.PValue, res.Permutations)
	// Output:
	// MMD² = 1.1234, sigma = 2.0712, p = 0.001 over 999 permutations
}

// BenchmarkMMDTest is the size bench/mmd.sh compares with numpy.
func BenchmarkMMDTest(b *testing.B) {
	const n, m, d, B = 2000, 2000, 16, 500
	rng := rand.New(rand.NewPCG(0, 0))
	x := mmdNormal(rng, n, d, 0)
	y := mmdNormal(rng, m, d, 0.05)
	b.ReportAllocs()
	for b.Loop() {
		MMDTest(x, y, d, 0, B, 1)
	}
}

func BenchmarkMedianDistance(b *testing.B) {
	rng := rand.New(rand.NewPCG(0, 0))
	x := mmdNormal(rng, 2000, 16, 0)
	y := mmdNormal(rng, 2000, 16, 0.05)
	b.ReportAllocs()
	for b.Loop() {
		MedianDistance(x, y, 16)
	}
}
