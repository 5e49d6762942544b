package stream

import (
	"errors"
	"flag"
	"fmt"
	"time"
)

// Window modes.
const (
	Tumbling = "tumbling" // disjoint windows, evaluated once each
	Sliding  = "sliding"  // the latest records, evaluated every step
)

// Limits and defaults of a window.
const (
	// DefaultMaxRecords caps a window that has a Duration but no Size.
	DefaultMaxRecords = 10_000
	// MaxWindowRecords is the largest Size or MaxRecords accepted.
	MaxWindowRecords = 1 << 24
	// MaxPanes is the largest Duration/StepDuration of a sliding window
	// without a Size.
	MaxPanes = 1024
	// DefaultStepDivisor: a sliding window without a step is evaluated
	// every Size/4 records (or every Duration/4).
	DefaultStepDivisor = 4
)

// WindowConfig describes a window of records.
//
// A tumbling window starts with its first record and is complete when it
// holds Size records or when Duration has passed since its first record,
// whichever comes first (a zero field is no bound; at least one is set).
// After its evaluation the next record starts a new, disjoint window.
//
// A sliding window holds the latest records: with a Size, the last Size
// records, none older than Duration if Duration is set; without a Size, the
// records of the last Duration. It is first complete when full (Size
// records, or Duration since its first record) and then every Step records
// or every StepDuration, whichever comes first.
//
// Memory is bounded whatever the traffic: a window never holds more than
// Size records, or MaxRecords when it has no Size; see Window for how the
// records beyond the cap are sampled.
type WindowConfig struct {
	// Size is the number of records in a window; 0 means no count bound.
	Size int `yaml:"size,omitempty"`
	// Duration is the time a window spans; 0 means no time bound.
	Duration time.Duration `yaml:"duration,omitempty"`
	// Mode is "tumbling" (the default when empty) or "sliding".
	Mode string `yaml:"mode,omitempty"`
	// Step is the number of records between evaluations of a sliding
	// window with a Size. When Step and StepDuration are both 0 it is
	// Size/4 (at least 1).
	Step int `yaml:"step,omitempty"`
	// StepDuration is the time between evaluations of a sliding window.
	// Without a Size it is also the granularity of the window (the window
	// is made of Duration/StepDuration panes) and defaults to Duration/4.
	StepDuration time.Duration `yaml:"step_duration,omitempty"`
	// MaxRecords caps the records held by a window without a Size
	// (default DefaultMaxRecords); records beyond it are sampled
	// uniformly. A window with a Size holds at most Size records.
	MaxRecords int `yaml:"max_records,omitempty"`
}

// RegisterFlags registers c's fields as flags on fs, prefixed "window-",
// with c's current values as defaults.
func (c *WindowConfig) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Size, "window-size", c.Size, "records per drift window; 0 means no count bound")
	fs.DurationVar(&c.Duration, "window-duration", c.Duration, "time a drift window spans; 0 means no time bound")
	fs.StringVar(&c.Mode, "window-mode", c.Mode, "drift window `mode`: tumbling (disjoint windows) or sliding")
	fs.IntVar(&c.Step, "window-step", c.Step, "records between evaluations of a sliding window (default size/4)")
	fs.DurationVar(&c.StepDuration, "window-step-duration", c.StepDuration, "time between evaluations of a sliding window (default duration/4 without a size)")
	fs.IntVar(&c.MaxRecords, "window-max-records", c.MaxRecords, "records kept by a window without a size; more are sampled uniformly (default 10000)")
}

// Validate reports every problem with c, joined.
func (c *WindowConfig) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.Size < 0 || c.Size > MaxWindowRecords {
		add("window size %d is not between 0 and %d", c.Size, MaxWindowRecords)
	}
	if c.Duration < 0 {
		add("window duration %v is negative", c.Duration)
	}
	if c.Size == 0 && c.Duration == 0 {
		add("window needs a size, a duration or both")
	}
	sliding := false
	switch c.Mode {
	case "", Tumbling:
	case Sliding:
		sliding = true
	default:
		add("unknown window mode %q (want tumbling or sliding)", c.Mode)
	}
	if c.MaxRecords < 0 || c.MaxRecords > MaxWindowRecords {
		add("window max_records %d is not between 0 and %d", c.MaxRecords, MaxWindowRecords)
	}
	if c.MaxRecords != 0 && c.Size != 0 {
		add("window size and max_records are mutually exclusive: size already caps the window")
	}
	if c.Step < 0 || c.StepDuration < 0 {
		add("window step %d and step_duration %v must not be negative", c.Step, c.StepDuration)
	}
	if !sliding && (c.Step != 0 || c.StepDuration != 0) {
		add("window step and step_duration apply to sliding windows only")
	}
	if sliding {
		if c.Size > 0 && c.Step > c.Size {
			add("window step %d is larger than the window size %d", c.Step, c.Size)
		}
		if c.Size == 0 && c.Step != 0 {
			add("window step counts records: it needs a window size (use step_duration)")
		}
		if c.Duration > 0 && c.StepDuration > c.Duration {
			add("window step_duration %v is longer than the window duration %v", c.StepDuration, c.Duration)
		}
		if c.Size == 0 && c.Duration > 0 {
			d := c.withDefaults()
			if n := d.panes(); n > MaxPanes {
				add("window duration / step_duration is %d panes, more than %d", n, MaxPanes)
			} else if d.MaxRecords < n+1 {
				add("window max_records %d is too small: a sliding window of %d panes needs at least %d", d.MaxRecords, n, n+1)
			}
		}
	}
	return errors.Join(errs...)
}

// withDefaults returns c with the defaults documented on its fields set.
func (c WindowConfig) withDefaults() WindowConfig {
	if c.Mode == "" {
		c.Mode = Tumbling
	}
	if c.Size == 0 && c.MaxRecords == 0 {
		c.MaxRecords = DefaultMaxRecords
	}
	if c.Mode == Sliding && c.Step == 0 && c.StepDuration == 0 {
		if c.Size > 0 {
			c.Step = max(1, c.Size/DefaultStepDivisor)
		} else {
			c.StepDuration = max(1, c.Duration/DefaultStepDivisor)
		}
	}
	if c.Mode == Sliding && c.Size == 0 && c.StepDuration == 0 {
		c.StepDuration = max(1, c.Duration/DefaultStepDivisor)
	}
	return c
}

// panes returns the number of panes of a sliding window without a Size:
// Duration/StepDuration rounded up.
func (c *WindowConfig) panes() int {
	if c.StepDuration <= 0 {
		return 1
	}
	n := c.Duration / c.StepDuration
	if c.Duration%c.StepDuration != 0 {
		n++
	}
	return int(min(n, MaxPanes+1))
}
