// Package notifytest is the conformance kit every notifier passes: it
// starts fake receivers on 127.0.0.1 and checks that a notifier reports
// success, classifies retryable and permanent failures, honours
// Retry-After and context cancellation, tries once per Notify, and never
// leaks the secret parts of its URL in errors or logs.
//
// It is imported only by tests.
package notifytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// The secret parts of every URL the kit hands to a notifier. No error or
// log line may contain them.
const (
	SecretPath  = "SeCrEtPaThToKeN0123456789abcdef"
	SecretQuery = "SeCrEtQuErYtOkEnZyXwVu987"
)

// Response is an answer of a fake receiver.
type Response struct {
	Status int    // HTTP status; 200 when zero
	Body   string // answer body
}

// Options adapt the kit to a notifier.
type Options struct {
	// OK is the receiver's answer to a good request, such as Slack's
	// 200 "ok". The zero value is 200 with an empty body.
	OK Response
	// Message builds the message each check sends; SampleMessage when nil.
	Message func() *notify.Message
	// NewWithLogger, when set, is used instead of newNotifier so that the
	// kit can also check the notifier's log lines for secrets.
	NewWithLogger func(t *testing.T, url string, l *slog.Logger) notify.Notifier
	// CancelWithin bounds how long Notify may take to return after its
	// context is cancelled; 5s when zero.
	CancelWithin time.Duration
}

// Run checks newNotifier against the fake receivers, one subtest each.
// newNotifier must return a notifier that sends to url (which has a
// secret path segment and a secret "token" query value) and takes no
// other secret from the URL's host. newNotifier may be nil when
// opts.NewWithLogger is set.
func Run(t *testing.T, newNotifier func(t *testing.T, url string) notify.Notifier, opts Options) {
	t.Helper()
	if opts.Message == nil {
		opts.Message = SampleMessage
	}
	if opts.OK.Status == 0 {
		opts.OK.Status = http.StatusOK
	}
	if opts.CancelWithin == 0 {
		opts.CancelWithin = 5 * time.Second
	}
	k := &kit{newNotifier: newNotifier, opts: opts}

	t.Run("success", func(t *testing.T) {
		srv := k.server(t, func(w http.ResponseWriter, _ *http.Request) { write(w, opts.OK) })
		err := k.notify(t, context.Background(), srv.url)
		if err != nil {
			t.Fatalf("Notify = %v, want nil for %d %q", err, opts.OK.Status, opts.OK.Body)
		}
		if n := srv.requests.Load(); n != 1 {
			t.Errorf("receiver got %d requests, want 1", n)
		}
	})
	for _, code := range []int{500, 502, 503} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			srv := k.server(t, func(w http.ResponseWriter, _ *http.Request) {
				write(w, Response{Status: code, Body: "upstream trouble"})
			})
			err := k.notify(t, context.Background(), srv.url)
			assertRetryable(t, err, true, 0)
			// Backoff lives in one stage only: a notifier tries once.
			if n := srv.requests.Load(); n != 1 {
				t.Errorf("receiver got %d requests, want 1 (notifiers must not retry)", n)
			}
		})
	}
	t.Run("429 Retry-After", func(t *testing.T) {
		srv := k.server(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "7")
			write(w, Response{Status: http.StatusTooManyRequests, Body: "rate_limited"})
		})
		err := k.notify(t, context.Background(), srv.url)
		assertRetryable(t, err, true, 7*time.Second)
	})
	t.Run("400 permanent", func(t *testing.T) {
		srv := k.server(t, func(w http.ResponseWriter, _ *http.Request) {
			write(w, Response{Status: http.StatusBadRequest, Body: "invalid_payload: no text"})
		})
		err := k.notify(t, context.Background(), srv.url)
		assertRetryable(t, err, false, 0)
		var e *notify.Error
		if errors.As(err, &e) && !strings.Contains(e.Reason, "invalid_payload") {
			t.Errorf("Reason = %q, want the body's snippet", e.Reason)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		u := secretURL("http://" + l.Addr().String())
		l.Close()
		err = k.notify(t, context.Background(), u)
		assertRetryable(t, err, true, 0)
	})
	t.Run("cancel while receiver hangs", func(t *testing.T) {
		done := make(chan struct{})
		srv := k.server(t, func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-done:
			}
		})
		t.Cleanup(func() { close(done) }) // runs before srv.Close
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := k.notify(t, ctx, srv.url)
		if took := time.Since(start); took > opts.CancelWithin {
			t.Errorf("Notify returned %s after its context was cancelled, want ≤ %s", took, opts.CancelWithin)
		}
		if err == nil {
			t.Fatal("Notify = nil, want an error")
		}
		if ok, _ := notify.Retryable(err); ok {
			t.Errorf("Notify = %v: retryable, want not retryable after cancel", err)
		}
	})
}

type kit struct {
	newNotifier func(t *testing.T, url string) notify.Notifier
	opts        Options
}

type server struct {
	url      string
	requests atomic.Int64
}

// server starts a fake receiver on 127.0.0.1 that records requests.
func (k *kit) server(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	s.url = secretURL(srv.URL)
	return s
}

