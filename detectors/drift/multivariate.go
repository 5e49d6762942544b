package drift

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// multivariate runs MMD on the numeric columns when asked for.
func multivariate(ref, cur []Column, opt *Options) (*Multivariate, error) {
	var cols []int
	for i := range ref {
		if !ref[i].Categorical {
			cols = append(cols, i)
		}
	}
	switch {
	case opt.Test == "mmd" && len(cols) == 0:
		return nil, errors.New("mmd needs at least one numeric column")
	case opt.Test == "mmd":
	case opt.Test == "auto" && len(cols) >= 2 && opt.Permutations > 0:
	default:
		return nil, nil
	}
	perms := max(opt.Permutations, 1)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d6d64))
	x, nx := completeRows(ref, cols, opt.MMDMaxRows, rng)
	y, ny := completeRows(cur, cols, opt.MMDMaxRows, rng)
	if opt.MMDStandardize {
		standardize(x, y, len(cols))
	}
	mv := &Multivariate{Test: "mmd", Permutations: perms, ReferenceRowsUsed: nx, CurrentRowsUsed: ny, Standardized: opt.MMDStandardize}
	for _, c := range cols {
		mv.Columns = append(mv.Columns, ref[c].Name)
	}
	if nx == 0 || ny == 0 {
		mv.Note = "no rows with every numeric column present on one side"
		mv.PValue = 1
		return mv, nil
	}
	if opt.Progress != nil {
		opt.Progress(0, 1)
	}
	r := MMDTest(x, y, len(cols), 0, perms, opt.Seed)
	if opt.Progress != nil {
		opt.Progress(1, 1)
	}
	mv.Statistic, mv.PValue, mv.Sigma = r.Statistic, r.PValue, r.Sigma
	mv.Drift = r.PValue < opt.Alpha
	if nx < columnRows(ref) || ny < columnRows(cur) {
		mv.Note = fmt.Sprintf("on a random subsample of at most %d complete rows per side", opt.MMDMaxRows)
	}
	return mv, nil
}

// completeRows returns up to limit rows (row-major) in which every column of
// cols is present, sampled uniformly without replacement, in file order.
func completeRows(data []Column, cols []int, limit int, rng *rand.Rand) ([]float64, int) {
	var rows []int
	for r := range columnRows(data) {
		ok := true
		for _, c := range cols {
			if math.IsNaN(data[c].Num[r]) {
				ok = false
				break
			}
		}
		if ok {
			rows = append(rows, r)
		}
	}
	if len(rows) > limit {
		// Partial Fisher–Yates: the first limit entries become a uniform sample.
		for i := range limit {
			j := i + rng.IntN(len(rows)-i)
			rows[i], rows[j] = rows[j], rows[i]
		}
		rows = rows[:limit]
		slices.Sort(rows)
	}
	out := make([]float64, 0, len(rows)*len(cols))
	for _, r := range rows {
		for _, c := range cols {
			out = append(out, data[c].Num[r])
		}
	}
	return out, len(rows)
}

// standardize maps every column j of the row-major samples x and y (d
// columns) to (v − mean_j) / sd_j, with the mean and population standard
// deviation of x's column; a constant column is only centred.
func standardize(x, y []float64, d int) {
	n := float64(len(x) / d)
	for j := range d {
		var m, ss float64
		for i := j; i < len(x); i += d {
			m += x[i]
		}
		m /= n
		for i := j; i < len(x); i += d {
			ss += (x[i] - m) * (x[i] - m)
		}
		sd := math.Sqrt(ss / n)
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
