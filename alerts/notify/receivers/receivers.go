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

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/console"
	"github.com/driftwatch/driftwatch/alerts/notify/datadog"
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
//	  - name: local
//	    console: {}
//
// Fallback names another receiver that gets this one's notifications
// while its circuit breaker is open (it keeps failing) and those it
// refuses (see notify.Deliverer).
type Config struct {
	Name     string `yaml:"name"`
	Fallback string `yaml:"fallback"`

	Webhook *webhook.Config `yaml:"webhook"`
	Slack   *slack.Config   `yaml:"slack"`
	Datadog *datadog.Config `yaml:"datadog"`
	Console *console.Config `yaml:"console"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// Validate checks c without resolving secrets.
func (c *Config) Validate() error {
	var errs []error
	if !validName.MatchString(c.Name) {
		errs = append(errs, fmt.Errorf("name %q: want letters, digits, '_', '.' or '-'", c.Name))
	}
	n := 0
	if c.Webhook != nil {
		n++
		for _, e := range unjoin(c.Webhook.Validate()) {
			errs = append(errs, fmt.Errorf("webhook %w", e))
		}
	}
	if c.Slack != nil {
		n++
		for _, e := range unjoin(c.Slack.Validate()) {
			errs = append(errs, fmt.Errorf("slack %w", e))
		}
	}
	if c.Datadog != nil {
		n++
		for _, e := range unjoin(c.Datadog.Validate()) {
			errs = append(errs, fmt.Errorf("datadog %w", e))
		}
	}
	if c.Console != nil {
		n++
		for _, e := range unjoin(c.Console.Validate()) {
			errs = append(errs, fmt.Errorf("console %w", e))
		}
	}
	if c.Fallback == c.Name && c.Name != "" {
		errs = append(errs, fmt.Errorf("fallback %q is the receiver itself: give another receiver", c.Fallback))
	}
	if n != 1 {
		errs = append(errs, fmt.Errorf("receiver %q: give exactly one of webhook, slack, datadog or console, got %d", c.Name, n))
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
		switch {
		case c.Webhook != nil:
			n, err = webhook.New(c.Webhook, l, opts...)
		case c.Slack != nil:
			n, err = slack.New(c.Slack, l, opts...)
		case c.Datadog != nil:
			n, err = datadog.New(c.Datadog, l, opts...)
		case c.Console != nil:
			n, err = console.New(c.Console, l, opts...)
		}
		if err != nil {
			return nil, fmt.Errorf("receiver %q: %w", c.Name, err)
		}
		out[c.Name] = n
	}
	return out, nil
}
