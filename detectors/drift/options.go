package drift

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

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
