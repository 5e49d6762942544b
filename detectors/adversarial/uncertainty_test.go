package adversarial

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// The expected values below come from /usr/bin/python3 with scipy 1.10.1
// and numpy 1.24.2: stats.ks_2samp(x, y, alternative='greater',
// method='asymp') and stats.entropy(p), with sm64 as in shapiro_test.go.
func TestKSOneSided(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, y []float64
		d, p float64
	}{
		// [0.1, 0.2, 0.3] vs [0.25, 0.5, 0.75, 1.0]
		{"small", []float64{0.1, 0.2, 0.3}, []float64{0.25, 0.5, 0.75, 1}, 0.75, 0.07115767120808197},
		// [0, 0, .5, .5, 1] vs [0, .5, .5, 1, 1, 1]
		{"ties", []float64{0, 0, 0.5, 0.5, 1}, []float64{0, 0.5, 0.5, 1, 1, 1}, 0.30000000000000004, 0.45757330306700855},
		// sm64(21, 150)*0.8 vs sm64(22, 400)
		{"shifted down", swMap(func(v ...float64) float64 { return v[0] * 0.8 }, swGen(21, 150)), swGen(22, 400), 0.23749999999999993, 3.6957267679672136e-06},
		// sm64(23, 150)*0.5+0.5 vs sm64(24, 400)
		{"shifted up", swMap(func(v ...float64) float64 { return v[0]*0.5 + 0.5 }, swGen(23, 150)), swGen(24, 400), 0.005833333333333246, 0.9877025025330486},
		// sm64(25, 300) vs sm64(26, 1000)
		{"same", swGen(25, 300), swGen(26, 1000), 0.021666666666666612, 0.7910101776805784},
		// sm64(27, 1000)**2 vs sm64(28, 500)
		{"squared vs uniform", swMap(func(v ...float64) float64 { return v[0] * v[0] }, swGen(27, 1000)), swGen(28, 500), 0.272, 2.9815031957032093e-22},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := slices.Clone(tc.x), slices.Clone(tc.y)
			slices.Sort(x)
			slices.Sort(y)
			d, p := KSOneSided(x, y)
			if math.Abs(d-tc.d) > 1e-12 {
				t.Errorf("D = %.17g, want %.17g (±1e-12)", d, tc.d)
			}
			if math.Abs(p-tc.p) > 1e-12*tc.p {
				t.Errorf("p = %.17g, want %.17g (±1e-12 relative)", p, tc.p)
			}
		})
	}
}

func TestEntropy(t *testing.T) {
	f := func(p []float64, want float64) {
		t.Helper()
		if got := Entropy(p); math.Abs(got-want) > 1e-15 || math.IsNaN(got) != math.IsNaN(want) {
			t.Errorf("Entropy(%v) = %.17g, want %.17g", p, got, want)
		}
	}
	f([]float64{0.5, 0.5}, 0.6931471805599453)
	f([]float64{0.9, 0.1}, 0.3250829733914482)
	f([]float64{1, 0, 0}, 0)
	f([]float64{0.2, 0.3, 0.5}, 1.0296530140645737)
	f([]float64{2, 1, 1}, 1.0397207708399179) // normalised, as scipy does
	f([]float64{0.7, 0.2, 0.1, 0}, 0.8018185525433373)
	f([]float64{0.5, -0.1}, math.NaN())
	f([]float64{0, 0}, math.NaN())
	f([]float64{math.NaN(), 1}, math.NaN())
}

// TestUncertainty: a window as confident as the reference passes; a
// window of answers near the boundary (as a crowd of probing clients
// would get) is flagged with its evidence.
func TestUncertainty(t *testing.T) {
	u, err := NewUncertainty(UncertaintyConfig{Model: "m", Version: "1", Reference: 300, Window: 100})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	t0 := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	send := func(n int, p1 func() float64) []obs.Result {
		for i := range n {
			p := p1()
			u.Observe(obs.Record{Time: t0.Add(time.Duration(i) * time.Second), Prediction: []obs.Value{
				{Name: "label", Kind: obs.Number, Num: math.Round(p)},
				{Name: "probabilities[0]", Kind: obs.Number, Num: 1 - p},
				{Name: "probabilities[1]", Kind: obs.Number, Num: p},
			}})
		}
		return u.Results(t0, nil)
	}
	confident := func() float64 { return 0.9 + 0.1*rng.Float64() } // margins 0.8 to 1
	if res := send(300, confident); len(res) != 0 {
		t.Fatalf("results while the reference fills: %+v", res)
	}
	u.Observe(obs.Record{Synthetic: true, Prediction: []obs.Value{{Name: "p[0]", Kind: obs.Number, Num: 0.5}, {Name: "p[1]", Kind: obs.Number, Num: 0.5}}})
	u.Observe(obs.Record{Prediction: []obs.Value{{Name: "y", Kind: obs.Number, Num: 3}}}) // no probabilities
	res := send(100, confident)
	if len(res) != 1 || res[0].Severity != obs.OK || res[0].Value != 0 || res[0].Samples != 100 || res[0].Labels["model"] != "m" {
		t.Fatalf("a confident window: %+v, want one OK result of 100 samples", res)
	}
	if res := u.Results(t0, nil); len(res) != 0 {
		t.Errorf("the result came twice: %+v", res)
	}
	// A quarter of the window near the boundary.
	i := 0
	res = send(100, func() float64 {
		i++
		if i%4 == 0 {
			return 0.5 + 0.04*rng.Float64()
		}
		return confident()
	})
	if len(res) != 1 || res[0].Severity != obs.Warning || res[0].Value != 1 {
		t.Fatalf("a window a quarter near the boundary: %+v, want a warning", res)
	}
	ev := map[string]string{}
	for _, f := range res[0].Evidence {
		ev[f.Key] = f.Value
	}
	if d, _ := strconv.ParseFloat(ev["statistic"], 64); math.Abs(d-0.25) > 0.02 {
		t.Errorf("D+ %v, want about 0.25 (the quarter below every reference margin)", d)
	}
	if p, _ := strconv.ParseFloat(ev["p_value"], 64); !(p < 0.01) || ev["low_margin_share"] != "0.25" || ev["reference_low_margin_share"] != "0" {
		t.Errorf("evidence %v: want p < 0.01, low-margin shares 0.25 and 0", ev)
	}
	if _, err := NewUncertainty(UncertaintyConfig{Alpha: 2}); err == nil {
		t.Error("alpha 2 accepted")
	}
}
