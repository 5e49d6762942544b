package outlier

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

func record(names []string, row []float64, at time.Time) obs.Record {
	r := obs.Record{Time: at, Model: "m", Version: "v1", RequestID: "req"}
	for j, n := range names {
		r.Features = append(r.Features, obs.Value{Name: n, Kind: obs.Number, Num: row[j]})
	}
	return r
}

func TestMonitor(t *testing.T) {
	names, train, test, outlier := loadSplit(t)
	m, err := NewMonitor(Config{Model: "m", Version: "v1", Options: Options{Method: MethodMahalanobis, FPR: 0.01}, Recent: 10}, names, train)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want int
	for i, x := range test {
		if o, _ := m.Model().Outlier(x); o {
			want++
		}
		m.Observe(record(names, x, t0.Add(time.Duration(i)*time.Second)))
	}
	m.Observe(obs.Record{Synthetic: true})
	res := m.Results(t0.Add(time.Hour), nil)
	if len(res) < 6 {
		t.Fatalf("%d results, want at least 6", len(res))
	}
	// The per-feature counts add up to the per-kind ones.
	byKind := map[string]float64{}
	for _, r := range res[6:] {
		if r.Name != ResultFeatureQuality || r.Value == 0 {
			t.Errorf("result %+v, want a feature's issues", r)
		}
		byKind[r.Labels["kind"]] += r.Value
	}
	for _, r := range res[1:6] {
		if byKind[r.Labels["kind"]] != r.Value {
			t.Errorf("%s: %v issues, the features have %v", r.Labels["kind"], r.Value, byKind[r.Labels["kind"]])
		}
	}
	r := res[0]
	if r.Name != ResultOutlierRate || r.Samples != len(test) || r.Labels.String() != `{method="mahalanobis", model="m", version="v1"}` {
		t.Errorf("result %+v", r)
	}
	if got := r.Value * float64(len(test)); math.Abs(got-float64(want)) > 1e-9 || r.Severity != obs.Warning {
		t.Errorf("rate %v (%v outliers, want %d), severity %v", r.Value, got, want, r.Severity)
	}
	// Most malignant rows are outliers; the range checks see them too.
	var mal int
	for _, o := range outlier {
		if o {
			mal++
		}
	}
	if want < mal/2 {
		t.Errorf("%d outliers among %d malignant", want, mal)
	}
	for i, kind := range []string{QualityMissing, QualityNaN, QualityOutOfRange} {
		q := res[1+i]
		if q.Name != ResultDataQuality || q.Labels["kind"] != kind || q.Samples != len(test) {
			t.Errorf("quality result %d: %+v", i, q)
		}
	}
	if res[1].Value != 0 || res[2].Value != 0 || res[3].Value == 0 || res[4].Value != 0 || res[5].Value != 0 {
		t.Errorf("quality counts %v %v %v %v %v", res[1].Value, res[2].Value, res[3].Value, res[4].Value, res[5].Value)
	}
	rec := m.Recent(nil)
	if len(rec) != 10 {
		t.Fatalf("%d recent, want 10", len(rec))
	}
	for i := 1; i < len(rec); i++ {
		if !rec[i].Time.Before(rec[i-1].Time) {
			t.Errorf("recent not newest first: %v then %v", rec[i-1].Time, rec[i].Time)
		}
	}
	if f := rec[0].Features; len(f) != 3 || math.Abs(f[0].Z) < math.Abs(f[2].Z) || f[0].Name == "" {
		t.Errorf("features %+v", f)
	}
	if s := m.Stats(); s.Observed != uint64(len(test)) || s.Synthetic != 1 || s.Outliers != uint64(want) {
		t.Errorf("stats %+v", s)
	}
	// The next window starts empty.
	if res := m.Results(t0.Add(2*time.Hour), nil); len(res) != 0 {
		t.Errorf("empty window gave %d results", len(res))
	}
}

