package drift

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// The expected values below come from /usr/bin/python3 with scipy 1.10.1 and
// numpy 1.24.2. Generated samples use this splitmix64 stream, reproduced
// bit for bit by ksGen (integer arithmetic, then an exact scaling by 2**-53;
// the transforms are single IEEE operations, so both sides agree exactly):
//
//	import numpy as np
//	from scipy import stats
//	from scipy.stats import kstwo
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
//
// Each case's comment is the expression that produced its numbers.

// ksGen returns n values of the sm64(seed, n) stream above, mapped through
// f when f is not nil, sorted ascending.
func ksGen(seed uint64, n int, f func(u float64) float64) []float64 {
	out := make([]float64, n)
	s := seed
	for i := range out {
		s += 0x9E3779B97F4A7C15
		z := s
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		u := float64(z>>11) * 0x1p-53
		if f != nil {
			u = f(u)
		}
		out[i] = u
	}
	slices.Sort(out)
	return out
}

// ksRange returns the integers lo, lo+step, ... below hi as float64.
func ksRange(lo, hi, step int) []float64 {
	var out []float64
	for v := lo; v < hi; v += step {
		out = append(out, float64(v))
	}
	return out
}

// ksCheckClose fails the test unless got is within relative tolerance rtol
// of want; when want is 0, got must be below 1e-300.
func ksCheckClose(t *testing.T, what string, got, want, rtol float64) {
	t.Helper()
	if want == 0 {
		if !(got >= 0 && got < 1e-300) {
			t.Errorf("%s = %v, want 0", what, got)
		}
		return
	}
	if !(math.Abs(got-want) <= rtol*math.Abs(want)) {
		t.Errorf("%s = %v, want %v (rel err %.3g, tol %g)", what, got, want, math.Abs(got-want)/math.Abs(want), rtol)
	}
}

const (
	ksTolD = 1e-6
	ksTolP = 1e-4
)

