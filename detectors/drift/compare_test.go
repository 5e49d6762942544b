package drift

import (
	"math"
	"math/rand/v2"
	"strings"
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
		{"all missing current", num("x", 1, 2, 3), num("x", nan, nan), "none", false, "no values in the current data", [2]int{3, 0}},
		{"empty reference", cat("c"), cat("c", "a"), "none", false, "no values in the reference", [2]int{0, 1}},
		{"identifier column", cat("id", ids("r", 100)...), cat("id", ids("c", 100)...), "none", false, "identifier", [2]int{100, 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := compareOne(t, c.ref, c.cur, Options{})
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
	f := compareOne(t, ref, cur, Options{})
	if *f.PValue >= 0.05 {
		t.Fatalf("p-value %g: the shift should be significant at this size", *f.PValue)
	}
	if f.Drift {
		t.Errorf("negligible shift (effect %g) called drift", f.EffectSize)
	}
	if f := compareOne(t, ref, cur, Options{MinEffect: -1}); !f.Drift {
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
	f := compareOne(t, num("x", ref...), num("x", cur...), Options{})
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
		r, err := Compare(ref, cur, Options{Correction: corr, Permutations: -1})
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
		if r.Drift {
			t.Errorf("%s: 1 of 10 features is below the default drift share", corr)
		}
	}
}

func TestCompareMMDDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	ref := []Column{num("a", normal(rng, 300, 0, 1)...), num("b", normal(rng, 300, 0, 1)...)}
	cur := []Column{num("a", normal(rng, 300, 0.3, 1)...), num("b", normal(rng, 300, 0, 1)...)}
	opt := Options{Seed: 42, Permutations: 100, MMDMaxRows: 200}
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
		{Options{Test: "ttest"}, `unknown test "ttest"`},
		{Options{Alpha: 1.5}, "alpha 1.5"},
		{Options{Correction: "holm"}, `unknown correction "holm"`},
		{Options{Thresholds: map[string]float64{"ks": 0.1}}, "only distance tests"},
		{Options{Test: "mmd", Permutations: -1}, "at least 1 permutation"},
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
	raw, err := Compare(ref, cur, Options{Seed: 1, Permutations: 200})
	if err != nil {
		t.Fatal(err)
	}
	std, err := Compare(ref, cur, Options{Seed: 1, Permutations: 200, MMDStandardize: true})
	if err != nil {
		t.Fatal(err)
	}
	if raw.Multivariate.Drift || !std.Multivariate.Drift || !std.Multivariate.Standardized {
		t.Errorf("raw MMD p %g (want no drift), standardised p %g (want drift)", raw.Multivariate.PValue, std.Multivariate.PValue)
	}
}
