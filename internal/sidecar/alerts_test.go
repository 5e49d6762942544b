package sidecar

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
)

type alertsCollector struct{ a *alerting }

func (c alertsCollector) Describe(chan<- *prometheus.Desc)    {}
func (c alertsCollector) Collect(ch chan<- prometheus.Metric) { c.a.collect(ch) }

func TestAlerting(t *testing.T) {
	one, two := 1.0, 2.0
	var logs bytes.Buffer
	a, err := newAlerting([]rules.Rule{{Name: "drift", Result: "dataset_drift", Op: ">=", Warning: &one, Critical: &two}},
		slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	res := func(model string, v float64) obs.Result {
		return obs.Result{Name: "dataset_drift", Labels: obs.Labels{"model": model}, Value: v,
			Evidence: []obs.Field{{Key: "top_features", Value: "x (0.5)"}}}
	}
	a.evaluate(t0, []obs.Result{res("a", 1), res("b", 2), res("c", 0)})
	got := a.Alerts()
	if len(got) != 2 || got[0].Labels["model"] != "b" || got[0].Severity != "critical" || got[1].Labels["model"] != "a" {
		t.Fatalf("alerts %+v, want b (critical) then a (warning), both firing", got)
	}
	if !strings.Contains(logs.String(), `msg="alert firing" rule=drift severity=critical labels="{alertname=\"drift\", model=\"b\"}"`) ||
		!strings.Contains(logs.String(), `top_features="x (0.5)"`) {
		t.Errorf("logs lack the firing alert with its evidence:\n%s", logs.String())
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(alertsCollector{a})
	want := `
# HELP driftwatch_alerts Alerts by rule, state (pending, firing) and severity, at the last evaluation.
# TYPE driftwatch_alerts gauge
driftwatch_alerts{rule="drift",severity="critical",state="firing"} 1
driftwatch_alerts{rule="drift",severity="critical",state="pending"} 0
driftwatch_alerts{rule="drift",severity="warning",state="firing"} 1
driftwatch_alerts{rule="drift",severity="warning",state="pending"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "driftwatch_alerts"); err != nil {
		t.Error(err)
	}

	// a clears: resolved once, listed after the firing one, logged.
	logs.Reset()
	a.evaluate(t0.Add(time.Minute), []obs.Result{res("a", 0), res("b", 2)})
	got = a.Alerts()
	if len(got) != 2 || got[0].State != "firing" || got[1].State != "resolved" || got[1].ResolvedAt == nil {
		t.Fatalf("alerts %+v, want b firing then a resolved", got)
	}
	if !strings.Contains(logs.String(), `msg="alert resolved" rule=drift`) || strings.Contains(logs.String(), "alert firing") {
		t.Errorf("logs: %s, want a's resolution only (b did not change)", logs.String())
	}
	// A silence shows on the alerts it mutes.
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if a.silences, err = route.OpenSilences(st); err != nil {
		t.Fatal(err)
	}
	sil, err := a.silences.Add(route.Silence{Matchers: []string{"model=b"}, EndsAt: time.Now().Add(time.Hour), CreatedBy: "ops"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Alerts(); len(got[0].SilencedBy) != 1 || got[0].SilencedBy[0] != sil.ID || len(got[1].SilencedBy) != 0 {
		t.Errorf("silenced_by: %v and %v, want [%s] on b only", got[0].SilencedBy, got[1].SilencedBy, sil.ID)
	}

	// The resolved list is bounded.
	for i := range keepResolved + 5 {
		at := t0.Add(time.Duration(2+2*i) * time.Minute)
		a.evaluate(at, []obs.Result{res("a", 1)})
		a.evaluate(at.Add(time.Minute), []obs.Result{res("a", 0)})
	}
	if n := len(a.Alerts()); n != 1+keepResolved {
		t.Errorf("%d alerts listed, want b and %d resolved", n, keepResolved)
	}
}
