package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T, url string) notify.Notifier {
		n, err := New(&Config{URL: notify.Secret(url), MinInterval: time.Millisecond}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}, notifytest.Options{OK: notifytest.Response{Status: http.StatusOK, Body: "ok"}})
}

func TestGolden(t *testing.T) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(NewPayload(notifytest.SampleMessage(), Config{})); err != nil {
		t.Fatal(err)
	}
	notifytest.Golden(t, filepath.Join("testdata", "sample.json"), b.Bytes(), *update)
}

// slackMessage is what the fake accepts: the fields of an incoming
// webhook's payload that this package sends. Decoding with
// DisallowUnknownFields catches anything else.
type slackMessage struct {
	Text      *string      `json:"text"`
	Blocks    []slackBlock `json:"blocks"`
	Channel   string       `json:"channel"`
	Username  string       `json:"username"`
	IconEmoji string       `json:"icon_emoji"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text"`
	Fields   []slackText `json:"fields"`
	Elements []slackText `json:"elements"`
}

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji"`
}

// fakeSlack is an incoming webhook that validates like Slack's and
// records what it accepted and when.
type fakeSlack struct {
	mu       sync.Mutex
	messages []slackMessage
	times    []time.Time
}

func (f *fakeSlack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	answer := func(status int, body string) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
	if r.Method != http.MethodPost {
		answer(http.StatusBadRequest, "invalid_payload")
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		answer(http.StatusBadRequest, "invalid_payload")
		return
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	var m slackMessage
	if err := dec.Decode(&m); err != nil {
		answer(http.StatusBadRequest, "invalid_payload")
		return
	}
	if m.Text == nil || strings.TrimSpace(*m.Text) == "" {
		answer(http.StatusBadRequest, "no_text")
		return
	}
	if problem := validateBlocks(m.Blocks); problem != "" {
		answer(http.StatusBadRequest, "invalid_blocks")
		return
	}
	f.mu.Lock()
	f.messages = append(f.messages, m)
	f.times = append(f.times, time.Now())
	f.mu.Unlock()
	answer(http.StatusOK, "ok")
}

func (f *fakeSlack) last(t *testing.T) slackMessage {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.messages) == 0 {
		t.Fatal("the fake got no message")
	}
	return f.messages[len(f.messages)-1]
}

func chars(s string) int { return utf8.RuneCountInString(s) }

// validateBlocks checks blocks against Block Kit's rules for the block
// types this package uses; it returns "" when they are well-formed.
func validateBlocks(blocks []slackBlock) string {
	if len(blocks) > 50 {
		return fmt.Sprintf("%d blocks, more than 50", len(blocks))
	}
	for i, b := range blocks {
		switch b.Type {
		case "header":
			switch {
			case b.Text == nil || b.Text.Type != "plain_text":
				return fmt.Sprintf("block %d: header text must be plain_text", i)
			case b.Text.Text == "" || chars(b.Text.Text) > 150:
				return fmt.Sprintf("block %d: header text has %d characters, want 1 to 150", i, chars(b.Text.Text))
			case b.Fields != nil || b.Elements != nil:
				return fmt.Sprintf("block %d: header has fields or elements", i)
			}
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				return fmt.Sprintf("block %d: section has neither text nor fields", i)
			}
			if b.Text != nil {
				if b.Text.Type != "mrkdwn" {
					return fmt.Sprintf("block %d: section text must be mrkdwn", i)
				}
				if b.Text.Text == "" || chars(b.Text.Text) > 3000 {
					return fmt.Sprintf("block %d: section text has %d characters, want 1 to 3000", i, chars(b.Text.Text))
				}
			}
			if len(b.Fields) > 10 {
				return fmt.Sprintf("block %d: %d fields, more than 10", i, len(b.Fields))
			}
			for j, f := range b.Fields {
				if (f.Type != "mrkdwn" && f.Type != "plain_text") || f.Text == "" || chars(f.Text) > 2000 {
					return fmt.Sprintf("block %d: field %d is not a text of 1 to 2000 characters", i, j)
				}
			}
			if b.Elements != nil {
				return fmt.Sprintf("block %d: section has elements", i)
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				return fmt.Sprintf("block %d: context has %d elements, want 1 to 10", i, len(b.Elements))
			}
			for j, e := range b.Elements {
				if (e.Type != "mrkdwn" && e.Type != "plain_text") || e.Text == "" || chars(e.Text) > 3000 {
					return fmt.Sprintf("block %d: element %d is not a text of 1 to 3000 characters", i, j)
				}
			}
			if b.Text != nil || b.Fields != nil {
				return fmt.Sprintf("block %d: context has text or fields", i)
			}
		case "divider":
			if b.Text != nil || b.Fields != nil || b.Elements != nil {
				return fmt.Sprintf("block %d: divider has content", i)
			}
		default:
			return fmt.Sprintf("block %d: unknown type %q", i, b.Type)
		}
	}
	return ""
}

