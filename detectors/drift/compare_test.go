package drift

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

func num(name string, v ...float64) Column { return Column{Name: name, Num: v} }
func cat(name string, v ...string) Column  { return Column{Name: name, Categorical: true, Str: v} }

func normal(rng *rand.Rand, n int, mean, sd float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + sd*rng.NormFloat64()
	}
	return v
}

func repeat(s string, n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = s
	}
	return v
}

// with returns DefaultOptions changed by set.
func with(set func(*Options)) Options {
	o := DefaultOptions()
	set(&o)
	return o
}

func compareOne(t *testing.T, ref, cur Column, opt Options) Feature {
	t.Helper()
	r, err := Compare([]Column{ref}, []Column{cur}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Features) != 1 {
		t.Fatalf("got %d features", len(r.Features))
	}
	return r.Features[0]
}

// TestCompareChoosesTest checks the automatic choice documented in the
// README ("How driftwatch chooses a test").
func TestCompareChoosesTest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nan := math.NaN()
	for _, c := range []struct {
		name      string
		ref, cur  Column
		test      string
		drift     bool
		wantNote  string
		wantCount [2]int
	}{
		{"continuous numeric uses ks", num("x", normal(rng, 500, 0, 1)...), num("x", normal(rng, 500, 0, 1)...), "ks", false, "", [2]int{500, 500}},
		{"shifted numeric drifts", num("x", normal(rng, 500, 0, 1)...), num("x", normal(rng, 500, 1, 1)...), "ks", true, "", [2]int{500, 500}},
		{"few distinct numeric values are categories", num("x", 1, 2, 3, 1, 2, 3, 1, 2), num("x", 1, 1, 1, 2, 2, 3, 3, 3), "chi2", false, "3 distinct values", [2]int{8, 8}},
		{"binary with small counts uses fisher", cat("c", "a", "a", "b", "a"), cat("c", "b", "b", "b", "a"), "fisher", false, "", [2]int{4, 4}},
		{"categories use chi2", cat("c", append(repeat("a", 60), repeat("b", 40)...)...), cat("c", append(repeat("a", 40), repeat("b", 60)...)...), "chi2", true, "", [2]int{100, 100}},
		{"constant columns equal", num("x", 5, 5, 5), num("x", 5, 5, 5, 5), "chi2", false, "one category", [2]int{3, 4}},
		{"n = 1 on each side", num("x", 1), num("x", 2), "fisher", false, "", [2]int{1, 1}},
		{"all missing current drifts", num("x", 1, 2, 3), num("x", nan, nan), "none", true, "no values in the current data; missing share changed by 100 points", [2]int{3, 0}},
		{"empty reference", cat("c"), cat("c", "a"), "none", false, "no values in the reference", [2]int{0, 1}},
		{"identifier column", cat("id", ids("r", 100)...), cat("id", ids("c", 100)...), "none", false, "identifier", [2]int{100, 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := compareOne(t, c.ref, c.cur, DefaultOptions())
			if f.Test != c.test || f.Drift != c.drift {
				t.Errorf("test %s drift %v, want %s %v (stat %g p %v effect %g, note %q)", f.Test, f.Drift, c.test, c.drift, f.Statistic, deref(f.PValue), f.EffectSize, f.Note)
			}
			if !strings.Contains(f.Note, c.wantNote) {
				t.Errorf("note %q lacks %q", f.Note, c.wantNote)
			}
			if [2]int{f.ReferenceCount, f.CurrentCount} != c.wantCount {
				t.Errorf("counts %d, %d; want %v", f.ReferenceCount, f.CurrentCount, c.wantCount)
			}
			for _, v := range []float64{f.Statistic, f.EffectSize, deref(f.PValue), deref(f.AdjustedPValue)} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Errorf("non-finite number in %+v", f)
				}
			}
		})
	}
}

