// Package proxy is driftwatch's request path: an http.Handler that proxies
// a model server's traffic and hands a copy of every exchange to a Tap.
//
// It extends net/http/httputil.ReverseProxy through its hooks, and forks
// nothing: Rewrite points the request at the upstream and sets the request
// id, a wrapping Transport timestamps the upstream call, ModifyResponse tees
// the response body, and ErrorHandler turns upstream failures into 502/504
// with a short JSON body. Bodies are copied while they stream, into pooled
// buffers bounded by a capture limit; the Exchange is offered to the tap
// only after the response has been sent, and the tap never blocks (a Queue
// drops and counts when full). Hop-by-hop headers are handled by
// ReverseProxy; everything else, both ways, is passed on byte for byte,
// including compressed bodies (the transport never adds or removes an
// encoding), the client's Host header (unless Config.RewriteHost) and its
// Forwarded and X-Forwarded-* headers.
//
// # Request id
//
// Every request carries an X-Request-Id upstream and every response carries
// it back to the client: the client's own when it sent one, else a generated
// one. The upstream's X-Request-Id, if any, is replaced by this one so that
// delayed labels can be joined to predictions.
//
// # Streaming
//
// ReverseProxy flushes every write to the client when the response is
// text/event-stream or has no Content-Length (chunked), so server-sent
// events and chunked streams reach the client as the upstream writes them.
// Fixed-length responses are buffered by net/http as usual.
//
// # Metrics
//
// See the Metric constants. No label takes unbounded values.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Option configures a Proxy beyond its Config.
type Option func(*options)

type options struct {
	reg       prometheus.Registerer
	log       *slog.Logger
	transport http.RoundTripper
}

// WithRegisterer registers the proxy's metrics on reg. Without it, or with
// nil, no metric is registered.
func WithRegisterer(reg prometheus.Registerer) Option {
	return func(o *options) { o.reg = reg }
}

// WithLogger sets the logger for upstream errors, which are throttled to one
// line per few seconds. The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithTransport sets the transport used to reach the upstream, instead of
// one built from Config (Timeout and MaxIdleConns then do not apply). It
// should not add or remove content encodings (http.Transport's
// DisableCompression), or responses will not pass through unchanged.
func WithTransport(rt http.RoundTripper) Option {
	return func(o *options) { o.transport = rt }
}

// Proxy is an http.Handler that forwards every request to the upstream and
// offers a copy of each exchange to a Tap. It is safe for concurrent use.
type Proxy struct {
	rp          httputil.ReverseProxy
	target      *url.URL
	joinPath    bool // target has a path to prefix
	rewriteHost bool
	limit       int64
	tap         Tap
	m           *metrics
	ids         *idGen
	errLog      *throttledLog
}

// New returns a Proxy to cfg.Upstream that offers exchanges to tap. A nil
// tap captures nothing; the proxy then only forwards and measures.
func New(cfg Config, tap Tap, opts ...Option) (*Proxy, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("proxy config: %w", err)
	}
	cfg = cfg.withDefaults()
	target, err := parseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err // unreachable: Validate parsed it
	}
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(o.reg)
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		target:      target,
		joinPath:    target.Path != "" && target.Path != "/",
		rewriteHost: cfg.RewriteHost,
		limit:       cfg.CaptureLimit,
		tap:         tap,
		m:           m,
		ids:         newIDGen(),
		errLog:      &throttledLog{l: o.log, level: slog.LevelWarn},
	}
	rt := o.transport
	if rt == nil {
		rt = newTransport(cfg)
	}
	p.rp = httputil.ReverseProxy{
		Rewrite:        p.rewrite,
		Transport:      timedTransport{next: rt},
		ModifyResponse: p.modifyResponse,
		ErrorHandler:   p.errorHandler,
		BufferPool:     copyBuffers{},
		ErrorLog:       log.New(p.errLog, "", 0),
	}
	return p, nil
}

