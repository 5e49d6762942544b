package drift

import (
	"fmt"
	"math"
	"slices"
)

func compareColumn(ref, cur *Column, opt *Options) Feature {
	if ref.Categorical {
		return compareCategories(ref.Name, ref.Str, cur.Str, opt)
	}
	x, y := presentSorted(ref.Num), presentSorted(cur.Num)
	f := Feature{
		Name: ref.Name, Type: "numeric",
		ReferenceCount: len(x), CurrentCount: len(y),
		ReferenceMissing: len(ref.Num) - len(x), CurrentMissing: len(cur.Num) - len(y),
	}
	f.MissingChange = missingChange(f.ReferenceMissing, len(ref.Num), f.CurrentMissing, len(cur.Num), opt.Alpha)
	if noValues(&f) {
		return f
	}
	spec := tests[opt.Test]
	if opt.Test == "auto" || spec.kind == categoricalOnly {
		if distinctAtMost(x, y, DiscreteMaxValues) {
			// Few distinct values: KS is conservative with ties, so the
			// values are compared as categories.
			rf, cf, labels := numericCategories(x, y)
			cat := testCounts(ref.Name, labels, rf, cf, opt)
			cat.Type = "numeric"
			cat.ReferenceMissing, cat.CurrentMissing = f.ReferenceMissing, f.CurrentMissing
			cat.MissingChange = f.MissingChange
			cat.Note = joinNotes(fmt.Sprintf("%d distinct values: compared as categories", len(labels)), cat.Note)
			return cat
		}
		if opt.Test != "auto" {
			f.Note = opt.Test + " applies to categorical features; used ks"
		}
		testNumeric(&f, "ks", x, y, opt)
	} else {
		testNumeric(&f, opt.Test, x, y, opt)
	}
	f.Summary = numericSummary(x, y)
	return f
}

// testNumeric runs the named test on sorted samples x and y and fills f.
func testNumeric(f *Feature, name string, x, y []float64, opt *Options) {
	d, pks := KS(x, y)
	f.EffectSize, f.EffectMeasure = d, "ks_distance"
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
		f.Statistic = d
		f.PValue = ptr(pks)
	case "cvm":
		t, p := CramerVonMises(x, y)
		f.Statistic, f.PValue = t, ptr(p)
	case "anderson":
		a, p := AndersonDarling(x, y)
		f.Statistic, f.PValue = a, ptr(p)
	case "wasserstein":
		w := Wasserstein(x, y)
		sd := sortedStdDev(x)
		if sd > 0 {
			w /= sd
		} else {
			f.Note = joinNotes(f.Note, "constant reference: wasserstein not scaled")
		}
		f.Statistic = w
	case "psi", "js", "hellinger":
		edges := QuantileEdges(nil, x, 10)
		f.Statistic = distance(name, BinCounts(nil, x, edges), BinCounts(nil, y, edges))
	}
	if f.PValue == nil {
		f.Threshold = threshold(name, opt)
		f.Drift = f.Statistic >= f.Threshold
	} else {
		f.Threshold = opt.Alpha
	}
}

func distance(name string, ref, cur []float64) float64 {
	switch name {
	case "psi":
		return PSI(ref, cur)
	case "js":
		return JensenShannon(ref, cur)
	case "hellinger":
		return Hellinger(ref, cur)
	}
	panic("drift: distance called with " + name)
}

func threshold(name string, opt *Options) float64 {
	if v, ok := opt.Thresholds[name]; ok {
		return v
	}
	return tests[name].threshold
}

