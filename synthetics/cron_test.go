package synthetics

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// TestSentryCron: each run checks in at the monitor's endpoint with its
// status and duration (and the schedule when upserting); a failing
// check-in is logged once, without the DSN's key.
func TestSentryCron(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	var (
		mu   sync.Mutex
		got  []url.Values
		down bool
	)
	sentry := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/42/cron/model-e2e/"+key+"/" {
			http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if down {
			http.Error(w, `{"detail":"rate limited"}`, http.StatusTooManyRequests)
			return
		}
		got = append(got, r.URL.Query())
		w.WriteHeader(http.StatusAccepted)
	}))
	defer sentry.Close()
	var fail bool
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer model.Close()
	t.Setenv("DW_TEST_SENTRY_DSN", strings.Replace(sentry.URL, "http://", "http://"+key+"@", 1)+"/42")
	c := Check{Name: "e2e", Request: Request{URL: model.URL}, Expect: &Expect{},
		SentryCron: &SentryCron{DSN: "env:DW_TEST_SENTRY_DSN", Monitor: "model-e2e", Environment: "prod", Upsert: true}}
	p := newProber(t, c)
	var logs strings.Builder
	r := NewRunner([]*Prober{p}, slog.New(slog.NewTextHandler(&logs, nil)), nil)
	r.RunOnce(context.Background())
	fail = true
	r.RunOnce(context.Background())
	mu.Lock()
	down = true
	mu.Unlock()
	r.RunOnce(context.Background())
	r.RunOnce(context.Background())

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 {
		t.Fatalf("%d check-ins, want 2", len(got))
	}
	for i, want := range []string{"ok", "error"} {
		q := got[i]
		if q.Get("status") != want || q.Get("environment") != "prod" || q.Get("duration") == "" ||
			q.Get("monitor_config[schedule][type]") != "interval" || q.Get("monitor_config[schedule][value]") != "1" ||
			q.Get("monitor_config[schedule][unit]") != "minute" {
			t.Errorf("check-in %d: %v, want status %s with the schedule", i, q, want)
		}
	}
	if n := strings.Count(logs.String(), "Sentry cron check-in failed"); n != 1 || !strings.Contains(logs.String(), "status 429") {
		t.Errorf("logged %d check-in failures, want 1 with the status:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), key) {
		t.Errorf("the log holds the DSN's key:\n%s", logs.String())
	}
}

func TestSentryCronValidate(t *testing.T) {
	c := Check{Name: "x", Request: Request{URL: "http://a"}, Expect: &Expect{},
		SentryCron: &SentryCron{DSN: "not a dsn", Monitor: "Model E2E"}}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "sentry_cron.dsn is not a Sentry DSN (want https://KEY@HOST/PROJECT)") ||
		!strings.Contains(err.Error(), `sentry_cron.monitor "Model E2E": want a slug`) || strings.Contains(err.Error(), "not a dsn") {
		t.Errorf("Validate = %v", err)
	}
}
