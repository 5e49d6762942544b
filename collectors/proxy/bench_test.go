package proxy

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// oipRequest is an Open Inference Protocol v2 request with one row of 32
// features, about 1 KB, the size the sidecar's performance targets use.
var oipRequest = func() []byte {
	var b strings.Builder
	b.WriteString(`{"id":"bench","inputs":[{"name":"features","shape":[1,32],"datatype":"FP64","data":[`)
	for i := range 32 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%.17g", 1000.0/float64(i+7))
	}
	b.WriteString(`]}]}`)
	return []byte(b.String())
}()

var oipResponse = []byte(`{"model_name":"search-rerank","model_version":"42","id":"bench","outputs":[{"name":"score","shape":[1,1],"datatype":"FP64","data":[0.7312]}]}`)

// benchUpstream is a fast model server: it reads the request and answers a
// fixed prediction.
func benchUpstream(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(oipResponse)))
	_, _ = w.Write(oipResponse)
}

// benchRoundTrips posts oipRequest to url b.N times over keep-alive
// connections, one at a time, so ns/op is the round-trip latency.
func benchRoundTrips(b *testing.B, url string) {
	b.Helper()
	client := newClient()
	defer client.CloseIdleConnections()
	body := bytes.NewReader(oipRequest)
	b.SetBytes(int64(len(oipRequest) + len(oipResponse)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		body.Reset(oipRequest)
		res, err := client.Post(url, "application/json", body)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, res.Body); err != nil {
			b.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}

// BenchmarkDirect is the baseline for BenchmarkProxy: the same client and
// upstream, without the proxy.
func BenchmarkDirect(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(benchUpstream))
	defer up.Close()
	benchRoundTrips(b, up.URL+"/v2/models/search-rerank/infer")
}

// BenchmarkProxy measures a round trip through the proxy, with a tap queue
// drained (and released) by a consumer. Its ns/op and allocs/op minus
// BenchmarkDirect's are the proxy's cost, including the extra loopback hop.
func BenchmarkProxy(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(benchUpstream))
	defer up.Close()
	q := NewQueue(1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range q.C() {
			if e == nil {
				return
			}
			e.Release()
		}
	}()
	defer func() { q.ch <- nil; <-done }()
	reg := prometheus.NewRegistry()
	p, err := New(Config{Upstream: up.URL}, q, WithLogger(slog.New(slog.DiscardHandler)), WithRegisterer(reg))
	if err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(p)
	defer front.Close()
	benchRoundTrips(b, front.URL+"/v2/models/search-rerank/infer")
	b.StopTimer()
	// The proxy's own view: mean overhead and upstream time per request.
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	for _, mf := range mfs {
		h := mf.GetMetric()[0].GetHistogram()
		if h == nil || h.GetSampleCount() == 0 {
			continue
		}
		mean := h.GetSampleSum() / float64(h.GetSampleCount()) * 1e9
		switch mf.GetName() {
		case MetricOverhead:
			b.ReportMetric(mean, "overhead-ns/op")
		case MetricUpstreamDuration:
			b.ReportMetric(mean, "upstream-ns/op")
		}
	}
}

// fakeTransport answers every request in memory, after reading its body as
// http.Transport would.
type fakeTransport struct{}

func (fakeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
	}
	return &http.Response{
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(oipResponse)),
		ContentLength: int64(len(oipResponse)),
		Request:       req,
	}, nil
}

// discardWriter is a reusable http.ResponseWriter that drops the body.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkServeHTTP isolates the handler's own cost from the network: the
// upstream is an in-memory transport. "reverseproxy" is a bare
// httputil.ReverseProxy with the same transport, so the difference is what
// driftwatch adds (request id, timing, body capture, metrics, tap offer).
func BenchmarkServeHTTP(b *testing.B) {
	target, _ := url.Parse("http://127.0.0.1:1")
	bare := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
		Transport: fakeTransport{},
	}
	q := NewQueue(1)
	q.Offer(getExchange()) // always full: every exchange is dropped and reused
	tapped, err := New(Config{Upstream: target.String()}, q, WithTransport(fakeTransport{}))
	if err != nil {
		b.Fatal(err)
	}
	untapped, err := New(Config{Upstream: target.String()}, nil, WithTransport(fakeTransport{}))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"reverseproxy", bare},
		{"driftwatch-no-tap", untapped},
		{"driftwatch-tap", tapped},
	} {
		b.Run(c.name, func(b *testing.B) {
			body := bytes.NewReader(oipRequest)
			req := httptest.NewRequest("POST", "/v2/models/search-rerank/infer", body)
			req.Header.Set("Content-Type", "application/json")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				body.Reset(oipRequest)
				req.Body = io.NopCloser(body)
				clear(w.h)
				c.h.ServeHTTP(w, req)
			}
		})
	}
}
