package sentry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	sentrygo "github.com/getsentry/sentry-go"
	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/notifytest"
	"github.com/driftwatch/driftwatch/internal/obs"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// The DSN keys of the tests; no error or log line may contain them.
const (
	testKey    = "SeCrEtDsNpUbLiCkEy0123456789abcd"
	testSecret = "SeCrEtDsNsEcReTkEy9876543210dcba"
	testProj   = "4507"
)

// t0 is the clock of the tests.
var t0 = time.Date(2026, 11, 22, 7, 0, 5, 0, time.UTC)

// testDSN is a DSN of the fake server at base (http://host:port).
func testDSN(base, key string) notify.Secret {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	return notify.Secret("http://" + key + "@" + u.Host + "/" + testProj)
}

// newTest returns a Notifier for cfg with the test clock and ID source;
// clock, when not nil, replaces the clock.
func newTest(t *testing.T, cfg Config, l *slog.Logger, clock func() time.Time) *Notifier {
	t.Helper()
	if cfg.ServerName == "" {
		cfg.ServerName = "rerank-sidecar"
	}
	n, err := New(&cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	n.now = func() time.Time { return t0 }
	if clock != nil {
		n.now = clock
	}
	n.newID = func() sentrygo.EventID { return "00000000000040008000000000000001" }
	return n
}

// TestConformance runs the kit with a DSN made from the kit's URL: its
// secret path segment is the DSN's public key and its secret query value
// the DSN's secret key, so the kit checks that neither is ever in an
// error or a log line. The kit's receivers answer on any path.
func TestConformance(t *testing.T) {
	newN := func(t *testing.T, raw string, l *slog.Logger) notify.Notifier {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		dsn := "http://" + notifytest.SecretPath + ":" + notifytest.SecretQuery + "@" + u.Host + "/" + testProj
		n, err := New(&Config{DSN: notify.Secret(dsn), ServerName: "kit"}, l)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	notifytest.Run(t, nil, notifytest.Options{
		OK:            notifytest.Response{Status: http.StatusOK, Body: `{"id":"5f3c54d1b2a94c7e8e6a1f0d9c8b7a61"}`},
		NewWithLogger: newN,
	})
}

// TestGolden records the event of notifytest.SampleMessage as the fake
// Sentry received it.
func TestGolden(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey), Environment: "production", Release: "search-rerank@42"}, nil, nil)
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, fs.last(t).payload, "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	notifytest.Golden(t, filepath.Join("testdata", "sample.json"), b.Bytes(), *update)
}

