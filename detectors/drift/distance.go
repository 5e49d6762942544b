package drift

import "math"

// Panic messages for programmer errors in the distance functions.
const (
	distLengthMismatch = "drift: distributions have different lengths"
	distBadBins        = "drift: number of bins must be positive"
)

// PSIEpsilon is the proportion that replaces an empty bin in PSI, where the
// logarithm would otherwise be infinite. It is Evidently's value. The
// replacement is made after normalising and the other proportions are not
// renormalised, again as Evidently does: renormalising would change the terms
// of the non-empty bins, and the convention only exists to keep the empty
// ones finite.
const PSIEpsilon = 1e-4

// QuantileEdges appends to dst the interior bin edges at the reference's
// i/bins quantiles, i = 1, ..., bins−1 (the deciles for bins = 10), dropping
// any edge that is not larger than the previous one, and returns the extended
// slice. The bins they define are open at both ends and closed on the right:
//
//	(−∞, e_0], (e_0, e_1], ..., (e_last, +∞)
//
// so a current sample may fall outside the reference's range without being
// lost. The quantile is numpy's default ('linear', Hyndman and Fan type 7):
// with n = len(refSorted), h = (n−1)·i/bins, j = ⌊h⌋ and g = h − j,
//
//	Q(i/bins) = x_j + g·(x_{j+1} − x_j)
//
// evaluated in numpy's order (from x_{j+1} downwards when g ≥ 0.5), so it
// matches numpy.quantile(ref, i/bins) to the last bit in ordinary cases.
// Duplicated quantiles (a reference with few distinct values, or a constant
// one, which yields a single edge) are removed, so fewer than bins−1 edges
// may be appended; a bin count is then len(edges)+1, not bins. An empty
// reference appends nothing.
//
// refSorted must be sorted ascending and free of NaN. QuantileEdges panics if
// bins < 1 and allocates only when dst lacks the capacity.
func QuantileEdges(dst, refSorted []float64, bins int) []float64 {
	if bins < 1 {
		panic(distBadBins)
	}
	n := len(refSorted)
	if n == 0 {
		return dst
	}
	start := len(dst)
	for i := 1; i < bins; i++ {
		e := distQuantile7(refSorted, float64(i)/float64(bins))
		if len(dst) > start && e <= dst[len(dst)-1] {
			continue
		}
		dst = append(dst, e)
	}
	return dst
}

// distQuantile7 returns numpy's 'linear' quantile of sorted x at level alpha.
func distQuantile7(x []float64, alpha float64) float64 {
	h := float64(len(x)-1) * alpha
	j := math.Floor(h)
	g := h - j
	lo := int(j)
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	a, b := x[lo], x[lo+1]
	d := b - a
	if g >= 0.5 {
		return b - d*(1-g)
	}
	return a + d*g
}

// BinCounts sets dst to the counts of xSorted in the bins bounded by edges
// and returns it. There are len(edges)+1 bins, open at both ends and closed
// on the right:
//
//	count_0 = #{x ≤ e_0},  count_i = #{e_{i−1} < x ≤ e_i},  count_last = #{x > e_last}
//
// (the bins of numpy.searchsorted(edges, x, side='left')). With no edges, the
// single bin counts every x.
//
// xSorted must be sorted ascending and free of NaN; edges must be strictly
// increasing, as QuantileEdges returns them. dst is resliced to
// len(edges)+1 and allocated only if its capacity is smaller. It runs in
// O(len(xSorted) + len(edges)).
func BinCounts(dst, xSorted, edges []float64) []float64 {
	k := len(edges) + 1
	if cap(dst) < k {
		dst = make([]float64, k)
	} else {
		dst = dst[:k]
		clear(dst)
	}
	j := 0
	for _, x := range xSorted {
		for j < len(edges) && x > edges[j] {
			j++
		}
		dst[j]++
	}
	return dst
}

// distSums returns the totals of two aligned vectors, panicking on a length
// mismatch.
func distSums(ref, cur []float64) (sp, sq float64) {
	if len(ref) != len(cur) {
		panic(distLengthMismatch)
	}
	for i, v := range ref {
		sp += v
		sq += cur[i]
	}
	return sp, sq
}

