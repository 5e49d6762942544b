package proxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// testLimit is the capture limit used by most tests.
const testLimit = 4 << 10

// waitFor bounds every wait in these tests; nothing normally comes close.
const waitFor = 10 * time.Second

// upstreamHandler is the model server stand-in. It answers by path:
//
//	/echo      the request body, with the request's Content-Type and Content-Encoding
//	/size/N    N bytes of a fixed pattern, with a Content-Length
//	/chunked/N N bytes of a fixed pattern, without a Content-Length
//	/gzip      a gzip-compressed JSON body with Content-Encoding: gzip
//	/headers   the request headers it saw, as JSON
//
// Every response carries a fixed Date, a repeated header and a cookie, so
// direct and proxied responses can be compared byte for byte.
func upstreamHandler(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Date", "Mon, 02 Jan 2006 15:04:05 GMT")
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	h.Set("Set-Cookie", "s=1; Path=/")
	h.Set("X-Upstream-Saw-Id", r.Header.Get(obs.HeaderRequestID))
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	switch p := r.URL.Path; {
	case p == "/echo":
		if ct := r.Header.Get("Content-Type"); ct != "" {
			h.Set("Content-Type", ct)
		}
		if ce := r.Header.Get("Content-Encoding"); ce != "" {
			h.Set("Content-Encoding", ce)
		}
		h.Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case strings.HasPrefix(p, "/size/"), strings.HasPrefix(p, "/chunked/"):
		var n int
		_, _ = fmt.Sscanf(p[strings.LastIndexByte(p, '/')+1:], "%d", &n)
		if strings.HasPrefix(p, "/size/") {
			h.Set("Content-Length", fmt.Sprint(n))
		}
		h.Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(pattern(n))
	case p == "/gzip":
		h.Set("Content-Type", "application/json")
		h.Set("Content-Encoding", "gzip")
		_, _ = w.Write(gzipBytes(`{"outputs":[{"name":"y","data":[0.25,0.75]}]}`))
	case p == "/headers":
		h.Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	case p == "/status/418":
		w.WriteHeader(http.StatusTeapot)
	default:
		http.NotFound(w, r)
	}
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}

func gzipBytes(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return buf.Bytes()
}

// env is an upstream, a proxy in front of it, and a client.
type env struct {
	upstream *httptest.Server
	proxy    *Proxy
	front    *httptest.Server
	reg      *prometheus.Registry
	client   *http.Client
}

// newEnv starts handler as the upstream and a proxy with cfg (Upstream
// filled in when empty) in front of it, on 127.0.0.1.
func newEnv(t *testing.T, handler http.Handler, cfg Config, tap Tap) *env {
	t.Helper()
	e := &env{reg: prometheus.NewRegistry()}
	if handler != nil {
		e.upstream = httptest.NewServer(handler)
		t.Cleanup(e.upstream.Close)
		if cfg.Upstream == "" {
			cfg.Upstream = e.upstream.URL
		}
	}
	var err error
	e.proxy, err = New(cfg, tap, WithRegisterer(e.reg), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e.front = httptest.NewServer(e.proxy)
	t.Cleanup(e.front.Close)
	e.client = newClient()
	t.Cleanup(e.client.CloseIdleConnections)
	return e
}

// newClient returns a client that shows the raw bytes on the wire: no
// transparent gzip, no environment proxy.
func newClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64},
		Timeout:   waitFor,
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, method, url string, body []byte, hdr http.Header) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{res.StatusCode, res.Header, b}
}

// next receives the next exchange from q, failing after waitFor.
func next(t *testing.T, q *Queue) *Exchange {
	t.Helper()
	select {
	case e := <-q.C():
		return e
	case <-time.After(waitFor):
		t.Fatal("no exchange offered to the tap")
		return nil
	}
}

