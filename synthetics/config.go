package synthetics

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"time"
)

// Defaults of a Check.
const (
	DefaultInterval      = time.Minute
	DefaultTimeout       = 10 * time.Second
	DefaultRetryInterval = time.Second
	// MaxRetries bounds Check.Retries.
	MaxRetries = 10
)

// Protocols a golden check builds its requests for.
const (
	ProtocolOIPv2     = "oip-v2"
	ProtocolTFServing = "tf-serving"
)

// Check is one synthetic check as written in the configuration: a request
// and either assertions on its answer (Expect) or a golden set of model
// inputs with their expected outputs (Golden).
//
//	synthetics:
//	  - name: predict-ok
//	    interval: 30s            # [1m], each run shifted by up to jitter [interval/10]
//	    retries: 2               # more attempts before a run fails [0]
//	    retry_interval: 2s       # [1s]
//	    min_failure_duration: 2m # failing runs count only after this long [0]
//	    request:
//	      url: http://127.0.0.1:8080/v2/models/iris/infer
//	      method: POST           # [GET, or POST with a body]
//	      headers: {Authorization: "Bearer …"}
//	      body_file: testdata/iris-request.json   # or body: '{"inputs": …}'
//	      timeout: 5s            # [10s]
//	      tls: {ca_file: ca.pem, server_name: model.internal, insecure_skip_verify: false}
//	    expect:
//	      status: [200]          # [any 2xx]
//	      max_latency: 300ms
//	      headers: [{name: Content-Type, matches: "^application/json"}]
//	      json:
//	        - {path: "$.outputs[0].name", equals: label}
//	        - {path: "$.outputs[0].data[0]", min: 0, max: 2}
//	        - {path: "$.model_version", present: true}
//	      cert_valid_for: 168h   # the server certificate must not expire sooner
//	  - name: golden
//	    request: {url: http://127.0.0.1:8080/v2/models/breast-cancer/infer}
//	    golden:
//	      file: testdata/golden.jsonl  # {"inputs": [...], "class": 1, "probabilities": [...]} per line
//	      protocol: oip-v2             # or tf-serving
//	      tolerance: 0.05              # |p − p_ref| ≤ tolerance for every class
//	      top_k: 1                     # the expected class among the top k [1]
//	      min_agreement: 0.95          # share of rows that must agree [1]
//	    sentry_cron: {dsn: env:SENTRY_DSN, monitor: model-golden, upsert: true}  # see SentryCron
type Check struct {
	Name               string            `yaml:"name"`
	Labels             map[string]string `yaml:"labels"`
	Interval           time.Duration     `yaml:"interval"`
	Jitter             *time.Duration    `yaml:"jitter"`
	Retries            int               `yaml:"retries"`
	RetryInterval      time.Duration     `yaml:"retry_interval"`
	MinFailureDuration time.Duration     `yaml:"min_failure_duration"`
	Request            Request           `yaml:"request"`
	Expect             *Expect           `yaml:"expect"`
	Golden             *Golden           `yaml:"golden"`
	SentryCron         *SentryCron       `yaml:"sentry_cron"`
}

// Request is what a check sends.
type Request struct {
	URL      string            `yaml:"url"`
	Method   string            `yaml:"method"`
	Headers  map[string]string `yaml:"headers"`
	Body     string            `yaml:"body"`
	BodyFile string            `yaml:"body_file"`
	Timeout  time.Duration     `yaml:"timeout"`
	TLS      TLS               `yaml:"tls"`
}

// TLS configures the client side of HTTPS checks.
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Expect are the assertions of an HTTP check; all must hold.
type Expect struct {
	Status       []int             `yaml:"status"`
	MaxLatency   time.Duration     `yaml:"max_latency"`
	Headers      []HeaderAssertion `yaml:"headers"`
	JSON         []JSONAssertion   `yaml:"json"`
	CertValidFor time.Duration     `yaml:"cert_valid_for"`
}

// HeaderAssertion checks one response header: equal to Equals, matching
// the regular expression Matches, or (Present) there at all or not.
type HeaderAssertion struct {
	Name    string `yaml:"name"`
	Equals  string `yaml:"equals"`
	Matches string `yaml:"matches"`
	Present *bool  `yaml:"present"`
}

// JSONAssertion checks the values an RFC 9535 JSONPath selects in the
// JSON body: equal to Equals (a JSON value), within [Min, Max], matching
// Matches, or (Present) selecting something or nothing. When the path
// selects several values, each must hold.
type JSONAssertion struct {
	Path    string   `yaml:"path"`
	Equals  any      `yaml:"equals"`
	Min     *float64 `yaml:"min"`
	Max     *float64 `yaml:"max"`
	Matches string   `yaml:"matches"`
	Present *bool    `yaml:"present"`
}