// PSI returns the population stability index of the current distribution
// against the reference:
//
//	PSI = Σ_i (q_i − p_i)·ln(q_i / p_i)
//
// where p = ref/Σref and q = cur/Σcur, and a proportion that is 0 is replaced
// by PSIEpsilon (without renormalising) so that empty bins contribute a large
// but finite term; a bin empty in both contributes 0. PSI is the symmetrised
// Kullback–Leibler divergence KL(p‖q) + KL(q‖p), so it is symmetric in ref and
// cur and non-negative. Common reading: below 0.1 stable, 0.1–0.25 moderate
// shift, above 0.25 major shift.
//
// ref and cur are counts (or proportions) of the same categories or bins,
// such as BinCounts over QuantileEdges of the reference; entries must be
// non-negative and finite. PSI panics if their lengths differ. If either
// vector sums to zero the index is undefined and PSI returns NaN.
//
// It matches Evidently's psi stat test (its sub_psi with 0.0001 for empty
// bins); the tests check it against the formula evaluated with numpy.
func PSI(ref, cur []float64) float64 {
	sp, sq := distSums(ref, cur)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i, a := range ref {
		p, q := a/sp, cur[i]/sq
		if p == 0 {
			p = PSIEpsilon
		}
		if q == 0 {
			q = PSIEpsilon
		}
		s += (q - p) * math.Log(q/p)
	}
	return s
}

// JensenShannon returns the Jensen–Shannon distance with base-2 logarithms,
// the square root of the Jensen–Shannon divergence:
//
//	m  = (p + q)/2
//	JS = sqrt( (KL(p‖m) + KL(q‖m)) / 2 ),   KL(p‖m) = Σ_i p_i·log2(p_i/m_i)
//
// where p = ref/Σref, q = cur/Σcur and terms with p_i = 0 (or q_i = 0) are 0.
// It is a metric on distributions, symmetric, and lies in [0, 1]: 0 for equal
// distributions, 1 for disjoint supports. A divergence made slightly negative
// by rounding is clamped to 0 (scipy returns NaN there).
//
// ref and cur are aligned counts or probabilities; entries must be
// non-negative and finite. JensenShannon panics if their lengths differ. If
// either vector sums to zero the distance is undefined and it returns NaN,
// as scipy does.
//
// It matches scipy.spatial.distance.jensenshannon(ref, cur, base=2).
func JensenShannon(ref, cur []float64) float64 {
	sp, sq := distSums(ref, cur)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i, a := range ref {
		p, q := a/sp, cur[i]/sq
		m := (p + q) / 2
		if p > 0 {
			s += p * math.Log(p/m)
		}
		if q > 0 {
			s += q * math.Log(q/m)
		}
	}
	s /= math.Ln2
	if s <= 0 {
		return 0
	}
	return math.Sqrt(s / 2)
}

// Hellinger returns the Hellinger distance between the distributions:
//
//	H = sqrt( ½·Σ_i (√p_i − √q_i)² )
//
// where p = ref/Σref and q = cur/Σcur. It is a symmetric metric in [0, 1]: 0
// for equal distributions, 1 for disjoint supports (a result pushed above 1
// by rounding is clamped to 1).
//
// ref and cur are aligned counts or probabilities; entries must be
// non-negative and finite. Hellinger panics if their lengths differ. If either
// vector sums to zero the distance is undefined and it returns NaN.
//
// It matches the numpy expression
// np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q))**2) / 2) on the normalised vectors.
func Hellinger(ref, cur []float64) float64 {
	sp, sq := distSums(ref, cur)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i, a := range ref {
		d := math.Sqrt(a/sp) - math.Sqrt(cur[i]/sq)
		s += d * d
	}
	return min(math.Sqrt(s/2), 1)
}

// TotalVariation returns the total variation distance between the
// distributions:
//
//	TV = ½·Σ_i |p_i − q_i| = max over sets S of categories |p(S) − q(S)|
//
// where p = ref/Σref and q = cur/Σcur: the largest difference in probability
// that any event can show between the two samples, the categorical
// counterpart of the Kolmogorov–Smirnov statistic, which is why it serves as
// the effect size of categorical tests. It is symmetric and lies in [0, 1] (a
// result pushed above 1 by rounding is clamped to 1).
//
// ref and cur are aligned counts or probabilities; entries must be
// non-negative and finite. TotalVariation panics if their lengths differ. If
// either vector sums to zero the distance is undefined and it returns NaN.
//
// It matches the numpy expression np.abs(p - q).sum() / 2 on the normalised
// vectors.
func TotalVariation(ref, cur []float64) float64 {
	sp, sq := distSums(ref, cur)
	if sp == 0 || sq == 0 {
		return math.NaN()
	}
	var s float64
	for i, a := range ref {
		s += math.Abs(a/sp - cur[i]/sq)
	}
	return min(s/2, 1)
}
