package datadog

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
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

// testKey is the API key of the tests; no error may contain it.
const testKey = "0123456789abcdefSeCrEtApIkEy"

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T, url string) notify.Notifier {
		n, err := New(&Config{APIKey: testKey, URL: url}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return notify.NotifierFunc(func(ctx context.Context, m *notify.Message) error {
			err := n.Notify(ctx, m)
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the API key: %v", err)
			}
			return err
		})
	}, notifytest.Options{OK: notifytest.Response{Status: http.StatusAccepted, Body: `{"status":"ok"}`}})
}

func TestGolden(t *testing.T) {
	got, err := json.MarshalIndent(NewEvent(notifytest.SampleMessage(), []string{"env:prod", "team:ml"}), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	notifytest.Golden(t, filepath.Join("testdata", "sample.json"), append(got, '\n'), *update)
}

// intakeEvent has the fields the Events API v1 accepts
// (https://docs.datadoghq.com/api/latest/events/#post-an-event), so that
// decoding with DisallowUnknownFields fails on any other.
type intakeEvent struct {
	AggregationKey string   `json:"aggregation_key"`
	AlertType      string   `json:"alert_type"`
	DateHappened   int64    `json:"date_happened"`
	DeviceName     string   `json:"device_name"`
	Host           string   `json:"host"`
	Priority       string   `json:"priority"`
	RelatedEventID int64    `json:"related_event_id"`
	SourceTypeName string   `json:"source_type_name"`
	Tags           []string `json:"tags"`
	Text           *string  `json:"text"`
	Title          *string  `json:"title"`
}

// intake is a fake Datadog events intake that checks requests the way
// the real API does: the path, the DD-API-KEY header (403
// {"errors":["Forbidden"]} when wrong), the JSON fields and their
// documented limits (400 {"errors":[...]}); it answers 202
// {"status":"ok",...} to a good event.
type intake struct {
	key    string
	mu     sync.Mutex
	events []intakeEvent
}

func (in *intake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" {
		answer(http.StatusNotFound, map[string][]string{"errors": {"Not Found"}})
		return
	}
	if r.Header.Get("DD-API-KEY") != in.key {
		answer(http.StatusForbidden, map[string][]string{"errors": {"Forbidden"}})
		return
	}
	var ev intakeEvent
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil || r.Header.Get("Content-Type") != "application/json" {
		answer(http.StatusBadRequest, map[string][]string{"errors": {"Payload is not in the expected format"}})
		return
	}
	if errs := validateEvent(&ev); len(errs) > 0 {
		answer(http.StatusBadRequest, map[string][]string{"errors": errs})
		return
	}
	in.mu.Lock()
	in.events = append(in.events, ev)
	in.mu.Unlock()
	answer(http.StatusAccepted, map[string]any{"status": "ok", "event": map[string]any{"title": *ev.Title}})
}

func validateEvent(ev *intakeEvent) []string {
	var errs []string
	switch {
	case ev.Title == nil || *ev.Title == "":
		errs = append(errs, "Event title is required")
	case utf8.RuneCountInString(*ev.Title) > MaxTitle:
		errs = append(errs, "Event title is longer than 100 characters")
	}
	switch {
	case ev.Text == nil:
		errs = append(errs, "Event text is required")
	case utf8.RuneCountInString(*ev.Text) > MaxText:
		errs = append(errs, "Event text is longer than 4000 characters")
	}
	if !slices.Contains([]string{"", "error", "warning", "info", "success", "user_update", "recommendation", "snapshot"}, ev.AlertType) {
		errs = append(errs, "Invalid alert_type "+ev.AlertType)
	}
	if !slices.Contains([]string{"", "normal", "low"}, ev.Priority) {
		errs = append(errs, "Invalid priority "+ev.Priority)
	}
	if len(ev.AggregationKey) > 100 {
		errs = append(errs, "aggregation_key is longer than 100 characters")
	}
	for _, tag := range ev.Tags {
		if Tag(tag) != tag {
			errs = append(errs, "tag "+tag+" is not in Datadog's normal form")
		}
	}
	return errs
}

func (in *intake) last(t *testing.T) intakeEvent {
	t.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	if len(in.events) == 0 {
		t.Fatal("the intake has no event")
	}
	return in.events[len(in.events)-1]
}

// datagram is one parsed DogStatsD message.
type datagram struct {
	kind    string // "metric" or "service_check"
	name    string
	value   string // the metric's value, or the check's status
	typ     string // metric type: c, g, …
	tags    []string
	message string
}