func TestByteIdentical(t *testing.T) {
	q := NewQueue(16)
	e := newEnv(t, http.HandlerFunc(upstreamHandler), Config{CaptureLimit: testLimit}, q)
	direct := newClient()
	defer direct.CloseIdleConnections()

	gz := gzipBytes(`{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}`)
	for _, c := range []struct {
		name, method, path string
		body               []byte
		hdr                http.Header
		truncated          bool
	}{
		{name: "get empty", method: "GET", path: "/size/0"},
		{name: "get small", method: "GET", path: "/size/100"},
		{name: "get over limit", method: "GET", path: "/size/70000", truncated: true},
		{name: "get chunked small", method: "GET", path: "/chunked/300"},
		{name: "get chunked over limit", method: "GET", path: "/chunked/50000", truncated: true},
		{name: "head", method: "HEAD", path: "/size/100"},
		{name: "post empty", method: "POST", path: "/echo", body: []byte{}},
		{name: "post small json", method: "POST", path: "/echo", body: []byte(`{"instances":[[1,2,3]]}`),
			hdr: http.Header{"Content-Type": {"application/json"}}},
		{name: "post over limit", method: "POST", path: "/echo", body: pattern(testLimit + 1), truncated: true},
		{name: "post exactly limit", method: "POST", path: "/echo", body: pattern(testLimit)},
		{name: "post gzip", method: "POST", path: "/echo", body: gz,
			hdr: http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}},
		{name: "get gzip response", method: "GET", path: "/gzip", hdr: http.Header{"Accept-Encoding": {"gzip"}}},
		{name: "put", method: "PUT", path: "/echo", body: []byte("put body")},
		{name: "delete", method: "DELETE", path: "/size/10"},
		{name: "not found", method: "GET", path: "/nope"},
		{name: "teapot", method: "PATCH", path: "/status/418", body: []byte("x")},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := do(t, direct, c.method, e.upstream.URL+c.path, c.body, c.hdr)
			got := do(t, e.client, c.method, e.front.URL+c.path, c.body, c.hdr)

			if got.status != want.status {
				t.Errorf("status %d, direct %d", got.status, want.status)
			}
			if !bytes.Equal(got.body, want.body) {
				t.Errorf("body differs: %d bytes, direct %d bytes", len(got.body), len(want.body))
			}
			id := got.header.Get(obs.HeaderRequestID)
			if id == "" {
				t.Errorf("no %s in the response", obs.HeaderRequestID)
			}
			if saw := got.header.Get("X-Upstream-Saw-Id"); saw != id {
				t.Errorf("upstream saw request id %q, client got %q", saw, id)
			}
			compareHeaders(t, got.header, want.header)

			ex := next(t, q)
			defer ex.Release()
			if ex.RemoteAddr != "127.0.0.1" {
				t.Errorf("RemoteAddr = %q, want the client's address without its port", ex.RemoteAddr)
			}
			if ex.Method != c.method || ex.Path != c.path || ex.Status != want.status || ex.RequestID != id {
				t.Errorf("exchange %s %s %d id %q, want %s %s %d id %q",
					ex.Method, ex.Path, ex.Status, ex.RequestID, c.method, c.path, want.status, id)
			}
			if ex.Truncated != c.truncated {
				t.Errorf("Truncated = %v, want %v", ex.Truncated, c.truncated)
			}
			if ex.Error != "" {
				t.Errorf("Error = %q", ex.Error)
			}
			wantReq, wantResp := c.body, want.body
			if len(c.body) > testLimit {
				wantReq = nil
			}
			if len(want.body) > testLimit {
				wantResp = nil
			}
			if !bytes.Equal(ex.Req, wantReq) {
				t.Errorf("tapped request body %q, want %q", trim(ex.Req), trim(wantReq))
			}
			if !bytes.Equal(ex.Resp, wantResp) {
				t.Errorf("tapped response body %q, want %q", trim(ex.Resp), trim(wantResp))
			}
			if ex.RespHeader.Get("X-Multi") != "a" || ex.ReqHeader.Get(obs.HeaderRequestID) != id {
				t.Errorf("tapped headers incomplete: req %v resp %v", ex.ReqHeader, ex.RespHeader)
			}
		})
	}
}