// sentryEvent has the fields of a Sentry event
// (https://develop.sentry.dev/sdk/data-model/event-payloads/) that this
// package may send; decoding with DisallowUnknownFields fails on any
// other. Relay would keep an unknown field as an error in the event's
// metadata; the fake is stricter.
type sentryEvent struct {
	EventID     string                    `json:"event_id"`
	Timestamp   *time.Time                `json:"timestamp"`
	Level       string                    `json:"level"`
	Fingerprint []string                  `json:"fingerprint"`
	Message     string                    `json:"message"`
	Tags        map[string]string         `json:"tags"`
	Contexts    map[string]map[string]any `json:"contexts"`
	Environment string                    `json:"environment"`
	Release     string                    `json:"release"`
	ServerName  string                    `json:"server_name"`
	Platform    string                    `json:"platform"`
	Logger      string                    `json:"logger"`
	Sdk         struct {
		Name         string   `json:"name"`
		Version      string   `json:"version"`
		Integrations []string `json:"integrations"`
		Packages     []struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"packages"`
	} `json:"sdk"`
	User map[string]any `json:"user"`
}

// envelopeHeader has the fields of an envelope's header
// (https://develop.sentry.dev/sdk/data-model/envelopes/#headers).
type envelopeHeader struct {
	EventID string            `json:"event_id"`
	DSN     string            `json:"dsn"`
	SentAt  *time.Time        `json:"sent_at"`
	Sdk     map[string]any    `json:"sdk"`
	Trace   map[string]string `json:"trace"`
}

// itemHeader has the fields of an item's header.
type itemHeader struct {
	Type        string `json:"type"`
	Length      *int   `json:"length"`
	ContentType string `json:"content_type"`
	Filename    string `json:"filename"`
}

// received is an envelope the fake accepted.
type received struct {
	header  envelopeHeader
	item    itemHeader
	payload []byte
	event   sentryEvent
	auth    string
}

// reply is a fake Sentry's answer to a valid envelope.
type reply struct {
	status int
	header map[string]string
	body   string
}

// fakeSentry validates envelopes the way Sentry's ingestion (Relay) does:
// POST at /api/<project>/envelope/ (404 elsewhere), authenticated by an
// X-Sentry-Auth header with sentry_version=7, a sentry_client and the
// project's public key as sentry_key, or a sentry_key query parameter
// (401); then the envelope (400 {"detail":…,"causes":[…]}): a header line
// with a 32-hex-digit event_id, one item whose header has type "event"
// and the payload's length, and an event with the same event_id, a known
// level, a fingerprint, and tags within Sentry's limits. It answers 200
// {"id":"<event_id>"}, or the next of its replies.
type fakeSentry struct {
	key string
	url string

	mu       sync.Mutex
	got      []received
	requests int
	replies  []reply
}

func newFakeSentry(t *testing.T, key string) *fakeSentry {
	t.Helper()
	fs := &fakeSentry{key: key}
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	fs.url = srv.URL
	return fs
}

// then queues answers to the next valid envelopes.
func (fs *fakeSentry) then(r ...reply) *fakeSentry {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.replies = append(fs.replies, r...)
	return fs
}

func (fs *fakeSentry) count() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.requests
}

func (fs *fakeSentry) last(t *testing.T) received {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.got) == 0 {
		t.Fatal("the fake Sentry accepted no envelope")
	}
	return fs.got[len(fs.got)-1]
}

var (
	envelopePath = regexp.MustCompile(`^/api/([0-9]+)/envelope/$`)
	hexID        = regexp.MustCompile(`^[0-9a-f]{32}$`)
	tagKeyRE     = regexp.MustCompile(`^[a-zA-Z0-9_.:-]{1,32}$`)
)

func (fs *fakeSentry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	fs.mu.Lock()
	fs.requests++
	fs.mu.Unlock()
	m := envelopePath.FindStringSubmatch(r.URL.Path)
	if m == nil || m[1] != testProj {
		answer(http.StatusNotFound, map[string]string{"detail": "not found"})
		return
	}
	if r.Method != http.MethodPost {
		answer(http.StatusMethodNotAllowed, map[string]string{"detail": "method not allowed"})
		return
	}
	auth := r.Header.Get("X-Sentry-Auth")
	if detail := checkAuth(auth, r.URL.Query().Get("sentry_key"), fs.key); detail != "" {
		answer(http.StatusUnauthorized, map[string]string{"detail": detail})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		answer(http.StatusBadRequest, map[string]string{"detail": "failed to read request body"})
		return
	}
	got, causes := parseEnvelope(body)
	if ct := r.Header.Get("Content-Type"); ct != "application/x-sentry-envelope" {
		causes = append(causes, "content type "+ct+" is not application/x-sentry-envelope")
	}
	if len(causes) > 0 {
		answer(http.StatusBadRequest, map[string]any{"detail": "invalid event envelope", "causes": causes})
		return
	}
	got.auth = auth
	fs.mu.Lock()
	var rep *reply
	if len(fs.replies) > 0 {
		rep = &fs.replies[0]
		fs.replies = fs.replies[1:]
	}
	if rep == nil || rep.status/100 == 2 {
		fs.got = append(fs.got, got)
	}
	fs.mu.Unlock()
	if rep == nil {
		answer(http.StatusOK, map[string]string{"id": got.event.EventID})
		return
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// checkAuth checks X-Sentry-Auth ("Sentry k=v, k=v, …") or the
// sentry_key query parameter; it returns "" when they authenticate key.
func checkAuth(header, query, key string) string {
	if header == "" {
		if query == key {
			return ""
		}
		return "missing authorization information"
	}
	rest, ok := strings.CutPrefix(header, "Sentry ")
	if !ok {
		return "invalid authorization header"
	}
	kv := map[string]string{}
	for p := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			return "invalid authorization header"
		}
		kv[k] = v
	}
	switch {
	case kv["sentry_version"] != "7":
		return "unsupported protocol version"
	case kv["sentry_client"] == "":
		return "missing sentry_client"
	case kv["sentry_key"] != key:
		return "invalid api key"
	}
	return ""
}

// parseEnvelope parses and checks an envelope of one event; it returns
// the causes of its refusal, if any.
func parseEnvelope(b []byte) (received, []string) {
	var got received
	head, rest, ok := bytes.Cut(b, []byte("\n"))
	if !ok {
		return got, []string{"envelope has no header line"}
	}
	if err := strictDecode(head, &got.header); err != nil {
		return got, []string{"envelope header: " + err.Error()}
	}
	if !hexID.MatchString(got.header.EventID) {
		return got, []string{"envelope header: event_id is not 32 hex digits"}
	}
	ih, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok {
		return got, []string{"item has no header line"}
	}
	if err := strictDecode(ih, &got.item); err != nil {
		return got, []string{"item header: " + err.Error()}
	}
	if got.item.Type != "event" {
		return got, []string{"item type " + got.item.Type + " is not event"}
	}
	if got.item.Length == nil {
		return got, []string{"item header: no length"}
	}
	if *got.item.Length > len(rest) {
		return got, []string{fmt.Sprintf("item length %d is beyond the envelope's end", *got.item.Length)}
	}
	got.payload, rest = rest[:*got.item.Length], rest[*got.item.Length:]
	if len(bytes.TrimLeft(rest, "\n")) > 0 {
		return got, []string{"envelope has more than one item"}
	}
	if err := strictDecode(got.payload, &got.event); err != nil {
		return got, []string{"event: " + err.Error()}
	}
	return got, checkEvent(&got.event, got.header.EventID)
}

func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func checkEvent(ev *sentryEvent, headerID string) []string {
	var causes []string
	if ev.EventID != headerID {
		causes = append(causes, "event_id differs from the envelope's")
	}
	if !slices.Contains([]string{"debug", "info", "warning", "error", "fatal"}, ev.Level) {
		causes = append(causes, "invalid level "+ev.Level)
	}
	if len(ev.Fingerprint) == 0 {
		causes = append(causes, "no fingerprint")
	}
	if ev.Timestamp == nil {
		causes = append(causes, "no timestamp")
	}
	if ev.Message == "" || utf8.RuneCountInString(ev.Message) > MaxMessage {
		causes = append(causes, "message is empty or longer than 8192 characters")
	}
	for k, v := range ev.Tags {
		if !tagKeyRE.MatchString(k) {
			causes = append(causes, "invalid tag key "+k)
		}
		if v == "" || utf8.RuneCountInString(v) > MaxTagValue || strings.ContainsAny(v, "\n\r") {
			causes = append(causes, "invalid tag value of "+k)
		}
	}
	return causes
}

func TestFakeSentry(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	t.Setenv("DW_TEST_SENTRY_DSN", "http://"+testKey+":"+testSecret+"@"+strings.TrimPrefix(fs.url, "http://")+"/"+testProj)
	n := newTest(t, Config{DSN: "env:DW_TEST_SENTRY_DSN", Environment: "production", Release: "search-rerank@42"}, nil, nil)
	msg := notifytest.SampleMessage()
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	got := fs.last(t)
	ev := got.event
	for _, want := range []string{"sentry_version=7", "sentry_client=sentry.go/" + sentrygo.SDKVersion,
		"sentry_key=" + testKey, "sentry_secret=" + testSecret} {
		if !strings.Contains(got.auth, want) {
			t.Errorf("X-Sentry-Auth %q lacks %q", got.auth, want)
		}
	}
	if got.header.DSN != "" || bytes.Contains(got.payload, []byte(testKey)) {
		t.Error("the envelope carries the DSN or its key")
	}
	if got.header.SentAt == nil || !got.header.SentAt.Equal(t0) || ev.Timestamp == nil || !ev.Timestamp.Equal(t0) {
		t.Errorf("sent_at %v, timestamp %v; want %v", got.header.SentAt, ev.Timestamp, t0)
	}
	if ev.Level != "error" {
		t.Errorf("level = %q, want error (a critical alert fires)", ev.Level)
	}
	if want := []string{"driftwatch", msg.GroupKey}; !slices.Equal(ev.Fingerprint, want) {
		t.Errorf("fingerprint = %q, want %q", ev.Fingerprint, want)
	}
	wantTags := map[string]string{"alertname": "FeatureDrift", "model": "search-rerank", "version": "42", "feature": "price",
		"test": "ks", "severity": "critical"}
	if !equalMaps(ev.Tags, wantTags) {
		t.Errorf("tags = %v, want %v (group labels and the labels of the firing alert)", ev.Tags, wantTags)
	}
	if ev.Environment != "production" || ev.Release != "search-rerank@42" || ev.ServerName != "rerank-sidecar" ||
		ev.Platform != "other" || ev.Logger != "driftwatch" {
		t.Errorf("environment %q, release %q, server_name %q, platform %q, logger %q",
			ev.Environment, ev.Release, ev.ServerName, ev.Platform, ev.Logger)
	}
	first, _, _ := strings.Cut(ev.Message, "\n")
	if first != "FeatureDrift model=search-rerank: search-rerank v42: feature price drifted (KS p<1e-9)" {
		t.Errorf("title line = %q", first)
	}
	if c := ev.Contexts["alert_2"]; c["state"] != "resolved" || c["rule"] != "FeatureDrift" {
		t.Errorf("alert_2 context = %v, want the resolved alert", c)
	}

	// A retry of the same notification has the same event ID; a later
	// notification of the group is another event in the same issue.
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	if id := fs.last(t).event.EventID; id != ev.EventID {
		t.Errorf("retry event_id %s, want %s", id, ev.EventID)
	}
	later := notifytest.SampleMessage()
	for _, a := range later.Alerts {
		a.LastEvaluated = a.LastEvaluated.Add(4 * time.Hour)
	}
	later.Receiver = "another-receiver"
	if err := n.Notify(context.Background(), later); err != nil {
		t.Fatal(err)
	}
	if ev2 := fs.last(t).event; ev2.EventID == ev.EventID || !slices.Equal(ev2.Fingerprint, ev.Fingerprint) {
		t.Errorf("repeat: event_id %s (first %s), fingerprint %q (first %q); want a new ID, the same fingerprint",
			ev2.EventID, ev.EventID, ev2.Fingerprint, ev.Fingerprint)
	}
	// Another group is another issue.
	other := notifytest.SampleMessage()
	other.GroupKey = `{}:{model="fraud"}`
	if err := n.Notify(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if fp := fs.last(t).event.Fingerprint; slices.Equal(fp, ev.Fingerprint) {
		t.Errorf("two groups share the fingerprint %q", fp)
	}
}

// TestDriftEvidence sends a dataset drift alert shaped like the one
// detectors/drift.Monitor makes and checks that the event Sentry receives
// carries its evidence, in the message and in the alert's context.
func TestDriftEvidence(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
	evidence := []obs.Field{
		{Key: "drifted_features", Value: "7"},
		{Key: "features", Value: "30"},
		{Key: "drift_share", Value: "0.2333"},
		{Key: "top_features", Value: "mean radius (0.41), worst area (0.38), mean texture (0.22)"},
		{Key: "top_feature", Value: "mean radius"},
		{Key: "test", Value: "ks"},
		{Key: "statistic", Value: "0.4125"},
		{Key: "p_value", Value: "3.2e-12"},
		{Key: "effect_size", Value: "0.41"},
		{Key: "reference_rows", Value: "398"},
		{Key: "current_rows", Value: "100"},
		{Key: "reference_window", Value: "2026-11-01T00:00:00Z/2026-11-15T00:00:00Z"},
	}
	a := &alert.Alert{
		Rule:        "model_drift",
		Labels:      obs.Labels{alert.NameLabel: "model_drift", "model": "breast-cancer", "version": "3"},
		Annotations: map[string]string{"summary": "breast-cancer drifted"},
		Severity:    obs.Warning,
		State:       alert.Firing,
		Value:       1,
		Samples:     100,
		Evidence:    evidence,
		FiredAt:     t0.Add(-time.Minute), LastEvaluated: t0,
	}
	m := &notify.Message{Receiver: "sentry", GroupKey: `0{model="breast-cancer"}`, GroupLabels: obs.Labels{"model": "breast-cancer"},
		Status: notify.StatusFiring, Alerts: []*alert.Alert{a}, DedupKey: "00c0ffee00c0ffee"}
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	ev := fs.last(t).event
	if ev.Level != "warning" || ev.Tags["model"] != "breast-cancer" || ev.Tags["version"] != "3" {
		t.Errorf("level %q, tags %v; want warning, model and version", ev.Level, ev.Tags)
	}
	ctx := ev.Contexts["alert_1"]
	got, _ := ctx["evidence"].(map[string]any)
	labels, _ := ctx["labels"].(map[string]any)
	if labels["model"] != "breast-cancer" || labels["version"] != "3" {
		t.Errorf("alert_1 labels = %v", labels)
	}
	for _, f := range evidence {
		if got[f.Key] != f.Value {
			t.Errorf("alert_1 evidence[%s] = %v, want %q", f.Key, got[f.Key], f.Value)
		}
		if !strings.Contains(ev.Message, f.Key+"="+f.Value) {
			t.Errorf("message lacks %s=%s:\n%s", f.Key, f.Value, ev.Message)
		}
	}
	if want := "evidence: " + joinEvidence(evidence); !strings.Contains(ev.Message, want) {
		t.Errorf("message does not keep the detector's order; want %q in:\n%s", want, ev.Message)
	}
	for _, s := range []string{"model=breast-cancer", "version=3", "samples: 100"} {
		if !strings.Contains(ev.Message, s) {
			t.Errorf("message lacks %q:\n%s", s, ev.Message)
		}
	}
	if ctx["samples"] != float64(100) || ctx["value"] != "1" {
		t.Errorf("alert_1 samples %v, value %v", ctx["samples"], ctx["value"])
	}
}

func joinEvidence(ev []obs.Field) string {
	parts := make([]string, len(ev))
	for i, f := range ev {
		parts[i] = f.Key + "=" + f.Value
	}
	return strings.Join(parts, ", ")
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		status    int
		retryable bool
		after     time.Duration
		reason    string
	}{
		{name: "429 Retry-After", reply: reply{status: 429, header: map[string]string{"Retry-After": "7"}},
			status: 429, retryable: true, after: 7 * time.Second},
		{name: "429 X-Sentry-Rate-Limits wins", reply: reply{status: 429, header: map[string]string{"Retry-After": "7",
			"X-Sentry-Rate-Limits": "600:transaction:key, 60:error;default:organization:usage_exceeded"}},
			status: 429, retryable: true, after: time.Minute, reason: "rate limit organization: usage_exceeded"},
		{name: "429 limit of all categories", reply: reply{status: 429, header: map[string]string{"X-Sentry-Rate-Limits": "30::key"}},
			status: 429, retryable: true, after: 30 * time.Second, reason: "rate limit key"},
		{name: "429 limit of other categories", reply: reply{status: 429, header: map[string]string{"X-Sentry-Rate-Limits": "30:transaction;span"}},
			status: 429, retryable: true, after: DefaultRateLimit},
		{name: "429 without a wait", reply: reply{status: 429}, status: 429, retryable: true, after: DefaultRateLimit},
		{name: "429 capped", reply: reply{status: 429, header: map[string]string{"X-Sentry-Rate-Limits": "86400:error"}},
			status: 429, retryable: true, after: notify.MaxRetryAfter},
		{name: "500", reply: reply{status: 500, body: "Internal Server Error"}, status: 500, retryable: true,
			reason: "Internal Server Error"},
		{name: "503 detail", reply: reply{status: 503, body: `{"detail":"service unavailable"}`}, status: 503, retryable: true,
			reason: "service unavailable"},
		{name: "400 detail", reply: reply{status: 400, body: `{"detail":"invalid event envelope","causes":["missing newline after header or payload"]}`},
			status: 400, reason: "invalid event envelope: missing newline after header or payload"},
		{name: "401", reply: reply{status: 401, body: `{"detail":"invalid api key"}`}, status: 401, reason: "invalid api key"},
		{name: "403", reply: reply{status: 403, body: `{"detail":"event submission rejected with_reason: ProjectId"}`},
			status: 403, reason: "event submission rejected with_reason: ProjectId"},
		{name: "413", reply: reply{status: 413, body: `{"detail":"envelope exceeded size limits"}`}, status: 413,
			reason: "envelope exceeded size limits"},
		{name: "404 text", reply: reply{status: 404, body: "no such\nproject"}, status: 404, reason: "no such project"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFakeSentry(t, testKey).then(tt.reply)
			n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
			err := n.Notify(context.Background(), notifytest.SampleMessage())
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Fatalf("Notify = %v, want a *notify.Error", err)
			}
			if e.Status != tt.status || e.Retryable != tt.retryable || e.RetryAfter != tt.after {
				t.Errorf("Notify = %v: status %d, retryable %t after %s; want %d, %t after %s",
					err, e.Status, e.Retryable, e.RetryAfter, tt.status, tt.retryable, tt.after)
			}
			if ok, after := notify.Retryable(err); ok != tt.retryable || after != tt.after {
				t.Errorf("Retryable = %t, %s", ok, after)
			}
			if !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Reason = %q, want %q in it", e.Reason, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "sentry: status ") {
				t.Errorf("error %q does not start with the package and the status", err)
			}
			if c := fs.count(); c != 1 {
				t.Errorf("%d requests, want 1 (notifiers try once)", c)
			}
		})
	}
}

func TestTransportFailures(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		n := newTest(t, Config{DSN: testDSN(srv.URL, testKey), Timeout: 100 * time.Millisecond}, nil, nil)
		err := n.Notify(context.Background(), notifytest.SampleMessage())
		assertTransport(t, err)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Notify = %v, want a deadline exceeded in its chain", err)
		}
	})
	t.Run("connection reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			conn.Close()
		}))
		defer srv.Close()
		n := newTest(t, Config{DSN: testDSN(srv.URL, testKey)}, nil, nil)
		assertTransport(t, n.Notify(context.Background(), notifytest.SampleMessage()))
	})
	t.Run("cancelled", func(t *testing.T) {
		fs := newFakeSentry(t, testKey)
		n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := n.Notify(ctx, notifytest.SampleMessage())
		if ok, _ := notify.Retryable(err); ok || !errors.Is(err, context.Canceled) {
			t.Errorf("Notify = %v, want context.Canceled, not retryable", err)
		}
	})
}

func assertTransport(t *testing.T, err error) {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) || !e.Retryable || e.Status != 0 {
		t.Fatalf("Notify = %v, want a retryable transport *notify.Error", err)
	}
	if strings.Contains(err.Error(), testKey) {
		t.Errorf("error leaks the key: %v", err)
	}
}

// TestRateLimitKept: a rate limit announced on an accepted event, or by a
// 429, holds later events back without a request until it ends.
func TestRateLimitKept(t *testing.T) {
	now := t0
	clock := func() time.Time { return now }
	var logs bytes.Buffer
	l := slog.New(slog.NewTextHandler(&logs, nil))

	fs := newFakeSentry(t, testKey).then(reply{status: 200, header: map[string]string{"X-Sentry-Rate-Limits": "120:error:organization"},
		body: `{"id":"x"}`})
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, l, clock)
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatalf("Notify = %v, want nil: Sentry took the event", err)
	}
	if !strings.Contains(logs.String(), "rate limited") || strings.Contains(logs.String(), testKey) {
		t.Errorf("log = %q, want the rate limit and no key", logs.String())
	}
	now = now.Add(30*time.Second + time.Millisecond)
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	if ok, after := notify.Retryable(err); !ok || after != 90*time.Second {
		t.Errorf("Notify during the limit = %v: retryable %t after %s, want after 1m30s", err, ok, after)
	}
	if c := fs.count(); c != 1 {
		t.Errorf("%d requests, want 1: none during the limit", c)
	}
	now = t0.Add(120 * time.Second)
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatalf("Notify after the limit = %v", err)
	}

	fs.then(reply{status: 429, header: map[string]string{"Retry-After": "7"}})
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err == nil {
		t.Fatal("Notify = nil, want the 429")
	}
	now = now.Add(2 * time.Second)
	if ok, after := notify.Retryable(n.Notify(context.Background(), notifytest.SampleMessage())); !ok || after != 5*time.Second {
		t.Errorf("after a 429: retryable %t after %s, want after 5s", ok, after)
	}
	if c := fs.count(); c != 3 {
		t.Errorf("%d requests, want 3", c)
	}
}

func TestResolvedOnlySendsNothing(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
	m := notifytest.SampleMessage()
	m.Alerts[0].State, m.Alerts[0].ResolvedAt = alert.Resolved, m.Alerts[0].LastEvaluated
	m.Status = notify.StatusOf(m.Alerts)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify = %v, want nil", err)
	}
	if c := fs.count(); c != 0 {
		t.Errorf("%d requests for a resolved group, want 0", c)
	}
}

func TestEventID(t *testing.T) {
	id, ok := eventID(notifytest.SampleMessage())
	if !ok || !hexID.MatchString(string(id)) || id[12] != '8' || !strings.ContainsRune("89ab", rune(id[16])) {
		t.Fatalf("eventID = %q, %t; want a version 8 UUID in 32 hex digits", id, ok)
	}
	if again, _ := eventID(notifytest.SampleMessage()); again != id {
		t.Errorf("eventID is not stable: %s, %s", id, again)
	}
	m := notifytest.SampleMessage()
	m.DedupKey = "team-ml/3f2a9c1e7b4d5a60/2"
	if other, _ := eventID(m); other == id {
		t.Error("another dedup key gives the same ID")
	}
	m = notifytest.SampleMessage()
	m.Alerts[1].LastEvaluated = m.Alerts[1].LastEvaluated.Add(time.Second)
	if other, _ := eventID(m); other == id {
		t.Error("a later evaluation gives the same ID")
	}
	m.DedupKey = ""
	if _, ok := eventID(m); ok {
		t.Error("eventID without a dedup key")
	}
	// Without one, the ID source decides.
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := fs.last(t).event.EventID; got != "00000000000040008000000000000001" {
		t.Errorf("event_id = %s, want the injected one", got)
	}
	a, b := randomID(), randomID()
	if a == b || !hexID.MatchString(string(a)) || a[12] != '4' {
		t.Errorf("randomID = %s, %s", a, b)
	}
}

func TestLevels(t *testing.T) {
	al := func(sev obs.Severity, label string) *alert.Alert {
		a := &alert.Alert{Rule: "r", Labels: obs.Labels{alert.NameLabel: "r"}, Severity: sev, State: alert.Firing}
		if label != "" {
			a.Labels["severity"] = label
		}
		return a
	}
	tests := []struct {
		name   string
		alerts []*alert.Alert
		want   sentrygo.Level
	}{
		{"critical label", []*alert.Alert{al(obs.Warning, "critical")}, sentrygo.LevelError},
		{"warning label", []*alert.Alert{al(obs.Critical, "warning")}, sentrygo.LevelWarning},
		{"info label, any case", []*alert.Alert{al(obs.Critical, " INFO ")}, sentrygo.LevelInfo},
		{"unknown label: severity", []*alert.Alert{al(obs.Critical, "page")}, sentrygo.LevelError},
		{"critical", []*alert.Alert{al(obs.Critical, "")}, sentrygo.LevelError},
		{"warning", []*alert.Alert{al(obs.Warning, "")}, sentrygo.LevelWarning},
		{"info", []*alert.Alert{al(obs.Info, "")}, sentrygo.LevelInfo},
		{"ok", []*alert.Alert{al(obs.OK, "")}, sentrygo.LevelInfo},
		{"most severe wins", []*alert.Alert{al(obs.Info, ""), al(obs.Critical, ""), al(obs.Warning, "")}, sentrygo.LevelError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := level(tt.alerts); got != tt.want {
				t.Errorf("level = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTagKeyValue(t *testing.T) {
	k := func(in, want string) {
		t.Helper()
		if got := tagKey(in); got != want {
			t.Errorf("tagKey(%q) = %q, want %q", in, got, want)
		}
	}
	k("model", "model")
	k("Team:ML-1.x", "Team:ML-1.x")
	k("zone name", "zone_name")
	k("größe", "gr__e")
	k("environment", "label.environment")
	k("Release", "label.Release")
	k("sentry:user", "label.sentry:user")
	k(strings.Repeat("k", 40), strings.Repeat("k", MaxTagKey))
	k("", "")
	v := func(in, want string) {
		t.Helper()
		if got := tagValue(in); got != want {
			t.Errorf("tagValue(%q) = %q, want %q", in, got, want)
		}
	}
	v("search-rerank", "search-rerank")
	v(" two\nlines\t ", "two lines")
	v("größe", "größe")
	v(strings.Repeat("é", 300), strings.Repeat("é", MaxTagValue-1)+"…")
	v("\n", "")
}

func TestTags(t *testing.T) {
	m := notifytest.SampleMessage()
	m.GroupLabels = obs.Labels{"model": "search-rerank", "environment": "prod", "empty": " "}
	m.Alerts[0].Labels["zone name"] = "eu\nwest"
	m.Alerts[0].Labels["zone_name"] = "not this one"
	got := tags(m, m.Firing())
	want := map[string]string{"model": "search-rerank", "label.environment": "prod", "alertname": "FeatureDrift",
		"version": "42", "feature": "price", "test": "ks", "severity": "critical", "zone_name": "eu west"}
	if !equalMaps(got, want) {
		t.Errorf("tags = %v, want %v", got, want)
	}
	// Labels that differ between firing alerts are not tags.
	two := m.Alerts[0]
	b := *two
	b.Labels = obs.Labels{alert.NameLabel: "FeatureDrift", "model": "search-rerank", "feature": "qty"}
	got = tags(m, []*alert.Alert{two, &b})
	if _, ok := got["feature"]; ok || got["alertname"] != "FeatureDrift" {
		t.Errorf("tags of two alerts = %v, want alertname and not feature", got)
	}
}

// TestLimits: a group of many alerts with long labels still makes an
// event that the fake Sentry accepts, within the limits.
func TestLimits(t *testing.T) {
	m := notifytest.SampleMessage()
	long := strings.Repeat("very long label value ", 30)
	m.GroupLabels = obs.Labels{"model": long, strings.Repeat("k", 50): "v"}
	for i := range 300 {
		a := *m.Alerts[0]
		a.Labels = obs.Labels{alert.NameLabel: "FeatureDrift", "model": long, "feature": fmt.Sprintf("f%03d\nx", i)}
		a.Annotations = map[string]string{"summary": long, "description": strings.Repeat("d", 5000)}
		m.Alerts = append(m.Alerts, &a)
	}
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	ev := fs.last(t).event
	if c := utf8.RuneCountInString(ev.Message); c > MaxMessage {
		t.Errorf("message has %d characters, want ≤ %d", c, MaxMessage)
	}
	if !strings.Contains(ev.Message, "more alerts, not shown.") {
		t.Error("message does not count the alerts left out")
	}
	if len(ev.Contexts) != MaxAlertContexts+1 || ev.Contexts["driftwatch"]["alerts_without_context"] != float64(len(m.Alerts)-MaxAlertContexts) {
		t.Errorf("%d contexts, driftwatch %v", len(ev.Contexts), ev.Contexts["driftwatch"])
	}
	if first, _, _ := strings.Cut(ev.Message, "\n"); utf8.RuneCountInString(first) > maxTitle || !strings.HasSuffix(first, "…") {
		t.Errorf("title line %q is not cut to %d characters", first, maxTitle)
	}
}

// TestKeyNeverInErrors has Sentry echo the auth header in its answer.
func TestKeyNeverInErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"detail":"key not valid: %s"}`, strings.ReplaceAll(r.Header.Get("X-Sentry-Auth"), `"`, ""))
	}))
	defer srv.Close()
	dsn := "http://" + testKey + ":" + testSecret + "@" + strings.TrimPrefix(srv.URL, "http://") + "/" + testProj
	n := newTest(t, Config{DSN: notify.Secret(dsn)}, nil, nil)
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	if err == nil || !strings.Contains(err.Error(), "key not valid") {
		t.Fatalf("Notify = %v, want Sentry's detail", err)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret) {
		t.Errorf("error leaks a key: %v", err)
	}
	if ok, _ := notify.Retryable(err); ok {
		t.Errorf("Notify = %v: retryable, want permanent", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{name: "ok literal", cfg: Config{DSN: "https://" + testKey + "@o12.ingest.sentry.io/4507"}},
		{name: "ok full", cfg: Config{DSN: "env:SENTRY_DSN", Environment: "production", Release: "search-rerank@42",
			ServerName: "pod-7", Timeout: time.Second}},
		{name: "ok file, self-hosted path", cfg: Config{DSN: "file:/run/secrets/sentry"}},
		{name: "missing dsn", cfg: Config{}, err: "dsn is required"},
		{name: "dsn not a url", cfg: Config{DSN: "http://" + testKey + "@host:80x/1"}, err: "dsn is not a valid URL"},
		{name: "dsn scheme", cfg: Config{DSN: "ftp://" + testKey + "@host/1"}, err: "dsn scheme is not http or https"},
		{name: "dsn no key", cfg: Config{DSN: "https://host/1"}, err: "dsn has no public key (https://<key>@<host>/<project id>)"},
		{name: "dsn no project", cfg: Config{DSN: "https://" + testKey + "@host/"}, err: "dsn has no project id"},
		{name: "dsn project not a number", cfg: Config{DSN: "https://" + testKey + "@host/" + testKey}, err: "dsn has a project id that is not a number"},
		{name: "environment space", cfg: Config{DSN: "env:X", Environment: "prod eu"}, err: `environment "prod eu" contains white space or '/'`},
		{name: "environment None", cfg: Config{DSN: "env:X", Environment: "None"}, err: `environment "None" is reserved by Sentry`},
		{name: "environment long", cfg: Config{DSN: "env:X", Environment: strings.Repeat("e", 65)},
			err: `environment "` + strings.Repeat("e", 65) + `" is longer than 64 characters`},
		{name: "release slash", cfg: Config{DSN: "env:X", Release: "a/b"}, err: `release "a/b" contains a control character, '/' or '\'`},
		{name: "release dot", cfg: Config{DSN: "env:X", Release: ".."}, err: `release ".." is reserved by Sentry`},
		{name: "server_name newline", cfg: Config{DSN: "env:X", ServerName: "a\nb"}, err: `server_name "a\nb" contains a control character`},
		{name: "negative timeout", cfg: Config{DSN: "env:X", Timeout: -time.Second}, err: "timeout -1s is negative"},
		{name: "several", cfg: Config{Release: ".", Timeout: -time.Second},
			err: "dsn is required\nrelease \".\" is reserved by Sentry\ntimeout -1s is negative"},
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
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("Validate leaks the key: %v", err)
			}
		})
	}
}