// parseDatagram parses one DogStatsD message
// (https://docs.datadoghq.com/developers/dogstatsd/datagram_shell/):
//
//	<name>:<value>|<type>|@<rate>|#<tags>|c:<container>|e:<env>|card:<c>|T<ts>
//	_sc|<name>|<status>|d:<ts>|h:<host>|#<tags>|m:<message>|c:<container>
func parseDatagram(s string) (datagram, error) {
	parts := strings.Split(s, "|")
	var d datagram
	var rest []string
	if parts[0] == "_sc" {
		if len(parts) < 3 {
			return d, fmt.Errorf("service check %q: want _sc|name|status", s)
		}
		d.kind, d.name, d.value, rest = "service_check", parts[1], parts[2], parts[3:]
		if n, err := strconv.Atoi(d.value); err != nil || n < 0 || n > 3 {
			return d, fmt.Errorf("service check %q: status is not 0..3", s)
		}
	} else {
		name, value, ok := strings.Cut(parts[0], ":")
		if !ok || len(parts) < 2 || name == "" {
			return d, fmt.Errorf("metric %q: want name:value|type", s)
		}
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			return d, fmt.Errorf("metric %q: value is not a number", s)
		}
		d.kind, d.name, d.value, d.typ, rest = "metric", name, value, parts[1], parts[2:]
		if !slices.Contains([]string{"c", "g", "ms", "h", "s", "d"}, d.typ) {
			return d, fmt.Errorf("metric %q: unknown type %q", s, d.typ)
		}
	}
	for _, f := range rest {
		switch {
		case strings.HasPrefix(f, "#"):
			d.tags = strings.Split(f[1:], ",")
		case strings.HasPrefix(f, "m:") && d.kind == "service_check":
			d.message = strings.NewReplacer(`\n`, "\n", `m\:`, "m:").Replace(f[2:])
		case strings.HasPrefix(f, "@"), strings.HasPrefix(f, "c:"), strings.HasPrefix(f, "e:"),
			strings.HasPrefix(f, "card:"), strings.HasPrefix(f, "T"),
			strings.HasPrefix(f, "d:"), strings.HasPrefix(f, "h:"):
		default:
			return d, fmt.Errorf("%q: unknown field %q", s, f)
		}
	}
	return d, nil
}

// agent is a fake DogStatsD agent: a UDP listener on 127.0.0.1 that
// parses every message it receives.
type agent struct {
	conn net.PacketConn
	mu   sync.Mutex
	got  []datagram
	bad  []error
}