// Golden is a golden set: model inputs with the outputs they must get.
type Golden struct {
	File         string  `yaml:"file"`
	Protocol     string  `yaml:"protocol"`
	Tolerance    float64 `yaml:"tolerance"`
	TopK         int     `yaml:"top_k"`
	MinAgreement float64 `yaml:"min_agreement"`
	// Output names the OIP v2 output holding the class probabilities;
	// by default the first output of shape [batch, classes].
	Output string `yaml:"output"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks c without reading files; every problem is reported,
// each starting with the field it is about.
func (c *Check) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !validName.MatchString(c.Name) {
		add("name %q: want letters, digits, '_', '.' or '-'", c.Name)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"interval", c.Interval}, {"retry_interval", c.RetryInterval}, {"min_failure_duration", c.MinFailureDuration}, {"request.timeout", c.Request.Timeout}} {
		if d.v < 0 {
			add("%s %v is negative", d.name, d.v)
		}
	}
	if c.Jitter != nil && (*c.Jitter < 0 || *c.Jitter > c.interval()) {
		add("jitter %v: want between 0 and the interval (%v)", *c.Jitter, c.interval())
	}
	if c.Retries < 0 || c.Retries > MaxRetries {
		add("retries %d: want 0 to %d", c.Retries, MaxRetries)
	}
	u, err := url.Parse(c.Request.URL)
	switch {
	case c.Request.URL == "":
		add("request.url is required")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add("request.url %q: want an http:// or https:// URL", c.Request.URL)
	}
	if c.Request.Body != "" && c.Request.BodyFile != "" {
		add("request.body and request.body_file are mutually exclusive: give one")
	}
	switch {
	case c.Expect == nil && c.Golden == nil:
		add("give expect (assertions) or golden (a golden set)")
	case c.Expect != nil && c.Golden != nil:
		add("expect and golden are mutually exclusive: give one")
	case c.Expect != nil:
		errs = append(errs, c.Expect.validate()...)
	default:
		errs = append(errs, c.Golden.validate(c.Request)...)
	}
	if c.SentryCron != nil {
		errs = append(errs, c.SentryCron.validate()...)
	}
	return errors.Join(errs...)
}

func (e *Expect) validate() []error {
	var errs []error
	for _, s := range e.Status {
		if s < 100 || s > 599 {
			errs = append(errs, fmt.Errorf("expect.status %d is not an HTTP status", s))
		}
	}
	if e.MaxLatency < 0 || e.CertValidFor < 0 {
		errs = append(errs, errors.New("expect.max_latency and expect.cert_valid_for must not be negative"))
	}
	for i, h := range e.Headers {
		if h.Name == "" {
			errs = append(errs, fmt.Errorf("expect.headers[%d].name is required", i))
		}
		if h.Matches != "" {
			if _, err := regexp.Compile(h.Matches); err != nil {
				errs = append(errs, fmt.Errorf("expect.headers[%d].matches: %w", i, err))
			}
		}
		if n := count(h.Equals != "", h.Matches != "", h.Present != nil); n != 1 {
			errs = append(errs, fmt.Errorf("expect.headers[%d]: give exactly one of equals, matches or present, got %d", i, n))
		}
	}
	for i, j := range e.JSON {
		if _, err := parsePath(j.Path); err != nil {
			errs = append(errs, fmt.Errorf("expect.json[%d].path: %w", i, err))
		}
		if j.Matches != "" {
			if _, err := regexp.Compile(j.Matches); err != nil {
				errs = append(errs, fmt.Errorf("expect.json[%d].matches: %w", i, err))
			}
		}
		if n := count(j.Equals != nil, j.Min != nil || j.Max != nil, j.Matches != "", j.Present != nil); n != 1 {
			errs = append(errs, fmt.Errorf("expect.json[%d]: give exactly one of equals, min/max, matches or present, got %d", i, n))
		}
		if j.Min != nil && j.Max != nil && *j.Min > *j.Max {
			errs = append(errs, fmt.Errorf("expect.json[%d]: min %g is above max %g", i, *j.Min, *j.Max))
		}
	}
	return errs
}

func (g *Golden) validate(r Request) []error {
	var errs []error
	if g.File == "" {
		errs = append(errs, errors.New("golden.file is required"))
	}
	if !slices.Contains([]string{ProtocolOIPv2, ProtocolTFServing}, g.Protocol) {
		errs = append(errs, fmt.Errorf("golden.protocol %q: want %s or %s", g.Protocol, ProtocolOIPv2, ProtocolTFServing))
	}
	if g.Tolerance < 0 || g.Tolerance > 1 {
		errs = append(errs, fmt.Errorf("golden.tolerance %g: want between 0 and 1", g.Tolerance))
	}
	if g.TopK < 0 {
		errs = append(errs, fmt.Errorf("golden.top_k %d is negative", g.TopK))
	}
	if g.MinAgreement < 0 || g.MinAgreement > 1 {
		errs = append(errs, fmt.Errorf("golden.min_agreement %g: want between 0 and 1", g.MinAgreement))
	}
	if r.Body != "" || r.BodyFile != "" {
		errs = append(errs, errors.New("golden: the request body is built from the golden file; leave request.body and body_file out"))
	}
	return errs
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func (c *Check) interval() time.Duration {
	if c.Interval > 0 {
		return c.Interval
	}
	return DefaultInterval
}

func (c *Check) jitter() time.Duration {
	if c.Jitter != nil {
		return *c.Jitter
	}
	return c.interval() / 10
}

func (c *Check) retryInterval() time.Duration {
	if c.RetryInterval > 0 {
		return c.RetryInterval
	}
	return DefaultRetryInterval
}

func (r *Request) timeout() time.Duration {
	if r.Timeout > 0 {
		return r.Timeout
	}
	return DefaultTimeout
}
