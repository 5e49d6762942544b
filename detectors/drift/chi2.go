package drift

import "gonum.org/v1/gonum/stat/distuv"

// chiLengthMismatch is the panic message of ChiSquare for rows of different
// lengths, which is a programmer error.
const chiLengthMismatch = "drift: chi-square rows have different lengths"

// ChiSquare returns Pearson's chi-squared test of homogeneity on the 2×k
// contingency table whose rows are ref and cur, the aligned counts of k
// categories in the reference and current samples: the statistic, its
// p-value and the degrees of freedom.
//
// With row totals R_r, column totals C_j, grand total N and expected counts
// E_rj = R_r·C_j/N,
//
//	stat = Σ_r Σ_j (O_rj − E_rj)² / E_rj,   dof = k' − 1,
//	p    = P(χ²(dof) ≥ stat)
//
// where k' is the number of categories left after those whose count is zero in
// both rows have been dropped (their expected counts are zero, and scipy
// raises on them). No continuity correction is applied, also when dof is 1.
// The test is symmetric: swapping ref and cur gives the same result.
//
// Special cases: when fewer than 2 categories are left, or when either row
// has no observations at all, there is nothing to compare and ChiSquare
// returns stat 0, p 1 and dof 0 (scipy raises for an empty row and returns
// 0, 1, 0 for a single column).
//
// Counts must be non-negative and finite; they need not be integers. ref and
// cur must have the same length, or ChiSquare panics. It does not allocate.
//
// It matches scipy.stats.chi2_contingency([ref, cur], correction=False)
// (statistic, pvalue, dof) after dropping the all-zero columns.
func ChiSquare(ref, cur []float64) (stat, p float64, dof int) {
	if len(ref) != len(cur) {
		panic(chiLengthMismatch)
	}
	var r1, r2 float64
	k := 0
	for i, a := range ref {
		b := cur[i]
		if a == 0 && b == 0 {
			continue
		}
		r1 += a
		r2 += b
		k++
	}
	if k < 2 || r1 == 0 || r2 == 0 {
		return 0, 1, 0
	}
	n := r1 + r2
	for i, a := range ref {
		b := cur[i]
		if a == 0 && b == 0 {
			continue
		}
		c := a + b
		e1, e2 := r1*c/n, r2*c/n
		d1, d2 := a-e1, b-e2
		stat += d1*d1/e1 + d2*d2/e2
	}
	dof = k - 1
	p = distuv.ChiSquared{K: float64(dof)}.Survival(stat)
	return stat, p, dof
}
