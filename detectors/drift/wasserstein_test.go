package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Expected values come from /usr/bin/python3 with scipy 1.10.1:
//
//	from scipy.stats import wasserstein_distance as w
//	print(repr(w(x, y)))
//
// with the x and y of each case.
func TestWasserstein(t *testing.T) {
	// x = [((i*37) % 101) / 10 for i in range(1000)]
	// y = [((j*53) % 89) / 7 + 0.5 for j in range(777)]
	var bigX, bigY []float64
	for i := range 1000 {
		bigX = append(bigX, float64((i*37)%101)/10)
	}
	for j := range 777 {
		bigY = append(bigY, float64((j*53)%89)/7+0.5)
	}
	slices.Sort(bigX)
	slices.Sort(bigY)

	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		// w([0, 1, 3], [5, 6, 8])
		{"shifted", []float64{0, 1, 3}, []float64{5, 6, 8}, 5.0},
		// w([0, 1], [0, 1])
		{"equal", []float64{0, 1}, []float64{0, 1}, 0.0},
		// w([1.0], [4.5])
		{"n=1 both", []float64{1}, []float64{4.5}, 3.5},
		// w([1.0], [0.0, 2.0, 10.0])
		{"n=1 unequal sizes", []float64{1}, []float64{0, 2, 10}, 3.666666666666667},
		// w([1, 1, 1, 2, 2, 3], [1, 2, 2, 2, 3, 3, 3, 3])
		{"ties", []float64{1, 1, 1, 2, 2, 3}, []float64{1, 2, 2, 2, 3, 3, 3, 3}, 0.7083333333333334},
		// w([3.4, 3.9, 7.5, 7.8], [4.5, 1.4]) (scipy docstring)
		{"scipy docstring", []float64{3.4, 3.9, 7.5, 7.8}, []float64{1.4, 4.5}, 2.7},
		// w([-1.5, -1.5, 0.0, 2.25], [-1.5, 0.0, 0.0, 0.0, 7.0])
		{"ties across samples", []float64{-1.5, -1.5, 0, 2.25}, []float64{-1.5, 0, 0, 0, 7}, 1.5124999999999997},
		// the 1000 and 777 values above, with many ties
		{"many ties unequal sizes", bigX, bigY, 1.7931717227431514},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Wasserstein(tc.x, tc.y)
			if d := math.Abs(got - tc.want); d > 1e-6*math.Abs(tc.want) && d > 1e-12 {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if sw := Wasserstein(tc.y, tc.x); math.Abs(sw-got) > 1e-12*math.Max(1, got) {
				t.Errorf("swapped samples give %v, want %v", sw, got)
			}
		})
	}
	t.Run("empty", func(t *testing.T) {
		if got := Wasserstein(nil, []float64{1}); !math.IsNaN(got) {
			t.Errorf("got %v, want NaN", got)
		}
		if got := Wasserstein([]float64{1}, nil); !math.IsNaN(got) {
			t.Errorf("got %v, want NaN", got)
		}
	})
	t.Run("shift", func(t *testing.T) {
		// Shifting a sample by c moves it exactly c away from itself.
		y := make([]float64, len(bigX))
		for i, v := range bigX {
			y[i] = v + 0.25
		}
		if got := Wasserstein(bigX, y); math.Abs(got-0.25) > 1e-12 {
			t.Errorf("got %v, want 0.25", got)
		}
	})
	t.Run("no allocation", func(t *testing.T) {
		if a := testing.AllocsPerRun(10, func() { Wasserstein(bigX, bigY) }); a != 0 {
			t.Errorf("%v allocations, want 0", a)
		}
	})
}

func BenchmarkWasserstein(b *testing.B) {
	const n = 1_000_000 // per side
	r := rand.New(rand.NewPCG(1, 2))
	x := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = r.NormFloat64()
		y[i] = 0.1 + 1.2*r.NormFloat64()
	}
	slices.Sort(x)
	slices.Sort(y)
	b.ReportAllocs()
	for b.Loop() {
		Wasserstein(x, y)
	}
}

func ExampleWasserstein() {
	// Both samples must be sorted.
	x := []float64{0, 1, 3}
	y := []float64{5, 6, 8}
	fmt.Println(Wasserstein(x, y))
	// Output:
	// 5
}