func TestNewErrorsHideKey(t *testing.T) {
	t.Setenv("DW_SENTRY_EMPTY", " ")
	t.Setenv("DW_SENTRY_BAD", "http://"+testKey+"@host:80x/1")
	for _, cfg := range []Config{
		{DSN: "env:DW_SENTRY_UNSET"},
		{DSN: "env:DW_SENTRY_EMPTY"},
		{DSN: "env:DW_SENTRY_BAD"},
		{DSN: "file:/nonexistent/" + testKey},
		{DSN: notify.Secret("https://" + testKey + "@host/not-a-number")},
	} {
		_, err := New(&cfg, nil)
		if err == nil {
			t.Fatalf("New(%v) succeeded", cfg)
		}
		if cfg.DSN.Reveal() != "file:/nonexistent/"+testKey && strings.Contains(err.Error(), testKey) {
			t.Errorf("New error leaks the key: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "sentry: dsn") {
			t.Errorf("New error %q does not name the field", err)
		}
	}
}

func TestConfigDoesNotPrintDSN(t *testing.T) {
	c := Config{DSN: notify.Secret("https://" + testKey + "@o1.ingest.sentry.io/1"), Environment: "production"}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c), string(b), string(y)} {
		if strings.Contains(s, testKey) {
			t.Errorf("Config prints its DSN: %s", s)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = "dsn: env:SENTRY_DSN\nenvironment: production\nrelease: search-rerank@42\nserver_name: rerank-sidecar\ntimeout: 5s\n"
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.DSN.Reveal() != "env:SENTRY_DSN" || c.Environment != "production" || c.Release != "search-rerank@42" ||
		c.ServerName != "rerank-sidecar" || c.Timeout != 5*time.Second {
		t.Errorf("decoded %#v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	dec = yaml.NewDecoder(strings.NewReader("dsn: env:SENTRY_DSN\nproject: 1\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&Config{}); err == nil {
		t.Error("an unknown field decodes")
	}
}

func TestRateLimitHeader(t *testing.T) {
	f := func(v string, want time.Duration, why string) {
		t.Helper()
		h := http.Header{}
		if v != "" {
			h.Set("X-Sentry-Rate-Limits", v)
		}
		got, gotWhy := rateLimit(h)
		if got != want || gotWhy != why {
			t.Errorf("rateLimit(%q) = %s, %q; want %s, %q", v, got, gotWhy, want, why)
		}
	}
	f("", 0, "")
	f("60:error", time.Minute, "")
	f("60:transaction", 0, "")
	f("60", time.Minute, "")
	f("2.1:default;security:project", 3*time.Second, "project")
	f("10:error:org:quota_exceeded:ns, 20::key:over", 20*time.Second, "key: over")
	f("-5:error, x:error, NaN:error", 0, "")
	f("1e9:error", notify.MaxRetryAfter, "")
}

func TestDetail(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		if got := detail([]byte(body)); got != want {
			t.Errorf("detail(%q) = %q, want %q", body, got, want)
		}
	}
	f(`{"detail":"invalid event envelope","causes":["EOF while parsing","EOF while parsing"]}`, "invalid event envelope: EOF while parsing")
	f(`{"error":"bad"}`, "bad")
	f(`{"detail":"two\nlines"}`, "two lines")
	f(`{}`, "")
	f(`plain text`, "")
	f(`["a"]`, "")
	f(`{"detail":"`+strings.Repeat("x", 300)+`"}`, strings.Repeat("x", maxValue-1)+"…")
}

func TestValueNaN(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil)
	m := notifytest.SampleMessage()
	m.Alerts[0].Value = nanValue()
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify with a NaN value = %v", err)
	}
	if v := fs.last(t).event.Contexts["alert_1"]["value"]; v != "NaN" {
		t.Errorf("value = %v, want \"NaN\"", v)
	}
}

