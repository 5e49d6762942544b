package route

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

func mkAlert(name, model string, st alert.State, active time.Time) *alert.Alert {
	return &alert.Alert{Rule: name, Labels: obs.Labels{"alertname": name, "model": model}, State: st, Severity: obs.Warning, ActiveAt: active}
}

// show renders notifications as "receiver status model:state,…".
func show(ns []Notification) string {
	var parts []string
	for _, n := range ns {
		var as []string
		for _, a := range n.Alerts {
			as = append(as, a.Labels["model"]+":"+a.State.String())
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", n.Receiver, n.Status, strings.Join(as, ",")))
	}
	return strings.Join(parts, "; ")
}

func TestDispatcherTimers(t *testing.T) {
	root, err := Compile(Config{Receiver: "slack", GroupBy: []string{"alertname"},
		GroupWait: new(30 * time.Second), GroupInterval: new(5 * time.Minute), RepeatInterval: new(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(root, nil)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	a := mkAlert("drift", "iris", alert.Firing, t0)
	b := mkAlert("drift", "wine", alert.Firing, at(40*time.Second))

	steps := []struct {
		at    time.Duration
		add   []*alert.Alert
		want  string
		label string
	}{
		{0, []*alert.Alert{a}, "", "group_wait holds the first notification"},
		{29 * time.Second, []*alert.Alert{a}, "", "still waiting"},
		{30 * time.Second, []*alert.Alert{a}, "slack firing iris:firing", "group_wait elapsed"},
		{40 * time.Second, []*alert.Alert{a, b}, "", "b joins: waits for group_interval"},
		{5*time.Minute + 30*time.Second, []*alert.Alert{a, b}, "slack firing iris:firing,wine:firing", "group_interval after the first"},
		{10*time.Minute + 30*time.Second, []*alert.Alert{a, b}, "", "nothing changed, repeat_interval not reached"},
		{65*time.Minute + 30*time.Second, []*alert.Alert{a, b}, "slack firing iris:firing,wine:firing", "repeat_interval since the last notification"},
		{66 * time.Minute, []*alert.Alert{mkAlert("drift", "iris", alert.Resolved, t0), b}, "", "a resolves between ticks"},
		{70*time.Minute + 30*time.Second, []*alert.Alert{b}, "slack firing iris:resolved,wine:firing", "the resolution goes out with the firing one"},
		{75*time.Minute + 30*time.Second, []*alert.Alert{b}, "", "a is gone from the group"},
		{76 * time.Minute, []*alert.Alert{mkAlert("drift", "wine", alert.Resolved, at(40*time.Second))}, "", ""},
		{80*time.Minute + 30*time.Second, nil, "slack resolved wine:resolved", "the last alert resolves: status resolved"},
	}
	for _, s := range steps {
		now := at(s.at)
		d.Add(now, s.add)
		if got := show(d.Flush(now, nil)); got != s.want {
			t.Errorf("at +%v (%s): got %q, want %q", s.at, s.label, got, s.want)
		}
	}
	if open, _ := d.Groups(); open != 0 {
		t.Errorf("%d groups left open, want 0", open)
	}
	if !d.NextDue().IsZero() {
		t.Errorf("NextDue = %v with no group", d.NextDue())
	}
}

func TestDispatcherRoutesAndGroups(t *testing.T) {
	root, err := Compile(tree) // route_test.go's tree
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(root, nil)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	d.Add(t0, []*alert.Alert{mkAlert("drift", "iris", alert.Firing, t0), mkAlert("drift", "wine", alert.Firing, t0), mkAlert("latency", "iris", alert.Firing, t0)})
	got := show(d.Flush(t0.Add(DefaultGroupWait), nil))
	// audit groups by every label (one group per alert), ml by model (iris
	// under its own sub-route), the default route by alertname; in group
	// key order.
	want := "audit firing iris:firing; audit firing wine:firing; ml firing iris:firing; ml firing wine:firing; default firing iris:firing"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestDispatcherMuting(t *testing.T) {
	root, err := Compile(Config{Receiver: "slack", GroupBy: []string{"model"}, GroupWait: new(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	in, err := NewInhibitor([]InhibitConfig{{SourceMatchers: []string{"alertname=model_drift"}, TargetMatchers: []string{"alertname=feature_drift"}, Equal: []string{"model"}}})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(root, in)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	sil := &Silence{ID: "s", Matchers: []string{"model=wine"}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "ops"}
	if err := sil.Validate(); err != nil {
		t.Fatal(err)
	}
	d.Add(t0, []*alert.Alert{
		mkAlert("model_drift", "iris", alert.Firing, t0),
		mkAlert("feature_drift", "iris", alert.Firing, t0), // inhibited by model_drift of iris
		mkAlert("model_drift", "wine", alert.Firing, t0),   // silenced
	})
	ns := d.Flush(t0.Add(time.Second), []*Silence{sil})
	if got, want := show(ns), "slack firing iris:firing"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if ns[0].Alerts[0].Rule != "model_drift" {
		t.Errorf("the inhibited feature_drift alert was sent: %+v", ns[0].Alerts)
	}
	// The same content gives the same dedup key; other content another.
	d2 := NewDispatcher(root, in)
	d2.Add(t0, []*alert.Alert{mkAlert("model_drift", "iris", alert.Firing, t0), mkAlert("feature_drift", "iris", alert.Firing, t0)})
	ns2 := d2.Flush(t0.Add(time.Second), nil)
	if len(ns2) != 1 || ns2[0].DedupKey != ns[0].DedupKey {
		t.Errorf("dedup keys %v and %v differ for the same content", ns, ns2)
	}
	d3 := NewDispatcher(root, nil)
	d3.Add(t0, []*alert.Alert{mkAlert("model_drift", "iris", alert.Firing, t0), mkAlert("feature_drift", "iris", alert.Firing, t0)})
	if ns3 := d3.Flush(t0.Add(time.Second), nil); len(ns3) != 1 || ns3[0].DedupKey == ns[0].DedupKey {
		t.Errorf("dedup key unchanged with other alerts: %v", ns3)
	}
}

func TestDispatcherIgnoresPendingAndStrayResolved(t *testing.T) {
	root, err := Compile(Config{Receiver: "r", GroupWait: new(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	d := NewDispatcher(root, nil)
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	d.Add(t0, []*alert.Alert{mkAlert("x", "a", alert.Pending, t0), mkAlert("x", "b", alert.Resolved, t0)})
	if open, _ := d.Groups(); open != 0 {
		t.Errorf("%d groups opened by pending or never-notified resolved alerts", open)
	}
}

func BenchmarkDispatch10k(b *testing.B) {
	root, err := Compile(tree)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	alerts := make([]*alert.Alert, 10_000)
	for i := range alerts {
		alerts[i] = mkAlert("drift", fmt.Sprint("m", i%500), alert.Firing, t0)
		alerts[i].Labels["feature"] = fmt.Sprint("f", i)
	}
	b.ReportAllocs()
	for b.Loop() {
		d := NewDispatcher(root, nil)
		d.Add(t0, alerts)
		d.Flush(t0.Add(time.Hour), nil)
	}
}
