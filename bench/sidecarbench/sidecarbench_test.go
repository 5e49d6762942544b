package main

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	f := func(n int, q float64, want time.Duration) {
		t.Helper()
		d := make([]time.Duration, n)
		for i := range d {
			d[i] = time.Duration(i + 1)
		}
		if got := percentile(d, q); got != want {
			t.Errorf("percentile(1..%d, %v) = %v, want %v", n, q, got, want)
		}
	}
	f(0, 0.5, 0)
	f(1, 0.99, 1)
	f(100, 0.5, 50)
	f(100, 0.99, 99)
	f(1000, 0.999, 999)
	f(1001, 0.5, 501)
	f(10, 0, 1)
	f(10, 1, 10)
}

func TestParseStatCPU(t *testing.T) {
	// Fields 14 and 15 are 7 and 3; the command name holds ") (".
	stat := "4242 (we ird) (x) S 1 4242 4242 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 4 0 123 456 789\n"
	user, sys, err := parseStatCPU([]byte(stat))
	if err != nil || user != 7 || sys != 3 {
		t.Fatalf("parseStatCPU = %d, %d, %v; want 7, 3, nil", user, sys, err)
	}
	if _, err := cpuTime(os.Getpid(), clockTicks()); err != nil {
		t.Fatalf("cpuTime(self): %v", err)
	}
}

func TestReadMemorySelf(t *testing.T) {
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.hwm < m.rss {
		t.Fatalf("readMemory(self) = %+v: want 0 < rss ≤ hwm", m)
	}
}

func TestMetrics(t *testing.T) {
	text := `# HELP driftwatch_tap_dropped_total x
# TYPE driftwatch_tap_dropped_total counter
driftwatch_tap_dropped_total{reason="over_capture_limit"} 0
driftwatch_tap_dropped_total{reason="queue_full"} 3
driftwatch_proxy_requests_total{code="200"} 10
driftwatch_proxy_requests_total{code="502"} 2
driftwatch_proxy_overhead_seconds_bucket{le="1e-05"} 2
driftwatch_proxy_overhead_seconds_bucket{le="2.5e-05"} 11
driftwatch_proxy_overhead_seconds_bucket{le="+Inf"} 12
driftwatch_proxy_overhead_seconds_sum 0.0002
driftwatch_proxy_overhead_seconds_count 12
`
	s := parseMetrics(text)
	if n, ok := sum(s, metricTapDropped); !ok || n != 3 {
		t.Errorf("tap dropped = %v, %v; want 3, true", n, ok)
	}
	if n, ok := sum(s, metricRequests); !ok || n != 12 {
		t.Errorf("requests = %v, %v; want 12, true", n, ok)
	}
	h, ok := readHistogram(s, metricOverhead)
	if !ok || h.total != 12 {
		t.Fatalf("histogram = %+v, %v", h, ok)
	}
	for _, c := range []struct{ q, want float64 }{{0.1, 1e-5}, {0.5, 2.5e-5}, {0.99, math.Inf(1)}} {
		if got := h.quantileBound(c.q); got != c.want {
			t.Errorf("quantileBound(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestBodies(t *testing.T) {
	for _, b := range makeBodies(5, 32, 1) {
		var req struct {
			Inputs []struct {
				Name     string    `json:"name"`
				Datatype string    `json:"datatype"`
				Shape    []int     `json:"shape"`
				Data     []float64 `json:"data"`
			} `json:"inputs"`
		}
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if len(req.Inputs) != 1 || len(req.Inputs[0].Data) != 32 || req.Inputs[0].Shape[1] != 32 {
			t.Fatalf("unexpected body %s", b)
		}
	}
	if !json.Valid([]byte(inferResponse)) {
		t.Fatal("inferResponse is not JSON")
	}
}