func TestKS(t *testing.T) {
	tests := []struct {
		name  string
		x, y  []float64
		wantD float64
		wantP float64
	}{
		// stats.ks_2samp([1, 2, 3, 4, 5], [2.5, 3.5, 6, 7])
		{"unequal_5_4", []float64{1, 2, 3, 4, 5}, []float64{2.5, 3.5, 6, 7}, 0.5, 0.5634920634920635},
		// stats.ks_2samp([0.1, 0.4, 0.7, 1.2, 1.9, 2.5], [0.3, 0.5, 1.1, 2.0, 2.2, 3.1])
		{"equal_6_6", []float64{0.1, 0.4, 0.7, 1.2, 1.9, 2.5}, []float64{0.3, 0.5, 1.1, 2, 2.2, 3.1}, 0.3333333333333333, 0.9307359307359307},
		// stats.ks_2samp([0.5], [0.1, 0.2, 0.9])
		{"n1_1_vs_3", []float64{0.5}, []float64{0.1, 0.2, 0.9}, 0.6666666666666666, 1.0},
		// stats.ks_2samp([1.0], [2.0])
		{"n1_1_vs_1", []float64{1}, []float64{2}, 1.0, 1.0},
		// stats.ks_2samp([1.0], [1.0])
		{"n1_1_vs_1_equal", []float64{1}, []float64{1}, 0.0, 1.0},
		// stats.ks_2samp([1.0, 2.0], [3.0])
		{"n2_2_vs_1", []float64{1, 2}, []float64{3}, 1.0, 0.6666666666666666},
		// stats.ks_2samp([1.0, 4.0], [2.0, 3.0])
		{"n2_2_vs_2", []float64{1, 4}, []float64{2, 3}, 0.5, 1.0},
		// stats.ks_2samp([0, 0, 0, 1, 1, 2, 2, 2, 2, 3], [0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 4])
		{"ties_10_12", []float64{0, 0, 0, 1, 1, 2, 2, 2, 2, 3}, []float64{0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3, 4}, 0.4, 0.2829492488935213},
		// stats.ks_2samp([2, 2, 2], [2, 2, 2, 2])
		{"all_tied", []float64{2, 2, 2}, []float64{2, 2, 2, 2}, 0.0, 1.0},
		// stats.ks_2samp([1, 2, 3, 4, 5, 6, 7], [1, 2, 3, 4, 5, 6, 7])
		{"identical", []float64{1, 2, 3, 4, 5, 6, 7}, []float64{1, 2, 3, 4, 5, 6, 7}, 0.0, 1.0},
		// stats.ks_2samp([6, 7, 8, 9, 10], [1, 2, 3, 4, 11])
		{"negative_max_5_5", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 11}, 0.8, 0.07936507936507936},
		// stats.ks_2samp([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
		{"fallback_5_5_h1", []float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}, 0.2, 1.0},
		// stats.ks_2samp([-np.inf, 0, 1, np.inf], [-1, 0.5, 2])
		{"infinities", []float64{math.Inf(-1), 0, 1, math.Inf(1)}, []float64{-1, 0.5, 2}, 0.25, 1.0},
		// stats.ks_2samp(list(range(1, 51)), list(range(51, 91)))
		{"separated_50_40", ksRange(1, 51, 1), ksRange(51, 91, 1), 1.0, 3.340520538602392e-26},
		// stats.ks_2samp(list(range(51, 91)), list(range(1, 51)))
		{"separated_reversed", ksRange(51, 91, 1), ksRange(1, 51, 1), 1.0, 3.340520538602392e-26},
		// stats.ks_2samp(list(range(0, 60, 2)), list(range(1, 61, 2))); exact p is
		// 1.0000000000000004, so scipy falls back to the asymptotic method.
		{"fallback_30_30_h1", ksRange(0, 60, 2), ksRange(1, 61, 2), 0.03333333333333333, 1.0},
		// stats.ks_2samp(sm64(1, 3000), sm64(2, 5000) + 0.03)
		{"exact_3000_5000", ksGen(1, 3000, nil),
			ksGen(2, 5000, func(u float64) float64 { return u + 0.03 }),
			0.053533333333333336, 4.150005794932718e-05},
		// stats.ks_2samp(sm64(3, 5000), sm64(4, 5000) + 0.02)
		{"exact_5000_5000", ksGen(3, 5000, nil),
			ksGen(4, 5000, func(u float64) float64 { return u + 0.02 }),
			0.0352, 0.004075699259476923},
		// stats.ks_2samp(sm64(5, 500), sm64(6, 500) + 0.36)
		{"exact_500_500_p1e-30", ksGen(5, 500, nil),
			ksGen(6, 500, func(u float64) float64 { return u + 0.36 }),
			0.402, 1.7189606114401097e-36},
		// stats.ks_2samp(sm64(7, 997), sm64(8, 1009) ** 2)
		{"exact_997_1009_square", ksGen(7, 997, nil),
			ksGen(8, 1009, func(u float64) float64 { return u * u }),
			0.24602946599958447, 3.7514532609794946e-27},
		// stats.ks_2samp(sm64(9, 10000), sm64(10, 9999) + 0.01)
		{"exact_10000_9999", ksGen(9, 10000, nil),
			ksGen(10, 9999, func(u float64) float64 { return u + 0.01 }),
			0.017952795279527953, 0.07821362850866835},
		// stats.ks_2samp(np.floor(sm64(11, 1000) * 5), np.floor(sm64(12, 700) * 5.5))
		{"exact_ties_1000_700", ksGen(11, 1000, func(u float64) float64 { return math.Floor(u * 5) }),
			ksGen(12, 700, func(u float64) float64 { return math.Floor(u * 5.5) }),
			0.08, 0.009662797848588138},
		// stats.ks_2samp(np.floor(sm64(13, 600) * 8), np.floor(sm64(14, 600) * 8 + 0.3))
		{"exact_ties_600_600", ksGen(13, 600, func(u float64) float64 { return math.Floor(u * 8) }),
			ksGen(14, 600, func(u float64) float64 { return math.Floor(float64(u*8) + 0.3) }),
			0.04833333333333333, 0.48536892698523965},
		// stats.ks_2samp(sm64(15, 20000), sm64(16, 15000))
		{"asymp_20000_15000_same", ksGen(15, 20000, nil),
			ksGen(16, 15000, nil),
			0.007383333333333339, 0.7354863791941417},
		// stats.ks_2samp(sm64(17, 20000), sm64(18, 15000) + 0.02)
		{"asymp_20000_15000_shift", ksGen(17, 20000, nil),
			ksGen(18, 15000, func(u float64) float64 { return u + 0.02 }),
			0.039000000000000035, 9.180032006668066e-12},
		// stats.ks_2samp(sm64(19, 20000), sm64(20, 15000) + 0.065)
		{"asymp_20000_15000_p1e-30", ksGen(19, 20000, nil),
			ksGen(20, 15000, func(u float64) float64 { return u + 0.065 }),
			0.07358333333333333, 8.372315259791203e-41},
		// stats.ks_2samp(sm64(21, 20000), sm64(22, 50) + 0.05)
		{"asymp_20000_50_durbin", ksGen(21, 20000, nil),
			ksGen(22, 50, func(u float64) float64 { return u + 0.05 }),
			0.2097, 0.02086564075619768},
		// stats.ks_2samp(sm64(23, 20000), sm64(24, 50) + 0.2)
		{"asymp_20000_50_pomeranz", ksGen(23, 20000, nil),
			ksGen(24, 50, func(u float64) float64 { return u + 0.2 }),
			0.28900000000000003, 0.0003423622763269646},
		// stats.ks_2samp(sm64(25, 20000), sm64(26, 50) + 0.4)
		{"asymp_20000_50_smirnov", ksGen(25, 20000, nil),
			ksGen(26, 50, func(u float64) float64 { return u + 0.4 }),
			0.40405, 6.923295697257749e-08},
		// stats.ks_2samp(sm64(27, 20001), sm64(28, 1))
		{"asymp_20001_1", ksGen(27, 20001, nil),
			ksGen(28, 1, nil),
			0.5641717914104295, 0.871656417179141},
		// stats.ks_2samp(sm64(29, 10001), sm64(30, 3) * 0.5)
		{"asymp_10001_3", ksGen(29, 10001, nil),
			ksGen(30, 3, func(u float64) float64 { return u * 0.5 }),
			0.6401359864013598, 0.09590975888094708},
		// stats.ks_2samp(sm64(31, 300000), sm64(32, 200000))
		{"asymp_300000_200000_same", ksGen(31, 300000, nil),
			ksGen(32, 200000, nil),
			0.0023749999999999882, 0.5068907772630915},
		// stats.ks_2samp(sm64(33, 300000), sm64(34, 200000) + 0.006)
		{"asymp_300000_200000_shift", ksGen(33, 300000, nil),
			ksGen(34, 200000, func(u float64) float64 { return u + 0.006 }),
			0.0076683333333333326, 1.477847252402516e-06},
		// stats.ks_2samp(np.floor(sm64(35, 30000) * 20), np.floor(sm64(36, 20000) * 20 + 0.1))
		{"asymp_ties_30000_20000", ksGen(35, 30000, func(u float64) float64 { return math.Floor(u * 20) }),
			ksGen(36, 20000, func(u float64) float64 { return math.Floor(float64(u*20) + 0.1) }),
			0.007683333333333375, 0.47573209025837637},
		// stats.ks_2samp(sm64(37, 12000), sm64(38, 11000) + 1)
		{"asymp_separated_12000_11000", ksGen(37, 12000, nil),
			ksGen(38, 11000, func(u float64) float64 { return u + 1 }),
			1.0, 0.0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, p := KS(tt.x, tt.y)
			ksCheckClose(t, "D", d, tt.wantD, ksTolD)
			ksCheckClose(t, "p", p, tt.wantP, ksTolP)
			// The test is symmetric in its samples.
			d2, p2 := KS(tt.y, tt.x)
			if d2 != d || p2 != p {
				t.Errorf("KS(y, x) = %v, %v; KS(x, y) = %v, %v", d2, p2, d, p)
			}
		})
	}
}

