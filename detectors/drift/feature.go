package drift

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// compareColumn tests one column and fills its Feature, apart from the
// multiple-testing correction.
func compareColumn(ref, cur *Column, opt *Options) Feature {
	var f Feature
	if ref.Categorical {
		f = compareCategories(ref.Name, ref.Str, cur.Str, opt)
	} else {
		f = compareNumbers(ref.Name, ref.Num, cur.Num, opt)
	}
	rn, cn := ref.len(), cur.len()
	f.ReferenceMissing, f.CurrentMissing = rn-f.ReferenceCount, cn-f.CurrentCount
	if f.MissingChange = missingChange(f.ReferenceMissing, rn, f.CurrentMissing, cn, opt.Alpha); f.MissingChange != nil {
		if d := math.Abs(f.MissingChange.CurrentShare - f.MissingChange.ReferenceShare); d >= max(opt.MinEffect, MissingMinChange) {
			// A column that empties (or fills) is a broken pipeline
			// even when the values left look the same.
			f.Drift = true
			f.Note = joinNotes(f.Note, fmt.Sprintf("missing share changed by %.0f points", 100*d))
		}
	}
	return f
}

// compareNumbers tests a numeric column.
func compareNumbers(name string, ref, cur []float64, opt *Options) Feature {
	x, y := presentSorted(ref), presentSorted(cur)
	f := Feature{Name: name, Type: "numeric", EffectMeasure: "ks_distance", ReferenceCount: len(x), CurrentCount: len(y)}
	if noValues(&f) {
		return f
	}
	test := opt.Test
	if test == "auto" || tests[test].kind == categoricalOnly {
		if distinctAtMost(x, y, DiscreteMaxValues) {
			// Few distinct values: KS assumes continuous data and is
			// conservative with ties, so the values are compared as
			// categories.
			labels, rc, cc := numericCategories(x, y)
			f = testCounts(name, labels, rc, cc, opt)
			f.Type = "numeric"
			f.Note = joinNotes(fmt.Sprintf("%d distinct values: compared as categories", len(labels)), f.Note)
			return f
		}
		if test != "auto" {
			f.Note = test + " applies to categorical features; used ks"
		}
		test = "ks"
	}
	testNumeric(&f, test, x, y, opt)
	f.Summary = numericSummary(x, y)
	return f
}

// testNumeric runs the named test on sorted samples x and y and fills f.
func testNumeric(f *Feature, name string, x, y []float64, opt *Options) {
	d, pks := opt.ks(x, y)
	f.EffectSize = d
	if name == "cvm" && (len(x) < 2 || len(y) < 2) {
		f.Note = joinNotes(f.Note, "cvm needs at least 2 values per side; used ks")
		name = "ks"
	}
	if name == "anderson" && (len(x)+len(y) < 4 || x[0] == x[len(x)-1] && y[0] == y[len(y)-1] && x[0] == y[0]) {
		f.Note = joinNotes(f.Note, "anderson needs 4 values and 2 distinct ones; used ks")
		name = "ks"
	}
	f.Test = name
	switch name {
	case "ks":
		f.Statistic, f.PValue = d, ptr(pks)
	case "cvm":
		t, p := CramerVonMises(x, y)
		f.Statistic, f.PValue = t, ptr(p)
	case "anderson":
		a, p := AndersonDarling(x, y)
		f.Statistic, f.PValue = a, ptr(p)
	case "wasserstein":
		f.Statistic = Wasserstein(x, y)
		if _, sd := meanStdDev(x); sd > 0 && !math.IsInf(sd, 0) {
			f.Statistic /= sd
		} else {
			f.Note = joinNotes(f.Note, "constant reference: wasserstein not scaled")
		}
	default: // a binned distance
		edges := QuantileEdges(nil, x, 10)
		f.Statistic = tests[name].binned(BinCounts(nil, x, edges), BinCounts(nil, y, edges))
	}
	setThreshold(f, name, opt)
}

// setThreshold records what decides drift for f: alpha for a test with a
// p-value (decided after the correction), the distance threshold otherwise.
func setThreshold(f *Feature, name string, opt *Options) {
	if f.PValue != nil {
		f.Threshold = opt.Alpha
		return
	}
	f.Threshold = opt.threshold(name)
	f.Drift = f.Statistic >= f.Threshold
}

