package proxy

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"time"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultCaptureLimit = 1 << 20          // bytes per body
	DefaultTimeout      = 30 * time.Second // connect and response-header timeout
	DefaultMaxIdleConns = 256              // idle keep-alive connections to the upstream
)

// Config is the proxy's configuration. The zero value of every field except
// Upstream selects its default; see the field comments.
type Config struct {
	// Upstream is the URL of the model server, e.g. http://127.0.0.1:8080.
	// A path in it is prefixed to every request path.
	Upstream string

	// CaptureLimit is the largest body, in bytes, that is copied for the tap.
	// A request or response body larger than this passes through completely
	// but is not captured: the Exchange has a nil body and Truncated set.
	// 0 means DefaultCaptureLimit; a negative value disables body capture.
	CaptureLimit int64

	// Timeout bounds connecting to the upstream and, once the request is
	// sent, waiting for the response headers; the client then gets a 504.
	// It does not bound the response body, so long streams are not cut.
	// 0 means DefaultTimeout. It applies to the default transport only: a
	// transport given with WithTransport brings its own timeouts.
	Timeout time.Duration

	// RewriteHost sends the upstream's host in the Host header. By default
	// the client's Host header is forwarded unchanged, as a transparent
	// sidecar should.
	RewriteHost bool

	// MaxIdleConns is the number of idle keep-alive connections kept to the
	// upstream. 0 means DefaultMaxIdleConns. It applies to the default
	// transport only.
	MaxIdleConns int
}

// RegisterFlags registers the proxy's flags on fs, with the current field
// values (or the defaults, for zero fields) as flag defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	d := c.withDefaults()
	fs.StringVar(&c.Upstream, "upstream", c.Upstream, "URL of the model server the sidecar proxies to, e.g. http://127.0.0.1:8080")
	fs.Int64Var(&c.CaptureLimit, "capture-limit", d.CaptureLimit, "largest request or response body in bytes copied for drift detection; larger bodies pass through untapped (negative: capture no bodies)")
	fs.DurationVar(&c.Timeout, "upstream-timeout", d.Timeout, "timeout for connecting to the upstream and for its response headers; exceeded → 504")
	fs.BoolVar(&c.RewriteHost, "rewrite-host", c.RewriteHost, "send the upstream's host as the Host header instead of the client's")
	fs.IntVar(&c.MaxIdleConns, "upstream-max-idle-conns", d.MaxIdleConns, "idle keep-alive connections kept to the upstream")
}

// Validate checks the configuration without changing it and returns every
// problem found, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Upstream == "" {
		errs = append(errs, errors.New("upstream: required"))
	} else if _, err := parseUpstream(c.Upstream); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("upstream timeout: must not be negative, got %v", c.Timeout))
	}
	if c.MaxIdleConns < 0 {
		errs = append(errs, fmt.Errorf("upstream max idle conns: must not be negative, got %d", c.MaxIdleConns))
	}
	return errors.Join(errs...)
}

// withDefaults returns a copy of c with defaults for zero fields.
func (c Config) withDefaults() Config {
	if c.CaptureLimit == 0 {
		c.CaptureLimit = DefaultCaptureLimit
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxIdleConns == 0 {
		c.MaxIdleConns = DefaultMaxIdleConns
	}
	return c
}

// parseUpstream parses and checks the upstream URL. Its errors never show
// the URL's password.
func parseUpstream(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole input, password included: say less.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("upstream: invalid URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("upstream %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("upstream %q: no host", u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("upstream %q: must not have a query or fragment", u.Redacted())
	}
	return u, nil
}