// newTransport returns the default upstream transport: keep-alive
// connections, the configured timeouts, no proxy from the environment and
// no transparent compression.
func newTransport(cfg Config) *http.Transport {
	return &http.Transport{
		DialContext: (&net.Dialer{
			Timeout:   cfg.Timeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          cfg.MaxIdleConns,
		MaxIdleConnsPerHost:   cfg.MaxIdleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// ServeHTTP implements http.Handler.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := &flight{Context: r.Context(), start: time.Now()}
	if id := r.Header[obs.HeaderRequestID]; len(id) > 0 && id[0] != "" {
		f.id[0] = id[0]
	} else {
		f.id[0] = p.ids.next()
	}
	out := r.WithContext(f)
	if p.tap != nil {
		f.ex = getExchange()
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			f.req.rc = r.Body
			f.req.c.start(f.ex.reqBuf, p.limit, r.ContentLength)
			out.Body = &f.req
		}
	}
	f.resp.limit = p.limit
	defer p.finish(f, r)
	p.rp.ServeHTTP(w, out)
}

// rewrite is ReverseProxy's Rewrite hook.
func (p *Proxy) rewrite(pr *httputil.ProxyRequest) {
	in, out := pr.In, pr.Out
	if p.joinPath {
		host := out.Host
		pr.SetURL(p.target)
		out.Host = host
	} else {
		out.URL.Scheme = p.target.Scheme
		out.URL.Host = p.target.Host
	}
	if p.rewriteHost {
		out.Host = ""
	}
	// ReverseProxy drops these for Rewrite; a transparent sidecar keeps
	// what the client sent.
	for _, h := range forwardingHeaders {
		if v, ok := in.Header[h]; ok {
			out.Header[h] = v
		}
	}
	if f := flightOf(in.Context()); f != nil {
		out.Header[obs.HeaderRequestID] = f.id[:]
		if f.ex != nil {
			f.ex.ReqHeader = out.Header
		}
	}
}

var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"}

// modifyResponse is ReverseProxy's ModifyResponse hook: it sets the request
// id and tees the response body.
func (p *Proxy) modifyResponse(res *http.Response) error {
	f := flightOf(res.Request.Context())
	if f == nil {
		return nil
	}
	f.status = res.StatusCode
	res.Header[obs.HeaderRequestID] = f.id[:]
	if f.ex != nil {
		f.ex.RespHeader = res.Header
	}
	if res.StatusCode == http.StatusSwitchingProtocols {
		return nil // the body is the upgraded connection: not tapped
	}
	f.resp.rc = res.Body
	limit := int64(-1)
	var buf []byte
	if f.ex != nil {
		limit, buf = f.resp.limit, f.ex.respBuf
	}
	f.resp.c.start(buf, limit, res.ContentLength)
	res.Body = &f.resp
	return nil
}

// Error bodies: short, fixed, and naming nothing of the upstream.
var errorBodies = [numErrKinds][]byte{
	errRefused: []byte(`{"error":"upstream refused the connection"}` + "\n"),
	errTimeout: []byte(`{"error":"upstream timed out"}` + "\n"),
	errOther:   []byte(`{"error":"upstream request failed"}` + "\n"),
}

// errorHandler is ReverseProxy's ErrorHandler: it answers 502, 504, or (to
// a client that is gone) 499, and counts the failure.
func (p *Proxy) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	kind, status := classify(r.Context(), err)
	if f := flightOf(r.Context()); f != nil {
		f.errKind, f.status, f.errAt = kind, status, time.Now()
		w.Header()[obs.HeaderRequestID] = f.id[:]
	}
	if kind != errClientGone {
		p.errLog.log("upstream request failed", "kind", errKindNames[kind], "err", err)
	}
	body := errorBodies[kind]
	if body == nil {
		w.WriteHeader(status)
		return
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var jsonContentType = []string{"application/json"}

// classify maps an error from the upstream round trip to an error kind and
// the status for the client.
func classify(ctx context.Context, err error) (kind, status int) {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return errClientGone, statusClientGone
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return errTimeout, http.StatusGatewayTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return errRefused, http.StatusBadGateway
	default:
		return errOther, http.StatusBadGateway
	}
}

// finish runs when the handler ends, normally or by panic (ReverseProxy
// panics with http.ErrAbortHandler when the copy to the client fails): it
// classifies the outcome, offers the exchange and records metrics. By then
// everything has been written to the ResponseWriter; net/http flushes what
// it still buffers when the handler returns, right after finish.
func (p *Proxy) finish(f *flight, r *http.Request) {
	kind := f.errKind
	if kind == errNone && !f.resp.eof && f.status != http.StatusSwitchingProtocols {
		// The response started but did not reach the client in full.
		switch {
		case r.Context().Err() != nil, f.resp.readErr == nil:
			kind = errClientGone // client disconnected, or a write to it failed
		default:
			kind = errOther // the upstream cut the body off
			p.errLog.log("upstream response body failed", "kind", errKindNames[kind], "err", f.resp.readErr)
		}
	}
	if f.ex != nil {
		p.offer(f, r, kind)
	}

	end := time.Now()
	m := p.m
	m.request(f.status)
	if kind != errNone {
		m.upstreamErrors[kind].Inc()
	}
	if f.resp.eof {
		m.upstream.Observe(f.resp.eofAt.Sub(f.sent).Seconds())
		if kind == errNone {
			m.overhead.Observe((f.sent.Sub(f.start) + end.Sub(f.resp.eofAt)).Seconds())
		}
	}
}

// offer fills the flight's Exchange and offers it to the tap; f.ex must not
// be used afterwards.
func (p *Proxy) offer(f *flight, r *http.Request, kind int) {
	e := f.ex
	f.ex = nil
	e.Start = f.start
	e.RequestID = f.id[0]
	e.Method = r.Method
	e.Path = r.URL.Path
	e.RemoteAddr = r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		e.RemoteAddr = host
	}
	e.Status = f.status
	e.Error = errKindNames[kind]
	e.Synthetic = isSynthetic(r.Header)
	switch {
	case f.resp.eof:
		e.Latency = f.resp.eofAt.Sub(f.sent)
	case !f.errAt.IsZero() && !f.sent.IsZero():
		e.Latency = f.errAt.Sub(f.sent)
	}
	if f.req.rc != nil {
		c, eof := f.req.take()
		e.reqBuf = c.buf
		e.Truncated = c.over
		if !c.over && len(c.buf) > 0 && (eof || int64(len(c.buf)) == r.ContentLength) {
			e.Req = c.buf
		}
	}
	if f.resp.rc != nil {
		c := &f.resp.c
		e.respBuf = c.buf
		e.Truncated = e.Truncated || c.over
		if !c.over && f.resp.eof && len(c.buf) > 0 {
			e.Resp = c.buf
		}
	}
	if e.Truncated {
		p.m.overLimit.Inc()
	}
	if !p.tap.Offer(e) {
		p.m.queueFull.Inc()
		e.Release()
	}
}

func isSynthetic(h http.Header) bool {
	v := h[obs.HeaderSynthetic]
	return len(v) > 0 && v[0] == "1"
}

// flight is the state of one request in flight. It is the context of the
// outbound request, so every ReverseProxy hook finds it, and it is allocated
// per request (never pooled), because the transport's body-writing goroutine
// may outlive the handler.
type flight struct {
	context.Context // the inbound request's

	start, sent time.Time
	errAt       time.Time
	id          [1]string // backing of the X-Request-Id header values
	status      int
	errKind     int
	ex          *Exchange // nil without a tap
	req         reqBody
	resp        respBody
}

type flightKey struct{}

// Value implements context.Context.
func (f *flight) Value(key any) any {
	if _, ok := key.(flightKey); ok {
		return f
	}
	return f.Context.Value(key)
}

func flightOf(ctx context.Context) *flight {
	f, _ := ctx.Value(flightKey{}).(*flight)
	return f
}

// timedTransport wraps the upstream transport to time the round trip.
type timedTransport struct{ next http.RoundTripper }

// RoundTrip implements http.RoundTripper.
func (t timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if f := flightOf(req.Context()); f != nil {
		f.sent = time.Now()
	}
	res, err := t.next.RoundTrip(req)
	if err == nil && res.Request == nil {
		res.Request = req // ModifyResponse finds the flight through it
	}
	return res, err
}
