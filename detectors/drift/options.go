package drift

import (
	"errors"
	"flag"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Options tune Compare. Start from DefaultOptions: every field is used as
// given, and Validate rejects what makes no sense.
type Options struct {
	Test       string  `yaml:"test"`       // "auto" or one of TestNames
	Alpha      float64 `yaml:"alpha"`      // significance level, in (0, 1)
	Correction string  `yaml:"correction"` // one of Corrections
	// MinEffect is the effect size, in [0, 1], that a feature tested with a
	// p-value must reach to count as drifted; 0 trusts the p-value alone.
	MinEffect float64 `yaml:"min_effect"`
	// DriftShare is the share of drifted features, in [0, 1], at which the
	// dataset counts as drifted; 0 means any drifted feature.
	DriftShare float64 `yaml:"drift_share"`
	// Permutations of the MMD test; 0 skips MMD in auto mode.
	Permutations int    `yaml:"permutations"`
	Seed         uint64 `yaml:"seed"`         // MMD subsampling and permutations
	MMDMaxRows   int    `yaml:"mmd_max_rows"` // rows per side used by MMD, at least 2
	// KSMethod says how KS p-values are computed: "auto" as scipy
	// (exact up to 10,000 values per side; see KS), "fast" exact only
	// where that is cheap (KSFast), "asymptotic" never exact.
	KSMethod string `yaml:"ks_method"`
	// MMDStandardize scales every column by the reference's mean and
	// standard deviation before MMD, so that one wide-ranged column does
	// not decide the kernel bandwidth alone. Off by default: the columns
	// are used as given.
	MMDStandardize bool `yaml:"mmd_standardize"`
	// Thresholds overrides the default drift threshold of distance tests,
	// by test name (psi, js, hellinger, wasserstein).
	Thresholds map[string]float64 `yaml:"thresholds"`
	// Progress, when set, is called with the stage ("features" or "mmd"),
	// the work done in it and its total.
	Progress func(stage string, done, total int) `yaml:"-"`
	// Yield, when set, is called between features and between batches of
	// MMD permutations, each a millisecond or so of work: a caller that
	// shares its cores with latency-sensitive work lets it run there (the
	// sidecar sleeps 100 µs, which lets Go's scheduler poll the
	// network even with GOMAXPROCS=1). It may be called from several
	// goroutines at once.
	Yield func() `yaml:"-"`
}

// Defaults and rules used by Compare; see README "How driftwatch chooses a
// test".
const (
	DefaultAlpha        = 0.05
	DefaultMinEffect    = 0.1
	DefaultDriftShare   = 0.0
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
	maxCategoryBars     = 15
)

// DefaultOptions returns the options `driftwatch detect` uses without flags.
func DefaultOptions() Options {
	return Options{
		Test:         "auto",
		Alpha:        DefaultAlpha,
		Correction:   "fdr",
		MinEffect:    DefaultMinEffect,
		DriftShare:   DefaultDriftShare,
		Permutations: DefaultPermutations,
		Seed:         1,
		MMDMaxRows:   DefaultMMDMaxRows,
		KSMethod:     "auto",
	}
}

// yield calls o.Yield if it is set.
func (o *Options) yield() {
	if o.Yield != nil {
		o.Yield()
	}
}

// KSMethods are the values of Options.KSMethod.
var KSMethods = []string{"auto", "fast", "asymptotic"}

// ks runs the KS test of o.KSMethod.
func (o *Options) ks(x, y []float64) (d, p float64) {
	switch o.KSMethod {
	case "fast":
		return KSFast(x, y)
	case "asymptotic":
		return KSAsymptotic(x, y)
	}
	return KS(x, y)
}

// RegisterFlags registers o's fields as flags on fs, with o's current
// values as defaults.
func (o *Options) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Test, "test", o.Test, "`test` for every feature: "+strings.Join(TestNames(), ", "))
	fs.Float64Var(&o.Alpha, "alpha", o.Alpha, "significance level for tests with a p-value, in (0, 1)")
	fs.StringVar(&o.Correction, "correction", o.Correction, "multiple-testing correction across features: none, bonferroni or fdr (Benjamini–Hochberg)")
	fs.Float64Var(&o.MinEffect, "min-effect", o.MinEffect, "smallest effect size (KS distance or total variation, 0..1) that counts as drift; 0 trusts the p-value alone")
	fs.Float64Var(&o.DriftShare, "drift-share", o.DriftShare, "share of drifted features (0..1) at which the dataset counts as drifted; 0 means any drifted feature")
	fs.Func("threshold", "drift threshold of a distance test as `test=value`, e.g. psi=0.25 (repeatable)", o.setThreshold)
	fs.IntVar(&o.Permutations, "permutations", o.Permutations, "permutations of the multivariate MMD test; 0 skips MMD in auto mode")
	fs.IntVar(&o.MMDMaxRows, "mmd-max-rows", o.MMDMaxRows, "rows per side the MMD test uses (a random subsample above this; memory grows with its square)")
	fs.BoolVar(&o.MMDStandardize, "mmd-standardize", o.MMDStandardize, "scale each numeric column by the reference's mean and standard deviation before MMD, so no single wide-ranged column dominates")
	fs.StringVar(&o.KSMethod, "ks-method", o.KSMethod, "`method` of KS p-values: auto (exact up to 10,000 values per side, as scipy), fast (exact only where it is cheap), asymptotic")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed for MMD subsampling and permutations")
}

