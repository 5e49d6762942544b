package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/notifytest"
	"github.com/driftwatch/driftwatch/internal/obs"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// testKey is the routing key of the tests, of the right form; no error
// may contain it.
const testKey = "0123456789abcdefSeCrEtRoUtInGkEy"

// accepted is PagerDuty's answer to an event it accepted.
const accepted = `{"status":"success","message":"Event processed","dedup_key":"driftwatch-0"}`

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T, url string) notify.Notifier {
		n, err := New(&Config{RoutingKey: testKey, URL: url}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return notify.NotifierFunc(func(ctx context.Context, m *notify.Message) error {
			err := n.Notify(ctx, m)
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the routing key: %v", err)
			}
			return err
		})
	}, notifytest.Options{OK: notifytest.Response{Status: http.StatusAccepted, Body: accepted}})
}

// fakeEvent has the fields of an Events API v2 alert event
// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/);
// decoding with DisallowUnknownFields fails on any other, which catches a
// misspelt field that PagerDuty would silently ignore.
type fakeEvent struct {
	RoutingKey  *string      `json:"routing_key"`
	EventAction *string      `json:"event_action"`
	DedupKey    *string      `json:"dedup_key"`
	Payload     *fakePayload `json:"payload"`
	Client      string       `json:"client"`
	ClientURL   string       `json:"client_url"`
	Links       []struct {
		Href *string `json:"href"`
		Text string  `json:"text"`
	} `json:"links"`
	Images []struct {
		Src  *string `json:"src"`
		Href string  `json:"href"`
		Alt  string  `json:"alt"`
	} `json:"images"`
}

type fakePayload struct {
	Summary       *string        `json:"summary"`
	Source        *string        `json:"source"`
	Severity      *string        `json:"severity"`
	Timestamp     string         `json:"timestamp"`
	Component     string         `json:"component"`
	Group         string         `json:"group"`
	Class         string         `json:"class"`
	CustomDetails map[string]any `json:"custom_details"`
}

// received is one event the fake accepted.
type received struct {
	ev   fakeEvent
	body []byte
}

// fakePagerDuty is a fake Events API v2 that checks requests the way the
// real one does: POST /v2/enqueue, JSON, at most 512 KB; routing_key of
// 32 characters; event_action in trigger, acknowledge, resolve; dedup_key
// of at most 255 characters, required unless the action is trigger; for a
// trigger, payload.summary (at most 1024 characters), payload.source and
// payload.severity (critical, error, warning or info) present. It answers
// 400 {"status":"invalid event","message":...,"errors":[...]} to an
// invalid event and 202 {"status":"success",...} to a good one.
type fakePagerDuty struct {
	mu     sync.Mutex
	events []received
}

