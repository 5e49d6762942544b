// Package receivers builds the notifiers a configuration names. It is the
// only package that imports every integration, so that adding one touches
// this file and the integration's own package.
package receivers

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/console"
	"github.com/driftwatch/driftwatch/alerts/notify/datadog"
	"github.com/driftwatch/driftwatch/alerts/notify/pagerduty"
	"github.com/driftwatch/driftwatch/alerts/notify/sentry"
	"github.com/driftwatch/driftwatch/alerts/notify/slack"
	"github.com/driftwatch/driftwatch/alerts/notify/webhook"
)

// Config is one receiver as written in the configuration: a name that
// routes refer to, and exactly one integration.
//
//	receivers:
//	  - name: ml-team
//	    slack: {url: env:SLACK_WEBHOOK_URL}
//	  - name: audit
//	    webhook: {url: env:AUDIT_WEBHOOK_URL}
//	  - name: datadog
//	    datadog: {api_key: env:DD_API_KEY, site: datadoghq.eu, statsd_addr: 127.0.0.1:8125}
//	  - name: sentry
//	    sentry: {dsn: env:SENTRY_DSN, environment: production}
//	  - name: oncall
//	    pagerduty: {routing_key: env:PAGERDUTY_ROUTING_KEY}
//	  - name: local
//	    console: {}
//
// Fallback names another receiver that gets this one's notifications
// while its circuit breaker is open (it keeps failing) and those it
// refuses (see notify.Deliverer).
type Config struct {
	Name     string `yaml:"name"`
	Fallback string `yaml:"fallback"`

	Webhook   *webhook.Config   `yaml:"webhook"`
	Slack     *slack.Config     `yaml:"slack"`
	Datadog   *datadog.Config   `yaml:"datadog"`
	Sentry    *sentry.Config    `yaml:"sentry"`
	PagerDuty *pagerduty.Config `yaml:"pagerduty"`
	Console   *console.Config   `yaml:"console"`
}

// integration is one kind of receiver: its key in the configuration, and
// how to validate and build the Config's part of that kind.
type integration struct {
	key      string
	set      func(*Config) bool
	validate func(*Config) error
	build    func(*Config, *slog.Logger, []notify.Option) (notify.Notifier, error)
}

// kind makes the integration whose part of a Config get returns.
func kind[P interface {
	comparable
	Validate() error
}, N notify.Notifier](key string, get func(*Config) P, build func(P, *slog.Logger, ...notify.Option) (N, error)) integration {
	var none P
	return integration{
		key:      key,
		set:      func(c *Config) bool { return get(c) != none },
		validate: func(c *Config) error { return get(c).Validate() },
		build: func(c *Config, l *slog.Logger, opts []notify.Option) (notify.Notifier, error) {
			return build(get(c), l, opts...)
		},
	}
}

// integrations are every kind of receiver, in the order error messages
// list them; Validate and Build both read this list.
var integrations = []integration{
	kind("webhook", func(c *Config) *webhook.Config { return c.Webhook }, webhook.New),
	kind("slack", func(c *Config) *slack.Config { return c.Slack }, slack.New),
	kind("datadog", func(c *Config) *datadog.Config { return c.Datadog }, datadog.New),
	kind("sentry", func(c *Config) *sentry.Config { return c.Sentry }, sentry.New),
	kind("pagerduty", func(c *Config) *pagerduty.Config { return c.PagerDuty }, pagerduty.New),
	kind("console", func(c *Config) *console.Config { return c.Console }, console.New),
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks c without resolving secrets.
func (c *Config) Validate() error {
	var errs []error
	if !validName.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want letters, digits, '_', '.' or '-'", c.Name))
	}
	var keys []string
	n := 0
	for _, in := range integrations {
		keys = append(keys, in.key)
		if !in.set(c) {
			continue
		}
		n++
		for _, e := range unjoin(in.validate(c)) {
			errs = append(errs, fmt.Errorf("%s %w", in.key, e))
		}
	}
	if c.Fallback == c.Name && c.Name != "" {
		errs = append(errs, fmt.Errorf("fallback %q is the receiver itself: give another receiver", c.Fallback))
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("receiver %q: give exactly one of %s or %s, got %d", c.Name,
			strings.Join(keys[:len(keys)-1], ", "), keys[len(keys)-1], n))
	}
	return errors.Join(errs...)
}

// Close closes the notifiers that are io.Closers, and returns the first
// error.
func Close(ns map[string]notify.Notifier) error {
	var first error
	for _, n := range ns {
		if c, ok := n.(io.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// unjoin splits an errors.Join error.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// Fallbacks returns each receiver's fallback, for those that have one.
func Fallbacks(cfgs []Config) map[string]string {
	out := map[string]string{}
	for _, c := range cfgs {
		if c.Fallback != "" {
			out[c.Name] = c.Fallback
		}
	}
	return out
}

// Build returns a notifier per receiver, by name, each made with l and
// opts. Notifiers that hold connections (Datadog's DogStatsD client) are
// io.Closers: see Close.
func Build(cfgs []Config, l *slog.Logger, opts ...notify.Option) (map[string]notify.Notifier, error) {
	out := make(map[string]notify.Notifier, len(cfgs))
	for i := range cfgs {
		c := &cfgs[i]
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("receivers[%d]: %w", i, err)
		}
		if _, dup := out[c.Name]; dup {
			return nil, fmt.Errorf("receivers[%d]: name %q is used twice", i, c.Name)
		}
		var (
			n   notify.Notifier
			err error
		)
		for _, in := range integrations {
			if in.set(c) {
				n, err = in.build(c, l, opts)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("receiver %q: %w", c.Name, err)
		}
		out[c.Name] = n
	}
	return out, nil
}