// compareHeaders checks that the proxied header equals the direct one except
// for the request id the proxy adds.
func compareHeaders(t *testing.T, got, want http.Header) {
	t.Helper()
	got = got.Clone()
	delete(got, obs.HeaderRequestID)
	want = want.Clone()
	want.Del("X-Upstream-Saw-Id")
	got.Del("X-Upstream-Saw-Id")
	if len(got) != len(want) {
		t.Errorf("headers differ:\n got %v\nwant %v", got, want)
		return
	}
	for k, wv := range want {
		if gv := got[k]; strings.Join(gv, "\x00") != strings.Join(wv, "\x00") {
			t.Errorf("header %s = %q, direct %q", k, gv, wv)
		}
	}
}

func trim(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

func TestRequestHeadersForwarded(t *testing.T) {
	e := newEnv(t, http.HandlerFunc(upstreamHandler), Config{}, nil)
	hdr := http.Header{
		"X-Custom":          {"1", "2"},
		"X-Forwarded-For":   {"203.0.113.7"},
		obs.HeaderSynthetic: {"1"},
		obs.HeaderRequestID: {"client-id-42"},
		"Connection":        {"X-Hop"},
		"X-Hop":             {"dropped"},
	}
	res := do(t, e.client, "GET", e.front.URL+"/headers", nil, hdr)
	var saw http.Header
	if err := json.Unmarshal(res.body, &saw); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"X-Custom":          "1\x002",
		"X-Forwarded-For":   "203.0.113.7",
		obs.HeaderSynthetic: "1",
		obs.HeaderRequestID: "client-id-42",
		"X-Hop":             "",
	} {
		if got := strings.Join(saw[k], "\x00"); got != v {
			t.Errorf("upstream saw %s = %q, want %q", k, got, v)
		}
	}
	if got := res.header.Get(obs.HeaderRequestID); got != "client-id-42" {
		t.Errorf("response request id %q, want the client's", got)
	}
}

func TestHost(t *testing.T) {
	for _, rewrite := range []bool{false, true} {
		t.Run(fmt.Sprint("rewrite=", rewrite), func(t *testing.T) {
			var host string
			e := newEnv(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { host = r.Host }),
				Config{RewriteHost: rewrite}, nil)
			req, _ := http.NewRequest("GET", e.front.URL+"/", nil)
			req.Host = "model.example"
			res, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			want := "model.example"
			if rewrite {
				want = strings.TrimPrefix(e.upstream.URL, "http://")
			}
			if host != want {
				t.Errorf("upstream saw Host %q, want %q", host, want)
			}
		})
	}
}

func TestUpstreamPathPrefix(t *testing.T) {
	var path string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { path = r.URL.RequestURI() }))
	defer up.Close()
	e := newEnv(t, nil, Config{Upstream: up.URL + "/base/"}, nil)
	do(t, e.client, "GET", e.front.URL+"/v2/models/m/infer?x=1", nil, nil)
	if path != "/base/v2/models/m/infer?x=1" {
		t.Errorf("upstream saw %q", path)
	}
}

func TestRequestIDsUnique(t *testing.T) {
	e := newEnv(t, http.HandlerFunc(upstreamHandler), Config{}, nil)
	seen := map[string]bool{}
	for range 50 {
		id := do(t, e.client, "GET", e.front.URL+"/size/1", nil, nil).header.Get(obs.HeaderRequestID)
		if id == "" || seen[id] {
			t.Fatalf("request id %q empty or repeated", id)
		}
		seen[id] = true
	}
}

