package outbox

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for the zero fields of Options.
const (
	DefaultMaxAttempts = 20
	DefaultRetention   = 24 * time.Hour
	DefaultMaxPending  = 10000
)

// Options bounds the outbox. A zero field takes its default.
type Options struct {
	// MaxAttempts is how many failed attempts an entry gets before it
	// is given up: its state becomes StateFailed and it is kept, for
	// inspection, until Prune removes it. Default DefaultMaxAttempts.
	MaxAttempts int `yaml:"max_attempts"`
	// Retention is how long delivered and failed entries are kept after
	// they finished, for Status, before Prune removes them. Default
	// DefaultRetention.
	Retention time.Duration `yaml:"retention"`
	// MaxPending is the number of pending entries a receiver may have;
	// Enqueue beyond it fails with ErrFull. Default DefaultMaxPending.
	MaxPending int `yaml:"max_pending"`
}

// Validate checks the options; it reports every problem.
func (o Options) Validate() error {
	var errs []error
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max_attempts %d is negative", o.MaxAttempts))
	}
	if o.Retention < 0 {
		errs = append(errs, fmt.Errorf("retention %v is negative", o.Retention))
	}
	if o.MaxPending < 0 {
		errs = append(errs, fmt.Errorf("max_pending %d is negative", o.MaxPending))
	}
	return errors.Join(errs...)
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	return o
}
