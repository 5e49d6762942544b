package drift

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// multivariate runs MMD on the numeric columns when asked for. It returns
// no result, and a warning saying why, when MMD was due but could not run.
func multivariate(ref, cur []Column, opt *Options) (mv *Multivariate, warning string, err error) {
	var cols []int
	var empty []string
	for i := range ref {
		switch {
		case ref[i].Categorical:
		case !hasNumber(ref[i].Num) || !hasNumber(cur[i].Num):
			empty = append(empty, ref[i].Name)
		default:
			cols = append(cols, i)
		}
	}
	switch {
	case opt.Test == "mmd" && len(cols) == 0 && len(empty) == 0:
		return nil, "", errors.New("the mmd test needs at least one numeric column")
	case opt.Test == "mmd":
	case opt.Test == "auto" && len(cols)+len(empty) >= 2 && opt.Permutations > 0:
	default:
		return nil, "", nil
	}
	skipped := ""
	if len(empty) > 0 {
		skipped = fmt.Sprintf("left out %s with no values on one side", quoteList(empty))
	}
	if len(cols) == 0 || opt.Test == "auto" && len(cols) < 2 {
		return nil, "multivariate test not run: it " + skipped, nil
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d6d64))
	x, nx, subX := completeRows(ref, cols, opt.MMDMaxRows, rng)
	y, ny, subY := completeRows(cur, cols, opt.MMDMaxRows, rng)
	if nx == 0 || ny == 0 {
		return nil, "multivariate test not run: no row has every numeric column present on one side", nil
	}
	if opt.MMDStandardize {
		standardize(x, y, len(cols))
	}
	// MMD with the median-distance bandwidth does not change when every
	// value is multiplied by the same constant, so scaling to magnitude 1
	// keeps squared distances from overflowing or underflowing.
	scale := rescale(x, y)
	if opt.Progress != nil {
		opt.Progress("mmd", 0, 1)
	}
	r := mmdTest(x, y, len(cols), 0, opt.Permutations, opt.Seed, opt.yield)
	if opt.Progress != nil {
		opt.Progress("mmd", 1, 1)
	}
	if math.IsNaN(r.Statistic) || math.IsInf(r.Sigma, 0) {
		return nil, "multivariate test not run: the kernel could not be evaluated on these values", nil
	}
	mv = &Multivariate{
		Test: "mmd", Statistic: r.Statistic, PValue: r.PValue, Drift: r.PValue < opt.Alpha,
		Sigma: r.Sigma * scale, Permutations: r.Permutations, Standardized: opt.MMDStandardize,
		ReferenceRowsUsed: nx, CurrentRowsUsed: ny,
	}
	for _, c := range cols {
		mv.Columns = append(mv.Columns, ref[c].Name)
	}
	var notes []string
	if subX || subY {
		notes = append(notes, fmt.Sprintf("on a random subsample of %d rows per side at most", opt.MMDMaxRows))
	}
	if dropped := rows(ref) - nx + rows(cur) - ny; dropped > 0 && !subX && !subY {
		notes = append(notes, fmt.Sprintf("%d rows with a missing value left out", dropped))
	}
	if skipped != "" {
		notes = append(notes, skipped)
	}
	mv.Note = strings.Join(notes, "; ")
	return mv, "", nil
}

func hasNumber(v []float64) bool {
	return slices.ContainsFunc(v, func(x float64) bool { return !math.IsNaN(x) })
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// completeRows returns up to limit rows (row-major) in which every column of
// cols is present, sampled uniformly without replacement and kept in file
// order, their number, and whether it subsampled.
func completeRows(data []Column, cols []int, limit int, rng *rand.Rand) ([]float64, int, bool) {
	var keep []int
	for r := range rows(data) {
		if !slices.ContainsFunc(cols, func(c int) bool { return math.IsNaN(data[c].Num[r]) }) {
			keep = append(keep, r)
		}
	}
	sub := len(keep) > limit
	if sub {
		// Partial Fisher–Yates: the first limit entries become a uniform sample.
		for i := range limit {
			j := i + rng.IntN(len(keep)-i)
			keep[i], keep[j] = keep[j], keep[i]
		}
		keep = keep[:limit]
		slices.Sort(keep)
	}
	out := make([]float64, 0, len(keep)*len(cols))
	for _, r := range keep {
		for _, c := range cols {
			out = append(out, data[c].Num[r])
		}
	}
	return out, len(keep), sub
}

// standardize maps every column j of the row-major samples x and y (d
// columns) to (v − mean_j) / sd_j, with the mean and population standard
// deviation of x's column; a constant column is only centred.
func standardize(x, y []float64, d int) {
	col := make([]float64, len(x)/d)
	for j := range d {
		for i := range col {
			col[i] = x[i*d+j]
		}
		m, sd := meanStdDev(col)
		if !(sd > 0) {
			sd = 1
		}
		for _, s := range [2][]float64{x, y} {
			for i := j; i < len(s); i += d {
				s[i] = (s[i] - m) / sd
			}
		}
	}
}

// rescale divides x and y by their largest magnitude and returns it (1 when
// every value is 0).
func rescale(x, y []float64) float64 {
	var m float64
	for _, s := range [2][]float64{x, y} {
		for _, v := range s {
			m = max(m, math.Abs(v))
		}
	}
	if m == 0 {
		return 1
	}
	for _, s := range [2][]float64{x, y} {
		for i := range s {
			s[i] /= m
		}
	}
	return m
}
