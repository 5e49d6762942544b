package webhook

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/notifytest"
	"github.com/driftwatch/driftwatch/internal/obs"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T, url string) notify.Notifier {
		n, err := New(&Config{URL: notify.Secret(url)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}, notifytest.Options{})
}

func TestGolden(t *testing.T) {
	got, err := json.MarshalIndent(NewPayload(notifytest.SampleMessage(), 0), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	notifytest.Golden(t, filepath.Join("testdata", "sample.json"), append(got, '\n'), *update)
}

// amMessage mirrors the webhook payload Alertmanager sends
// (notify/webhook.Message with template.Data), so that decoding with
// DisallowUnknownFields fails on any field Alertmanager does not send.
type amMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   *uint64           `json:"truncatedAlerts"`
	Receiver          string            `json:"receiver"`
	Status            string            `json:"status"`
	Alerts            []amAlert         `json:"alerts"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
}

type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

var fingerprintRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// receiver is a fake Alertmanager-format webhook receiver that decodes
// strictly and answers 400 with the reason when a payload is invalid.
type receiver struct {
	mu       sync.Mutex
	messages []amMessage
	headers  []http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want POST application/json", http.StatusBadRequest)
		return
	}
	var m amMessage
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		http.Error(w, "decode: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := validate(&m); err != "" {
		http.Error(w, err, http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.messages = append(rc.messages, m)
	rc.headers = append(rc.headers, r.Header.Clone())
	rc.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func validate(m *amMessage) string {
	switch {
	case m.Version != "4":
		return "version must be 4"
	case m.GroupKey == "":
		return "groupKey missing"
	case m.TruncatedAlerts == nil:
		return "truncatedAlerts missing"
	case m.Status != "firing" && m.Status != "resolved":
		return "bad status"
	case m.Receiver == "":
		return "receiver missing"
	case m.GroupLabels == nil || m.CommonLabels == nil || m.CommonAnnotations == nil:
		return "groupLabels, commonLabels and commonAnnotations must be objects"
	case len(m.Alerts) == 0:
		return "no alerts"
	}
	firing := false
	for _, a := range m.Alerts {
		switch {
		case a.Status != "firing" && a.Status != "resolved":
			return "bad alert status"
		case a.Labels["alertname"] == "":
			return "alert without alertname"
		case a.Annotations == nil:
			return "annotations must be an object"
		case a.StartsAt.IsZero():
			return "startsAt missing"
		case a.Status == "firing" && !a.EndsAt.IsZero():
			return "a firing alert has endsAt"
		case a.Status == "resolved" && a.EndsAt.Before(a.StartsAt):
			return "a resolved alert ends before it starts"
		case !fingerprintRE.MatchString(a.Fingerprint):
			return "bad fingerprint " + a.Fingerprint
		}
		firing = firing || a.Status == "firing"
	}
	if firing != (m.Status == "firing") {
		return "status does not match the alerts"
	}
	return ""
}

func TestFakeAlertmanagerReceiver(t *testing.T) {
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	t.Setenv("DW_WEBHOOK_URL", srv.URL+"/alerts")

	tests := []struct {
		name          string
		maxAlerts     int
		wantAlerts    int
		wantTruncated uint64
	}{
		{name: "all alerts", wantAlerts: 2},
		{name: "cap above count", maxAlerts: 5, wantAlerts: 2},
		{name: "truncated", maxAlerts: 1, wantAlerts: 1, wantTruncated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := New(&Config{URL: "env:DW_WEBHOOK_URL", MaxAlerts: tt.maxAlerts}, nil, notify.WithHTTPClient(srv.Client()))
			if err != nil {
				t.Fatal(err)
			}
			msg := notifytest.SampleMessage()
			if err := n.Notify(context.Background(), msg); err != nil {
				t.Fatal(err)
			}
			rc.mu.Lock()
			got, h := rc.messages[len(rc.messages)-1], rc.headers[len(rc.headers)-1]
			rc.mu.Unlock()
			if len(got.Alerts) != tt.wantAlerts || *got.TruncatedAlerts != tt.wantTruncated {
				t.Errorf("alerts, truncated = %d, %d; want %d, %d", len(got.Alerts), *got.TruncatedAlerts, tt.wantAlerts, tt.wantTruncated)
			}
			if h.Get("Idempotency-Key") != msg.DedupKey {
				t.Errorf("Idempotency-Key = %q, want %q", h.Get("Idempotency-Key"), msg.DedupKey)
			}
			price := got.Alerts[0]
			for k, want := range map[string]string{"evidence_p_value": "3.2e-12", "evidence_test": "ks", "summary": msg.Alerts[0].Annotations["summary"]} {
				if price.Annotations[k] != want {
					t.Errorf("annotation %s = %q, want %q", k, price.Annotations[k], want)
				}
			}
			// Common labels are computed over every alert, even truncated ones.
			if got.CommonLabels["feature"] != "" || got.CommonLabels["model"] != "search-rerank" {
				t.Errorf("commonLabels = %v", got.CommonLabels)
			}
		})
	}
}

func TestNewPayloadEdges(t *testing.T) {
	m := notifytest.SampleMessage()
	m.Status = ""
	m.GroupLabels = nil
	m.ExternalURL = ""
	m.Alerts[0].FiredAt = time.Time{}
	m.Alerts[0].Annotations["evidence_test"] = "from the rule"
	p := NewPayload(m, 0)
	if p.Status != "firing" || p.GroupLabels == nil || p.Alerts[0].GeneratorURL != "" {
		t.Errorf("payload = %+v", p)
	}
	if !p.Alerts[0].StartsAt.Equal(m.Alerts[0].ActiveAt) {
		t.Errorf("startsAt = %s, want ActiveAt %s", p.Alerts[0].StartsAt, m.Alerts[0].ActiveAt)
	}
	if got := p.Alerts[0].Annotations["evidence_test"]; got != "from the rule" {
		t.Errorf("a rule annotation lost to evidence: %q", got)
	}
	empty := NewPayload(&notify.Message{Receiver: "r", GroupLabels: obs.Labels{}}, 0)
	b, _ := json.Marshal(empty)
	if !strings.Contains(string(b), `"commonLabels":{}`) || !strings.Contains(string(b), `"status":"resolved"`) {
		t.Errorf("empty payload = %s", b)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		err  string
	}{
		{name: "ok literal", cfg: Config{URL: "https://example.com/hook"}},
		{name: "ok env", cfg: Config{URL: "env:X", MaxAlerts: 10, Timeout: time.Second}},
		{name: "ok file", cfg: Config{URL: "file:/run/secrets/hook"}},
		{name: "missing url", cfg: Config{}, err: "url is required"},
		{name: "bad scheme", cfg: Config{URL: "ftp://example.com/SECRET"}, err: "url scheme is not http or https"},
		{name: "no host", cfg: Config{URL: "https:///SECRET"}, err: "url has no host"},
		{name: "unparsable", cfg: Config{URL: "http://a b/SECRET\x7f"}, err: "url is not a valid URL"},
		{name: "negatives", cfg: Config{URL: "env:X", MaxAlerts: -1, Timeout: -time.Second},
			err: "max_alerts -1 is negative\ntimeout -1s is negative"},
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
	t.Setenv("DW_BAD_URL", "ftp://example.com/SECRET")
	for _, ref := range []string{"env:DW_BAD_URL", "env:DW_UNSET_URL", "ftp://example.com/SECRET"} {
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
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done)
	n, err := New(&Config{URL: notify.Secret(srv.URL), Timeout: 50 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(context.Background(), notifytest.SampleMessage())
	if ok, _ := notify.Retryable(err); !ok {
		t.Errorf("Notify after timeout = %v, want retryable", err)
	}
}

func TestConfigDoesNotPrintURL(t *testing.T) {
	c := Config{URL: "https://example.com/hook/SECRET", MaxAlerts: 3}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{fmt.Sprintf("%v %+v %#v", c, c, c), string(b)} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("Config prints its URL: %s", s)
		}
	}
}

func TestConfigYAML(t *testing.T) {
	const doc = "url: env:DW_HOOK\nmax_alerts: 20\ntimeout: 5s\n"
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.URL.Reveal() != "env:DW_HOOK" || c.MaxAlerts != 20 || c.Timeout != 5*time.Second {
		t.Errorf("decoded %#v (url %q)", c, c.URL.Reveal())
	}
	out, err := yaml.Marshal(Config{URL: "https://example.com/hook/SECRET"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "SECRET") {
		t.Errorf("yaml.Marshal prints the URL: %s", out)
	}
}
