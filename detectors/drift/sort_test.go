package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	special := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, 1, -1}
	for _, c := range []struct {
		name string
		gen  func(i int) float64
		n    int
	}{
		{"short", func(int) float64 { return rng.NormFloat64() }, 100},
		{"normal", func(int) float64 { return rng.NormFloat64() * 1e3 }, 10000},
		{"few values", func(int) float64 { return float64(rng.IntN(5)) }, 5000},
		{"positive narrow range", func(int) float64 { return 1 + rng.Float64()*1e-9 }, 5000},
		{"specials", func(i int) float64 { return special[i%len(special)] * float64(1+rng.IntN(2)) }, 3000},
		{"exponents", func(int) float64 { return math.Ldexp(rng.Float64()-0.5, rng.IntN(2000)-1000) }, 20000},
		{"sorted", func(i int) float64 { return float64(i) }, 4000},
		{"reversed", func(i int) float64 { return -float64(i) }, 4000},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := make([]float64, c.n)
			for i := range x {
				x[i] = c.gen(i)
			}
			want := slices.Clone(x)
			slices.Sort(want)
			sortFloats(x, nil)
			for i := range x {
				if x[i] != want[i] {
					t.Fatalf("at %d: got %g, want %g", i, x[i], want[i])
				}
			}
			if !slices.IsSorted(x) {
				t.Fatal("not sorted")
			}
		})
	}
}

func BenchmarkSortFloats1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float64, 1_000_000)
	for i := range src {
		src[i] = rng.NormFloat64()
	}
	x, buf := make([]float64, len(src)), make([]float64, len(src))
	b.ReportAllocs()
	b.SetBytes(int64(8 * len(src)))
	for b.Loop() {
		copy(x, src)
		buf = sortFloats(x, buf)
	}
}

func BenchmarkSlicesSort1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]float64, 1_000_000)
	for i := range src {
		src[i] = rng.NormFloat64()
	}
	x := make([]float64, len(src))
	b.ReportAllocs()
	b.SetBytes(int64(8 * len(src)))
	for b.Loop() {
		copy(x, src)
		slices.Sort(x)
	}
}
