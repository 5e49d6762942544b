package rules

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func fp(v float64) *float64 { return &v }

// step is one evaluation at t0 + min minutes with one result per value of
// in (none when in is nil), and the alerts wanted as summarize renders
// them.
type step struct {
	min  int
	in   []float64
	want string
}

// in is a shorthand for the values of a step.
func in(v ...float64) []float64 { return v }

// summarize renders alerts as "state/severity", sorted, joined by
// spaces; "-" when there is none. With several label sets, each is
// preceded by its model label and a colon.
func summarize(as []*alert.Alert, withModel bool) string {
	if len(as) == 0 {
		return "-"
	}
	var s []string
	for _, a := range as {
		x := a.State.String() + "/" + a.Severity.String()
		if withModel {
			x = a.Labels["model"] + ":" + x
		}
		s = append(s, x)
	}
	slices.Sort(s)
	return strings.Join(s, " ")
}

func result(model string, v float64, samples int, now time.Time) obs.Result {
	return obs.Result{
		Name:     "dataset_drift",
		Labels:   obs.Labels{"model": model, "version": "1"},
		Time:     now,
		Value:    v,
		Severity: obs.Warning,
		Samples:  samples,
		Evidence: []obs.Field{{Key: "drift_share", Value: fmt.Sprint(v)}, {Key: "top_features", Value: "price (0.4)"}},
	}
}

// run evaluates r over steps on one series, model "iris".
func run(t *testing.T, r Rule, steps []step) *Engine {
	t.Helper()
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range steps {
		now := t0.Add(time.Duration(st.min) * time.Minute)
		var rs []obs.Result
		for _, v := range st.in {
			rs = append(rs, result("iris", v, 1000, now))
		}
		if got := summarize(e.Evaluate(now, rs), false); got != st.want {
			t.Errorf("step %d (minute %d, in %v): got %s, want %s", i, st.min, st.in, got, st.want)
		}
	}
	return e
}

// base is a rule firing at once on dataset_drift >= 1 (warning) and
// >= 2 (critical).
func base() Rule {
	return Rule{Name: "model_drift", Result: "dataset_drift", Op: ">=", Warning: fp(1), Critical: fp(2)}
}