func TestMonitorDataQuality(t *testing.T) {
	names := []string{"a", "b", "c"}
	ref := [][]float64{}
	for i := range 50 {
		ref = append(ref, []float64{float64(i), float64(i % 7), float64(i % 5)})
	}
	m, err := NewMonitor(Config{Model: "m", Version: "1", Options: Options{Method: MethodZScore}}, names, ref)
	if err != nil {
		t.Fatal(err)
	}
	m.Observe(obs.Record{Features: []obs.Value{
		{Name: "a", Kind: obs.Number, Num: math.NaN()},
		{Name: "b", Kind: obs.Category, Str: "x"},
		{Name: "zzz", Kind: obs.Number, Num: 1},
	}}) // c absent: 1 missing, 1 wrong type, 1 nan
	m.Observe(obs.Record{Features: []obs.Value{
		{Name: "a", Kind: obs.Number, Num: math.Inf(1)},
		{Name: "b", Kind: obs.Number, Num: 3},
		{Name: "c", Kind: obs.Number, Num: 100},
	}}) // 1 nan, 1 out of range (and an outlier)
	res := m.Results(time.Unix(0, 0), nil)
	got := map[string]float64{}
	for _, r := range res[1:6] {
		got[r.Labels["kind"]] = r.Value
	}
	if got[QualityMissing] != 1 || got[QualityNaN] != 2 || got[QualityOutOfRange] != 1 || got[QualityWrongType] != 1 {
		t.Errorf("quality %v", got)
	}
	if res[0].Value != 0.5 || m.Stats().Unknown != 1 {
		t.Errorf("rate %v, stats %+v", res[0].Value, m.Stats())
	}
	// Imputed values are scored at the median: the first record is not an outlier.
	if rec := m.Recent(nil); len(rec) != 1 || rec[0].Features[0].Name != "c" || rec[0].Features[0].Value != 100 {
		t.Errorf("recent %+v", rec)
	}
}

// TestMonitorCategories: a categorical feature of the reference is
// checked, not scored, and every issue is counted per feature; a feature's
// result comes once more with 0 after its issues stop, then no more.
func TestMonitorCategories(t *testing.T) {
	var ref [][]float64
	for i := range 20 {
		ref = append(ref, []float64{float64(i)})
	}
	m, err := NewMonitor(Config{Model: "m", Version: "1", Options: Options{Method: MethodZScore},
		Categories: map[string][]string{"site": {"a", "b"}}}, []string{"x"}, ref)
	if err != nil {
		t.Fatal(err)
	}
	cat := func(v string) obs.Value { return obs.Value{Name: "site", Kind: obs.Category, Str: v} }
	x := obs.Value{Name: "x", Kind: obs.Number, Num: 3}
	for _, f := range [][]obs.Value{
		{x, cat("a")},
		{x, cat("c")}, // unseen
		{x, {Name: "site", Kind: obs.Number, Num: 2}}, // wrong type
		{x, {Name: "site", Kind: obs.Missing}},        // missing
		{x},                                           // missing
		{{Name: "x", Kind: obs.Category, Str: "3"}, cat("b")}, // wrong type
	} {
		m.Observe(obs.Record{Features: f})
	}
	feature := func(res []obs.Result) map[string]float64 {
		got := map[string]float64{}
		for _, r := range res {
			if r.Name == ResultFeatureQuality {
				got[r.Labels["feature"]+" "+r.Labels["kind"]] = r.Value
			}
		}
		return got
	}
	want := map[string]float64{"site unseen_category": 1, "site wrong_type": 1, "site missing": 2, "x wrong_type": 1}
	if got := feature(m.Results(time.Unix(0, 0), nil)); !maps.Equal(got, want) {
		t.Errorf("feature results %v, want %v", got, want)
	}
	if s := m.Stats(); s.Unknown != 0 {
		t.Errorf("stats %+v: the categorical feature is known", s)
	}
	m.Observe(obs.Record{Features: []obs.Value{x, cat("c")}})
	want = map[string]float64{"site unseen_category": 1, "site wrong_type": 0, "site missing": 0, "x wrong_type": 0}
	if got := feature(m.Results(time.Unix(1, 0), nil)); !maps.Equal(got, want) {
		t.Errorf("next window: feature results %v, want %v (zeros once)", got, want)
	}
	m.Observe(obs.Record{Features: []obs.Value{x, cat("a")}})
	want = map[string]float64{"site unseen_category": 0}
	if got := feature(m.Results(time.Unix(2, 0), nil)); !maps.Equal(got, want) {
		t.Errorf("third window: feature results %v, want %v", got, want)
	}
	q := m.Quality()
	slices.SortFunc(q, func(a, b FeatureQuality) int { return strings.Compare(a.Feature+a.Kind, b.Feature+b.Kind) })
	if fmt.Sprint(q) != "[{site missing 2} {site unseen_category 2} {site wrong_type 1} {x wrong_type 1}]" {
		t.Errorf("Quality() = %v", q)
	}
}