func TestKSPanicsOnEmpty(t *testing.T) {
	for _, tt := range []struct {
		name string
		x, y []float64
	}{
		{"x", nil, []float64{1}},
		{"y", []float64{1}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != ksEmptyPanic {
					t.Errorf("recovered %v, want %q", r, ksEmptyPanic)
				}
			}()
			KS(tt.x, tt.y)
		})
	}
}

// TestKSTwoSF checks every branch of the asymptotic distribution against
// scipy.stats.kstwo.sf(d, n).
func TestKSTwoSF(t *testing.T) {
	tests := []struct {
		d    float64
		n    int
		want float64
	}{
		{0.3, 1, 1.0},                           // kstwo.sf(0.3, 1)
		{0.7, 1, 0.6000000000000001},            // kstwo.sf(0.7, 1)
		{0.15, 5, 0.9988},                       // kstwo.sf(0.15, 5)
		{0.004, 200, 1.0},                       // kstwo.sf(0.004, 200)
		{0.95, 10, 1.9531250000000172e-13},      // kstwo.sf(0.95, 10)
		{0.6, 10, 0.0005681672000000003},        // kstwo.sf(0.6, 10)
		{0.1, 50, 0.6623112704658186},           // kstwo.sf(0.1, 50)
		{0.2, 50, 0.03143877776953241},          // kstwo.sf(0.2, 50)
		{0.35, 50, 5.573523514803185e-06},       // kstwo.sf(0.35, 50)
		{0.05, 140, 0.8576480297656114},         // kstwo.sf(0.05, 140)
		{0.05, 141, 0.8548456930096628},         // kstwo.sf(0.05, 141)
		{0.01, 1000, 0.9999496745370611},        // kstwo.sf(0.01, 1000)
		{0.03, 1000, 0.3226902143914636},        // kstwo.sf(0.03, 1000)
		{0.06, 1000, 0.001428597887952891},      // kstwo.sf(0.06, 1000)
		{0.2, 1000, 1.5528629204250538e-35},     // kstwo.sf(0.2, 1000)
		{0.05, 5000, 2.6523052328711187e-11},    // kstwo.sf(0.05, 5000)
		{0.0005, 100000, 1.0},                   // kstwo.sf(0.0005, 100000)
		{0.0012, 100000, 0.9987152228627266},    // kstwo.sf(0.0012, 100000)
		{0.003, 500000, 0.00024632301239186754}, // kstwo.sf(0.003, 500000)
		{0.0015, 500000, 0.21034190155828947},   // kstwo.sf(0.0015, 500000)
		{0.008, 500000, 3.187747433484973e-28},  // kstwo.sf(0.008, 500000)
		{0.02, 500000, 3.6481966551764204e-174}, // kstwo.sf(0.02, 500000)
		{0.002, 2000000, 2.247704493692889e-07}, // kstwo.sf(0.002, 2000000)
		{0.6, 8571, 0.0},                        // kstwo.sf(0.6, 8571)
		{0.3, 8571, 0.0},                        // kstwo.sf(0.3, 8571)
		{0.01, 8571, 0.35577624429321764},       // kstwo.sf(0.01, 8571)
		{0.02, 8571, 0.002075777528008902},      // kstwo.sf(0.02, 8571)
		{0.001, 8571, 1.0},                      // kstwo.sf(0.001, 8571)
		{0.07, 1013, 9.237618919179245e-05},     // kstwo.sf(0.07, 1013)
		{0.07, 1012, 9.328692488622285e-05},     // kstwo.sf(0.07, 1012)
		{0.5, 3, 0.3333333333333333},            // kstwo.sf(0.5, 3)
		{0.34, 3, 0.7599146666666666},           // kstwo.sf(0.34, 3)
		{0.9, 2, 0.01999999999999999},           // kstwo.sf(0.9, 2)
		// A sweep over n*d*d in {0.3, 1.5, 2.2, 5, 20, 100, 300}, d = sqrt(a2/n) to 6
		// significant digits.
		{0.017209, 1013, 0.9199323490997697},         // kstwo.sf(0.017209, 1013)
		{0.0384805, 1013, 0.09700867262559276},       // kstwo.sf(0.0384805, 1013)
		{0.0466022, 1013, 0.023775599050308793},      // kstwo.sf(0.0466022, 1013)
		{0.0702555, 1013, 8.588013624190182e-05},     // kstwo.sf(0.0702555, 1013)
		{0.140511, 1013, 6.533386413436219e-18},      // kstwo.sf(0.140511, 1013)
		{0.314192, 1013, 2.2663232953154063e-89},     // kstwo.sf(0.314192, 1013)
		{0.544197, 1013, 1.0462738993108445e-281},    // kstwo.sf(0.544197, 1013)
		{0.00845154, 4200, 0.922549306321355},        // kstwo.sf(0.00845154, 4200)
		{0.0188982, 4200, 0.09830866997207321},       // kstwo.sf(0.0188982, 4200)
		{0.0228869, 4200, 0.024175926418794135},      // kstwo.sf(0.0228869, 4200)
		{0.0345033, 4200, 8.854553148932583e-05},     // kstwo.sf(0.0345033, 4200)
		{0.0690066, 4200, 7.793115330198222e-18},     // kstwo.sf(0.0690066, 4200)
		{0.154303, 4200, 8.643198086207512e-88},      // kstwo.sf(0.154303, 4200)
		{0.267261, 4200, 2.2803771665744118e-265},    // kstwo.sf(0.267261, 4200)
		{0.0057735, 9000, 0.923352086677572},         // kstwo.sf(0.0057735, 9000)
		{0.0129099, 9000, 0.09870731306835001},       // kstwo.sf(0.0129099, 9000)
		{0.0156347, 9000, 0.024297107003839913},      // kstwo.sf(0.0156347, 9000)
		{0.0235702, 9000, 8.92977088267055e-05},      // kstwo.sf(0.0235702, 9000)
		{0.0471405, 9000, 8.079748808059522e-18},     // kstwo.sf(0.0471405, 9000)
		{0.105409, 9000, 1.5788503986737647e-87},     // kstwo.sf(0.105409, 9000)
		{0.182574, 9000, 5.1604311582465134e-263},    // kstwo.sf(0.182574, 9000)
		{0.00387298, 20000, 0.9239225616911685},      // kstwo.sf(0.00387298, 20000)
		{0.00866025, 20000, 0.09898751792225258},     // kstwo.sf(0.00866025, 20000)
		{0.0104881, 20000, 0.024381919521180268},     // kstwo.sf(0.0104881, 20000)
		{0.0158114, 20000, 8.980644260619922e-05},    // kstwo.sf(0.0158114, 20000)
		{0.0316228, 20000, 8.248918961427725e-18},    // kstwo.sf(0.0316228, 20000)
		{0.0707107, 20000, 2.1172587661750414e-87},   // kstwo.sf(0.0707107, 20000)
		{0.122474, 20000, 6.578210974822928e-262},    // kstwo.sf(0.122474, 20000)
		{0.00158114, 120000, 0.9246100119779389},     // kstwo.sf(0.00158114, 120000)
		{0.00353553, 120000, 0.09932792453650585},    // kstwo.sf(0.00353553, 120000)
		{0.00428174, 120000, 0.02448461491087439},    // kstwo.sf(0.00428174, 120000)
		{0.00645497, 120000, 9.040388551335293e-05},  // kstwo.sf(0.00645497, 120000)
		{0.0129099, 120000, 8.414361627523743e-18},   // kstwo.sf(0.0129099, 120000)
		{0.0288675, 120000, 2.617720008276485e-87},   // kstwo.sf(0.0288675, 120000)
		{0.05, 120000, 3.6760193902354513e-261},      // kstwo.sf(0.05, 120000)
		{0.000774597, 500000, 0.9248525778494616},    // kstwo.sf(0.000774597, 500000)
		{0.00173205, 500000, 0.09944720505518201},    // kstwo.sf(0.00173205, 500000)
		{0.00209762, 500000, 0.024520071657896585},   // kstwo.sf(0.00209762, 500000)
		{0.00316228, 500000, 9.060568588777127e-05},  // kstwo.sf(0.00316228, 500000)
		{0.00632456, 500000, 8.457600019915845e-18},  // kstwo.sf(0.00632456, 500000)
		{0.0141421, 500000, 2.7205344111501343e-87},  // kstwo.sf(0.0141421, 500000)
		{0.0244949, 500000, 4.8145301228771e-261},    // kstwo.sf(0.0244949, 500000)
		{0.000547723, 1000000, 0.9249205703605047},   // kstwo.sf(0.000547723, 1000000)
		{0.00122474, 1000000, 0.09948296013953972},   // kstwo.sf(0.00122474, 1000000)
		{0.00148324, 1000000, 0.024530338651055278},  // kstwo.sf(0.00148324, 1000000)
		{0.00223607, 1000000, 9.066215761585053e-05}, // kstwo.sf(0.00223607, 1000000)
		{0.00447214, 1000000, 8.469370275498625e-18}, // kstwo.sf(0.00447214, 1000000)
		{0.01, 1000000, 2.7373304415481205e-87},      // kstwo.sf(0.01, 1000000)
		{0.0173205, 1000000, 5.03792786266608e-261},  // kstwo.sf(0.0173205, 1000000)
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("d=%v/n=%d", tt.d, tt.n), func(t *testing.T) {
			ksCheckClose(t, "sf", ksTwoSF(tt.d, tt.n), tt.want, ksTolP)
		})
	}
}