func ids(prefix string, n int) []string {
	v := make([]string, n)
	for i := range v {
		v[i] = prefix + strings.Repeat("x", i%7) + string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	return v
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// TestCompareEffectSizeGate: with 200,000 values per side a 0.02 standard
// deviation shift is highly significant but negligible; the default verdict
// must not call it drift, and --min-effect 0 must.
func TestCompareEffectSizeGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref, cur := num("x", normal(rng, 200000, 0, 1)...), num("x", normal(rng, 200000, 0.02, 1)...)
	f := compareOne(t, ref, cur, DefaultOptions())
	if *f.PValue >= 0.05 {
		t.Fatalf("p-value %g: the shift should be significant at this size", *f.PValue)
	}
	if f.Drift {
		t.Errorf("negligible shift (effect %g) called drift", f.EffectSize)
	}
	if f := compareOne(t, ref, cur, with(func(o *Options) { o.MinEffect = 0 })); !f.Drift {
		t.Errorf("with no minimum effect, p %g should mean drift", *f.PValue)
	}
}

func TestCompareMissingChange(t *testing.T) {
	nan := math.NaN()
	ref := make([]float64, 1000)
	cur := make([]float64, 1000)
	for i := range ref {
		ref[i], cur[i] = float64(i%50), float64(i%50)
		if i%4 == 0 {
			cur[i] = nan
		}
	}
	f := compareOne(t, num("x", ref...), num("x", cur...), DefaultOptions())
	if f.MissingChange == nil || f.CurrentMissing != 250 || f.MissingChange.CurrentShare != 0.25 {
		t.Errorf("missing change not reported: %+v, %+v", f, f.MissingChange)
	}
}

func TestCompareCorrections(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ref, cur []Column
	for i := range 10 {
		name := string(rune('a' + i))
		ref = append(ref, num(name, normal(rng, 300, 0, 1)...))
		shift := 0.0
		if i == 0 {
			shift = 0.5
		}
		cur = append(cur, num(name, normal(rng, 300, shift, 1)...))
	}
	for _, corr := range Corrections {
		r, err := Compare(ref, cur, with(func(o *Options) { o.Correction, o.Permutations = corr, 0 }))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range r.Features {
			p, adj := *f.PValue, *f.AdjustedPValue
			if corr == "none" && adj != p || corr != "none" && adj < p {
				t.Errorf("%s: %s p %g adjusted %g", corr, f.Name, p, adj)
			}
		}
		if !r.Features[0].Drift {
			t.Errorf("%s: the shifted feature is not flagged", corr)
		}
		// Without a correction, 9 null features at α = 0.05 may well
		// produce a false alarm; with one they must not here.
		if !r.Drift || corr != "none" && r.DriftedFeatures != 1 {
			t.Errorf("%s: dataset drift %v with %d drifted features, want true with 1", corr, r.Drift, r.DriftedFeatures)
		}
	}
}

func TestCompareMMDDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ref := []Column{num("a", normal(rng, 300, 0, 1)...), num("b", normal(rng, 300, 0, 1)...)}
	cur := []Column{num("a", normal(rng, 300, 0.3, 1)...), num("b", normal(rng, 300, 0, 1)...)}
	opt := with(func(o *Options) { o.Seed, o.Permutations, o.MMDMaxRows = 42, 100, 200 })
	r1, err := Compare(ref, cur, opt)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := Compare(ref, cur, opt)
	if r1.Multivariate == nil || r1.Multivariate.PValue != r2.Multivariate.PValue || r1.Multivariate.Statistic != r2.Multivariate.Statistic {
		t.Fatalf("MMD not deterministic: %+v vs %+v", r1.Multivariate, r2.Multivariate)
	}
	if r1.Multivariate.ReferenceRowsUsed != 200 || !strings.Contains(r1.Multivariate.Note, "subsample") {
		t.Errorf("subsampling not applied or not noted: %+v", r1.Multivariate)
	}
}