func TestSynthetic(t *testing.T) {
	q := NewQueue(4)
	e := newEnv(t, http.HandlerFunc(upstreamHandler), Config{}, q)
	for _, c := range []struct {
		name string
		hdr  http.Header
		want bool
	}{
		{"marked", http.Header{obs.HeaderSynthetic: {"1"}}, true},
		{"zero", http.Header{obs.HeaderSynthetic: {"0"}}, false},
		{"absent", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := do(t, e.client, "GET", e.front.URL+"/headers", nil, c.hdr)
			ex := next(t, q)
			defer ex.Release()
			if ex.Synthetic != c.want {
				t.Errorf("Synthetic = %v, want %v", ex.Synthetic, c.want)
			}
			var saw http.Header
			if err := json.Unmarshal(res.body, &saw); err != nil {
				t.Fatal(err)
			}
			if got, want := saw.Get(obs.HeaderSynthetic), c.hdr.Get(obs.HeaderSynthetic); got != want {
				t.Errorf("upstream saw %s %q, want %q", obs.HeaderSynthetic, got, want)
			}
		})
	}
}

// TestOverload sends 1000 requests through a proxy whose tap is a queue of
// one that nobody drains. If Offer ever blocked, a handler would never
// return and its response would never be flushed: the requests would not
// finish in time and the test fails (then drains the queue so that the
// servers can shut down).
func TestOverload(t *testing.T) {
	q := NewQueue(1)
	e := newEnv(t, http.HandlerFunc(upstreamHandler), Config{}, q)
	const n, workers = 1000, 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	jobs := make(chan int, n)
	for i := range n {
		jobs <- i
	}
	close(jobs)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				res, err := e.client.Post(e.front.URL+"/echo", "application/json", strings.NewReader(fmt.Sprintf(`{"i":%d}`, i)))
				if err != nil {
					errs <- err
					continue
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK || string(b) != fmt.Sprintf(`{"i":%d}`, i) {
					errs <- fmt.Errorf("request %d: status %d, body %q, err %v", i, res.StatusCode, b, err)
				}
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(waitFor):
		go func() {
			for e := range q.C() {
				e.Release()
			}
		}()
		t.Fatalf("requests still running after %v: the tap blocked the request path", waitFor)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every handler has returned once its response was read, but the last
	// Offer may race with the client: wait for the counts to settle.
	waitUntil(t, fmt.Sprintf("queue drops = %d", n-1), func() bool { return q.Dropped() == n-1 })
	if q.Len() != 1 {
		t.Errorf("queue holds %d, want 1", q.Len())
	}
	expect := fmt.Sprintf(`
# HELP driftwatch_tap_dropped_total Exchanges the tap did not get in full, by reason (queue_full, over_capture_limit).
# TYPE driftwatch_tap_dropped_total counter
driftwatch_tap_dropped_total{reason="over_capture_limit"} 0
driftwatch_tap_dropped_total{reason="queue_full"} %d
# HELP driftwatch_proxy_requests_total Requests proxied to the model server, by status code sent to the client (exact for common codes, else the class).
# TYPE driftwatch_proxy_requests_total counter
driftwatch_proxy_requests_total{code="200"} %d
`, n-1, n)
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(expect), MetricTapDropped, MetricRequests); err != nil {
		t.Error(err)
	}
	if c := histogramCount(t, e.reg, MetricUpstreamDuration); c != n {
		t.Errorf("upstream duration count %d, want %d", c, n)
	}
	if c := histogramCount(t, e.reg, MetricOverhead); c != n {
		t.Errorf("overhead count %d, want %d", c, n)
	}
}

// waitUntil polls cond for up to waitFor; what says what was awaited.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitFor); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, waitFor)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func histogramCount(t *testing.T, g prometheus.Gatherer, name string) uint64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0
}

func TestUpstreamDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	q := NewQueue(1)
	e := newEnv(t, nil, Config{Upstream: "http://" + addr}, q)

	res := do(t, e.client, "POST", e.front.URL+"/v2/models/m/infer", []byte(`{"inputs":[]}`), nil)
	if res.status != http.StatusBadGateway {
		t.Errorf("status %d, want 502", res.status)
	}
	checkErrorBody(t, res, addr)
	ex := next(t, q)
	if ex.Error != "refused" || ex.Status != http.StatusBadGateway || ex.Resp != nil {
		t.Errorf("exchange error %q status %d resp %q", ex.Error, ex.Status, ex.Resp)
	}
	expectErrors(t, e, map[string]int{"refused": 1})
}

// checkErrorBody checks the short JSON error body and that it names nothing
// of the upstream.
func checkErrorBody(t *testing.T, res response, secret string) {
	t.Helper()
	var v struct{ Error string }
	if err := json.Unmarshal(res.body, &v); err != nil || v.Error == "" {
		t.Errorf("body %q is not {\"error\": ...}: %v", res.body, err)
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Contains(string(res.body), secret) {
		t.Errorf("error body %q names the upstream", res.body)
	}
	if res.header.Get(obs.HeaderRequestID) == "" {
		t.Error("error response has no request id")
	}
}

func expectErrors(t *testing.T, e *env, want map[string]int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("# HELP driftwatch_proxy_upstream_errors_total Exchanges that failed, by kind (refused, timeout, other, client_gone).\n")
	b.WriteString("# TYPE driftwatch_proxy_upstream_errors_total counter\n")
	for _, k := range []string{"client_gone", "other", "refused", "timeout"} {
		fmt.Fprintf(&b, "driftwatch_proxy_upstream_errors_total{kind=%q} %d\n", k, want[k])
	}
	waitUntil(t, fmt.Sprintf("upstream errors %v", want), func() bool {
		return testutil.GatherAndCompare(e.reg, strings.NewReader(b.String()), MetricUpstreamErrors) == nil
	})
}

func TestSlowUpstream(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	q := NewQueue(1)
	e := newEnv(t, slow, Config{Timeout: 50 * time.Millisecond}, q)
	res := do(t, e.client, "GET", e.front.URL+"/", nil, nil)
	if res.status != http.StatusGatewayTimeout {
		t.Errorf("status %d, want 504", res.status)
	}
	checkErrorBody(t, res, e.upstream.Listener.Addr().String())
	if ex := next(t, q); ex.Error != "timeout" || ex.Status != http.StatusGatewayTimeout {
		t.Errorf("exchange error %q status %d", ex.Error, ex.Status)
	}
	expectErrors(t, e, map[string]int{"timeout": 1})
	expect := `
# HELP driftwatch_proxy_requests_total Requests proxied to the model server, by status code sent to the client (exact for common codes, else the class).
# TYPE driftwatch_proxy_requests_total counter
driftwatch_proxy_requests_total{code="504"} 1
`
	if err := testutil.GatherAndCompare(e.reg, strings.NewReader(expect), MetricRequests); err != nil {
		t.Error(err)
	}
}

func TestUpstreamCutsBody(t *testing.T) {
	cut := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte("only part"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // close the connection mid-body
	})
	q := NewQueue(1)
	e := newEnv(t, cut, Config{}, q)
	res, err := e.client.Get(e.front.URL + "/")
	if err == nil {
		_, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err == nil {
		t.Error("client read a cut body without error")
	}
	if ex := next(t, q); ex.Error != "other" || ex.Resp != nil || ex.Status != http.StatusOK {
		t.Errorf("exchange error %q status %d resp %q", ex.Error, ex.Status, ex.Resp)
	}
	expectErrors(t, e, map[string]int{"other": 1})
}

// TestClientAbort has the client go away in the middle of a streamed
// response, and before the upstream answered; no goroutine may be left.
func TestClientAbort(t *testing.T) {
	var active sync.WaitGroup // upstream handlers running
	started := make(chan struct{}, 1)
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/quick" {
			return
		}
		active.Add(1)
		defer active.Done()
		// Read the body first, as model servers do: until then net/http
		// does not watch the connection, and the context is never canceled.
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: 1\n\n")
			w.(http.Flusher).Flush()
		}
		if r.URL.Path == "/hang" {
			started <- struct{}{}
		}
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				if r.URL.Path == "/stream" {
					if _, err := io.WriteString(w, "data: more\n\n"); err != nil {
						return
					}
					w.(http.Flusher).Flush()
				}
			}
		}
	})
	q := NewQueue(4)
	e := newEnv(t, up, Config{}, q)
	// The baseline has no connection open; so must the end, once idle
	// keep-alive connections are closed.
	base := runtime.NumGoroutine()
	do(t, e.client, "GET", e.front.URL+"/quick", nil, nil)
	next(t, q).Release()

	t.Run("mid-response", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", e.front.URL+"/stream", nil)
		res, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(res.Body).ReadString('\n')
		if err != nil || line != "data: 1\n" {
			t.Fatalf("first line %q, %v", line, err)
		}
		cancel()
		res.Body.Close()
		ex := next(t, q)
		if ex.Error != "client_gone" || ex.Status != http.StatusOK || ex.Resp != nil {
			t.Errorf("exchange error %q status %d resp %q", ex.Error, ex.Status, trim(ex.Resp))
		}
		ex.Release()
	})
	t.Run("before-response", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "POST", e.front.URL+"/hang", strings.NewReader("{}"))
		done := make(chan error, 1)
		go func() {
			res, err := e.client.Do(req)
			if err == nil {
				res.Body.Close()
			}
			done <- err
		}()
		select {
		case <-started:
		case <-time.After(waitFor):
			t.Fatal("upstream not reached")
		}
		cancel()
		if err := <-done; err == nil {
			t.Error("canceled request succeeded")
		}
		ex := next(t, q)
		if ex.Error != "client_gone" || ex.Status != statusClientGone {
			t.Errorf("exchange error %q status %d", ex.Error, ex.Status)
		}
		ex.Release()
	})
	expectErrors(t, e, map[string]int{"client_gone": 2})
	active.Wait()
	e.client.CloseIdleConnections()
	e.proxy.rp.Transport.(timedTransport).next.(*http.Transport).CloseIdleConnections()
	waitUntil(t, fmt.Sprintf("goroutines back to %d", base), func() bool { return runtime.NumGoroutine() <= base })
	if got := testutil.ToFloat64(e.proxy.m.upstreamErrors[errClientGone]); got != 2 {
		t.Errorf("client_gone = %v, want 2", got)
	}
}

