package drift

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Column is one column of a dataset handed to Compare. A numeric column has
// Num set (NaN marks a missing value); a categorical one has Str set (""
// marks a missing value).
type Column struct {
	Name        string
	Categorical bool
	Num         []float64
	Str         []string
}

// Options tune Compare. The zero value of a field means its default.
type Options struct {
	Test       string  // "auto" (default) or one of TestNames
	Alpha      float64 // significance level; default 0.05
	Correction string  // "none", "bonferroni" or "fdr" (default)
	// MinEffect is the effect size a feature tested with a p-value must
	// reach to count as drifted; default 0.1. Set a negative value for 0.
	MinEffect float64
	// DriftShare is the share of drifted features at which the dataset
	// counts as drifted; default 0.5. Set a negative value for "any".
	DriftShare   float64
	Permutations int    // MMD permutations; default 500, negative skips MMD in auto mode
	Seed         uint64 // MMD subsampling and permutations
	MMDMaxRows   int    // rows per side used by MMD; default 2000
	// MMDStandardize scales every column by the reference's mean and
	// standard deviation before MMD, so that one wide-ranged column does
	// not decide the kernel bandwidth alone. Off by default: the columns
	// are used as given.
	MMDStandardize bool
	// Thresholds overrides the default drift threshold of distance tests,
	// by test name (psi, js, hellinger, wasserstein).
	Thresholds map[string]float64
	// Progress, when set, is called after each feature with the number of
	// features done and the total, and once more before and after MMD.
	Progress func(done, total int)
}

// Defaults used by Compare; see README "How driftwatch chooses a test".
const (
	DefaultAlpha        = 0.05
	DefaultMinEffect    = 0.1
	DefaultDriftShare   = 0.5
	DefaultPermutations = 500
	DefaultMMDMaxRows   = 2000
	// DiscreteMaxValues is the largest number of distinct values (pooled)
	// at which auto mode compares a numeric column as categories.
	DiscreteMaxValues = 10
	// MissingMinChange is the smallest change in the share of missing
	// values that is reported, if significant.
	MissingMinChange = 0.01
	// IdentifierMinValues: a categorical column with more distinct values
	// than this, which are also more than half of its values, looks like an
	// identifier or a timestamp and is not tested.
	IdentifierMinValues = 50
	histogramBins       = 30
	maxCategoryBars     = 20
)

// testKind says which features a test applies to.
type testKind uint8

const (
	numericOnly testKind = iota
	categoricalOnly
	anyFeature
	multivariateOnly
)

type testSpec struct {
	kind testKind
	// threshold is the default drift threshold of a distance test; 0 for a
	// test with a p-value (which is compared with alpha).
	threshold float64
	doc       string
}

// tests is the one list of test names; flag validation and help read it too.
var tests = map[string]testSpec{
	"auto":        {kind: anyFeature, doc: "choose per feature (see README)"},
	"ks":          {kind: numericOnly, doc: "Kolmogorov–Smirnov (scipy ks_2samp, exact up to 10,000 per side)"},
	"cvm":         {kind: numericOnly, doc: "Cramér–von Mises (scipy cramervonmises_2samp)"},
	"anderson":    {kind: numericOnly, doc: "Anderson–Darling k-sample, midrank (scipy anderson_ksamp; p capped to [0.001, 0.25])"},
	"wasserstein": {kind: numericOnly, threshold: 0.1, doc: "Wasserstein-1 in reference standard deviations; drift at ≥ 0.1"},
	"chi2":        {kind: categoricalOnly, doc: "chi-squared homogeneity on the 2×k table (scipy chi2_contingency, no correction)"},
	"fisher":      {kind: categoricalOnly, doc: "Fisher exact on 2×2 tables (two categories); chi2 otherwise"},
	"psi":         {kind: anyFeature, threshold: 0.2, doc: "population stability index on reference deciles; drift at ≥ 0.2"},
	"js":          {kind: anyFeature, threshold: 0.1, doc: "Jensen–Shannon distance, log base 2; drift at ≥ 0.1"},
	"hellinger":   {kind: anyFeature, threshold: 0.1, doc: "Hellinger distance; drift at ≥ 0.1"},
	"mmd":         {kind: multivariateOnly, doc: "multivariate MMD² with a Gaussian kernel and a permutation p-value, numeric columns only"},
}