// newFake starts a fake Slack on 127.0.0.1 and returns it with a webhook
// URL of its own (so that pacing in other tests does not interfere).
func newFake(t *testing.T) (*fakeSlack, string) {
	t.Helper()
	f := &fakeSlack{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL + "/services/T000/B000/" + strings.ReplaceAll(t.Name(), "/", "_")
}

func newNotifier(t *testing.T, cfg Config) *Notifier {
	t.Helper()
	n, err := New(&cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFakeSlackAcceptsSample(t *testing.T) {
	f, u := newFake(t)
	n := newNotifier(t, Config{URL: notify.Secret(u), Channel: "#ml-alerts", Username: "driftwatch", IconEmoji: ":chart:"})
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	m := f.last(t)
	if m.Channel != "#ml-alerts" || m.Username != "driftwatch" || m.IconEmoji != ":chart:" {
		t.Errorf("overrides = %q %q %q", m.Channel, m.Username, m.IconEmoji)
	}
	if len(m.Blocks) != 4 {
		t.Fatalf("%d blocks, want header, 2 sections and the link", len(m.Blocks))
	}
	if h := m.Blocks[0].Text.Text; !strings.Contains(h, "FIRING") || !strings.Contains(h, "model=search-rerank") {
		t.Errorf("header = %q", h)
	}
	price, qty := m.Blocks[1], m.Blocks[2]
	for _, want := range []string{"FIRING", "critical", "KS p&lt;1e-9", "model `search-rerank`", "version `42`", "feature `price`"} {
		if !strings.Contains(price.Text.Text, want) {
			t.Errorf("price section lacks %q: %s", want, price.Text.Text)
		}
	}
	if !strings.Contains(qty.Text.Text, "RESOLVED") || !strings.Contains(qty.Text.Text, "resolved 2026-11-22 06:59 UTC") {
		t.Errorf("qty section is not shown resolved: %s", qty.Text.Text)
	}
	var keys []string
	for _, fl := range price.Fields {
		k, _, _ := strings.Cut(fl.Text, "\n")
		keys = append(keys, strings.Trim(k, "*"))
	}
	want := []string{"test", "statistic", "p value", "effect size", "n reference", "n current", "reference window"}
	if fmt.Sprint(keys) != fmt.Sprint(want) {
		t.Errorf("evidence fields %q, want %q (the detector's order)", keys, want)
	}
	if link := m.Blocks[3].Elements[0].Text; !strings.Contains(link, "<http://driftwatch.example:9090|") {
		t.Errorf("context = %q, want a link to the external URL", link)
	}
	if !strings.Contains(*m.Text, "FIRING: model=search-rerank") || !strings.Contains(*m.Text, "feature price drifted") {
		t.Errorf("text = %q", *m.Text)
	}
}

func TestFakeSlackRejects(t *testing.T) {
	long := strings.Repeat("x", 151)
	tests := []struct {
		name, body, want string
	}{
		{"not json", "{", "invalid_payload"},
		{"no text", `{"blocks":[]}`, "no_text"},
		{"empty text", `{"text":" "}`, "no_text"},
		{"unknown block", `{"text":"t","blocks":[{"type":"image"}]}`, "invalid_blocks"},
		{"long header", `{"text":"t","blocks":[{"type":"header","text":{"type":"plain_text","text":"` + long + `"}}]}`, "invalid_blocks"},
		{"mrkdwn header", `{"text":"t","blocks":[{"type":"header","text":{"type":"mrkdwn","text":"h"}}]}`, "invalid_blocks"},
		{"empty section", `{"text":"t","blocks":[{"type":"section"}]}`, "invalid_blocks"},
		{"11 fields", `{"text":"t","blocks":[{"type":"section","fields":[` + strings.TrimSuffix(strings.Repeat(`{"type":"mrkdwn","text":"f"},`, 11), ",") + `]}]}`, "invalid_blocks"},
		{"51 blocks", `{"text":"t","blocks":[` + strings.TrimSuffix(strings.Repeat(`{"type":"divider"},`, 51), ",") + `]}`, "invalid_blocks"},
	}
	f, u := newFake(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(u, "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer notify.Drain(resp)
			var b bytes.Buffer
			_, _ = b.ReadFrom(resp.Body)
			if resp.StatusCode != http.StatusBadRequest || b.String() != tt.want {
				t.Errorf("answer %d %q, want 400 %q", resp.StatusCode, b.String(), tt.want)
			}
		})
	}
	if len(f.messages) != 0 {
		t.Errorf("the fake accepted %d bad messages", len(f.messages))
	}
}

func TestAnswers(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		retryAfter string
		wantNil    bool
		retryable  bool
		after      time.Duration
		reason     string
	}{
		{name: "ok", status: 200, body: "ok", wantNil: true},
		{name: "200 not ok", status: 200, body: "  something\nelse ", reason: "something else"},
		{name: "invalid_payload", status: 400, body: "invalid_payload", reason: "invalid_payload"},
		{name: "invalid_blocks", status: 400, body: "invalid_blocks", reason: "invalid_blocks"},
		{name: "no_text", status: 400, body: "no_text", reason: "no_text"},
		{name: "action_prohibited", status: 403, body: "action_prohibited", reason: "action_prohibited"},
		{name: "channel_not_found", status: 404, body: "channel_not_found", reason: "channel_not_found"},
		{name: "no_service", status: 404, body: "no_service", reason: "no_service"},
		{name: "channel_is_archived", status: 410, body: "channel_is_archived", reason: "channel_is_archived"},
		{name: "429 Retry-After", status: 429, body: "rate_limited", retryAfter: "30", retryable: true, after: 30 * time.Second, reason: "rate_limited"},
		{name: "500", status: 500, body: "internal_error", retryable: true, reason: "internal_error"},
		{name: "503", status: 503, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = r.Body.Read(make([]byte, 1))
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			n := newNotifier(t, Config{URL: notify.Secret(srv.URL + "/services/" + notifytest.SecretPath), MinInterval: time.Millisecond})
			err := n.Notify(context.Background(), notifytest.SampleMessage())
			if tt.wantNil {
				if err != nil {
					t.Fatalf("Notify = %v, want nil", err)
				}
				return
			}
			var e *notify.Error
			if !errors.As(err, &e) {
				t.Fatalf("Notify = %v, want a *notify.Error", err)
			}
			retry, after := notify.Retryable(err)
			if retry != tt.retryable || after != tt.after || e.Status != tt.status || e.Reason != tt.reason {
				t.Errorf("Notify = %v: retryable %t after %s status %d reason %q; want %t %s %d %q",
					err, retry, after, e.Status, e.Reason, tt.retryable, tt.after, tt.status, tt.reason)
			}
			notifytest.AssertNoSecret(t, "error", err.Error())
		})
	}
}

func TestReasonHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("posted to " + r.URL.Path))
	}))
	defer srv.Close()
	n := newNotifier(t, Config{URL: notify.Secret(srv.URL + "/services/" + notifytest.SecretPath), MinInterval: time.Millisecond})
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	if err == nil {
		t.Fatal("Notify = nil, want an error")
	}
	notifytest.AssertNoSecret(t, "error", err.Error())
}

func TestPacing(t *testing.T) {
	const interval = 200 * time.Millisecond
	f, u := newFake(t)
	// Two notifiers (two receivers) with the same webhook share its pace.
	a := newNotifier(t, Config{URL: notify.Secret(u), MinInterval: interval})
	b := newNotifier(t, Config{URL: notify.Secret(u), MinInterval: interval})
	for _, n := range []*Notifier{a, b, a} {
		if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
			t.Fatal(err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := 1; i < len(f.times); i++ {
		if gap := f.times[i].Sub(f.times[i-1]); gap < interval*8/10 {
			t.Errorf("message %d came %s after the previous one, want ≥ %s", i, gap, interval*8/10)
		}
	}
}

func TestPacingRespectsContext(t *testing.T) {
	f, u := newFake(t)
	n := newNotifier(t, Config{URL: notify.Secret(u), MinInterval: time.Hour})
	if err := n.Notify(context.Background(), notifytest.SampleMessage()); err != nil {
		t.Fatal(err)
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := n.Notify(ctx, notifytest.SampleMessage())
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Notify returned %s after cancel", took)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Notify = %v, want context.Canceled", err)
		}
		if ok, _ := notify.Retryable(err); ok {
			t.Errorf("Notify = %v: retryable after cancel", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		err := n.Notify(ctx, notifytest.SampleMessage())
		if ok, _ := notify.Retryable(err); !ok || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Notify = %v, want a retryable deadline error", err)
		}
	})
	if got := len(f.messages); got != 1 {
		t.Errorf("the fake got %d messages, want 1", got)
	}
}

