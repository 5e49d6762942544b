package slack

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Defaults for the zero values of a Config.
const (
	DefaultMaxAlerts   = 10
	DefaultTimeout     = 10 * time.Second
	DefaultMinInterval = time.Second
)

// MaxAlertsLimit is the largest MaxAlerts: Slack takes at most 50 blocks
// per message, and besides one section per alert a message has a header
// and up to two context blocks.
const MaxAlertsLimit = maxBlocks - 3

// Config configures a Slack incoming-webhook receiver.
type Config struct {
	// URL is the incoming webhook's URL: "env:NAME", "file:/path" or the
	// URL itself (see notify.LoadSecret). It is a notify.Secret, so that
	// printing or re-encoding a Config never shows a literal URL.
	URL notify.Secret `yaml:"url"`
	// Channel, Username and IconEmoji override the webhook's defaults.
	// Only legacy webhooks (of the retired "Incoming WebHooks" app) honour
	// them; a webhook of a Slack app always posts to the channel it was
	// created for, as the app, and ignores them. Channel is "#name",
	// "@user" or a channel ID; IconEmoji is ":name:".
	Channel   string `yaml:"channel"`
	Username  string `yaml:"username"`
	IconEmoji string `yaml:"icon_emoji"`
	// MaxAlerts caps the alerts listed in one message, DefaultMaxAlerts
	// when zero; the others are summarised as "and N more". At most
	// MaxAlertsLimit.
	MaxAlerts int `yaml:"max_alerts"`
	// Timeout bounds one HTTP request; DefaultTimeout when zero. The
	// pacing wait before it is not counted.
	Timeout time.Duration `yaml:"timeout"`
	// MinInterval is the least time between two messages to the same
	// webhook URL, DefaultMinInterval when zero (Slack allows about one
	// message per second per webhook). It is enforced across all the
	// Notifiers of the process that share the URL.
	MinInterval time.Duration `yaml:"min_interval"`
}

// Validate checks c's own fields. It does not resolve env: or file:
// references (New does); a literal URL must be an http or https URL with
// a host. Errors never contain the URL.
func (c Config) Validate() error {
	var errs []error
	if err := notify.CheckURLRef(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url %w", err))
	}
	if c.Channel != "" {
		if strings.IndexFunc(c.Channel, unicode.IsSpace) >= 0 || utf8.RuneCountInString(c.Channel) > 81 {
			errs = append(errs, fmt.Errorf("channel %q is not a channel name, user or ID", c.Channel))
		}
	}
	if utf8.RuneCountInString(c.Username) > 80 {
		errs = append(errs, errors.New("username is longer than 80 characters"))
	}
	if c.IconEmoji != "" && (len(c.IconEmoji) < 3 || !strings.HasPrefix(c.IconEmoji, ":") ||
		!strings.HasSuffix(c.IconEmoji, ":") || strings.IndexFunc(c.IconEmoji, unicode.IsSpace) >= 0) {
		errs = append(errs, fmt.Errorf("icon_emoji %q is not of the form :name:", c.IconEmoji))
	}
	switch {
	case c.MaxAlerts < 0:
		errs = append(errs, fmt.Errorf("max_alerts %d is negative", c.MaxAlerts))
	case c.MaxAlerts > MaxAlertsLimit:
		errs = append(errs, fmt.Errorf("max_alerts %d is more than %d (Slack takes at most %d blocks per message)", c.MaxAlerts, MaxAlertsLimit, maxBlocks))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	if c.MinInterval < 0 {
		errs = append(errs, fmt.Errorf("min_interval %s is negative", c.MinInterval))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.MaxAlerts == 0 {
		c.MaxAlerts = DefaultMaxAlerts
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MinInterval == 0 {
		c.MinInterval = DefaultMinInterval
	}
	return c
}