func newAgent(t *testing.T) *agent {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &agent{conn: c}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			for line := range strings.SplitSeq(strings.TrimRight(string(buf[:n]), "\n"), "\n") {
				d, err := parseDatagram(line)
				a.mu.Lock()
				if err != nil {
					a.bad = append(a.bad, err)
				} else {
					a.got = append(a.got, d)
				}
				a.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return a
}

// wait returns the datagrams once n of them named name arrived.
func (a *agent) wait(t *testing.T, name string, n int) []datagram {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		var out []datagram
		for _, d := range a.got {
			if d.name == name {
				out = append(out, d)
			}
		}
		bad := slices.Clone(a.bad)
		a.mu.Unlock()
		for _, err := range bad {
			t.Errorf("bad datagram: %v", err)
		}
		if len(out) >= n || time.Now().After(deadline) {
			if len(out) < n {
				t.Fatalf("got %d %s datagrams, want %d", len(out), name, n)
			}
			return out
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFakeIntakeAndAgent(t *testing.T) {
	in := &intake{key: testKey}
	srv := httptest.NewServer(in)
	defer srv.Close()
	ag := newAgent(t)
	t.Setenv("DW_DD_API_KEY", testKey)
	n, err := New(&Config{APIKey: "env:DW_DD_API_KEY", URL: srv.URL + "/api/v1/events",
		Tags: []string{"env:prod", "Team:ML Platform"}, StatsdAddr: ag.conn.LocalAddr().String()}, nil, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	// Firing.
	msg := notifytest.SampleMessage()
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	firing := in.last(t)
	if *firing.Title != "[FIRING] FeatureDrift model=search-rerank" || firing.AlertType != "error" || firing.SourceTypeName != "driftwatch" {
		t.Errorf("firing event: title %q, alert_type %q, source %q", *firing.Title, firing.AlertType, firing.SourceTypeName)
	}
	wantTags := []string{"env:prod", "team:ml_platform", "model:search-rerank"}
	if !slices.Equal(firing.Tags, wantTags) {
		t.Errorf("tags = %q, want %q", firing.Tags, wantTags)
	}
	for _, s := range []string{"%%% \n", "p\\_value=3.2e-12", "effect\\_size=0.87", "n\\_current=5000", "feature=price", "\n %%%"} {
		if !strings.Contains(*firing.Text, s) {
			t.Errorf("text lacks %q:\n%s", s, *firing.Text)
		}
	}
	checks := ag.wait(t, ServiceCheck, 1)
	if sc := checks[0]; sc.value != "2" || sc.message != *firing.Title || !containsAll(sc.tags, wantTags) {
		t.Errorf("service check = %+v, want status 2 (critical), the title and the tags", sc)
	}
	counts := ag.wait(t, NotifiedMetric, 2)
	byStatus := map[string]string{}
	for _, c := range counts {
		if c.typ != "c" || !containsAll(c.tags, wantTags) {
			t.Errorf("metric = %+v, want a count with the event's tags", c)
		}
		for _, tag := range c.tags {
			if s, ok := strings.CutPrefix(tag, "status:"); ok {
				byStatus[s] = c.value
			}
		}
	}
	if byStatus["firing"] != "1" || byStatus["resolved"] != "1" {
		t.Errorf("counts by status = %v, want firing 1, resolved 1", byStatus)
	}

	// Resolved: the same group, every alert resolved.
	msg = notifytest.SampleMessage()
	msg.Alerts[0].State, msg.Alerts[0].ResolvedAt = alert.Resolved, msg.Alerts[0].LastEvaluated
	msg.Status = notify.StatusOf(msg.Alerts)
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	resolved := in.last(t)
	if resolved.AggregationKey != firing.AggregationKey || resolved.AggregationKey == "" {
		t.Errorf("aggregation keys: firing %q, resolved %q; want equal", firing.AggregationKey, resolved.AggregationKey)
	}
	if *resolved.Title != "[RESOLVED] FeatureDrift model=search-rerank" || resolved.AlertType != "success" || resolved.Priority != "low" {
		t.Errorf("resolved event: title %q, alert_type %q, priority %q", *resolved.Title, resolved.AlertType, resolved.Priority)
	}
	if sc := ag.wait(t, ServiceCheck, 2)[1]; sc.value != "0" {
		t.Errorf("service check after resolve = %+v, want status 0 (ok)", sc)
	}
	if e := n.StatsdErrors(); e != 0 {
		t.Errorf("StatsdErrors = %d, want 0", e)
	}

	// Another group gets another aggregation key.
	msg.GroupKey = `{}:{model="fraud"}`
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if k := in.last(t).AggregationKey; k == firing.AggregationKey {
		t.Errorf("two groups share the aggregation key %q", k)
	}
}

func TestRefused(t *testing.T) {
	in := &intake{key: "the-right-key"}
	srv := httptest.NewServer(in)
	defer srv.Close()
	tests := []struct {
		name   string
		msg    func() *notify.Message
		status int
		reason string
	}{
		{name: "wrong key", msg: notifytest.SampleMessage, status: 403, reason: "Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(&Config{APIKey: testKey, URL: srv.URL + "/api/v1/events"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(context.Background(), tt.msg())
			var e *notify.Error
			if !errors.As(err, &e) || e.Retryable || e.Status != tt.status || e.Reason != tt.reason {
				t.Fatalf("Notify = %v, want permanent %d with reason %q", err, tt.status, tt.reason)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error leaks the key: %v", err)
			}
		})
	}
}

// TestKeyNeverInErrors has a receiver echo the key in its answer.
func TestKeyNeverInErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"errors":["API key %s is not valid for this site"]}`, r.Header.Get("DD-API-KEY"))
	}))
	defer srv.Close()
	n, err := New(&Config{APIKey: testKey, URL: srv.URL + "/api/v1/events"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.SampleMessage())
	if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "is not valid for this site") {
		t.Errorf("Notify = %v, want the reason without the key", err)
	}
	if ok, _ := notify.Retryable(err); ok {
		t.Errorf("Notify = %v: retryable, want permanent", err)
	}
}

// TestStatsdFailureIsNotDeliveryFailure sends to a UDP port nobody
// listens on: the kernel refuses the datagrams, the events still go out,
// and the failures are counted.
func TestStatsdFailureIsNotDeliveryFailure(t *testing.T) {
	in := &intake{key: testKey}
	srv := httptest.NewServer(in)
	defer srv.Close()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := c.LocalAddr().String()
	c.Close()
	n, err := New(&Config{APIKey: testKey, URL: srv.URL + "/api/v1/events", StatsdAddr: addr}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50 && n.StatsdErrors() == 0; i++ {
		if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
			t.Fatalf("Notify = %v, want nil although DogStatsD is down", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n.StatsdErrors() == 0 {
		t.Error("StatsdErrors = 0, want the refused datagrams counted")
	}
	if err := n.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	// After Close, sends are counted as failures; Notify still succeeds.
	before := n.StatsdErrors()
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	if n.StatsdErrors() <= before {
		t.Error("sends after Close are not counted")
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("very-long-label-value-", 20)
	m := notifytest.SampleMessage()
	m.GroupLabels = obs.Labels{"model": long, "zone": "eu|west %%% *bold*"}
	for i := range 200 {
		a := *m.Alerts[0]
		a.Labels = obs.Labels{alert.NameLabel: "FeatureDrift", "feature": fmt.Sprintf("f%03d", i)}
		m.Alerts = append(m.Alerts, &a)
	}
	for i := range 60 {
		m.GroupLabels[fmt.Sprintf("label%02d", i)] = "x"
	}
	ev := NewEvent(m, nil)
	if got := utf8.RuneCountInString(ev.Title); got > MaxTitle {
		t.Errorf("title has %d characters, want ≤ %d", got, MaxTitle)
	}
	if got := utf8.RuneCountInString(ev.Text); got > MaxText {
		t.Errorf("text has %d characters, want ≤ %d", got, MaxText)
	}
	if !strings.HasPrefix(ev.Text, "%%% \n") || !strings.HasSuffix(ev.Text, "\n %%%") || strings.Count(ev.Text, "%%%") != 2 {
		t.Errorf("text is not one markdown block:\n%s", ev.Text)
	}
	if !strings.Contains(ev.Text, "more alerts, not shown") {
		t.Error("text does not say that alerts were left out")
	}
	if len(ev.Tags) > MaxTags {
		t.Errorf("%d tags, want ≤ %d", len(ev.Tags), MaxTags)
	}
	for _, tag := range ev.Tags {
		if utf8.RuneCountInString(tag) > MaxTagLen || Tag(tag) != tag {
			t.Errorf("tag %q is too long or not sanitised", tag)
		}
	}
	if errs := validateEvent(&intakeEvent{Title: &ev.Title, Text: &ev.Text, AlertType: ev.AlertType,
		Priority: ev.Priority, AggregationKey: ev.AggregationKey, Tags: ev.Tags}); len(errs) > 0 {
		t.Errorf("the intake would refuse the event: %q", errs)
	}
}

func TestTag(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := Tag(in); got != want {
			t.Errorf("Tag(%q) = %q, want %q", in, got, want)
		}
	}
	f("env:prod", "env:prod")
	f("Team:ML Platform", "team:ml_platform")
	f("model:search-rerank", "model:search-rerank")
	f("path:/a/b.c", "path:/a/b.c")
	f("a!!b", "a_b")
	f("a__b", "a_b")
	f("trailing!", "trailing")
	f("9lives", "lives")
	f("_x:1", "x:1")
	f("größe:groß", "größe:groß")
	f("123", "")
	f("", "")
	f("k:"+strings.Repeat("v", 300), "k:"+strings.Repeat("v", MaxTagLen-2))
}

func TestAggregationKey(t *testing.T) {
	k := AggregationKey(`{}:{model="search-rerank"}`)
	if k != AggregationKey(`{}:{model="search-rerank"}`) || len(k) != len("driftwatch-")+16 || !strings.HasPrefix(k, "driftwatch-") {
		t.Errorf("AggregationKey = %q", k)
	}
	if k == AggregationKey(`{}:{model="other"}`) {
		t.Error("two group keys share an aggregation key")
	}
}

func TestAlertTypes(t *testing.T) {
	tests := []struct {
		name      string
		severity  obs.Severity
		state     alert.State
		alertType string
		priority  string
	}{
		{name: "critical firing", severity: obs.Critical, state: alert.Firing, alertType: "error", priority: "normal"},
		{name: "warning firing", severity: obs.Warning, state: alert.Firing, alertType: "warning", priority: "normal"},
		{name: "info firing", severity: obs.Info, state: alert.Firing, alertType: "info", priority: "normal"},
		{name: "resolved", severity: obs.Critical, state: alert.Resolved, alertType: "success", priority: "low"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			alerts := []*alert.Alert{{Rule: "r", Labels: obs.Labels{alert.NameLabel: "r"}, Severity: tt.severity, State: tt.state}}
			ev := NewEvent(&notify.Message{GroupKey: "g", Alerts: alerts}, nil)
			if ev.AlertType != tt.alertType || ev.Priority != tt.priority {
				t.Errorf("alert_type, priority = %q, %q; want %q, %q", ev.AlertType, ev.Priority, tt.alertType, tt.priority)
			}
			if ev.Title != "["+strings.ToUpper(notify.StatusOf(alerts))+"] r" || ev.Tags == nil {
				t.Errorf("title %q, tags %v", ev.Title, ev.Tags)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{name: "ok literal", cfg: Config{APIKey: "abc"}},
		{name: "ok full", cfg: Config{APIKey: "env:DD_API_KEY", Site: "datadoghq.eu", Tags: []string{"env:prod"},
			StatsdAddr: "127.0.0.1:8125", Timeout: time.Second}},
		{name: "ok url", cfg: Config{APIKey: "file:/run/secrets/dd", URL: "http://proxy:8080/api/v1/events"}},
		{name: "missing key", cfg: Config{}, err: "api_key is required"},
		{name: "site and url", cfg: Config{APIKey: "k", Site: "datadoghq.eu", URL: "https://x/api/v1/events"},
			err: "site and url are mutually exclusive"},
		{name: "bad site", cfg: Config{APIKey: "k", Site: "https://datadoghq.eu"},
			err: `site "https://datadoghq.eu" is not a domain name such as datadoghq.eu`},
		{name: "bad url", cfg: Config{APIKey: "k", URL: "ftp://x/SECRET"}, err: "url scheme is not http or https"},
		{name: "bad tag", cfg: Config{APIKey: "k", Tags: []string{"ok", "123"}}, err: `tags[1] "123" has no letter to start a Datadog tag`},
		{name: "bad statsd", cfg: Config{APIKey: "k", StatsdAddr: "localhost"}, err: `statsd_addr "localhost" is not host:port`},
		{name: "statsd port", cfg: Config{APIKey: "k", StatsdAddr: "localhost:0"}, err: `statsd_addr "localhost:0" has no port in 1..65535`},
		{name: "negative timeout", cfg: Config{APIKey: "k", Timeout: -time.Second}, err: "timeout -1s is negative"},
		{name: "several", cfg: Config{Timeout: -time.Second}, err: "api_key is required\ntimeout -1s is negative"},
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
		})
	}
}

func TestEndpoint(t *testing.T) {
	f := func(c Config, want string) {
		t.Helper()
		if got := c.endpoint(); got != want {
			t.Errorf("endpoint(%+v) = %q, want %q", c, got, want)
		}
	}
	f(Config{}, "https://api.datadoghq.com/api/v1/events")
	f(Config{Site: "datadoghq.eu"}, "https://api.datadoghq.eu/api/v1/events")
	f(Config{Site: "us5.datadoghq.com"}, "https://api.us5.datadoghq.com/api/v1/events")
	f(Config{Site: "app.datadoghq.eu"}, "https://api.datadoghq.eu/api/v1/events")
	f(Config{URL: "http://proxy/api/v1/events"}, "http://proxy/api/v1/events")
}

func TestNewErrorsHideKey(t *testing.T) {
	t.Setenv("DW_DD_EMPTY", " ")
	for _, cfg := range []Config{
		{APIKey: "env:DW_DD_UNSET"},
		{APIKey: "env:DW_DD_EMPTY"},
		{APIKey: testKey, URL: "ftp://example.com/x"},
		{APIKey: testKey, StatsdAddr: "no-such-host.invalid:8125"},
	} {
		n, err := New(&cfg, nil)
		if err == nil {
			n.Close()
			t.Fatalf("New(%v) succeeded", cfg)
		}
		if strings.Contains(err.Error(), testKey) {
			t.Errorf("New error leaks the key: %v", err)
		}
	}
}

func TestConfigDoesNotPrintKey(t *testing.T) {
	c := Config{APIKey: testKey, Tags: []string{"env:prod"}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", c, c, c), string(b), string(y)} {
		if strings.Contains(s, testKey) {
			t.Errorf("Config prints its key: %s", s)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = "api_key: env:DD_API_KEY\nsite: datadoghq.eu\ntags: [env:prod, team:ml]\nstatsd_addr: 127.0.0.1:8125\ntimeout: 5s\n"
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.APIKey.Reveal() != "env:DD_API_KEY" || c.Site != "datadoghq.eu" || !slices.Equal(c.Tags, []string{"env:prod", "team:ml"}) ||
		c.StatsdAddr != "127.0.0.1:8125" || c.Timeout != 5*time.Second {
		t.Errorf("decoded %#v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