func TestCompareOptionErrors(t *testing.T) {
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{with(func(o *Options) { o.Test = "ttest" }), `unknown test "ttest"`},
		{with(func(o *Options) { o.Alpha = 1.5 }), "alpha 1.5"},
		{with(func(o *Options) { o.Alpha = 0 }), "alpha 0"},
		{with(func(o *Options) { o.Correction = "holm" }), `unknown correction "holm"`},
		{with(func(o *Options) { o.KSMethod = "exact" }), `unknown ks method "exact" (want auto, fast, asymptotic)`},
		{with(func(o *Options) { o.Thresholds = map[string]float64{"ks": 0.1} }), "only distance tests"},
		{with(func(o *Options) { o.Thresholds = map[string]float64{"psi": -1} }), "positive"},
		{with(func(o *Options) { o.Test, o.Permutations = "mmd", 0 }), "at least 1"},
		{with(func(o *Options) { o.MinEffect = math.NaN() }), "min effect NaN"},
		{with(func(o *Options) { o.DriftShare = -0.5 }), "drift share -0.5"},
		{with(func(o *Options) { o.MMDMaxRows = 1 }), "below 2"},
	} {
		if err := c.opt.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.opt, err, c.want)
		}
	}
}

// TestCompareMMDStandardize: a shift in a unit-scale column next to a column
// a thousand times wider is invisible to MMD on raw values (the bandwidth
// follows the wide column) and plain once the columns are standardised.
func TestCompareMMDStandardize(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	wide := func(n int) []float64 {
		v := normal(rng, n, 0, 1000)
		return v
	}
	ref := []Column{num("small", normal(rng, 300, 0, 1)...), num("wide", wide(300)...)}
	cur := []Column{num("small", normal(rng, 300, 1, 1)...), num("wide", wide(300)...)}
	raw, err := Compare(ref, cur, with(func(o *Options) { o.Permutations = 200 }))
	if err != nil {
		t.Fatal(err)
	}
	std, err := Compare(ref, cur, with(func(o *Options) { o.Permutations, o.MMDStandardize = 200, true }))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Multivariate.Drift || !std.Multivariate.Drift || !std.Multivariate.Standardized {
		t.Errorf("raw MMD p %g (want no drift), standardised p %g (want drift)", raw.Multivariate.PValue, std.Multivariate.PValue)
	}
}

