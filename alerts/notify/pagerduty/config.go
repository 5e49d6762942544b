package pagerduty

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Defaults of a Config.
const (
	// DefaultURL is the Events API v2 endpoint of PagerDuty's US service
	// region. Accounts in the EU service region use
	// https://events.eu.pagerduty.com/v2/enqueue.
	DefaultURL      = "https://events.pagerduty.com/v2/enqueue"
	DefaultSeverity = "error"
	DefaultTimeout  = 10 * time.Second
)

// RoutingKeyLen is the length of an Events API v2 routing key (the
// "Integration Key" of a service's Events API v2 integration, or the key
// of a ruleset or an event orchestration).
const RoutingKeyLen = 32

// severities are the values PagerDuty takes for payload.severity, from
// the least to the most severe.
var severities = []string{"info", "warning", "error", "critical"}

// Config configures a PagerDuty receiver, which sends alert events to the
// Events API v2. In the configuration file:
//
//	receivers:
//	  - name: oncall
//	    pagerduty:
//	      routing_key: env:PAGERDUTY_ROUTING_KEY   # or file:/run/secrets/pd, or the key
//	      source: search-rerank.prod               # default: the alerts' model label
//	      component: ranking
//	      group: ml-serving
//	      class: model drift                        # default: the alerts' alertname
//	      default_severity: error                   # for alerts without a severity label
//	      # url: https://events.eu.pagerduty.com/v2/enqueue   # EU service region, or a proxy
//	      # timeout: 10s
type Config struct {
	// RoutingKey is the 32-character Integration Key of an Events API v2
	// integration: "env:NAME", "file:/path" or the key itself (see
	// notify.LoadSecret). It is a notify.Secret, so that printing or
	// re-encoding a Config never shows a literal key.
	RoutingKey notify.Secret `yaml:"routing_key"`
	// URL is where events are POSTed; DefaultURL when empty. Set it for
	// the EU service region, a proxy, or a test.
	URL string `yaml:"url"`
	// Source is payload.source, "the unique location of the affected
	// system". When empty it is the model label that every firing alert
	// of the group shares, else "driftwatch".
	Source string `yaml:"source"`
	// Component and Group are payload.component and payload.group; they
	// are left out when empty.
	Component string `yaml:"component"`
	Group     string `yaml:"group"`
	// Class is payload.class; when empty, the alertname that every firing
	// alert of the group shares, else left out.
	Class string `yaml:"class"`
	// DefaultSeverity is the severity of a firing alert whose "severity"
	// label is not critical, error, warning or info; DefaultSeverity
	// ("error") when empty.
	DefaultSeverity string `yaml:"default_severity"`
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate checks c's own fields. It does not resolve env: or file:
// references (New does, and then checks the key they hold); a literal
// routing key must have the form of one. Errors name the field and never
// contain the routing key.
func (c Config) Validate() error {
	var errs []error
	switch ref := c.RoutingKey.Reveal(); {
	case strings.TrimSpace(ref) == "":
		errs = append(errs, errors.New("routing_key is required"))
	case strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:"):
	default:
		if err := CheckRoutingKey(ref); err != nil {
			errs = append(errs, fmt.Errorf("routing_key %w", err))
		}
	}
	if c.URL != "" {
		if err := notify.CheckURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("url %w", err))
		}
	}
	for _, f := range []struct{ name, value string }{
		{"source", c.Source}, {"component", c.Component}, {"group", c.Group}, {"class", c.Class},
	} {
		if strings.ContainsFunc(f.value, isControl) {
			errs = append(errs, fmt.Errorf("%s %q has a line break or control character", f.name, f.value))
		}
	}
	if c.DefaultSeverity != "" && !slices.Contains(severities, c.DefaultSeverity) {
		errs = append(errs, fmt.Errorf("default_severity %q is not critical, error, warning or info", c.DefaultSeverity))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}

// CheckRoutingKey checks that key has the form of an Events API v2
// routing key: RoutingKeyLen ASCII letters and digits. Its message reads
// after the field's name, says what to do, and never contains key.
func CheckRoutingKey(key string) error {
	n := utf8.RuneCountInString(key)
	if n == RoutingKeyLen && !strings.ContainsFunc(key, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}) {
		return nil
	}
	what := fmt.Sprintf("has %d characters", n)
	if n == RoutingKeyLen {
		what = "has a character other than a letter or a digit"
	}
	return fmt.Errorf("%s, want the %d letters and digits of an Events API v2 Integration Key: "+
		"copy it from the service's Integrations tab in PagerDuty (Events API V2 integration); "+
		"a REST API key, a user token or an integration URL will not work", what, RoutingKeyLen)
}

// endpoint returns the URL that events are POSTed to.
func (c Config) endpoint() string {
	if c.URL != "" {
		return c.URL
	}
	return DefaultURL
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }
