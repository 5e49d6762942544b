package synthetics

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// maxBody bounds how much of an answer a check reads.
const maxBody = 16 << 20

// Phases are the timings of one attempt. DNS, Connect and TLS are zero
// when the phase did not happen (an IP address, a reused connection,
// plain HTTP); FirstByte and Total count from the start of the request.
type Phases struct {
	DNS, Connect, TLS, FirstByte, Total time.Duration
}

// PhaseNames are the phase label values of the metrics, in the order of
// Phases.
var PhaseNames = []string{"dns", "connect", "tls", "first_byte", "total"}

// Values returns the phases in the order of PhaseNames.
func (p Phases) Values() []time.Duration {
	return []time.Duration{p.DNS, p.Connect, p.TLS, p.FirstByte, p.Total}
}

// Result is the outcome of one run of a check: its last attempt, and how
// many attempts it took.
type Result struct {
	Check  string
	Labels map[string]string
	Start  time.Time
	// Success is whether every assertion held (golden: enough rows
	// agreed) in the last attempt.
	Success bool
	// Reason says why the run failed: the first assertion that did not
	// hold, with what was expected and what was seen; "" on success.
	Reason string
	// Failures lists every assertion that did not hold, Reason first.
	Failures []string
	Status   int // HTTP status of the answer; 0 without one
	Attempts int
	Phases   Phases
	// Golden is set for golden checks; Agreement is then the share of
	// the set's rows that agreed.
	Golden    bool
	Agreement float64
	// FailingSince is when the check started failing, for failed runs
	// (set by the Runner); Counted is whether the failure has lasted
	// Check.MinFailureDuration and so counts (success counts always).
	FailingSince time.Time
	Counted      bool
}

// Prober runs one check.
type Prober struct {
	check  Check
	client *http.Client
	body   []byte
	golden *goldenSet
	expect *compiledExpect
	cron   *cron // nil without sentry_cron
	now    func() time.Time
}

// NewProber reads the files c names (relative ones against dir), compiles
// its assertions and returns its Prober. c must be valid (Validate).
func NewProber(c Check, dir string) (*Prober, error) {
	p := &Prober{check: c, now: time.Now}
	abs := func(f string) string {
		if filepath.IsAbs(f) || dir == "" {
			return f
		}
		return filepath.Join(dir, f)
	}
	if c.Request.BodyFile != "" {
		b, err := os.ReadFile(abs(c.Request.BodyFile))
		if err != nil {
			return nil, fmt.Errorf("check %q: request.body_file: %w", c.Name, err)
		}
		p.body = b
	} else if c.Request.Body != "" {
		p.body = []byte(c.Request.Body)
	}
	tc := &tls.Config{ServerName: c.Request.TLS.ServerName, InsecureSkipVerify: c.Request.TLS.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if f := c.Request.TLS.CAFile; f != "" {
		pem, err := os.ReadFile(abs(f))
		if err != nil {
			return nil, fmt.Errorf("check %q: request.tls.ca_file: %w", c.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("check %q: request.tls.ca_file %s: no PEM certificate in it", c.Name, f)
		}
		tc.RootCAs = pool
	}
	// A transport per check, without keep-alive: every run measures the
	// whole connection (DNS, connect, TLS), as a new client would see it.
	p.client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true, Proxy: http.ProxyFromEnvironment},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // a redirect is an answer to check
		},
	}
	var err error
	if c.SentryCron != nil {
		if p.cron, err = newCron(&c); err != nil {
			return nil, fmt.Errorf("check %q: %w", c.Name, err)
		}
	}
	switch {
	case c.Golden != nil:
		if p.golden, err = loadGolden(abs(c.Golden.File), c.Golden); err != nil {
			return nil, fmt.Errorf("check %q: golden.file: %w", c.Name, err)
		}
		if p.body, err = p.golden.request(); err != nil {
			return nil, fmt.Errorf("check %q: golden: %w", c.Name, err)
		}
	case c.Expect != nil:
		if p.expect, err = compileExpect(c.Expect); err != nil {
			return nil, fmt.Errorf("check %q: %w", c.Name, err)
		}
	}
	return p, nil
}