// compareCategories tests a categorical column.
func compareCategories(name string, ref, cur []string, opt *Options) Feature {
	idx := map[string]int{}
	for _, s := range [2][]string{ref, cur} {
		for _, v := range s {
			if v != "" {
				idx[v] = 0
			}
		}
	}
	labels := slices.Sorted(maps.Keys(idx))
	for i, l := range labels {
		idx[l] = i
	}
	rc, cc := make([]float64, len(labels)), make([]float64, len(labels))
	countInto(rc, idx, ref)
	countInto(cc, idx, cur)
	if n := sum(rc) + sum(cc); len(labels) > IdentifierMinValues && float64(len(labels)) > 0.5*n {
		// Identifiers and timestamps differ between any two samples; a
		// test would always say "drift" and mean nothing.
		return Feature{Name: name, Type: "categorical", Test: "none", EffectMeasure: "total_variation",
			ReferenceCount: int(sum(rc)), CurrentCount: int(sum(cc)),
			Note: fmt.Sprintf("%d distinct values in %.0f: an identifier or timestamp? not tested", len(labels), n)}
	}
	return testCounts(name, labels, rc, cc, opt)
}

func countInto(dst []float64, idx map[string]int, s []string) {
	for _, v := range s {
		if v != "" {
			dst[idx[v]]++
		}
	}
}

// testCounts tests aligned category counts and fills a Feature.
func testCounts(name string, labels []string, rc, cc []float64, opt *Options) Feature {
	f := Feature{Name: name, Type: "categorical", EffectMeasure: "total_variation",
		ReferenceCount: int(sum(rc)), CurrentCount: int(sum(cc))}
	if noValues(&f) {
		return f
	}
	f.EffectSize = TotalVariation(rc, cc)
	f.Summary = categorySummary(labels, rc, cc)
	test := opt.Test
	switch tests[test].kind {
	case numericOnly:
		f.Note = test + " applies to numeric features; used chi2"
		test = "chi2"
	case anyFeature:
		if test == "auto" {
			test = "chi2"
			if len(labels) == 2 && minExpected(rc, cc) < 5 {
				test = "fisher"
			}
		}
	}
	if test == "fisher" && len(labels) != 2 {
		f.Note = joinNotes(f.Note, fmt.Sprintf("fisher needs exactly 2 categories, found %d; used chi2", len(labels)))
		test = "chi2"
	}
	f.Test = test
	switch test {
	case "chi2":
		stat, p, _ := ChiSquare(rc, cc)
		f.Statistic, f.PValue = stat, ptr(p)
		if len(labels) == 1 {
			f.Note = joinNotes(f.Note, "one category on both sides")
		} else if minExpected(rc, cc) < 5 {
			f.Note = joinNotes(f.Note, "expected counts below 5: chi2 p-value is approximate")
		}
	case "fisher":
		a, b, c, d := rc[0], rc[1], cc[0], cc[1]
		or, p := FisherExact(int(a), int(b), int(c), int(d))
		f.Statistic, f.PValue = or, ptr(p)
		if math.IsInf(or, 0) || math.IsNaN(or) {
			// JSON has no infinity: report the Haldane–Anscombe estimate.
			f.Statistic = (a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5))
			f.Note = joinNotes(f.Note, "a zero cell: odds ratio estimated with 0.5 added to every cell")
		}
	default: // a binned distance
		f.Statistic = tests[test].binned(rc, cc)
	}
	setThreshold(&f, test, opt)
	return f
}

// noValues marks f as untestable when either side has no values.
func noValues(f *Feature) bool {
	var side string
	switch {
	case f.ReferenceCount == 0 && f.CurrentCount == 0:
		side = "either sample"
	case f.ReferenceCount == 0:
		side = "the reference"
	case f.CurrentCount == 0:
		side = "the current data"
	default:
		return false
	}
	f.Test = "none"
	f.Note = "no values in " + side
	return true
}