func TestThresholds(t *testing.T) {
	tests := []struct {
		op                string
		warning, critical *float64
		value             float64
		want              string
	}{
		{">", fp(1), fp(2), 1, "-"},
		{">", fp(1), fp(2), 1.5, "firing/warning"},
		{">", fp(1), fp(2), 2, "firing/warning"},
		{">", fp(1), fp(2), 2.5, "firing/critical"},
		{">=", fp(1), fp(2), 0.99, "-"},
		{">=", fp(1), fp(2), 1, "firing/warning"},
		{">=", fp(1), fp(2), 2, "firing/critical"},
		{"<", fp(0.5), fp(0.1), 0.5, "-"},
		{"<", fp(0.5), fp(0.1), 0.3, "firing/warning"},
		{"<", fp(0.5), fp(0.1), 0.05, "firing/critical"},
		{"<=", fp(0.5), fp(0.1), 0.5, "firing/warning"},
		{"<=", fp(0.5), fp(0.1), 0.1, "firing/critical"},
		{"<=", fp(0.5), fp(0.1), 0.6, "-"},
		{"==", fp(0), nil, 0, "firing/warning"},
		{"==", fp(0), nil, 1, "-"},
		{"==", nil, fp(0), 0, "firing/critical"},
		{"!=", fp(1), nil, 0, "firing/warning"},
		{"!=", fp(1), nil, 1, "-"},
		{"!=", fp(1), fp(0), 0, "firing/warning"},  // != 1 but == 0 is not critical
		{"!=", fp(1), fp(0), 2, "firing/critical"}, // != both
		{">=", nil, fp(2), 1.5, "-"},               // critical only
		{">=", nil, fp(2), 2, "firing/critical"},   // critical only
		{">=", fp(1), nil, 5, "firing/warning"},    // warning only
		{">=", fp(1), fp(1), 1, "firing/critical"}, // equal levels: critical
		{">", fp(1), fp(2), math.NaN(), "-"},       // NaN meets no threshold
		{"!=", fp(1), nil, math.NaN(), "firing/warning"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%v %s w%v c%v", tt.value, tt.op, deref(tt.warning), deref(tt.critical))
		t.Run(name, func(t *testing.T) {
			r := base()
			r.Op, r.Warning, r.Critical = tt.op, tt.warning, tt.critical
			run(t, r, []step{{0, in(tt.value), tt.want}})
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return "-"
	}
	return *p
}

func TestStates(t *testing.T) {
	tests := []struct {
		name  string
		rule  func(*Rule)
		steps []step
	}{{
		name: "fire at once, resolve once, then inactive",
		rule: func(*Rule) {},
		steps: []step{
			{0, in(0), "-"},
			{1, in(1), "firing/warning"},
			{2, nil, "firing/warning"}, // the last value stands without a result
			{3, in(2), "firing/critical"},
			{4, in(1), "firing/warning"},
			{5, in(0), "resolved/warning"},
			{6, nil, "-"},
			{7, in(0), "-"},
		},
	}, {
		name: "for",
		rule: func(r *Rule) { r.For = 5 * time.Minute },
		steps: []step{
			{0, in(1), "pending/warning"},
			{2, in(2), "pending/critical"},
			{4, nil, "pending/critical"},
			{5, nil, "firing/critical"}, // held 5m: fires even without a new result
			{6, in(0), "resolved/critical"},
			{7, in(1), "pending/warning"}, // a new activation starts a new for
			{11, in(1), "pending/warning"},
			{12, in(1), "firing/warning"},
		},
	}, {
		name: "pending cleared without notification",
		rule: func(r *Rule) { r.For = 5 * time.Minute },
		steps: []step{
			{0, in(1), "pending/warning"},
			{3, in(0), "-"},
			{4, in(1), "pending/warning"},
			{8, in(1), "pending/warning"}, // for counts from minute 4
			{9, in(1), "firing/warning"},
		},
	}, {
		name: "keep_firing_for",
		rule: func(r *Rule) { r.KeepFiringFor = 10 * time.Minute },
		steps: []step{
			{0, in(1), "firing/warning"},
			{1, in(0), "firing/warning"},
			{5, in(0), "firing/warning"},
			{6, in(1), "firing/warning"}, // true again: the 10m start over
			{10, in(0), "firing/warning"},
			{15, in(0), "firing/warning"},
			{16, in(0), "resolved/warning"},
			{17, in(0), "-"},
		},
	}, {
		name: "hysteresis: oscillating around the threshold does not flap",
		rule: func(r *Rule) { r.Recover = fp(0.5) },
		steps: []step{
			{0, in(0.9), "-"},
			{1, in(1.1), "firing/warning"},
			{2, in(0.9), "firing/warning"},
			{3, in(1.05), "firing/warning"},
			{4, in(0.6), "firing/warning"},
			{5, in(2.5), "firing/critical"},
			{6, in(0.7), "firing/critical"}, // held by recover: last severity met
			{7, in(1.2), "firing/warning"},
			{8, in(0.5), "resolved/warning"}, // at recover: recovered
			{9, in(0.9), "-"},                // not firing: the plain threshold again
			{10, in(1), "firing/warning"},
		},
	}, {
		name: "hysteresis below: op <",
		rule: func(r *Rule) { r.Op, r.Warning, r.Critical, r.Recover = "<", fp(0.05), nil, fp(0.2) },
		steps: []step{
			{0, in(0.04), "firing/warning"},
			{1, in(0.06), "firing/warning"},
			{2, in(0.19), "firing/warning"},
			{3, in(0.2), "resolved/warning"},
		},
	}, {
		name: "hysteresis does not hold a pending series",
		rule: func(r *Rule) { r.Recover, r.For = fp(0.5), 5*time.Minute },
		steps: []step{
			{0, in(1), "pending/warning"},
			{1, in(0.9), "-"},
		},
	}, {
		name: "occurrences: 3 within 10m, sliding",
		rule: func(r *Rule) { r.Occurrences = &Occurrences{Count: 3, Within: 10 * time.Minute} },
		steps: []step{
			{0, in(1), "-"},
			{2, in(0), "-"},
			{4, in(1), "-"},
			{9, in(1), "firing/warning"},        // minutes 0, 4, 9
			{10, in(0), "resolved/warning"},     // minute 0 left the window
			{11, in(1), "firing/warning"},       // 4, 9, 11
			{14, nil, "resolved/warning"},       // 4 expired
			{15, in(1, 1, 1), "firing/warning"}, // three results in one batch count three times
		},
	}, {
		name: "occurrences with for",
		rule: func(r *Rule) {
			r.Occurrences = &Occurrences{Count: 2, Within: 5 * time.Minute}
			r.For = 2 * time.Minute
		},
		steps: []step{
			{0, in(1), "-"},
			{1, in(1), "pending/warning"},
			{3, nil, "firing/warning"},
			{6, nil, "resolved/warning"}, // minute 1 expired
		},
	}, {
		name: "min_samples",
		rule: func(r *Rule) { r.MinSamples = 1001 },
		steps: []step{
			{0, in(5), "-"}, // results of the helper have 1000 samples
		},
	}, {
		name: "no_data ok resolves",
		rule: func(r *Rule) { r.NoData = &NoData{After: 15 * time.Minute, State: NoDataOK} },
		steps: []step{
			{0, in(1), "firing/warning"},
			{14, nil, "firing/warning"},
			{15, nil, "resolved/warning"},
			{30, nil, "-"},
			{31, in(1), "firing/warning"},
		},
	}, {
		name: "no_data ok clears pending",
		rule: func(r *Rule) {
			r.NoData = &NoData{After: 15 * time.Minute, State: NoDataOK}
			r.For = time.Hour
		},
		steps: []step{
			{0, in(1), "pending/warning"},
			{15, nil, "-"},
		},
	}, {
		name: "no_data alerting",
		rule: func(r *Rule) { r.NoData = &NoData{After: 15 * time.Minute, State: NoDataAlerting} },
		steps: []step{
			{0, in(0), "-"},
			{14, nil, "-"},
			{15, nil, "firing/warning"},
			{60, nil, "firing/warning"},
			{61, in(0), "resolved/warning"}, // data is back and fine
			{62, nil, "-"},
		},
	}, {
		name: "no_data alerting, back with a breach",
		rule: func(r *Rule) { r.NoData = &NoData{After: 15 * time.Minute, State: NoDataAlerting} },
		steps: []step{
			{0, in(3), "firing/critical"},
			{15, nil, "firing/warning"},
			{16, in(3), "firing/critical"},
		},
	}, {
		name: "no_data keep",
		rule: func(r *Rule) { r.NoData = &NoData{After: 15 * time.Minute, State: NoDataKeep} },
		steps: []step{
			{0, in(1), "firing/warning"},
			{15, nil, "firing/warning"},
			{600, nil, "firing/warning"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.rule(&r)
			run(t, r, tt.steps)
		})
	}
}

func TestTimes(t *testing.T) {
	r := base()
	r.For = 2 * time.Minute
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	e.Evaluate(at(0), []obs.Result{result("iris", 1, 1000, at(0))})
	e.Evaluate(at(3), nil)
	as := e.Evaluate(at(4), []obs.Result{result("iris", 0, 1000, at(4))})
	if len(as) != 1 {
		t.Fatalf("got %d alerts, want 1", len(as))
	}
	a := as[0]
	if !a.ActiveAt.Equal(at(0)) || !a.FiredAt.Equal(at(3)) || !a.ResolvedAt.Equal(at(4)) || !a.LastEvaluated.Equal(at(4)) {
		t.Errorf("times: active %v fired %v resolved %v evaluated %v", a.ActiveAt, a.FiredAt, a.ResolvedAt, a.LastEvaluated)
	}
	if a.Value != 0 || a.Samples != 1000 || a.Rule != "model_drift" {
		t.Errorf("value %v samples %d rule %q", a.Value, a.Samples, a.Rule)
	}
}

func TestMatchAndSeries(t *testing.T) {
	r := base()
	r.Match = map[string]string{"version": "1"}
	r.Labels = map[string]string{"team": "ml", "version": "override"}
	other := base()
	other.Name, other.Result = "other", "feature_drift"
	e, err := New([]Rule{r, other})
	if err != nil {
		t.Fatal(err)
	}
	now := t0
	v2 := result("iris", 5, 1000, now)
	v2.Labels = obs.Labels{"model": "wine", "version": "2"}
	as := e.Evaluate(now, []obs.Result{
		result("iris", 1, 1000, now),
		result("cancer", 2, 1000, now),
		result("digits", 0, 1000, now),
		v2, // version 2: no match
	})
	if got, want := summarize(as, true), "cancer:firing/critical iris:firing/warning"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, a := range as {
		if a.Labels["team"] != "ml" || a.Labels["version"] != "override" || a.Labels[alert.NameLabel] != "model_drift" {
			t.Errorf("labels %v: want the rule's labels over the result's and alertname", a.Labels)
		}
	}
	if got := e.Stats().Series; got != 3 {
		t.Errorf("series = %d, want 3 (iris, cancer, digits)", got)
	}
	// The series are independent.
	now = now.Add(time.Minute)
	as = e.Evaluate(now, []obs.Result{result("iris", 0, 1000, now), result("digits", 1, 1000, now)})
	if got, want := summarize(as, true), "cancer:firing/critical digits:firing/warning iris:resolved/warning"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestEviction(t *testing.T) {
	r := base()
	r.MaxSeries = 2
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	as := e.Evaluate(t0, []obs.Result{result("a", 0, 1000, t0), result("b", 1, 1000, t0), result("c", 1, 1000, t0)})
	if got, want := summarize(as, true), "b:firing/warning"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if s := e.Stats(); s.Series != 2 || s.Overflow != 1 {
		t.Errorf("stats %+v, want 2 series and 1 overflow", s)
	}
	// An inactive series is dropped an hour after its last result; a
	// firing one is kept.
	e.Evaluate(t0.Add(59*time.Minute), nil)
	if s := e.Stats(); s.Series != 2 {
		t.Errorf("after 59m: stats %+v, want 2 series", s)
	}
	as = e.Evaluate(t0.Add(time.Hour), nil)
	if s := e.Stats(); s.Series != 1 || s.Evicted != 1 {
		t.Errorf("after 1h: stats %+v, want 1 series, 1 evicted", s)
	}
	if got, want := summarize(as, true), "b:firing/warning"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	// Room again for c.
	now := t0.Add(61 * time.Minute)
	as = e.Evaluate(now, []obs.Result{result("c", 1, 1000, now)})
	if got, want := summarize(as, true), "b:firing/warning c:firing/warning"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestRetention(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Rule)
		keep time.Duration // how long an inactive series is kept
	}{
		{"default", func(*Rule) {}, time.Hour},
		{"for", func(r *Rule) { r.For = 2 * time.Hour }, 2 * time.Hour},
		{"keep_firing_for", func(r *Rule) { r.KeepFiringFor = 3 * time.Hour }, 3 * time.Hour},
		{"occurrences", func(r *Rule) { r.Occurrences = &Occurrences{Count: 2, Within: 4 * time.Hour} }, 4 * time.Hour},
		{"no_data", func(r *Rule) { r.NoData = &NoData{After: 5 * time.Hour, State: NoDataKeep} }, 5 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(&r)
			e, err := New([]Rule{r})
			if err != nil {
				t.Fatal(err)
			}
			e.Evaluate(t0, []obs.Result{result("iris", 0, 1000, t0)})
			e.Evaluate(t0.Add(tt.keep-time.Second), nil)
			if s := e.Stats(); s.Series != 1 {
				t.Fatalf("just before %v: %+v, want the series kept", tt.keep, s)
			}
			e.Evaluate(t0.Add(tt.keep), nil)
			if s := e.Stats(); s.Series != 0 || s.Evicted != 1 {
				t.Fatalf("at %v: %+v, want the series dropped", tt.keep, s)
			}
		})
	}
}

func TestMinSamplesCounted(t *testing.T) {
	r := base()
	r.MinSamples = 500
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	as := e.Evaluate(t0, []obs.Result{result("small", 5, 499, t0), result("big", 1, 500, t0)})
	if got, want := summarize(as, true), "big:firing/warning"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if s := e.Stats(); s.BelowMinSamples != 1 || s.Series != 1 {
		t.Errorf("stats %+v, want 1 below min_samples and 1 series", s)
	}
}

func TestAnnotations(t *testing.T) {
	r := base()
	r.For = time.Minute
	r.Annotations = map[string]string{
		"summary": `{{.Labels.model}} v{{.Labels.version}} drifted ({{.State}}, {{.Severity}}): {{index .Evidence "top_features"}}`,
		"detail":  `{{.Rule}} value={{.Value}} n={{.Samples}} missing=[{{.Labels.nope}}{{index .Evidence "nope"}}]`,
		"broken":  `{{.Value.Foo}}`,
	}
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	as := e.Evaluate(t0, []obs.Result{result("iris", 1, 1000, t0)})
	want := map[string]string{
		"summary": "iris v1 drifted (pending, warning): price (0.4)",
		"detail":  "model_drift value=1 n=1000 missing=[]",
	}
	check := func(as []*alert.Alert) {
		t.Helper()
		if len(as) != 1 {
			t.Fatalf("got %d alerts", len(as))
		}
		for k, v := range want {
			if got := as[0].Annotations[k]; got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if got := as[0].Annotations["broken"]; !strings.HasPrefix(got, "template error: ") || !strings.Contains(got, "Foo") {
			t.Errorf("broken = %q, want a template error", got)
		}
	}
	check(as)
	// Rendered at state changes only.
	as = e.Evaluate(t0.Add(30*time.Second), []obs.Result{result("iris", 1.5, 1000, t0)})
	check(as)
	want["summary"] = "iris v1 drifted (firing, warning): price (0.4)"
	want["detail"] = "model_drift value=1.5 n=1000 missing=[]"
	as = e.Evaluate(t0.Add(time.Minute), nil)
	check(as)
	if ev := as[0].Evidence; len(ev) != 2 || ev[0].Key != "drift_share" || ev[0].Value != "1.5" {
		t.Errorf("evidence = %v, want the result's", ev)
	}
	// Between state changes the annotations stand; value and evidence follow
	// the results.
	as = e.Evaluate(t0.Add(2*time.Minute), []obs.Result{result("iris", 1.7, 1000, t0)})
	check(as)
	if as[0].Value != 1.7 || as[0].Evidence[0].Value != "1.7" {
		t.Errorf("value %v, evidence %v: want those of the last result", as[0].Value, as[0].Evidence)
	}
	if got := e.Stats().TemplateErrors; got != 2 {
		t.Errorf("template errors = %d, want 2", got)
	}
}

func TestNoDataAnnotation(t *testing.T) {
	r := base()
	r.NoData = &NoData{After: 15 * time.Minute, State: NoDataAlerting}
	e, err := New([]Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	e.Evaluate(t0, []obs.Result{result("iris", 0, 1000, t0)})
	as := e.Evaluate(t0.Add(20*time.Minute), nil)
	if len(as) != 1 {
		t.Fatalf("got %d alerts", len(as))
	}
	const want = "no data since 2026-11-22T08:00:00Z"
	if got := as[0].Annotations[NoDataAnnotation]; got != want {
		t.Errorf("annotation = %q, want %q", got, want)
	}
	if ev := as[0].Evidence; len(ev) == 0 || ev[0] != (obs.Field{Key: NoDataEvidence, Value: "2026-11-22T08:00:00Z"}) {
		t.Errorf("evidence = %v", ev)
	}
}

func TestCopies(t *testing.T) {
	e, err := New([]Rule{base()})
	if err != nil {
		t.Fatal(err)
	}
	res := result("iris", 1, 1000, t0)
	as := e.Evaluate(t0, []obs.Result{res})
	res.Evidence[0].Value = "changed by the caller"
	as[0].State, as[0].Value = alert.Inactive, 42
	as = e.Evaluate(t0.Add(time.Minute), nil)
	if len(as) != 1 || as[0].State != alert.Firing || as[0].Value != 1 {
		t.Fatalf("the engine's state changed with a returned alert: %+v", as)
	}
	if as[0].Evidence[0].Value != "1" {
		t.Errorf("evidence %v shares the result's slice", as[0].Evidence)
	}
}

func TestNew(t *testing.T) {
	a, b := base(), base()
	bad := base()
	bad.Op = "=>"
	_, err := New([]Rule{a, bad, b})
	const want = "rules[1]: unknown op \"=>\" (want >, >=, <, <=, ==, !=)\n" +
		"rules[2]: name \"model_drift\" is already used by rules[0]"
	if err == nil || err.Error() != want {
		t.Errorf("New error:\n%v\nwant:\n%s", err, want)
	}
}

// BenchmarkEvaluate evaluates 100 rules over the same 10,000 result
// series (1,000,000 rule series). steady: 1% of the series breach and
// keep firing, the others stay inactive. churn: every series changes its
// value at each evaluation, so that a fifth changes state and most are
// pending or firing (the worst case: every alert is rendered and returned).
func BenchmarkEvaluate(b *testing.B) {
	const nSeries, nRules = 10000, 100
	rules := make([]Rule, nRules)
	for i := range rules {
		rules[i] = Rule{
			Name: fmt.Sprintf("rule_%d", i), Result: "feature_drift", Op: ">=",
			Warning: fp(0.1), Critical: fp(0.3), Recover: fp(0.05), For: time.Minute,
			Annotations: map[string]string{"summary": "{{.Labels.feature}} drifted"},
		}
	}
	for _, bc := range []struct {
		name  string
		value func(eval, series int) float64
	}{
		{"steady", func(_, j int) float64 {
			if j%100 == 0 {
				return 0.2
			}
			return 0
		}},
		{"churn", func(i, j int) float64 { return float64((i+j)%5) / 10 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			results := make([]obs.Result, nSeries)
			for i := range results {
				results[i] = obs.Result{
					Name:     "feature_drift",
					Labels:   obs.Labels{"model": "m", "version": "1", "feature": fmt.Sprintf("f%d", i), "test": "ks"},
					Samples:  1000,
					Evidence: []obs.Field{{Key: "p_value", Value: "0.01"}},
				}
			}
			e, err := New(rules)
			if err != nil {
				b.Fatal(err)
			}
			now := t0
			for i := range 2 { // create the series
				now = now.Add(time.Minute)
				for j := range results {
					results[j].Value = bc.value(i, j)
				}
				e.Evaluate(now, results)
			}
			b.ReportAllocs()
			for i := 2; b.Loop(); i++ {
				now = now.Add(time.Minute)
				for j := range results {
					results[j].Value = bc.value(i, j)
				}
				e.Evaluate(now, results)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nSeries, "ns/result")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/nSeries/nRules, "ns/rule-series")
		})
	}
}