// Check returns the check p runs.
func (p *Prober) Check() *Check { return &p.check }

// Run runs the check: one attempt, and up to Retries more, RetryInterval
// apart, while attempts fail. It returns the last attempt's result.
func (p *Prober) Run(ctx context.Context) Result {
	var r Result
	for i := 0; i <= p.check.Retries; i++ {
		if i > 0 {
			t := time.NewTimer(p.check.retryInterval())
			select {
			case <-ctx.Done():
				t.Stop()
				r.Attempts = i
				return r
			case <-t.C:
			}
		}
		r = p.attempt(ctx)
		r.Attempts = i + 1
		if r.Success || ctx.Err() != nil {
			break
		}
	}
	return r
}

// attempt sends the request once and checks the answer.
func (p *Prober) attempt(ctx context.Context) Result {
	r := Result{Check: p.check.Name, Labels: p.check.Labels, Start: p.now(), Golden: p.golden != nil}
	ctx, cancel := context.WithTimeout(ctx, p.check.Request.timeout())
	defer cancel()
	method := p.check.Request.Method
	if method == "" {
		method = http.MethodGet
		if p.body != nil {
			method = http.MethodPost
		}
	}
	var (
		ph                                                   Phases
		dnsStart, connStart, tlsStart, firstByte, start, end time.Time
	)
	trace := &httptrace.ClientTrace{
		DNSStart:             func(httptrace.DNSStartInfo) { dnsStart = time.Now() },
		DNSDone:              func(httptrace.DNSDoneInfo) { ph.DNS = time.Since(dnsStart) },
		ConnectStart:         func(string, string) { connStart = time.Now() },
		ConnectDone:          func(string, string, error) { ph.Connect = time.Since(connStart) },
		TLSHandshakeStart:    func() { tlsStart = time.Now() },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { ph.TLS = time.Since(tlsStart) },
		GotFirstResponseByte: func() { firstByte = time.Now() },
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), method, p.check.Request.URL, bytes.NewReader(p.body))
	if err != nil {
		return r.fail("request: %v", err)
	}
	if p.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range p.check.Request.Headers {
		req.Header.Set(k, v)
	}
	if p.body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set(obs.HeaderSynthetic, "1")

	start = time.Now()
	resp, err := p.client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
		resp.Body.Close()
		if err == nil && len(body) > maxBody {
			err = fmt.Errorf("answer longer than %d bytes", maxBody)
		}
	}
	end = time.Now()
	ph.Total = end.Sub(start)
	if !firstByte.IsZero() {
		ph.FirstByte = firstByte.Sub(start)
	}
	r.Phases = ph
	if err != nil {
		return r.fail("%s", describeTransport(err, p.check.Request.timeout()))
	}
	r.Status = resp.StatusCode
	if p.golden != nil {
		if resp.StatusCode/100 != 2 {
			return r.fail("status %d, want 2xx: %s", resp.StatusCode, snippet(body))
		}
		r.Agreement, r.Failures = p.golden.compare(body)
	} else {
		r.Failures = p.expect.check(resp, body, ph.Total, p.now())
	}
	r.Success = len(r.Failures) == 0
	if !r.Success {
		r.Reason = r.Failures[0]
	}
	return r
}

func (r Result) fail(format string, a ...any) Result {
	r.Reason = fmt.Sprintf(format, a...)
	r.Failures = []string{r.Reason}
	r.Success = false
	return r
}

// describeTransport says in plain words why no answer came.
func describeTransport(err error, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return fmt.Sprintf("no answer within the timeout (%v)", timeout)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("DNS lookup of %s failed: %v", dnsErr.Name, dnsErr.Err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Sprintf("cannot connect: %v", opErr.Err)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return fmt.Sprintf("TLS certificate not trusted: %v", certErr.Err)
	}
	return "request failed: " + err.Error()
}

// snippet returns the start of an answer body, on one line, for reasons.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), 200)]), "?")), " ")
	if len(b) > 200 {
		s += "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