func (o *Options) setThreshold(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want test=value, got %q", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil {
		return fmt.Errorf("threshold %q is not a number", val)
	}
	if o.Thresholds == nil {
		o.Thresholds = map[string]float64{}
	}
	o.Thresholds[strings.TrimSpace(name)] = v
	return nil
}

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
	// binned is set for distances between binned distributions.
	binned func(ref, cur []float64) float64
	doc    string
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
	"psi":         {kind: anyFeature, threshold: 0.2, binned: PSI, doc: "population stability index on reference deciles; drift at ≥ 0.2"},
	"js":          {kind: anyFeature, threshold: 0.1, binned: JensenShannon, doc: "Jensen–Shannon distance, log base 2; drift at ≥ 0.1"},
	"hellinger":   {kind: anyFeature, threshold: 0.1, binned: Hellinger, doc: "Hellinger distance; drift at ≥ 0.1"},
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
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if _, ok := tests[o.Test]; !ok {
		add("unknown test %q (want one of %s)", o.Test, strings.Join(TestNames(), ", "))
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		add("alpha %g is not between 0 and 1", o.Alpha)
	}
	if !slices.Contains(Corrections, o.Correction) {
		add("unknown correction %q (want %s)", o.Correction, strings.Join(Corrections, ", "))
	}
	if !(o.MinEffect >= 0 && o.MinEffect <= 1) {
		add("min effect %g is not between 0 and 1", o.MinEffect)
	}
	if !(o.DriftShare >= 0 && o.DriftShare <= 1) {
		add("drift share %g is not between 0 and 1", o.DriftShare)
	}
	if o.Permutations < 0 || o.Test == "mmd" && o.Permutations < 1 {
		add("%d permutations: MMD needs at least 1 (0 skips it in auto mode)", o.Permutations)
	}
	if o.KSMethod != "" && !slices.Contains(KSMethods, o.KSMethod) {
		add("unknown ks method %q (want %s)", o.KSMethod, strings.Join(KSMethods, ", "))
	}
	if o.MMDMaxRows < 2 {
		add("mmd max rows %d is below 2", o.MMDMaxRows)
	}
	for _, name := range slices.Sorted(maps.Keys(o.Thresholds)) {
		v := o.Thresholds[name]
		if tests[name].threshold == 0 {
			add("threshold for %q: only distance tests (psi, js, hellinger, wasserstein) take a threshold", name)
		} else if !(v > 0) || math.IsInf(v, 0) {
			add("threshold for %q must be a positive number, got %g", name, v)
		}
	}
	return errors.Join(errs...)
}

// threshold returns the drift threshold of the named distance test.
func (o *Options) threshold(name string) float64 {
	if v, ok := o.Thresholds[name]; ok {
		return v
	}
	return tests[name].threshold
}
