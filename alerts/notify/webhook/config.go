package webhook

import (
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify"
)

// DefaultTimeout bounds one delivery when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Config configures a webhook receiver.
type Config struct {
	// URL is where the payload is POSTed: "env:NAME", "file:/path" or the
	// URL itself (see notify.LoadSecret). It is a notify.Secret, so that
	// printing or re-encoding a Config never shows a literal URL.
	URL notify.Secret `yaml:"url"`
	// MaxAlerts caps the alerts in one payload; the rest are counted in
	// truncatedAlerts. Zero means no cap.
	MaxAlerts int `yaml:"max_alerts"`
	// Timeout bounds one delivery; DefaultTimeout when zero.
	Timeout time.Duration `yaml:"timeout"`
}

// Validate checks c's own fields. It does not resolve env: or file:
// references (New does); a literal URL must be an http or https URL with
// a host. Errors never contain the URL.
func (c Config) Validate() error {
	var errs []error
	if err := notify.CheckURLRef(c.URL); err != nil {
		errs = append(errs, fmt.Errorf("url %w", err))
	}
	if c.MaxAlerts < 0 {
		errs = append(errs, fmt.Errorf("max_alerts %d is negative", c.MaxAlerts))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s is negative", c.Timeout))
	}
	return errors.Join(errs...)
}