func nanValue() float64 {
	v, _ := strconv.ParseFloat("NaN", 64)
	return v
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestFakeRefuses checks the fake itself: a wrong key, a wrong project, a
// missing auth header and malformed envelopes are refused as Sentry
// refuses them.
func TestFakeRefuses(t *testing.T) {
	fs := newFakeSentry(t, testKey)
	n := newTest(t, Config{DSN: testDSN(fs.url, "0123456789abcdef0123456789abcdef")}, nil, nil)
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	var e *notify.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnauthorized || e.Retryable || e.Reason != "invalid api key" {
		t.Errorf("wrong key: Notify = %v, want permanent 401 invalid api key", err)
	}
	n = newTest(t, Config{DSN: notify.Secret(strings.Replace(testDSN(fs.url, testKey).Reveal(), testProj, "1", 1))}, nil, nil)
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); !errors.As(err, &e) || e.Status != http.StatusNotFound {
		t.Errorf("wrong project: Notify = %v, want 404", err)
	}

	good, err := envelope(newTest(t, Config{DSN: testDSN(fs.url, testKey)}, nil, nil).event(notifytest.SampleMessage(), t0), t0)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(good), "\n", 3)
	tests := []struct {
		name   string
		auth   string
		body   string
		status int
		detail string
	}{
		{name: "good", body: string(good), status: 200},
		{name: "query key", auth: "-", body: string(good), status: 401, detail: "missing authorization information"},
		{name: "old protocol", auth: "Sentry sentry_version=6, sentry_client=x/1, sentry_key=" + testKey, body: string(good),
			status: 401, detail: "unsupported protocol version"},
		{name: "no client", auth: "Sentry sentry_version=7, sentry_key=" + testKey, body: string(good), status: 401,
			detail: "missing sentry_client"},
		{name: "no header line", body: "{}", status: 400, detail: "envelope has no header line"},
		{name: "bad event_id", body: `{"event_id":"x"}` + "\n" + lines[1] + "\n" + lines[2], status: 400,
			detail: "event_id is not 32 hex digits"},
		{name: "not an event", body: lines[0] + "\n" + strings.Replace(lines[1], `"event"`, `"transaction"`, 1) + "\n" + lines[2],
			status: 400, detail: "item type transaction is not event"},
		{name: "short payload", body: lines[0] + "\n" + lines[1] + "\n" + lines[2][:20], status: 400,
			detail: "is beyond the envelope's end"},
		{name: "newline in a tag", body: newlineInTag(t, string(good)), status: 400, detail: "invalid tag value of version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, fs.url+"/api/"+testProj+"/envelope/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-sentry-envelope")
			switch tt.auth {
			case "":
				req.Header.Set("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=test/1, sentry_key="+testKey)
			case "-":
				req.URL.RawQuery = "sentry_key=wrong"
			default:
				req.Header.Set("X-Sentry-Auth", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.detail) {
				t.Errorf("answer %d %s, want %d %q", resp.StatusCode, b, tt.status, tt.detail)
			}
		})
	}
}

// newlineInTag replaces the value of the tag "version" in an envelope,
// "42", by an escaped newline of the same length.
func newlineInTag(t *testing.T, env string) string {
	t.Helper()
	const tag = `"version":"42"`
	i := strings.LastIndex(env, tag) // the tags come after the contexts
	if i < 0 || !strings.Contains(env[:i], `"tags":{`) {
		t.Fatalf("no version tag in %s", env)
	}
	return env[:i] + `"version":"\n"` + env[i+len(tag):]
}