// minExpected returns the smallest expected count of the 2×k table.
func minExpected(rc, cc []float64) float64 {
	nr, nc := sum(rc), sum(cc)
	n := nr + nc
	m := math.Inf(1)
	for i := range rc {
		col := rc[i] + cc[i]
		m = min(m, col*nr/n, col*nc/n)
	}
	return m
}

// correct adjusts the p-values of the features and decides their drift.
func correct(fs []Feature, opt *Options) {
	var ps []float64
	var at []int
	for i := range fs {
		if fs[i].PValue != nil {
			ps = append(ps, *fs[i].PValue)
			at = append(at, i)
		}
	}
	adj := ps
	switch opt.Correction {
	case "bonferroni":
		adj = Bonferroni(nil, ps)
	case "fdr":
		adj = BenjaminiHochberg(nil, ps)
	}
	for j, i := range at {
		f := &fs[i]
		f.AdjustedPValue = ptr(adj[j])
		f.Drift = f.Drift || adj[j] < opt.Alpha && f.EffectSize >= opt.MinEffect
	}
}

// missingChange compares the shares of missing values with a chi-squared
// test on the 2×2 table of missing and present counts, and returns them
// when they differ by at least MissingMinChange at level alpha.
func missingChange(rm, rn, cm, cn int, alpha float64) *MissingChange {
	if rn == 0 || cn == 0 || rm+cm == 0 {
		return nil
	}
	rs, cs := float64(rm)/float64(rn), float64(cm)/float64(cn)
	if math.Abs(rs-cs) < MissingMinChange {
		return nil
	}
	_, p, _ := ChiSquare([]float64{float64(rm), float64(rn - rm)}, []float64{float64(cm), float64(cn - cm)})
	if !(p < alpha) {
		return nil
	}
	return &MissingChange{ReferenceShare: rs, CurrentShare: cs, PValue: p}
}

// presentSorted returns the non-NaN values of v, sorted, in a new slice.
func presentSorted(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	sortFloats(out, nil)
	return out
}

// distinctAtMost reports whether sorted x and y together hold at most k
// distinct values.
func distinctAtMost(x, y []float64, k int) bool {
	n := 0
	for range mergedDistinct(x, y) {
		if n++; n > k {
			return false
		}
	}
	return true
}

// mergedDistinct yields the distinct values of sorted x and y in order.
func mergedDistinct(x, y []float64) func(func(float64) bool) {
	return func(yield func(float64) bool) {
		i, j := 0, 0
		for i < len(x) || j < len(y) {
			var v float64
			if j == len(y) || i < len(x) && x[i] <= y[j] {
				v = x[i]
			} else {
				v = y[j]
			}
			if !yield(v) {
				return
			}
			for i < len(x) && x[i] == v {
				i++
			}
			for j < len(y) && y[j] == v {
				j++
			}
		}
	}
}

// numericCategories counts the distinct values of sorted x and y.
func numericCategories(x, y []float64) (labels []string, rc, cc []float64) {
	vals := slices.Collect(mergedDistinct(x, y))
	rc, cc = make([]float64, len(vals)), make([]float64, len(vals))
	for _, p := range [2]struct{ s, dst []float64 }{{x, rc}, {y, cc}} {
		i := 0
		for _, a := range p.s {
			for vals[i] != a {
				i++
			}
			p.dst[i]++
		}
	}
	labels = make([]string, len(vals))
	for i, v := range vals {
		labels[i] = fmt.Sprintf("%g", v)
	}
	return labels, rc, cc
}

// meanStdDev returns the mean and the population standard deviation of x,
// computed on x scaled by its largest magnitude so that squares cannot
// overflow.
func meanStdDev(x []float64) (mean, sd float64) {
	var scale float64
	for _, v := range x {
		scale = max(scale, math.Abs(v))
	}
	if scale == 0 || len(x) == 0 {
		return 0, 0
	}
	var m float64
	for _, v := range x {
		m += v / scale
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		d := v/scale - m
		ss += d * d
	}
	return m * scale, math.Sqrt(ss/float64(len(x))) * scale
}

func sum(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s
}

func ptr(v float64) *float64 { return &v }

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}