func TestCompareRejectsBadColumns(t *testing.T) {
	for _, c := range []struct {
		name     string
		ref, cur []Column
		want     string
	}{
		{"unequal lengths", []Column{num("a", 1, 2, 3), num("b", 1, 2)}, []Column{num("a", 1), num("b", 1)}, `reference column "b" has 2 values, column "a" has 3`},
		{"infinity", []Column{num("a", 1, math.Inf(1))}, []Column{num("a", 1)}, `reference column "a" holds an infinite value`},
		{"wrong slice", []Column{{Name: "a", Str: []string{"x"}}}, []Column{num("a", 1)}, "values of the other type"},
		{"names differ", []Column{num("a", 1)}, []Column{num("b", 1)}, `column 0 is "a" in the reference but "b"`},
		{"column counts differ", []Column{num("a", 1)}, nil, "1 reference columns but 0 current"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compare(c.ref, c.cur, DefaultOptions())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

// TestCompareMMDExtremeMagnitudes: squared distances of values near 1e160
// overflow and those of values near 1e-170 underflow; MMD must still see
// the shift that KS sees.
func TestCompareMMDExtremeMagnitudes(t *testing.T) {
	for _, scale := range []float64{1e160, 1e-170} {
		rng := rand.New(rand.NewPCG(11, 12))
		col := func(mean float64) []float64 {
			v := normal(rng, 100, mean, 1)
			for i := range v {
				v[i] *= scale
			}
			return v
		}
		ref := []Column{num("a", col(0)...), num("b", col(0)...)}
		cur := []Column{num("a", col(2)...), num("b", col(2)...)}
		r, err := Compare(ref, cur, with(func(o *Options) { o.Permutations = 100 }))
		if err != nil {
			t.Fatal(err)
		}
		mv := r.Multivariate
		if mv == nil || !mv.Drift || math.IsNaN(mv.Statistic) || math.IsInf(mv.Sigma, 0) || mv.Sigma == 0 {
			t.Errorf("scale %g: multivariate %+v, want finite drift", scale, mv)
		}
	}
}

// TestCompareMMDVerdict: in auto mode MMD is reported but the effect-size
// gated features decide; with --test mmd, MMD decides.
func TestCompareMMDVerdict(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var ref, cur []Column
	for _, name := range []string{"a", "b", "c", "d"} {
		ref = append(ref, num(name, normal(rng, 2000, 0, 1)...))
		cur = append(cur, num(name, normal(rng, 2000, 0.1, 1)...))
	}
	auto, err := Compare(ref, cur, with(func(o *Options) { o.Permutations = 100 }))
	if err != nil {
		t.Fatal(err)
	}
	if !auto.Multivariate.Drift || auto.Drift || auto.DriftedFeatures != 0 {
		t.Errorf("auto: MMD drift %v, dataset drift %v, %d features; want MMD drift only", auto.Multivariate.Drift, auto.Drift, auto.DriftedFeatures)
	}
	mmd, err := Compare(ref, cur, with(func(o *Options) { o.Test, o.Permutations = "mmd", 100 }))
	if err != nil {
		t.Fatal(err)
	}
	if !mmd.Drift || len(mmd.Features) != 0 {
		t.Errorf("--test mmd: dataset drift %v with %d features, want drift and none", mmd.Drift, len(mmd.Features))
	}
}

// TestCompareMMDSkipsEmptyColumns: a numeric column with no values on one
// side is left out of MMD (and said so), not allowed to switch MMD off.
func TestCompareMMDSkipsEmptyColumns(t *testing.T) {
	nan := math.NaN()
	rng := rand.New(rand.NewPCG(15, 16))
	ref := []Column{num("a", normal(rng, 50, 0, 1)...), num("b", normal(rng, 50, 0, 1)...), num("z", normal(rng, 50, 0, 1)...)}
	empty := make([]float64, 50)
	for i := range empty {
		empty[i] = nan
	}
	cur := []Column{num("a", normal(rng, 50, 0, 1)...), num("b", normal(rng, 50, 0, 1)...), num("z", empty...)}
	r, err := Compare(ref, cur, with(func(o *Options) { o.Permutations = 50 }))
	if err != nil {
		t.Fatal(err)
	}
	mv := r.Multivariate
	if mv == nil || len(mv.Columns) != 2 || !strings.Contains(mv.Note, `left out "z"`) || mv.ReferenceRowsUsed != 50 {
		t.Fatalf("multivariate %+v, want columns a and b, all rows, and a note about z", mv)
	}
	// With only one usable numeric column left, auto mode does not run MMD
	// and says why.
	r, err = Compare(ref[1:], cur[1:], with(func(o *Options) { o.Permutations = 50 }))
	if err != nil {
		t.Fatal(err)
	}
	if r.Multivariate != nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], `"z"`) {
		t.Errorf("multivariate %+v warnings %q, want none and a warning naming z", r.Multivariate, r.Warnings)
	}
}

// TestYield: Compare yields after every feature and between batches of MMD
// permutations.
func TestYield(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var ref, cur []Column
	for i := range 3 {
		r, c := Column{Name: fmt.Sprint("f", i)}, Column{Name: fmt.Sprint("f", i)}
		for range 200 {
			r.Num = append(r.Num, rng.NormFloat64())
			c.Num = append(c.Num, rng.NormFloat64())
		}
		ref, cur = append(ref, r), append(cur, c)
	}
	opt := DefaultOptions()
	opt.Permutations = 64
	var calls atomic.Int32 // Yield is called from the worker goroutines
	opt.Yield = func() { calls.Add(1) }
	if _, err := Compare(ref, cur, opt); err != nil {
		t.Fatal(err)
	}
	// 3 features, 4 between the MMD phases, 64/16 permutation batches.
	if got, want := calls.Load(), int32(3+4+4); got != want {
		t.Errorf("Yield called %d times, want %d", got, want)
	}
}