func TestNewMonitorErrors(t *testing.T) {
	ref := [][]float64{{1, 2}, {2, 3}, {3, 5}, {4, 4}, {5, 1}, {6, 2}, {7, 7}, {8, 1}, {9, 0}, {1, 9}, {2, 2}}
	for _, c := range []struct {
		name  string
		cfg   Config
		names []string
		ref   [][]float64
	}{
		{"unknown method", Config{Options: Options{Method: "lof"}}, []string{"a", "b"}, ref},
		{"bad fpr", Config{Options: Options{Method: MethodZScore, FPR: 1.5}}, []string{"a", "b"}, ref},
		{"duplicate name", Config{Options: Options{Method: MethodZScore}}, []string{"a", "a"}, ref},
		{"width", Config{Options: Options{Method: MethodZScore}}, []string{"a"}, ref},
		{"too few rows", Config{Options: Options{Method: MethodIForest}}, []string{"a", "b"}, ref[:3]},
		{"nan", Config{Options: Options{Method: MethodZScore}}, []string{"a", "b"}, [][]float64{{1, math.NaN()}, {1, 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewMonitor(c.cfg, c.names, c.ref); err == nil {
				t.Error("no error")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestMonitorRecentConcurrent(t *testing.T) {
	names, train, test, _ := loadSplit(t)
	m, err := NewMonitor(Config{Options: Options{Method: MethodIForest}}, names, train)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				_ = m.Recent(nil)
				_ = m.Stats()
			}
		}
	})
	for i := range 3 {
		for _, x := range test {
			m.Observe(record(names, x, time.Unix(int64(i), 0)))
		}
	}
	close(stop)
	wg.Wait()
	if n := len(m.Recent(nil)); n != DefaultRecent {
		t.Errorf("%d recent, want %d", n, DefaultRecent)
	}
}

// Calibration on out-of-fold scores: fresh data from the reference's
// population is flagged at about the target rate.
func TestCalibrationFPR(t *testing.T) {
	const d, fpr = 5, 0.05
	gen := func(seed uint64, n int) [][]float64 {
		rng := newRand(seed)
		x := make([][]float64, n)
		for i := range x {
			x[i] = make([]float64, d)
			for j := range d {
				x[i][j] = rng.NormFloat64()
			}
		}
		return x
	}
	ref, fresh := gen(1, 400), gen(2, 20000)
	for _, method := range Methods {
		t.Run(string(method), func(t *testing.T) {
			m, err := Fit(ref, Options{Method: method, FPR: fpr})
			if err != nil {
				t.Fatal(err)
			}
			var n int
			for _, s := range ScoreRows(nil, m.Scorer, fresh) {
				if s > m.Threshold {
					n++
				}
			}
			rate := float64(n) / float64(len(fresh))
			t.Logf("%s: fresh rate %.4f (target %.2f)", method, rate, fpr)
			if rate < fpr/2 || rate > 2*fpr {
				t.Errorf("fresh rate %.4f, target %.2f", rate, fpr)
			}
		})
	}
}

type obsRecord = obs.Record

var benchTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestMonitorShared: monitors of several versions share a model fitted
// once, and score alike.
func TestMonitorShared(t *testing.T) {
	names, train, test, _ := loadSplit(t)
	o := Options{Method: MethodKNN}
	fitted, err := Fit(train, o)
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewMonitor(Config{Version: "1", Options: o, Fitted: fitted}, names, train)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewMonitor(Config{Version: "2", Options: o}, names, train)
	if err != nil {
		t.Fatal(err)
	}
	if a.Model() != fitted || b.Model() == fitted {
		t.Fatal("the fitted model was not used as given")
	}
	for _, x := range test[:50] {
		oa, sa := a.Model().Outlier(x)
		ob, sb := b.Model().Outlier(x)
		if oa != ob || sa != sb {
			t.Fatalf("shared model scores %v (%v), own fit %v (%v)", sa, oa, sb, ob)
		}
	}
}
