package route

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

func firing(l obs.Labels) *alert.Alert { return &alert.Alert{Labels: l, State: alert.Firing} }

func TestInhibited(t *testing.T) {
	in, err := NewInhibitor([]InhibitConfig{{
		SourceMatchers: []string{"alertname=model_drift"},
		TargetMatchers: []string{"alertname=feature_drift"},
		Equal:          []string{"model", "version"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	src := firing(obs.Labels{"alertname": "model_drift", "model": "iris", "version": "3"})
	noVersion := firing(obs.Labels{"alertname": "model_drift", "model": "iris"})
	pending := &alert.Alert{Labels: obs.Labels{"alertname": "model_drift", "model": "wine", "version": "1"}, State: alert.Pending}
	for _, c := range []struct {
		name   string
		target obs.Labels
		firing []*alert.Alert
		want   bool
	}{
		{"same model and version", obs.Labels{"alertname": "feature_drift", "model": "iris", "version": "3", "feature": "x"}, []*alert.Alert{src}, true},
		{"other version", obs.Labels{"alertname": "feature_drift", "model": "iris", "version": "4"}, []*alert.Alert{src}, false},
		{"not a target", obs.Labels{"alertname": "latency", "model": "iris", "version": "3"}, []*alert.Alert{src}, false},
		{"missing on both sides is not equal", obs.Labels{"alertname": "feature_drift", "model": "iris"}, []*alert.Alert{noVersion}, false},
		{"a pending source does not inhibit", obs.Labels{"alertname": "feature_drift", "model": "wine", "version": "1"}, []*alert.Alert{pending}, false},
		{"no firing alerts", obs.Labels{"alertname": "feature_drift", "model": "iris", "version": "3"}, nil, false},
	} {
		if got := in.Inhibited(c.target, c.firing); got != c.want {
			t.Errorf("%s: Inhibited = %v, want %v", c.name, got, c.want)
		}
	}

	// An alert matching both source and target does not inhibit itself.
	self, err := NewInhibitor([]InhibitConfig{{SourceMatchers: []string{"severity=critical"}, TargetMatchers: []string{`model=~".+"`}, Equal: []string{"model"}}})
	if err != nil {
		t.Fatal(err)
	}
	l := obs.Labels{"severity": "critical", "model": "iris"}
	if self.Inhibited(l, []*alert.Alert{firing(l)}) {
		t.Error("an alert inhibited itself")
	}
	var none *Inhibitor
	if none.Inhibited(l, []*alert.Alert{firing(l)}) {
		t.Error("a nil Inhibitor inhibited")
	}
}

func TestInhibitorErrors(t *testing.T) {
	_, err := NewInhibitor([]InhibitConfig{
		{SourceMatchers: []string{"a"}, TargetMatchers: []string{"b=c"}, Equal: []string{"ok", "not-ok"}},
		{TargetMatchers: []string{"b=c"}},
	})
	want := []string{
		`inhibit_rules[0]: bad source_matchers: matcher "a": want name=value, name!=value, name=~regexp or name!~regexp`,
		`inhibit_rules[0]: "not-ok" in equal is not a label name`,
		`inhibit_rules[1]: give both source_matchers and target_matchers (an empty list would match every alert)`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	if got := strings.Split(err.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSilences(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	s := &Silence{ID: "s1", Matchers: []string{"alertname=model_drift", `model=~"iris|wine"`}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "ana"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	l := obs.Labels{"alertname": "model_drift", "model": "iris"}
	for _, c := range []struct {
		at   time.Time
		l    obs.Labels
		want bool
	}{
		{t0.Add(-time.Second), l, false},
		{t0, l, true},
		{t0.Add(59 * time.Minute), l, true},
		{t0.Add(time.Hour), l, false}, // ends_at is exclusive
		{t0, obs.Labels{"alertname": "model_drift", "model": "beer"}, false},
	} {
		if got := s.Mutes(c.l, c.at); got != c.want {
			t.Errorf("Mutes(%v, %v) = %v, want %v", c.l, c.at, got, c.want)
		}
	}
	if ids := Silenced([]*Silence{s}, l, t0); !slices.Equal(ids, []string{"s1"}) {
		t.Errorf("Silenced = %q", ids)
	}
	unchecked := &Silence{Matchers: []string{"alertname=model_drift"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	if unchecked.Mutes(l, t0) {
		t.Error("a silence that was not validated mutes")
	}
}

func TestSilenceErrors(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		s    Silence
		want string
	}{
		{Silence{Matchers: []string{`team=~".*"`}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}, "give at least one matcher that an alert without labels would fail"},
		{Silence{Matchers: []string{"x"}, StartsAt: t0, EndsAt: t0.Add(time.Hour), CreatedBy: "a"}, `matchers: matcher "x"`},
		{Silence{Matchers: []string{"a=b"}, StartsAt: t0, EndsAt: t0, CreatedBy: "a"}, "is not after starts_at"},
		{Silence{Matchers: []string{"a=b"}, StartsAt: t0, CreatedBy: "a"}, "starts_at and ends_at are required"},
		{Silence{Matchers: []string{"a=b"}, StartsAt: t0, EndsAt: t0.Add(100 * 24 * time.Hour), CreatedBy: "a"}, "more than the 2160h0m0s allowed"},
		{Silence{Matchers: []string{"a=b"}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}, "created_by is required"},
	} {
		if err := c.s.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate(%+v) = %v, want an error containing %q", c.s, err, c.want)
		}
	}
}
