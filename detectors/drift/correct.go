package drift

import (
	"cmp"
	"math"
	"slices"
)

// Bonferroni sets dst to the Bonferroni-adjusted p-values of p and returns it:
//
//	dst[i] = min(1, m·p[i])
//
// where m is the number of p-values that are not NaN. A NaN p-value (a test
// that could not be run) stays NaN in dst and does not count in m, as in R's
// p.adjust; without NaNs the result matches
// statsmodels.stats.multitest.multipletests(p, method='bonferroni')[1].
//
// dst is resliced to len(p) and allocated only if its capacity is smaller; it
// may alias p (Bonferroni(p, p) adjusts in place). p-values must lie in
// [0, 1].
func Bonferroni(dst, p []float64) []float64 {
	dst = corrResize(dst, len(p))
	m := float64(corrCount(p))
	for i, v := range p {
		if math.IsNaN(v) {
			dst[i] = v
			continue
		}
		dst[i] = min(1, m*v)
	}
	return dst
}

// BenjaminiHochberg sets dst to the Benjamini–Hochberg adjusted p-values of p
// (the false-discovery-rate step-up procedure) and returns it. With the m
// non-NaN p-values in ascending order p_(1) ≤ ... ≤ p_(m),
//
//	adj_(k) = min(1, min_{j ≥ k} m·p_(j)/j)
//
// so the adjusted values are monotone in the raw ones and capped at 1; a
// hypothesis is rejected at false discovery rate q when its adjusted value is
// ≤ q. Ties get equal adjusted values whatever their order. A NaN p-value (a
// test that could not be run) stays NaN in dst and does not count in m, as
// in R's p.adjust.
//
// dst is resliced to len(p) and allocated only if its capacity is smaller; it
// may alias p. BenjaminiHochberg needs the rank of every p-value, so it
// allocates one []int of len(p) and sorts that (never p). p-values must lie
// in [0, 1].
//
// Without NaNs it matches statsmodels.stats.multitest.multipletests(p,
// method='fdr_bh')[1]. statsmodels is not installed where the tests were
// written, so their expected values come from its algorithm written out in
// numpy (see correct_test.go).
func BenjaminiHochberg(dst, p []float64) []float64 {
	n := len(p)
	dst = corrResize(dst, n)
	idx := make([]int, 0, n)
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	m := len(idx)
	// Walk down from the largest p-value keeping the running minimum. Each
	// p[idx[k]] is read just before dst[idx[k]] is written, so dst may alias p.
	run := math.Inf(1)
	for k := m - 1; k >= 0; k-- {
		i := idx[k]
		run = min(run, p[i]/(float64(k+1)/float64(m))) // statsmodels: p / ecdf
		dst[i] = min(run, 1)
	}
	if m < n {
		for i, v := range p {
			if math.IsNaN(v) {
				dst[i] = v
			}
		}
	}
	return dst
}

// corrResize returns dst resliced to n, allocating if its capacity is short.
func corrResize(dst []float64, n int) []float64 {
	if cap(dst) < n {
		return make([]float64, n)
	}
	return dst[:n]
}

// corrCount returns the number of p-values that are not NaN.
func corrCount(p []float64) int {
	m := 0
	for _, v := range p {
		if !math.IsNaN(v) {
			m++
		}
	}
	return m
}