// TestKSProbOutsideSquare checks the equal-n exact series bit for bit,
// including values just above 1 that make scipy fall back to the
// asymptotic method.
func TestKSProbOutsideSquare(t *testing.T) {
	tests := []struct {
		n, h int
		want float64
	}{
		// from scipy.stats._stats_py import _compute_prob_outside_square
		{5, 1, 1.0000000000000002},       // _compute_prob_outside_square(5, 1)
		{30, 1, 1.0000000000000004},      // _compute_prob_outside_square(30, 1)
		{60, 2, 1.0000000000000002},      // _compute_prob_outside_square(60, 2)
		{73, 2, 1.0000000000000004},      // _compute_prob_outside_square(73, 2)
		{6, 2, 0.9307359307359307},       // _compute_prob_outside_square(6, 2)
		{100, 7, 0.9684099261397212},     // _compute_prob_outside_square(100, 7)
		{500, 40, 0.08150167321107067},   // _compute_prob_outside_square(500, 40)
		{5000, 100, 0.27001861264689325}, // _compute_prob_outside_square(5000, 100)
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d/h=%d", tt.n, tt.h), func(t *testing.T) {
			if got := ksProbOutsideSquare(tt.n, tt.h); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKSProbOutsideBand checks the unequal-n exact recursion.
func TestKSProbOutsideBand(t *testing.T) {
	tests := []struct {
		m, n, h int
		want    float64
	}{
		// from scipy.stats._stats_pythran import _compute_outer_prob_inside_method as f
		// f(m, n, np.gcd(m, n), h)
		{3, 5, 1, 1.0},
		{3, 5, 2, 1.0},
		{3, 5, 3, 1.0},
		{3, 5, 5, 0.9642857142857143},
		{3, 5, 7, 0.6785714285714286},
		{3, 5, 10, 0.2857142857142857},
		{3, 5, 14, 0.03571428571428571},
		{3, 5, 15, 0.03571428571428571},
		{4, 6, 1, 1.0},
		{4, 6, 2, 1.0},
		{4, 6, 4, 0.9238095238095237},
		{4, 6, 6, 0.5523809523809524},
		{4, 6, 8, 0.18095238095238098},
		{4, 6, 11, 0.009523809523809525},
		{4, 6, 12, 0.009523809523809525},
		{7, 11, 1, 1.0},
		{7, 11, 2, 1.0},
		{7, 11, 12, 0.9989944695827049},
		{7, 11, 25, 0.6101055806938162},
		{7, 11, 38, 0.173202614379085},
		{7, 11, 51, 0.024384112619406737},
		{7, 11, 76, 6.28456510809452e-05},
		{7, 11, 77, 6.28456510809452e-05},
		{12, 8, 1, 1.0},
		{12, 8, 2, 1.0},
		{12, 8, 4, 0.9979677701039928},
		{12, 8, 8, 0.5953480987536715},
		{12, 8, 12, 0.1495594189092641},
		{12, 8, 16, 0.0182106850837501},
		{12, 8, 23, 1.5876796062554575e-05},
		{12, 8, 24, 1.5876796062554575e-05},
		{25, 40, 1, 1.0},
		{25, 40, 2, 1.0},
		{25, 40, 29, 0.8543044738760901},
		{25, 40, 66, 0.05484628273785974},
		{25, 40, 100, 0.00050184661034375},
		{25, 40, 133, 5.507555339342054e-07},
		{25, 40, 199, 3.0689547755990796e-18},
		{25, 40, 200, 3.0689547755990796e-18},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("m=%d/n=%d/h=%d", tt.m, tt.n, tt.h), func(t *testing.T) {
			got := ksProbOutsideBand(tt.m, tt.n, gcd(tt.m, tt.n), tt.h)
			ksCheckClose(t, "p", got, tt.want, 1e-12)
		})
	}
}

// TestKSSmirnovSum checks the peak-outward summation used for large n
// against summing every term.
func TestKSSmirnovSum(t *testing.T) {
	for _, tt := range []struct {
		n int
		x float64
	}{
		{5000, 0.03}, {5000, 0.2}, {120000, 0.0045}, {120000, 0.04}, {500000, 0.0021}, {1000000, 0.012},
	} {
		t.Run(fmt.Sprintf("n=%d/x=%v", tt.n, tt.x), func(t *testing.T) {
			fn := float64(tt.n)
			hi := fn * tt.x
			lo := math.FMA(fn, tt.x, -hi)
			last := tt.n - int(math.Floor(hi)) - 1
			full := 0.0
			for j := 0; j <= last; j++ {
				full += math.Exp(ksSmirnovLogTerm(tt.n, j, tt.x, hi, lo, ksLogBinom(tt.n, j)))
			}
			// log C(n, j) from Lgamma carries an absolute error of a few
			// 1e-9 at n = 1e6 (lgamma(n+1) is about 1.3e7), so the two
			// sums agree to about that relative error.
			ksCheckClose(t, "sum", ksSmirnovSum(tt.n, tt.x, hi, lo, last), full, 1e-8)
		})
	}
}

func ExampleKS() {
	ref := []float64{0.1, 0.4, 0.7, 1.2, 1.9, 2.5}
	cur := []float64{0.3, 0.5, 1.1, 2.0, 2.2, 3.1}
	d, p := KS(ref, cur) // both sorted ascending
	fmt.Printf("D=%.4f p=%.4f\n", d, p)
	// Output:
	// D=0.3333 p=0.9307
}

// BenchmarkKS1M measures the asymptotic branch at 1,000,000 values per side.
func BenchmarkKS1M(b *testing.B) {
	x := ksGen(1, 1000000, nil)
	y := ksGen(2, 1000000, func(u float64) float64 { return u + 0.002 })
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		KS(x, y)
	}
}