// TestNames returns the accepted test names, sorted, "auto" first.
func TestNames() []string {
	names := make([]string, 0, len(tests))
	for n := range tests {
		if n != "auto" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return append([]string{"auto"}, names...)
}

// TestDoc returns a one-line description of the named test, or "".
func TestDoc(name string) string { return tests[name].doc }

// Corrections lists the accepted multiple-testing corrections.
var Corrections = []string{"none", "bonferroni", "fdr"}

// Validate reports every problem with o, joined.
func (o *Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

func (o *Options) withDefaults() (Options, error) {
	r := *o
	var errs []error
	if r.Test == "" {
		r.Test = "auto"
	}
	if _, ok := tests[r.Test]; !ok {
		errs = append(errs, fmt.Errorf("unknown test %q (want one of %s)", r.Test, strings.Join(TestNames(), ", ")))
	}
	if r.Alpha == 0 {
		r.Alpha = DefaultAlpha
	}
	if !(r.Alpha > 0 && r.Alpha < 1) {
		errs = append(errs, fmt.Errorf("alpha %g is not between 0 and 1", r.Alpha))
	}
	if r.Correction == "" {
		r.Correction = "fdr"
	}
	if !slices.Contains(Corrections, r.Correction) {
		errs = append(errs, fmt.Errorf("unknown correction %q (want none, bonferroni or fdr)", r.Correction))
	}
	r.MinEffect = defaultOrZero(r.MinEffect, DefaultMinEffect)
	r.DriftShare = defaultOrZero(r.DriftShare, DefaultDriftShare)
	if r.MinEffect > 1 || r.DriftShare > 1 {
		errs = append(errs, errors.New("min effect and drift share must be at most 1"))
	}
	if r.Permutations == 0 {
		r.Permutations = DefaultPermutations
	}
	if r.MMDMaxRows == 0 {
		r.MMDMaxRows = DefaultMMDMaxRows
	}
	if r.Test == "mmd" && r.Permutations < 1 {
		errs = append(errs, errors.New("the mmd test needs at least 1 permutation"))
	}
	if r.MMDMaxRows < 2 {
		errs = append(errs, fmt.Errorf("mmd max rows %d is below 2", r.MMDMaxRows))
	}
	for name, v := range r.Thresholds {
		if tests[name].threshold == 0 {
			errs = append(errs, fmt.Errorf("threshold for %q: only distance tests (psi, js, hellinger, wasserstein) take a threshold", name))
		} else if !(v > 0) {
			errs = append(errs, fmt.Errorf("threshold for %q must be positive, got %g", name, v))
		}
	}
	return r, errors.Join(errs...)
}

// defaultOrZero maps 0 to def and a negative value to 0.
func defaultOrZero(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Compare tests every column of cur against the same column of ref and
// returns the per-feature verdicts and the dataset verdict. ref and cur must
// have the same length and hold the same columns in the same order, with the
// same Categorical flag.
//
// A feature tested with a p-value drifts when its adjusted p-value is below
// Alpha and its effect size reaches MinEffect; a feature tested with a
// distance drifts when the distance reaches the test's threshold. The
// dataset drifts when at least one feature drifted and the share of drifted
// features reaches DriftShare, or when the multivariate test rejects at Alpha.
func Compare(ref, cur []Column, o Options) (*Report, error) {
	opt, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(ref) != len(cur) {
		return nil, fmt.Errorf("drift: %d reference columns but %d current columns", len(ref), len(cur))
	}
	for i := range ref {
		if ref[i].Name != cur[i].Name || ref[i].Categorical != cur[i].Categorical {
			return nil, fmt.Errorf("drift: column %d is %q in the reference but %q in the current data (or differs in type)", i, ref[i].Name, cur[i].Name)
		}
	}
	rep := &Report{
		ReferenceRows: columnRows(ref),
		CurrentRows:   columnRows(cur),
		Settings: Settings{
			Test: opt.Test, Alpha: opt.Alpha, Correction: opt.Correction,
			MinEffect: opt.MinEffect, DriftShareThreshold: opt.DriftShare,
			Permutations: opt.Permutations, Seed: opt.Seed,
		},
		Features: make([]Feature, 0, len(ref)),
	}
	if opt.Test != "mmd" {
		rep.Features = compareFeatures(ref, cur, &opt)
		correct(rep.Features, &opt)
	}
	if mv, err := multivariate(ref, cur, &opt); err != nil {
		return nil, err
	} else if mv != nil {
		rep.Multivariate = mv
	}
	tested := 0
	for _, f := range rep.Features {
		if f.Test != "none" {
			tested++
		}
		if f.Drift {
			rep.DriftedFeatures++
		}
	}
	if tested > 0 {
		rep.DriftShare = float64(rep.DriftedFeatures) / float64(tested)
	}
	rep.Drift = rep.DriftedFeatures > 0 && rep.DriftShare >= opt.DriftShare ||
		rep.Multivariate != nil && rep.Multivariate.Drift
	return rep, nil
}

func columnRows(cols []Column) int {
	if len(cols) == 0 {
		return 0
	}
	return max(len(cols[0].Num), len(cols[0].Str))
}

// compareFeatures runs the per-feature tests on GOMAXPROCS goroutines.
func compareFeatures(ref, cur []Column, opt *Options) []Feature {
	out := make([]Feature, len(ref))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range min(runtime.GOMAXPROCS(0), max(len(ref), 1)) {
		wg.Go(func() {
			for i := range next {
				out[i] = compareColumn(&ref[i], &cur[i], opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(ref))
					mu.Unlock()
				}
			}
		})
	}
	for i := range ref {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

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