// TestStreaming checks that events reach the client while the upstream is
// still writing: the upstream waits for the test to see the first event
// before it writes the second, so a buffering proxy would time out.
func TestStreaming(t *testing.T) {
	for _, c := range []struct{ name, contentType string }{
		{"sse", "text/event-stream"},
		{"chunked json", "application/json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			seen := make(chan struct{})
			up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				_, _ = io.WriteString(w, "data: first\n\n")
				w.(http.Flusher).Flush()
				select {
				case <-seen:
				case <-r.Context().Done():
					return
				}
				_, _ = io.WriteString(w, "data: second\n\n")
			})
			q := NewQueue(1)
			e := newEnv(t, up, Config{}, q)
			res, err := e.client.Get(e.front.URL + "/events")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			got := make(chan string, 1)
			br := bufio.NewReader(res.Body)
			go func() {
				line, _ := br.ReadString('\n')
				got <- line
			}()
			select {
			case line := <-got:
				if line != "data: first\n" {
					t.Fatalf("first line %q", line)
				}
			case <-time.After(waitFor):
				t.Fatal("first event not delivered while the upstream was still streaming")
			}
			close(seen)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: second\n\n" {
				t.Errorf("rest %q, %v", rest, err)
			}
			ex := next(t, q)
			defer ex.Release()
			if string(ex.Resp) != "data: first\n\ndata: second\n\n" || ex.Error != "" {
				t.Errorf("tapped %q, error %q", ex.Resp, ex.Error)
			}
		})
	}
}