// compareCategories tests a categorical column.
func compareCategories(name string, ref, cur []string, opt *Options) Feature {
	idx := map[string]int{}
	var labels []string
	for _, s := range [2][]string{ref, cur} {
		for _, v := range s {
			if _, ok := idx[v]; !ok && v != "" {
				idx[v] = len(labels)
				labels = append(labels, v)
			}
		}
	}
	slices.Sort(labels)
	for i, l := range labels {
		idx[l] = i
	}
	rc, cc := make([]float64, len(labels)), make([]float64, len(labels))
	rm, cm := countInto(rc, idx, ref), countInto(cc, idx, cur)
	var f Feature
	if n := len(ref) - rm + len(cur) - cm; len(labels) > IdentifierMinValues && float64(len(labels)) > 0.5*float64(n) {
		// Identifiers and timestamps differ between any two samples; a
		// test would always say "drift" and mean nothing.
		f = Feature{Name: name, Type: "categorical", Test: "none", EffectMeasure: "total_variation",
			ReferenceCount: len(ref) - rm, CurrentCount: len(cur) - cm,
			Note: fmt.Sprintf("%d distinct values in %d: an identifier or timestamp? not tested", len(labels), n)}
	} else {
		f = testCounts(name, labels, rc, cc, opt)
	}
	f.ReferenceMissing, f.CurrentMissing = rm, cm
	f.MissingChange = missingChange(rm, len(ref), cm, len(cur), opt.Alpha)
	return f
}

func countInto(dst []float64, idx map[string]int, s []string) (missing int) {
	for _, v := range s {
		if v == "" {
			missing++
			continue
		}
		dst[idx[v]]++
	}
	return missing
}

// testCounts tests aligned category counts and fills a Feature.
func testCounts(name string, labels []string, rc, cc []float64, opt *Options) Feature {
	f := Feature{Name: name, Type: "categorical", EffectMeasure: "total_variation"}
	f.ReferenceCount, f.CurrentCount = int(sum(rc)), int(sum(cc))
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
		or, p := FisherExact(int(rc[0]), int(rc[1]), int(cc[0]), int(cc[1]))
		f.Statistic, f.PValue = or, ptr(p)
		if math.IsInf(or, 0) || math.IsNaN(or) {
			f.Statistic = 0
			f.Note = joinNotes(f.Note, "odds ratio undefined (a zero cell); statistic set to 0")
		}
	default: // psi, js, hellinger
		f.Statistic = distance(test, rc, cc)
	}
	if f.PValue == nil {
		f.Threshold = threshold(test, opt)
		f.Drift = f.Statistic >= f.Threshold
	} else {
		f.Threshold = opt.Alpha
	}
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
	if f.EffectMeasure == "" {
		f.EffectMeasure = "ks_distance"
	}
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

// correct adjusts the p-values of the features and sets their drift flags.
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
		f.Drift = adj[j] < opt.Alpha && f.EffectSize >= opt.MinEffect
	}
}

// missingChange compares the shares of missing values with a chi-squared
// test on the 2×2 table of missing and present counts.
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
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		var v float64
		if j == len(y) || i < len(x) && x[i] <= y[j] {
			v = x[i]
		} else {
			v = y[j]
		}
		if n++; n > k {
			return false
		}
		for i < len(x) && x[i] == v {
			i++
		}
		for j < len(y) && y[j] == v {
			j++
		}
	}
	return true
}

// numericCategories counts the distinct values of sorted x and y.
func numericCategories(x, y []float64) (rc, cc []float64, labels []string) {
	var vals []float64
	for _, v := range [2][]float64{x, y} {
		for i, a := range v {
			if i == 0 || a != v[i-1] {
				vals = append(vals, a)
			}
		}
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	rc, cc = make([]float64, len(vals)), make([]float64, len(vals))
	for _, p := range [2]struct {
		s   []float64
		dst []float64
	}{{x, rc}, {y, cc}} {
		for _, a := range p.s {
			i, _ := slices.BinarySearch(vals, a)
			p.dst[i]++
		}
	}
	labels = make([]string, len(vals))
	for i, v := range vals {
		labels[i] = fmt.Sprintf("%g", v)
	}
	return rc, cc, labels
}

func sortedStdDev(x []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return math.Sqrt(ss / float64(len(x)))
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
