package outlier

import (
	"math"
	"math/bits"
	"slices"
)

// Panic messages for programmer errors.
const (
	errNoRows    = "outlier: reference has no rows"
	errNoCols    = "outlier: reference rows have no columns"
	errRagged    = "outlier: reference rows differ in length"
	errRowLen    = "outlier: row length differs from the reference's"
	errBadFPR    = "outlier: fpr must be in (0, 1)"
	errBadK      = "outlier: k must be in [1, rows)"
	errBadMethod = "outlier: unknown method"
)

// MADScale is 1/Φ⁻¹(3/4): the factor that makes the median absolute
// deviation a consistent estimator of the standard deviation of normal
// data (scipy.stats.median_abs_deviation with scale='normal').
const MADScale = 1.482602218505602

// RobustZ holds, per feature, the median and the robust scale of the
// reference. The z-score of x in feature j is
//
//	z_j = (x_j − median_j) / s_j,   s_j = 1.4826 · median_i |r_ij − median_j|
//
// which matches (x − np.median(r)) / scipy.stats.median_abs_deviation(r,
// scale='normal'). When more than half of a feature's reference values are
// equal, its MAD is 0; s_j then falls back to 1.2533 · the mean absolute
// deviation from the median (√(π/2), consistent for normal data), and when
// that is 0 too (a constant feature) z_j is 0 at the median and ±Inf
// elsewhere.
type RobustZ struct {
	Median []float64
	Scale  []float64
	Min    []float64 // the reference's range, for data-quality checks
	Max    []float64
}

// FitRobustZ fits a RobustZ on the reference rows. It panics if ref is
// empty or ragged. NaN values are left out of each feature's statistics.
func FitRobustZ(ref [][]float64) *RobustZ {
	d := checkRef(ref)
	z := &RobustZ{
		Median: make([]float64, d), Scale: make([]float64, d),
		Min: make([]float64, d), Max: make([]float64, d),
	}
	col := make([]float64, 0, len(ref))
	for j := range d {
		col = col[:0]
		for _, r := range ref {
			if !math.IsNaN(r[j]) {
				col = append(col, r[j])
			}
		}
		if len(col) == 0 {
			z.Median[j], z.Scale[j], z.Min[j], z.Max[j] = 0, 0, math.Inf(1), math.Inf(-1)
			continue
		}
		lo, hi := col[0], col[0]
		for _, v := range col {
			lo, hi = min(lo, v), max(hi, v)
		}
		z.Min[j], z.Max[j] = lo, hi
		med := median(col)
		var meanAD float64
		for i, v := range col {
			col[i] = math.Abs(v - med)
			meanAD += col[i]
		}
		meanAD /= float64(len(col))
		s := MADScale * median(col)
		if s == 0 {
			s = math.Sqrt(math.Pi/2) * meanAD
		}
		// Deviations of values near ±MaxFloat64 overflow; a finite scale
		// keeps z from being Inf/Inf = NaN.
		z.Median[j], z.Scale[j] = med, min(s, math.MaxFloat64)
	}
	return z
}

// median returns the median of a, which must not be empty, reordering a.
// It runs in expected linear time (quickselect with a median-of-three
// pivot, falling back to sorting when partitions stay unbalanced).
func median(a []float64) float64 {
	n := len(a)
	hi := selectK(a, n/2)
	if n%2 == 1 {
		return hi
	}
	lo := a[0] // the largest of a[:n/2], all ≤ hi after selectK
	for _, v := range a[1 : n/2] {
		lo = max(lo, v)
	}
	return lo/2 + hi/2 // (lo + hi)/2 without overflow; the same otherwise
}

// selectK reorders a so that a[k] is its k-th smallest value, with no
// larger value before it and no smaller one after, and returns a[k].
func selectK(a []float64, k int) float64 {
	budget := 2 * bits.Len(uint(len(a)))
	for len(a) > 16 {
		if budget--; budget < 0 {
			slices.Sort(a)
			return a[k]
		}
		m := len(a) / 2
		if a[m] < a[0] {
			a[m], a[0] = a[0], a[m]
		}
		if a[len(a)-1] < a[0] {
			a[len(a)-1], a[0] = a[0], a[len(a)-1]
		}
		if a[len(a)-1] < a[m] {
			a[len(a)-1], a[m] = a[m], a[len(a)-1]
		}
		p := a[m]
		i, j := 0, len(a)-1
		for i <= j {
			for a[i] < p {
				i++
			}
			for a[j] > p {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// a[:j+1] ≤ p ≤ a[i:], and a[j+1:i] == p.
		switch {
		case k <= j:
			a = a[:j+1]
		case k >= i:
			a, k = a[i:], k-i
		default:
			return a[k]
		}
	}
	// Insertion sort of the small rest.
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
	return a[k]
}

// Z returns the z-score of value v in feature j.
func (z *RobustZ) Z(j int, v float64) float64 {
	d := v - z.Median[j]
	if z.Scale[j] == 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(int(math.Copysign(1, d)))
	}
	return d / z.Scale[j]
}

// Score implements Scorer: the largest |z_j| over the features of x.
func (z *RobustZ) Score(x []float64) float64 {
	if len(x) != len(z.Median) {
		panic(errRowLen)
	}
	var m float64
	for j, v := range x {
		m = max(m, math.Abs(z.Z(j, v)))
	}
	return m
}

// Extreme is one feature of a row and its robust z-score.
type Extreme struct {
	Feature int
	Value   float64
	Z       float64
}

// Top appends to dst the k features of x with the largest |z|, most
// extreme first (ties by feature index), and returns the extended slice.
func (z *RobustZ) Top(dst []Extreme, x []float64, k int) []Extreme {
	if len(x) != len(z.Median) {
		panic(errRowLen)
	}
	start := len(dst)
	for j, v := range x {
		e := Extreme{Feature: j, Value: v, Z: z.Z(j, v)}
		top := dst[start:]
		if len(top) == k && !moreExtreme(e, top[k-1]) {
			continue
		}
		if len(top) < k {
			dst = append(dst, e)
		} else {
			dst[len(dst)-1] = e
		}
		// Insertion step: bubble the new entry up.
		for i := len(dst) - 1; i > start && moreExtreme(dst[i], dst[i-1]); i-- {
			dst[i], dst[i-1] = dst[i-1], dst[i]
		}
	}
	return dst
}

func moreExtreme(a, b Extreme) bool {
	if math.Abs(a.Z) != math.Abs(b.Z) {
		return math.Abs(a.Z) > math.Abs(b.Z)
	}
	return a.Feature < b.Feature
}

// checkRef returns the number of columns of ref, or panics.
func checkRef(ref [][]float64) int {
	if len(ref) == 0 {
		panic(errNoRows)
	}
	d := len(ref[0])
	if d == 0 {
		panic(errNoCols)
	}
	for _, r := range ref {
		if len(r) != d {
			panic(errRagged)
		}
	}
	return d
}
