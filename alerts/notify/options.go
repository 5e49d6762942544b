package notify

import (
	"io"
	"net/http"
)

// Options are what an integration's constructor takes besides its Config
// and logger: New(cfg *Config, l *slog.Logger, opts ...Option).
type Options struct {
	// Client carries the requests of HTTP integrations;
	// http.DefaultClient when nil.
	Client *http.Client
	// Output is where the console integration writes, instead of the
	// stream its config names.
	Output io.Writer
}

// Option sets one of Options.
type Option func(*Options)

// WithHTTPClient makes HTTP integrations send through c.
func WithHTTPClient(c *http.Client) Option { return func(o *Options) { o.Client = c } }

// WithOutput makes the console integration write to w.
func WithOutput(w io.Writer) Option { return func(o *Options) { o.Output = w } }

// NewOptions applies opts over the defaults: http.DefaultClient, and no
// Output (the config decides).
func NewOptions(opts ...Option) Options {
	o := Options{Client: http.DefaultClient}
	for _, opt := range opts {
		opt(&o)
	}
	if o.Client == nil {
		o.Client = http.DefaultClient
	}
	return o
}
