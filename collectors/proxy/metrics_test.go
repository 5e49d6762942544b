package proxy

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestCodeLabel(t *testing.T) {
	for status, want := range map[int]string{
		200: "200", 204: "204", 404: "404", 429: "429", 499: "499", 502: "502", 504: "504",
		101: "1xx", 203: "2xx", 418: "4xx", 599: "5xx", 0: "other", 600: "other", 99: "other",
	} {
		if got := codeLabel(status); got != want {
			t.Errorf("codeLabel(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestMetricsRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Config{Upstream: "http://127.0.0.1:1"}, nil, WithRegisterer(reg)); err != nil {
		t.Fatal(err)
	}
	// Error kinds and drop reasons are exported at zero from the start.
	if n, err := testutil.GatherAndCount(reg, MetricUpstreamErrors, MetricTapDropped); err != nil || n != 6 {
		t.Errorf("%d series, %v; want 6", n, err)
	}
	if _, err := New(Config{Upstream: "http://127.0.0.1:1"}, nil, WithRegisterer(reg)); err == nil ||
		!strings.Contains(err.Error(), "register proxy metrics") {
		t.Errorf("second registration: %v", err)
	}
	// Without a registerer nothing is registered, and nothing fails.
	p, err := New(Config{Upstream: "http://127.0.0.1:1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.m.request(200)
	p.m.request(1000)
	if got := testutil.ToFloat64(p.m.requests.WithLabelValues("other")); got != 1 {
		t.Errorf("other = %v", got)
	}
}

// countHandler counts log records and remembers the last one's attributes.
type countHandler struct {
	n    int
	last map[string]string
}

func (h *countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countHandler) Handle(_ context.Context, r slog.Record) error {
	h.n++
	h.last = map[string]string{}
	r.Attrs(func(a slog.Attr) bool { h.last[a.Key] = a.Value.String(); return true })
	return nil
}
func (h *countHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countHandler) WithGroup(string) slog.Handler      { return h }

func TestThrottledLog(t *testing.T) {
	h := &countHandler{}
	tl := &throttledLog{l: slog.New(h)}
	for range 3 {
		tl.log("upstream request failed", "kind", "refused")
	}
	if _, _ = tl.Write([]byte("from ReverseProxy\n")); h.n != 1 {
		t.Fatalf("%d lines logged, want 1", h.n)
	}
	tl.next.Store(0) // as if logEvery had passed
	tl.log("upstream request failed")
	if h.n != 2 || h.last["suppressed"] != "3" {
		t.Errorf("%d lines, last %v; want 2 lines, suppressed=3", h.n, h.last)
	}
}