// notify builds a notifier for u, sends the message and checks the error
// and the log for secrets.
func (k *kit) notify(t *testing.T, ctx context.Context, u string) error {
	t.Helper()
	var n notify.Notifier
	var logs *lockedBuffer
	if k.opts.NewWithLogger != nil {
		logs = &lockedBuffer{}
		l := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		n = k.opts.NewWithLogger(t, u, l)
	} else {
		n = k.newNotifier(t, u)
	}
	AssertNoSecret(t, "the notifier printed with %v and %+v", fmt.Sprintf("%v %+v", n, n))
	err := n.Notify(ctx, k.opts.Message())
	if err != nil {
		AssertNoSecret(t, "error", err.Error())
	}
	if logs != nil {
		AssertNoSecret(t, "log", logs.String())
	}
	return err
}

// AssertNoSecret fails t when s contains SecretPath or SecretQuery.
func AssertNoSecret(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{SecretPath, SecretQuery} {
		if strings.Contains(s, secret) {
			t.Errorf("%s leaks a secret: %s", what, s)
		}
	}
}

func assertRetryable(t *testing.T, err error, want bool, after time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatal("Notify = nil, want an error")
	}
	ok, got := notify.Retryable(err)
	if ok != want {
		t.Errorf("Retryable(%v) = %t, want %t", err, ok, want)
	}
	if after != 0 && got != after {
		t.Errorf("Retryable(%v) wait = %s, want %s", err, got, after)
	}
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Errorf("Notify = %v (%T), want a *notify.Error in its chain", err, err)
	}
}

func secretURL(base string) string {
	return base + "/hook/" + SecretPath + "?token=" + SecretQuery
}

func write(w http.ResponseWriter, r Response) {
	if r.Status == 0 {
		r.Status = http.StatusOK
	}
	w.WriteHeader(r.Status)
	_, _ = io.WriteString(w, r.Body)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// SampleMessage returns a firing message for the group
// {model="search-rerank"} with two drift alerts, one firing on feature
// "price" and one resolved on feature "qty", each with the evidence a
// drift detector attaches. Its times are fixed, so payloads built from it
// can be compared with golden files.
func SampleMessage() *notify.Message {
	t0 := time.Date(2026, 11, 22, 7, 0, 0, 0, time.UTC)
	price := &alert.Alert{
		Rule: "FeatureDrift",
		Labels: obs.Labels{
			alert.NameLabel: "FeatureDrift", "model": "search-rerank", "version": "42",
			"feature": "price", "test": "ks", "severity": "critical",
		},
		Annotations: map[string]string{
			"summary":     "search-rerank v42: feature price drifted (KS p<1e-9)",
			"description": "7 of 32 features drifted; price is the strongest.",
		},
		Severity: obs.Critical,
		State:    alert.Firing,
		Value:    0.41,
		Samples:  5000,
		Evidence: []obs.Field{
			{Key: "test", Value: "ks"},
			{Key: "statistic", Value: "0.41"},
			{Key: "p_value", Value: "3.2e-12"},
			{Key: "effect_size", Value: "0.87"},
			{Key: "n_reference", Value: "10000"},
			{Key: "n_current", Value: "5000"},
			{Key: "reference_window", Value: "2026-11-01T00:00:00Z/2026-11-15T00:00:00Z"},
		},
		ActiveAt:      t0.Add(-10 * time.Minute),
		FiredAt:       t0.Add(-5 * time.Minute),
		LastEvaluated: t0,
	}
	qty := &alert.Alert{
		Rule: "FeatureDrift",
		Labels: obs.Labels{
			alert.NameLabel: "FeatureDrift", "model": "search-rerank", "version": "42",
			"feature": "qty", "test": "psi", "severity": "warning",
		},
		Annotations: map[string]string{
			"summary":     "search-rerank v42: feature qty drifted (PSI 0.12)",
			"description": "qty is back within the reference distribution.",
		},
		Severity: obs.Warning,
		State:    alert.Resolved,
		Value:    0.08,
		Samples:  5000,
		Evidence: []obs.Field{
			{Key: "test", Value: "psi"},
			{Key: "statistic", Value: "0.08"},
			{Key: "n_reference", Value: "10000"},
			{Key: "n_current", Value: "5000"},
		},
		ActiveAt:      t0.Add(-40 * time.Minute),
		FiredAt:       t0.Add(-30 * time.Minute),
		ResolvedAt:    t0.Add(-1 * time.Minute),
		LastEvaluated: t0,
	}
	alerts := []*alert.Alert{price, qty}
	return &notify.Message{
		Receiver:    "team-ml",
		GroupKey:    `{}:{model="search-rerank"}`,
		GroupLabels: obs.Labels{"model": "search-rerank"},
		Status:      notify.StatusOf(alerts),
		Alerts:      alerts,
		DedupKey:    "team-ml/3f2a9c1e7b4d5a60/1",
		ExternalURL: "http://driftwatch.example:9090",
	}
}

// Golden compares got with the golden file at path, first writing got
// there when update is set (a test's -update flag).
func Golden(t *testing.T, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept it):\n%s", path, got)
	}
}