// BenchmarkKSExact5000 measures the exact branch with n1 == n2.
func BenchmarkKSExact5000(b *testing.B) {
	x := ksGen(3, 5000, nil)
	y := ksGen(4, 5000, func(u float64) float64 { return u + 0.02 })
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		KS(x, y)
	}
}

// BenchmarkKSExact5000x4999 measures the exact branch with n1 != n2.
func BenchmarkKSExact5000x4999(b *testing.B) {
	x := ksGen(5, 5000, nil)
	y := ksGen(6, 4999, func(u float64) float64 { return u + 0.02 })
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		KS(x, y)
	}
}

// TestKSMethods checks the asymptotic and fast variants against scipy:
//
//	import numpy as np; from scipy.stats import ks_2samp
//	x = np.sort([((i*7919) % 1000)/100.0 for i in range(300)])
//	y = np.sort([((i*104729) % 997)/100.0 + 0.8 for i in range(250)])
//	ks_2samp(x, y, method='asymp')  # 0.08466666666666667, 0.2683497010314703
//	ks_2samp(x, y)                  # 0.08466666666666667, 0.2664878434123508 (exact)
//	y2 = np.sort([((i*31) % 53)/5.0 for i in range(45)])
//	ks_2samp(x[:40], y2, method='asymp')  # 0.8666666666666667, 8.575774917484567e-19
func TestKSMethods(t *testing.T) {
	var x, y, y2 []float64
	for i := range 300 {
		x = append(x, float64((i*7919)%1000)/100)
	}
	for i := range 250 {
		y = append(y, float64((i*104729)%997)/100+0.8)
	}
	for i := range 45 {
		y2 = append(y2, float64((i*31)%53)/5)
	}
	slices.Sort(x)
	slices.Sort(y)
	slices.Sort(y2)
	for _, c := range []struct {
		name string
		fn   func(x, y []float64) (float64, float64)
		x, y []float64
		d, p float64
	}{
		{"asymptotic", KSAsymptotic, x, y, 0.08466666666666667, 0.2683497010314703},
		{"asymptotic, large D", KSAsymptotic, x[:40], y2, 0.8666666666666667, 8.575774917484567e-19},
		// 300*250*min(1, 2*0.085) = 12,700 steps: cheap, so exact.
		{"fast, cheap", KSFast, x, y, 0.08466666666666667, 0.2664878434123508},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, p := c.fn(c.x, c.y)
			ksCheckClose(t, "D", d, c.d, 1e-12)
			ksCheckClose(t, "p", p, c.p, 1e-9)
		})
	}

	// 10,000 against 9,999 values: KS is exact (and slow), KSFast is
	// asymptotic; equal sizes stay exact (O(n)).
	big := make([]float64, 10_000)
	for i := range big {
		big[i] = float64(i) / 10_000
	}
	shifted := make([]float64, 9_999)
	for i := range shifted {
		shifted[i] = float64(i)/10_000 + 0.02
	}
	d1, p1 := KSFast(big, shifted)
	d2, p2 := KSAsymptotic(big, shifted)
	if d1 != d2 || p1 != p2 {
		t.Errorf("KSFast(10000 vs 9999) = %v %v, want the asymptotic %v %v", d1, p1, d2, p2)
	}
	d3, p3 := KSFast(big, big[:len(big):len(big)])
	d4, p4 := KS(big, big)
	if d3 != d4 || p3 != p4 {
		t.Errorf("KSFast(equal sizes) = %v %v, want the exact %v %v", d3, p3, d4, p4)
	}
}
