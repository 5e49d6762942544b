package adversarial

import (
	"math"
	"slices"
	"testing"
)

// The expected values below come from /usr/bin/python3 with scipy 1.10.1 and
// numpy 1.24.2, as stats.shapiro(v) for the v in each case's comment. scipy
// 1.10's swilk computes in float32 (its W carries float32 rounding, e.g.
// 0.9642857313 for the exact 27/28) and uses AS 111 for Φ⁻¹, so W agrees to
// about 6e-7 and p, whose log moves by δW/(1-W)/σ, to a few parts in 1e4;
// the tolerances say so. Generated samples use this splitmix64
// stream, reproduced bit for bit by swGen:
//
//	import numpy as np
//	from scipy import stats
//	M = (1 << 64) - 1
//	def sm64(seed, n):
//	    out, s = [], seed & M
//	    for _ in range(n):
//	        s = (s + 0x9E3779B97F4A7C15) & M
//	        z = s
//	        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
//	        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
//	        z ^= z >> 31
//	        out.append((z >> 11) * 2.0**-53)
//	    return np.array(out)

// swGen returns the sm64(seed, n) stream above.
func swGen(seed uint64, n int) []float64 {
	out := make([]float64, n)
	s := seed
	for i := range out {
		s += 0x9E3779B97F4A7C15
		z := s
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float64(z>>11) * 0x1p-53
	}
	return out
}

// swMap returns f applied elementwise to xs, which all have one length.
func swMap(f func(v ...float64) float64, xs ...[]float64) []float64 {
	out := make([]float64, len(xs[0]))
	args := make([]float64, len(xs))
	for i := range out {
		for j := range xs {
			args[j] = xs[j][i]
		}
		out[i] = f(args...)
	}
	return out
}

func sum(v ...float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func TestShapiroWilk(t *testing.T) {
	for _, tc := range []struct {
		name string
		x    []float64
		w, p float64
	}{
		// [1.0, 2.0, 4.0]
		{"n3", []float64{1, 2, 4}, 0.9642857313156128, 0.6368856430053711},
		// [1.0, 2.0, 3.0]
		{"n3 equispaced", []float64{1, 2, 3}, 1.0, 0.999998927116394},
		// [1.0, 2.0, 3.0, 10.0]
		{"n4", []float64{1, 2, 3, 10}, 0.8068856000900269, 0.11515290290117264},
		// [0.0, 0.0, 1.0, 5.0, 5.5]
		{"n5 ties", []float64{0, 0, 1, 5, 5.5}, 0.7933595776557922, 0.07146154344081879},
		// [2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.0, 3.9, 3.1]
		{"n10", []float64{2.1, 3.4, 1.9, 5.6, 4.4, 3.3, 2.8, 4.0, 3.9, 3.1}, 0.9690583348274231, 0.8819795846939087},
		// sm64(12, 11)
		{"n11", swGen(12, 11), 0.8503988981246948, 0.043191783130168915},
		// sm64(13, 12)
		{"n12", swGen(13, 12), 0.9247181415557861, 0.32746487855911255},
		// sm64(1, 20)
		{"n20 uniform", swGen(1, 20), 0.9761943817138672, 0.8761598467826843},
		// sm64(2, 50)**2
		{"n50 squared", swMap(func(v ...float64) float64 { return v[0] * v[0] }, swGen(2, 50)), 0.8818102478981018, 0.00012703538232017308},
		// np.floor(sm64(9, 30)*5)
		{"n30 ties", swMap(func(v ...float64) float64 { return math.Floor(v[0] * 5) }, swGen(9, 30)), 0.8821547031402588, 0.003160574473440647},
		// sm64(3, 200) + sm64(4, 200)
		{"n200 triangular", swMap(sum, swGen(3, 200), swGen(4, 200)), 0.9846221804618835, 0.028031401336193085},
		// np.floor(sm64(10, 200)*8) + np.floor(sm64(11, 200)*8)
		{"n200 ties", swMap(func(v ...float64) float64 { return math.Floor(v[0]*8) + math.Floor(v[1]*8) }, swGen(10, 200), swGen(11, 200)), 0.9842000007629395, 0.024255642667412758},
		// sm64(5, 1000)
		{"n1000 uniform", swGen(5, 1000), 0.9567047357559204, 1.3086631241810358e-16},
		// sm64(6, 1000) + sm64(7, 1000) + sm64(8, 1000)
		{"n1000 sum3", swMap(sum, swGen(6, 1000), swGen(7, 1000), swGen(8, 1000)), 0.9958301782608032, 0.00832127220928669},
		// [1.0, 1.0, 1.0, 1.0]: scipy warns about the zero range.
		{"constant", []float64{1, 1, 1, 1}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := slices.Clone(tc.x)
			slices.Sort(x)
			w, p := ShapiroWilk(x)
			if math.Abs(w-tc.w) > 1e-6 {
				t.Errorf("W = %.10g, want %.10g (±1e-6)", w, tc.w)
			}
			if math.Abs(p-tc.p) > 1e-3*tc.p+1e-6 {
				t.Errorf("p = %.10g, want %.10g (±1e-3 relative + 1e-6)", p, tc.p)
			}
		})
	}
}

func TestShapiroWilkPanicsOnShortSample(t *testing.T) {
	defer func() {
		if r := recover(); r != swShortPanic {
			t.Fatalf("recover() = %v, want %q", r, swShortPanic)
		}
	}()
	ShapiroWilk([]float64{1, 2})
}

func BenchmarkShapiroWilk(b *testing.B) {
	x := swGen(1, 200)
	slices.Sort(x)
	b.ReportAllocs()
	for b.Loop() {
		ShapiroWilk(x)
	}
}