func newFake(t *testing.T) (*fakePagerDuty, string) {
	t.Helper()
	f := &fakePagerDuty{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/v2/enqueue"
}

func (f *fakePagerDuty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	invalid := func(errs ...string) {
		answer(http.StatusBadRequest, map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
		answer(http.StatusNotFound, map[string]any{"status": "Not found", "message": "Not found"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxEventBytes+1))
	if err != nil {
		answer(http.StatusBadRequest, map[string]any{"status": "Unrecognized object", "message": "Event object format is unrecognized"})
		return
	}
	if len(body) > MaxEventBytes {
		answer(http.StatusRequestEntityTooLarge, map[string]any{"status": "invalid event", "message": "Event object is too large"})
		return
	}
	var ev fakeEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" || dec.Decode(&ev) != nil {
		answer(http.StatusBadRequest, map[string]any{"status": "Unrecognized object",
			"message": "Event object format is unrecognized", "errors": []string{"JSON parse error"}})
		return
	}
	if errs := validateEvent(&ev); len(errs) > 0 {
		invalid(errs...)
		return
	}
	f.mu.Lock()
	f.events = append(f.events, received{ev: ev, body: body})
	f.mu.Unlock()
	key := "generated-key"
	if ev.DedupKey != nil && *ev.DedupKey != "" {
		key = *ev.DedupKey
	}
	answer(http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": key})
}

func validateEvent(ev *fakeEvent) []string {
	var errs []string
	blank := func(s *string) bool { return s == nil || strings.TrimSpace(*s) == "" }
	switch {
	case blank(ev.RoutingKey):
		errs = append(errs, "'routing_key' is missing or blank")
	case utf8.RuneCountInString(*ev.RoutingKey) != 32:
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	}
	action := ""
	if ev.EventAction != nil {
		action = *ev.EventAction
	}
	if !slices.Contains([]string{"trigger", "acknowledge", "resolve"}, action) {
		errs = append(errs, "'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')")
	}
	switch {
	case ev.DedupKey != nil && utf8.RuneCountInString(*ev.DedupKey) > 255:
		errs = append(errs, "'dedup_key' is too long (must be 255 characters or less)")
	case action != "trigger" && blank(ev.DedupKey):
		errs = append(errs, "'dedup_key' is missing or blank")
	}
	for _, l := range ev.Links {
		if blank(l.Href) {
			errs = append(errs, "'links.href' is missing or blank")
		}
	}
	for _, im := range ev.Images {
		if blank(im.Src) {
			errs = append(errs, "'images.src' is missing or blank")
		}
	}
	if action != "trigger" {
		return errs
	}
	p := ev.Payload
	if p == nil {
		return append(errs, "'payload' is missing or blank")
	}
	switch {
	case blank(p.Summary):
		errs = append(errs, "'payload.summary' is missing or blank")
	case utf8.RuneCountInString(*p.Summary) > 1024:
		errs = append(errs, "'payload.summary' is too long (must be 1024 characters or less)")
	}
	if blank(p.Source) {
		errs = append(errs, "'payload.source' is missing or blank")
	}
	switch {
	case blank(p.Severity):
		errs = append(errs, "'payload.severity' is missing or blank")
	case !slices.Contains([]string{"critical", "error", "warning", "info"}, *p.Severity):
		errs = append(errs, "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')")
	}
	if p.Timestamp != "" {
		if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
			errs = append(errs, "'payload.timestamp' is not an ISO 8601 date")
		}
	}
	return errs
}

func (f *fakePagerDuty) all() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *fakePagerDuty) last(t *testing.T) received {
	t.Helper()
	evs := f.all()
	if len(evs) == 0 {
		t.Fatal("PagerDuty got no event")
	}
	return evs[len(evs)-1]
}

// TestFakeValidates checks the fake against hand-written events, so that
// the tests that send through it mean something.
func TestFakeValidates(t *testing.T) {
	f, url := newFake(t)
	good := `"routing_key":"` + testKey + `","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}`
	tests := []struct {
		name, body string
		status     int
		errs       string
	}{
		{"trigger", `{` + good + `}`, 202, ""},
		{"resolve", `{"routing_key":"` + testKey + `","event_action":"resolve","dedup_key":"k"}`, 202, ""},
		{"short key", `{"routing_key":"abc","event_action":"resolve","dedup_key":"k"}`, 400, "Length of 'routing_key' is incorrect"},
		{"bad action", `{"routing_key":"` + testKey + `","event_action":"close","dedup_key":"k"}`, 400, "'event_action' is invalid"},
		{"resolve without key", `{"routing_key":"` + testKey + `","event_action":"resolve"}`, 400, "'dedup_key' is missing"},
		{"long dedup key", `{` + good + `,"dedup_key":"` + strings.Repeat("k", 256) + `"}`, 400, "'dedup_key' is too long"},
		{"no payload", `{"routing_key":"` + testKey + `","event_action":"trigger"}`, 400, "'payload' is missing"},
		{"no summary", `{"routing_key":"` + testKey + `","event_action":"trigger","payload":{"source":"h","severity":"info"}}`, 400, "'payload.summary' is missing"},
		{"long summary", `{"routing_key":"` + testKey + `","event_action":"trigger","payload":{"summary":"` + strings.Repeat("é", 1025) + `","source":"h","severity":"info"}}`, 400, "'payload.summary' is too long"},
		{"bad severity", `{"routing_key":"` + testKey + `","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}}`, 400, "'payload.severity' is invalid"},
		{"unknown field", `{` + good + `,"incident_key":"k"}`, 400, "JSON parse error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(url, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.errs) {
				t.Errorf("answer %d %s, want %d with %q", resp.StatusCode, b, tt.status, tt.errs)
			}
		})
	}
	resp, err := http.Post(url, "text/plain", strings.NewReader(`{`+good+`}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("text/plain answered %d, want 400", resp.StatusCode)
	}
	if n := len(f.all()); n != 2 {
		t.Errorf("fake accepted %d events, want 2", n)
	}
}

func TestGolden(t *testing.T) {
	f, url := newFake(t)
	n, err := New(&Config{RoutingKey: testKey, URL: url, Component: "ranking", Group: "ml-serving"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, f.last(t).body, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	notifytest.Golden(t, filepath.Join("testdata", "sample.json"), b.Bytes(), *update)
}

// resolveAll returns SampleMessage with every alert resolved, as the
// group's last notification.
func resolveAll() *notify.Message {
	m := notifytest.SampleMessage()
	m.Alerts[0].State, m.Alerts[0].ResolvedAt = alert.Resolved, m.Alerts[0].LastEvaluated
	m.Status = notify.StatusOf(m.Alerts)
	m.DedupKey = "team-ml/3f2a9c1e7b4d5a60/2"
	return m
}

func TestTriggerThenResolve(t *testing.T) {
	f, url := newFake(t)
	t.Setenv("DW_PD_KEY", testKey)
	n, err := New(&Config{RoutingKey: "env:DW_PD_KEY", URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	send := func(m *notify.Message) fakeEvent {
		t.Helper()
		if err := n.Notify(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		return f.last(t).ev
	}

	trigger := send(notifytest.SampleMessage())
	if *trigger.EventAction != ActionTrigger || *trigger.RoutingKey != testKey || trigger.Payload == nil {
		t.Fatalf("first event: action %q, payload %v; want a trigger with the routing key", *trigger.EventAction, trigger.Payload)
	}
	if *trigger.Payload.Severity != "critical" || *trigger.Payload.Source != "search-rerank" || trigger.Payload.Class != "FeatureDrift" {
		t.Errorf("trigger payload: severity %q, source %q, class %q", *trigger.Payload.Severity, *trigger.Payload.Source, trigger.Payload.Class)
	}

	// A repeat, with another per-notification dedup key, updates the same
	// PagerDuty alert.
	again := notifytest.SampleMessage()
	again.DedupKey = "team-ml/0000000000000000/9"
	repeat := send(again)

	resolve := send(resolveAll())
	if *resolve.EventAction != ActionResolve || resolve.Payload != nil || len(resolve.Links) != 0 {
		t.Errorf("last event: action %q, payload %v, links %v; want a bare resolve", *resolve.EventAction, resolve.Payload, resolve.Links)
	}
	if *trigger.DedupKey == "" || *repeat.DedupKey != *trigger.DedupKey || *resolve.DedupKey != *trigger.DedupKey {
		t.Errorf("dedup keys: trigger %q, repeat %q, resolve %q; want one key", *trigger.DedupKey, *repeat.DedupKey, *resolve.DedupKey)
	}

	other := notifytest.SampleMessage()
	other.GroupKey = `{}:{model="fraud"}`
	if k := *send(other).DedupKey; k == *trigger.DedupKey {
		t.Errorf("two groups share the dedup key %q", k)
	}
}

func TestDedupKey(t *testing.T) {
	m := notifytest.SampleMessage()
	k := DedupKey(m)
	if len(k) > MaxDedupKey || !strings.HasPrefix(k, "driftwatch-") || len(k) != len("driftwatch-")+32 {
		t.Errorf("DedupKey = %q", k)
	}
	m.DedupKey, m.Receiver, m.Alerts = "other", "other", m.Alerts[:1]
	if DedupKey(m) != k {
		t.Error("DedupKey depends on more than the group key")
	}
	noKey := &notify.Message{GroupLabels: obs.Labels{"model": "a"}}
	if DedupKey(noKey) == DedupKey(&notify.Message{GroupLabels: obs.Labels{"model": "b"}}) {
		t.Error("without a group key, two groups share a dedup key")
	}
	if got := NewEvent(noKey, Config{}); got.EventAction != ActionResolve || got.DedupKey != DedupKey(noKey) {
		t.Errorf("NewEvent of an empty message = %+v, want a resolve", got)
	}
}

func TestSeverity(t *testing.T) {
	mk := func(state alert.State, sev string) *alert.Alert {
		l := obs.Labels{alert.NameLabel: "R", "model": "m"}
		if sev != "" {
			l["severity"] = sev
		}
		return &alert.Alert{Rule: "R", Labels: l, State: state}
	}
	tests := []struct {
		name   string
		def    string
		alerts []*alert.Alert
		want   string
	}{
		{"label", "", []*alert.Alert{mk(alert.Firing, "warning")}, "warning"},
		{"any case", "", []*alert.Alert{mk(alert.Firing, " Critical ")}, "critical"},
		{"no label", "", []*alert.Alert{mk(alert.Firing, "")}, "error"},
		{"unknown", "", []*alert.Alert{mk(alert.Firing, "page")}, "error"},
		{"configured default", "warning", []*alert.Alert{mk(alert.Firing, "page")}, "warning"},
		{"highest", "", []*alert.Alert{mk(alert.Firing, "info"), mk(alert.Firing, "critical"), mk(alert.Firing, "warning")}, "critical"},
		{"default counts", "", []*alert.Alert{mk(alert.Firing, "warning"), mk(alert.Firing, "")}, "error"},
		{"resolved alerts do not count", "info", []*alert.Alert{mk(alert.Resolved, "critical"), mk(alert.Firing, "warning")}, "warning"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := NewEvent(&notify.Message{GroupKey: "g", Alerts: tt.alerts}, Config{DefaultSeverity: tt.def})
			if ev.Payload == nil || ev.Payload.Severity != tt.want {
				t.Fatalf("severity = %+v, want %q", ev.Payload, tt.want)
			}
		})
	}
}

// driftAlert is a dataset drift alert with the evidence the drift
// monitor attaches to a dataset_drift result (detectors/drift
// Monitor.appendResults).
func driftAlert() *alert.Alert {
	t0 := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	return &alert.Alert{
		Rule:        "model_drift",
		Labels:      obs.Labels{alert.NameLabel: "model_drift", "model": "breast-cancer", "version": "3", "severity": "warning"},
		Annotations: map[string]string{"summary": "breast-cancer drifted"},
		Severity:    obs.Warning,
		State:       alert.Firing,
		Value:       1,
		Samples:     100,
		Evidence: []obs.Field{
			{Key: "drifted_features", Value: "7"},
			{Key: "features", Value: "30"},
			{Key: "drift_share", Value: "0.2333"},
			{Key: "top_features", Value: "mean radius (0.41), worst area (0.38), mean texture (0.3)"},
			{Key: "top_feature", Value: "mean radius"},
			{Key: "test", Value: "ks"},
			{Key: "statistic", Value: "0.41"},
			{Key: "p_value", Value: "1.2e-07"},
			{Key: "effect_size", Value: "0.41"},
			{Key: "reference_rows", Value: "469"},
			{Key: "current_rows", Value: "100"},
			{Key: "reference_window", Value: "reference.csv (469 rows)"},
		},
		ActiveAt: t0.Add(-time.Minute),
		FiredAt:  t0,
	}
}

func TestDriftAlertCarriesEvidence(t *testing.T) {
	f, url := newFake(t)
	n, err := New(&Config{RoutingKey: testKey, URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := driftAlert()
	m := &notify.Message{Receiver: "oncall", GroupKey: `0{alertname="model_drift"}`,
		GroupLabels: obs.Labels{alert.NameLabel: "model_drift"}, Status: notify.StatusFiring,
		Alerts: []*alert.Alert{a}, ExternalURL: "http://driftwatch.example:9090"}
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := f.last(t)
	p := got.ev.Payload
	const wantSummary = "model_drift: breast-cancer v3; 7 of 30 features drifted; " +
		"top drifted: mean radius (0.41), worst area (0.38), mean texture (0.3); ks p=1.2e-07"
	if *p.Summary != wantSummary {
		t.Errorf("summary = %q, want %q", *p.Summary, wantSummary)
	}
	if *p.Severity != "warning" || *p.Source != "breast-cancer" || p.Timestamp != "2026-11-22T07:00:00Z" {
		t.Errorf("severity %q, source %q, timestamp %q", *p.Severity, *p.Source, p.Timestamp)
	}
	d := p.CustomDetails
	for k, want := range map[string]any{"model": "breast-cancer", "version": "3", "top_features": "mean radius (0.41), worst area (0.38), mean texture (0.3)"} {
		if d[k] != want {
			t.Errorf("custom_details.%s = %v, want %q", k, d[k], want)
		}
	}
	alerts, _ := d["alerts"].([]any)
	if len(alerts) != 1 {
		t.Fatalf("custom_details.alerts = %v, want one alert", d["alerts"])
	}
	ad := alerts[0].(map[string]any)
	ev, _ := ad["evidence"].(map[string]any)
	for _, fld := range a.Evidence {
		if ev[fld.Key] != fld.Value {
			t.Errorf("evidence %s = %v, want %q", fld.Key, ev[fld.Key], fld.Value)
		}
	}
	if ad["labels"].(map[string]any)["model"] != "breast-cancer" || ad["annotations"].(map[string]any)["summary"] != "breast-cancer drifted" {
		t.Errorf("labels %v, annotations %v", ad["labels"], ad["annotations"])
	}
	// The evidence keeps the detector's order.
	body := got.body[bytes.Index(got.body, []byte(`"evidence":{`)):]
	var last int
	for _, fld := range a.Evidence {
		i := bytes.Index(body, []byte(`"`+fld.Key+`":`))
		if i < last {
			t.Errorf("evidence %s is out of the detector's order", fld.Key)
		}
		last = i
	}
	if len(got.ev.Links) != 1 || *got.ev.Links[0].Href != m.ExternalURL || got.ev.ClientURL != m.ExternalURL || got.ev.Client != Client {
		t.Errorf("links %v, client %q %q", got.ev.Links, got.ev.Client, got.ev.ClientURL)
	}
	if want := fmt.Sprintf("%s/api/v1/alerts?fingerprint=%016x", m.ExternalURL, a.Fingerprint()); ad["url"] != want {
		t.Errorf("alert url = %v, want %q", ad["url"], want)
	}
}

func TestSummary(t *testing.T) {
	feature := func(name, effect, sev string) *alert.Alert {
		return &alert.Alert{Rule: "FeatureDrift", State: alert.Firing,
			Labels:   obs.Labels{alert.NameLabel: "FeatureDrift", "model": "m", "feature": name, "test": "psi", "severity": sev},
			Evidence: []obs.Field{{Key: "statistic", Value: "0.3"}, {Key: "effect_size", Value: effect}}}
	}
	latency := &alert.Alert{Rule: "LatencyHigh", State: alert.Firing,
		Labels:      obs.Labels{alert.NameLabel: "LatencyHigh", "model": "m", "version": "2"},
		Annotations: map[string]string{"summary": "p99 latency 250ms\nover 100ms"}}
	many := make([]*alert.Alert, 7)
	for i := range many {
		many[i] = feature(fmt.Sprintf("f%d", i), fmt.Sprint(i), "warning")
	}
	tests := []struct {
		name   string
		alerts []*alert.Alert
		want   string
	}{
		{"sample", notifytest.SampleMessage().Alerts, "FeatureDrift: search-rerank v42; top drifted: price; ks p=3.2e-12"},
		{"by severity then effect size", []*alert.Alert{feature("a", "0.1", "warning"), feature("b", "0.2", "warning"), feature("c", "0.05", "critical")},
			"FeatureDrift: m; top drifted: c, b, a; psi statistic=0.3; 3 alerts firing"},
		{"no drift: the summary annotation, on one line", []*alert.Alert{latency}, "LatencyHigh: m v2; p99 latency 250ms over 100ms"},
		{"mixed: an effect size ranks first among equals", []*alert.Alert{latency, feature("a", "0.1", "")}, "FeatureDrift, LatencyHigh: m; top drifted: a; psi statistic=0.3; 2 alerts firing"},
		{"many features", many, "FeatureDrift: m; top drifted: f6, f5, f4, f3, f2, +2 more; psi statistic=0.3; 7 alerts firing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := NewEvent(&notify.Message{GroupKey: "g", Alerts: tt.alerts}, Config{})
			if ev.Payload.Summary != tt.want {
				t.Errorf("summary = %q, want %q", ev.Payload.Summary, tt.want)
			}
		})
	}
}

func TestLongSummaryIsCut(t *testing.T) {
	f, url := newFake(t)
	n, err := New(&Config{RoutingKey: testKey, URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, filler := range []string{"x", "é", "漂"} {
		a := driftAlert()
		a.Evidence[3].Value = strings.Repeat(filler, 2000)
		if err := n.Notify(context.Background(), &notify.Message{GroupKey: "g", Alerts: []*alert.Alert{a}}); err != nil {
			t.Fatalf("%s: %v", filler, err)
		}
		s := *f.last(t).ev.Payload.Summary
		if len(s) > MaxSummary || !strings.HasSuffix(s, "…") || !utf8.ValidString(s) || len(s) < MaxSummary-len("漂…") {
			t.Errorf("%s: summary of %d bytes, ends %q", filler, len(s), s[len(s)-8:])
		}
	}
}

func TestLargeGroupFits(t *testing.T) {
	f, url := newFake(t)
	n, err := New(&Config{RoutingKey: testKey, URL: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var alerts []*alert.Alert
	for i := range 300 {
		a := driftAlert()
		a.Labels = obs.Labels{alert.NameLabel: "model_drift", "model": "m", "feature": fmt.Sprint(i)}
		a.Annotations = map[string]string{}
		for j := range 40 {
			a.Annotations[fmt.Sprint("note", j)] = strings.Repeat("z", 5000)
		}
		alerts = append(alerts, a)
	}
	if err := n.Notify(context.Background(), &notify.Message{GroupKey: "g", Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
	got := f.last(t)
	d := got.ev.Payload.CustomDetails
	shown := len(d["alerts"].([]any))
	if notShown := int(d["alerts_not_shown"].(float64)); shown+notShown != 300 || shown == 0 || shown > MaxDetailAlerts {
		t.Errorf("alerts shown %d, not shown %d; want 1..%d shown and the rest counted", shown, notShown, MaxDetailAlerts)
	}
	if len(got.body) > eventBudget+100 {
		t.Errorf("event of %d bytes", len(got.body))
	}
}

func TestRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusBadRequest)
		// A proxy that echoes the key must not make it leak.
		fmt.Fprintf(w, `{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)","key %s unknown"]}`, testKey)
	}))
	defer srv.Close()
	n, err := New(&Config{RoutingKey: testKey, URL: srv.URL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.SampleMessage())
	var e *notify.Error
	if !errors.As(err, &e) || e.Retryable || e.Status != http.StatusBadRequest {
		t.Fatalf("Notify = %v, want a permanent 400", err)
	}
	const want = "Event object is invalid: Length of 'routing_key' is incorrect (should be 32 characters); key <redacted> unknown"
	if e.Reason != want {
		t.Errorf("Reason = %q, want %q", e.Reason, want)
	}
	if s := err.Error(); strings.Contains(s, testKey) || !strings.HasPrefix(s, "pagerduty: status 400") {
		t.Errorf("error = %q", s)
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wait    time.Duration
	}{
		{"429 with Retry-After", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "12")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 12 * time.Second},
		{"429 without Retry-After", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"status":"throttle event","message":"Requests for this service are arriving too quickly. Please retry later."}`)
		}, RateLimitWait},
		{"500", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, 0},
		{"connection reset", func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				panic(err)
			}
			_ = conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				_, _ = io.Copy(io.Discard, r.Body)
				tt.handler(w, r)
			}))
			defer srv.Close()
			n, err := New(&Config{RoutingKey: testKey, URL: srv.URL + "/v2/enqueue"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), notifytest.SampleMessage())
			retry, wait := notify.Retryable(err)
			if !retry || wait != tt.wait {
				t.Errorf("Retryable(%v) = %t, %s; want true, %s", err, retry, wait, tt.wait)
			}
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Errorf("Notify = %v (%T), want a *notify.Error in its chain", err, err)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the routing key: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if calls != 1 {
				t.Errorf("%d requests, want 1 (notifiers must not retry)", calls)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done)
	n, err := New(&Config{RoutingKey: testKey, URL: srv.URL, Timeout: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := notify.Retryable(n.Notify(context.Background(), notifytest.SampleMessage())); !ok {
		t.Error("Notify after its timeout is not retryable")
	}
}

func TestConfigValidate(t *testing.T) {
	keyErr := func(what string) string {
		return "routing_key " + what + ", want the 32 letters and digits of an Events API v2 Integration Key: " +
			"copy it from the service's Integrations tab in PagerDuty (Events API V2 integration); " +
			"a REST API key, a user token or an integration URL will not work"
	}
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{name: "ok literal", cfg: Config{RoutingKey: testKey}},
		{name: "ok ruleset key", cfg: Config{RoutingKey: "R0123456789ABCDEFGHIJKLMNOPQRSTU"}},
		{name: "ok env", cfg: Config{RoutingKey: "env:PD_KEY", URL: "https://events.eu.pagerduty.com/v2/enqueue",
			Source: "s", Component: "c", Group: "g", Class: "k", DefaultSeverity: "warning", Timeout: time.Second}},
		{name: "ok file", cfg: Config{RoutingKey: "file:/run/secrets/pd"}},
		{name: "missing key", cfg: Config{}, err: "routing_key is required"},
		{name: "short key", cfg: Config{RoutingKey: "y_NbAkKc66ryYTWUXYEu"}, err: keyErr("has 20 characters")},
		{name: "key with a dash", cfg: Config{RoutingKey: "0123456789abcdef-123456789abcdef"}, err: keyErr("has a character other than a letter or a digit")},
		{name: "bad url", cfg: Config{RoutingKey: testKey, URL: "ftp://example.com/x"}, err: "url scheme is not http or https"},
		{name: "bad severity", cfg: Config{RoutingKey: testKey, DefaultSeverity: "fatal"}, err: `default_severity "fatal" is not critical, error, warning or info`},
		{name: "everything wrong", cfg: Config{RoutingKey: " ", URL: "https:///x", Source: "a\nb", Timeout: -time.Second},
			err: "routing_key is required\nurl has no host\nsource \"a\\nb\" has a line break or control character\ntimeout -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.err {
				t.Fatalf("Validate = %v, want %q", err, tt.err)
			}
			if k := tt.cfg.RoutingKey.Reveal(); len(k) > 4 && strings.Contains(err.Error(), k) {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
}

func TestNewChecksResolvedKey(t *testing.T) {
	const bad = "SeCrEt-not-a-routing-key"
	t.Setenv("DW_PD_BAD", bad)
	t.Setenv("DW_PD_GOOD", testKey)
	dir := t.TempDir()
	file := filepath.Join(dir, "pd")
	if err := os.WriteFile(file, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badFile := filepath.Join(dir, "bad")
	if err := os.WriteFile(badFile, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		want string // "" for success
	}{
		{ref: "env:DW_PD_GOOD"},
		{ref: "file:" + file},
		{ref: "env:DW_PD_BAD", want: "pagerduty: routing_key from env:DW_PD_BAD has 24 characters, want the 32 letters and digits"},
		{ref: "file:" + badFile, want: "pagerduty: routing_key from file:" + badFile + " has 24 characters"},
		{ref: "env:DW_PD_UNSET", want: "pagerduty: routing_key: secret: environment variable DW_PD_UNSET is not set"},
		{ref: bad, want: "pagerduty: routing_key has 24 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, err := New(&Config{RoutingKey: notify.Secret(tt.ref)}, nil)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New = %v", err)
			case tt.want == "":
			case err == nil || !strings.HasPrefix(err.Error(), tt.want):
				t.Fatalf("New = %v, want %q…", err, tt.want)
			case strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), testKey):
				t.Errorf("New error leaks the key: %v", err)
			}
		})
	}
}

func TestConfigDoesNotPrintKey(t *testing.T) {
	c := Config{RoutingKey: testKey, Source: "s"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(&c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", c, c, c), string(b), string(y), fmt.Sprintf("%v %+v %#v", n, n, *n)} {
		if strings.Contains(s, testKey) {
			t.Errorf("prints the routing key: %s", s)
		}
	}
	ev, err := json.Marshal(NewEvent(notifytest.SampleMessage(), c))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ev), testKey) || strings.Contains(string(ev), "routing_key") {
		t.Errorf("an Event carries the routing key: %s", ev)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = `routing_key: env:PAGERDUTY_ROUTING_KEY
url: https://events.eu.pagerduty.com/v2/enqueue
source: search-rerank.prod
component: ranking
group: ml-serving
class: model drift
default_severity: warning
timeout: 5s
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := Config{RoutingKey: "env:PAGERDUTY_ROUTING_KEY", URL: "https://events.eu.pagerduty.com/v2/enqueue",
		Source: "search-rerank.prod", Component: "ranking", Group: "ml-serving", Class: "model drift",
		DefaultSeverity: "warning", Timeout: 5 * time.Second}
	if c != want || c.RoutingKey.Reveal() != want.RoutingKey.Reveal() {
		t.Errorf("decoded %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestEvidenceJSON(t *testing.T) {
	b, err := json.Marshal(Evidence{{Key: "z", Value: "1"}, {Key: "a", Value: `"<q>"`}, {Key: "z", Value: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"z":"1","a":"\"\u003cq\u003e\""}`; string(b) != want {
		t.Errorf("Evidence encodes as %s, want %s", b, want)
	}
	if b, _ := json.Marshal(AlertDetails{}); strings.Contains(string(b), "evidence") {
		t.Errorf("empty evidence is not left out: %s", b)
	}
}