func TestTruncation(t *testing.T) {
	msg := &notify.Message{
		Receiver:    "team-ml",
		GroupKey:    "g",
		GroupLabels: obs.Labels{"model": strings.Repeat("m", 300)},
		ExternalURL: "http://driftwatch.example:9090",
	}
	var evidence []obs.Field
	for i := range 14 {
		evidence = append(evidence, obs.Field{Key: fmt.Sprintf("top_feature_%d", i), Value: strings.Repeat("v&", 1500)})
	}
	for i := range 30 {
		st := alert.Firing
		if i%3 == 0 {
			st = alert.Resolved
		}
		msg.Alerts = append(msg.Alerts, &alert.Alert{
			Rule:        "FeatureDrift",
			Labels:      obs.Labels{"model": "m", "feature": fmt.Sprintf("f%d", i)},
			Annotations: map[string]string{"summary": strings.Repeat("<drift> ", 500)},
			Severity:    obs.Warning,
			State:       st,
			Evidence:    evidence,
		})
	}
	msg.Status = notify.StatusOf(msg.Alerts)

	tests := []struct {
		name       string
		maxAlerts  int
		wantBlocks int
		wantMore   string
	}{
		// Each alert's 14 fields take two sections while blocks are left.
		{name: "default", wantBlocks: 1 + 10*2 + 1 + 1, wantMore: "and 20 more (14 firing, 6 resolved)"},
		{name: "all", maxAlerts: MaxAlertsLimit, wantBlocks: 1 + 30 + (maxBlocks - 3 - 30) + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, u := newFake(t)
			n := newNotifier(t, Config{URL: notify.Secret(u), MaxAlerts: tt.maxAlerts})
			if err := n.Notify(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			m := f.last(t)
			if len(m.Blocks) != tt.wantBlocks {
				t.Errorf("%d blocks, want %d", len(m.Blocks), tt.wantBlocks)
			}
			if h := m.Blocks[0].Text.Text; chars(h) != 150 || !strings.HasSuffix(h, "…") {
				t.Errorf("header of %d characters not cut with …: %q", chars(h), h)
			}
			s := m.Blocks[1]
			if chars(s.Text.Text) != 3000 || !strings.HasSuffix(s.Text.Text, "…") {
				t.Errorf("section text of %d characters not cut with …", chars(s.Text.Text))
			}
			if len(s.Fields) != 10 || !strings.HasPrefix(s.Fields[9].Text, "*top feature 9*") {
				t.Errorf("%d fields, last %q; want the first 10", len(s.Fields), s.Fields[len(s.Fields)-1].Text)
			}
			if rest := m.Blocks[2]; rest.Type != "section" || rest.Text != nil || len(rest.Fields) != 4 {
				t.Errorf("second block %+v, want a section of the 4 other fields", rest)
			}
			if tt.wantMore == "" { // blocks ran out: the last alerts have one section each
				last := m.Blocks[len(m.Blocks)-2]
				if len(last.Fields) != 10 || last.Fields[9].Text != "*…*\n5 more" {
					t.Errorf("last alert: %d fields, last %q; want 9 and a count of the rest", len(last.Fields), last.Fields[len(last.Fields)-1].Text)
				}
			}
			if len(m.Blocks) > maxBlocks {
				t.Errorf("%d blocks: Slack takes %d", len(m.Blocks), maxBlocks)
			}
			for _, fl := range s.Fields[:9] {
				tail := strings.TrimSuffix(fl.Text, "…")
				if i := strings.LastIndexByte(tail, '&'); chars(fl.Text) > 2000 || !strings.HasSuffix(fl.Text, "…") ||
					(i >= 0 && !strings.Contains(tail[i:], ";")) {
					t.Errorf("field of %d characters not cut with … between entities: …%s", chars(fl.Text), fl.Text[len(fl.Text)-20:])
				}
			}
			if tt.wantMore != "" {
				if more := m.Blocks[len(m.Blocks)-2]; more.Type != "context" || more.Elements[0].Text != tt.wantMore {
					t.Errorf("second last block %+v, want a context %q", more, tt.wantMore)
				}
			}
			if chars(*m.Text) > maxText {
				t.Errorf("text has %d characters", chars(*m.Text))
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
		{name: "ok literal", cfg: Config{URL: "https://hooks.slack.com/services/T0/B0/x"}},
		{name: "ok all", cfg: Config{URL: "env:X", Channel: "#alerts", Username: "driftwatch", IconEmoji: ":chart:",
			MaxAlerts: 20, Timeout: time.Second, MinInterval: 2 * time.Second}},
		{name: "ok file", cfg: Config{URL: "file:/run/secrets/slack"}},
		{name: "missing url", cfg: Config{}, err: "url is required"},
		{name: "bad scheme", cfg: Config{URL: "ftp://example.com/SECRET"}, err: "url scheme is not http or https"},
		{name: "no host", cfg: Config{URL: "https:///SECRET"}, err: "url has no host"},
		{name: "unparsable", cfg: Config{URL: "http://a b/SECRET\x7f"}, err: "url is not a valid URL"},
		{name: "channel", cfg: Config{URL: "env:X", Channel: "ml alerts"}, err: `channel "ml alerts" is not a channel name, user or ID`},
		{name: "username", cfg: Config{URL: "env:X", Username: strings.Repeat("u", 81)}, err: "username is longer than 80 characters"},
		{name: "icon", cfg: Config{URL: "env:X", IconEmoji: "chart"}, err: `icon_emoji "chart" is not of the form :name:`},
		{name: "too many alerts", cfg: Config{URL: "env:X", MaxAlerts: 48}, err: "max_alerts 48 is more than 47 (Slack takes at most 50 blocks per message)"},
		{name: "negatives", cfg: Config{URL: "env:X", MaxAlerts: -1, Timeout: -time.Second, MinInterval: -time.Second},
			err: "max_alerts -1 is negative\ntimeout -1s is negative\nmin_interval -1s is negative"},
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

func TestNewErrorsHideURL(t *testing.T) {
	t.Setenv("DW_BAD_SLACK_URL", "ftp://example.com/SECRET")
	for _, ref := range []string{"env:DW_BAD_SLACK_URL", "env:DW_UNSET_SLACK_URL", "ftp://example.com/SECRET"} {
		_, err := New(&Config{URL: notify.Secret(ref)}, nil)
		if err == nil {
			t.Fatalf("New(%q) succeeded", ref)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New(%q) error leaks the URL: %v", ref, err)
		}
	}
}

func TestTimeout(t *testing.T) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done)
	n := newNotifier(t, Config{URL: notify.Secret(srv.URL), Timeout: 50 * time.Millisecond})
	err := n.Notify(context.Background(), notifytest.SampleMessage())
	if ok, _ := notify.Retryable(err); !ok {
		t.Errorf("Notify after timeout = %v, want retryable", err)
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = "url: env:DW_SLACK\nchannel: '#ml'\nusername: dw\nicon_emoji: ':chart:'\nmax_alerts: 20\ntimeout: 5s\nmin_interval: 2s\n"
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	want := Config{URL: "env:DW_SLACK", Channel: "#ml", Username: "dw", IconEmoji: ":chart:", MaxAlerts: 20, Timeout: 5 * time.Second, MinInterval: 2 * time.Second}
	if c != want {
		t.Errorf("decoded %#v", c)
	}
	out, err := yaml.Marshal(Config{URL: "https://hooks.slack.com/services/SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Config{URL: "https://hooks.slack.com/services/SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out) + string(b) + fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(s, "SECRET") {
		t.Errorf("Config prints its URL: %s", s)
	}
}
