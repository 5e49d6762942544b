package performance

import (
	"errors"
	"fmt"
	"time"
)

// Tasks, the values of Config.Task.
const (
	// TaskAuto decides the task of each model version from its labels:
	// see the package documentation.
	TaskAuto           = "auto"
	TaskClassification = "classification"
	TaskRegression     = "regression"
)

// Defaults and limits of a Config.
const (
	DefaultWindow     = 1000
	DefaultMinLabels  = 30
	DefaultTTL        = time.Hour
	DefaultMaxPending = 100_000
	DefaultMaxModels  = 64

	// MaxWindow is the largest Window accepted.
	MaxWindow = 1 << 20
	// MaxMaxPending is the largest MaxPending accepted (about 64 bytes
	// each, plus the request id).
	MaxMaxPending = 1 << 24
	// MaxMaxModels is the largest MaxModels accepted.
	MaxMaxModels = 1 << 16
	// MaxRequestIDBytes: a record with a longer request id is not stored
	// (counted as NoRequestID), so that clients cannot fill memory with
	// ids.
	MaxRequestIDBytes = 256
	// MaxCategoryBytes: a longer category (predicted or labelled class) is
	// cut to this many bytes.
	MaxCategoryBytes = 256
)

// Config configures a Tracker. Zero fields take the defaults documented on
// them (see DefaultConfig).
type Config struct {
	// Prediction names the prediction value compared with the labels. ""
	// means the value named "label" when the record has one, else its
	// first prediction value.
	Prediction string `yaml:"prediction"`
	// Task is TaskAuto (the default when ""), TaskClassification or
	// TaskRegression.
	Task string `yaml:"task"`
	// Window is the number of labelled pairs of a tumbling window; a
	// model version's window is evaluated when it holds that many
	// (default DefaultWindow).
	Window int `yaml:"window"`
	// Duration also closes a window this long after its first label, if
	// it holds at least MinLabels pairs; 0 (the default) closes windows by
	// count only.
	Duration time.Duration `yaml:"duration"`
	// MinLabels is the least number of pairs a window closed by Duration
	// holds; a smaller one stays open until it has them. The default is
	// DefaultMinLabels, or Window when that is smaller: a performance
	// measured on fewer pairs is mostly noise.
	MinLabels int `yaml:"min_labels"`
	// TTL is how long a prediction waits for its label (default
	// DefaultTTL).
	TTL time.Duration `yaml:"ttl"`
	// MaxPending bounds the predictions (records) waiting for a label;
	// when full the oldest is dropped (default DefaultMaxPending).
	MaxPending int `yaml:"max_pending"`
	// MaxModels bounds the model versions tracked; records of further
	// versions are dropped and counted (default DefaultMaxModels).
	MaxModels int `yaml:"max_models"`
}

// DefaultConfig returns the Config used when none is given, with every
// default set but MinLabels, which stays 0 as its default depends on
// Window.
func DefaultConfig() Config {
	return Config{
		Task:       TaskAuto,
		Window:     DefaultWindow,
		TTL:        DefaultTTL,
		MaxPending: DefaultMaxPending,
		MaxModels:  DefaultMaxModels,
	}
}

// Validate reports every problem with c, joined; each names its YAML
// field. Zero fields are valid: they mean the default.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	switch c.Task {
	case "", TaskAuto, TaskClassification, TaskRegression:
	default:
		add("unknown task %q (want auto, classification or regression)", c.Task)
	}
	if c.Window < 0 || c.Window > MaxWindow {
		add("window %d is not between 1 and %d", c.Window, MaxWindow)
	}
	if c.Duration < 0 {
		add("duration %v is negative", c.Duration)
	}
	if c.MinLabels < 0 {
		add("min_labels %d is negative", c.MinLabels)
	} else if w := c.withDefaults().Window; c.MinLabels > w {
		add("min_labels %d is larger than the window, %d", c.MinLabels, w)
	}
	if c.TTL < 0 {
		add("ttl %v is negative", c.TTL)
	}
	if c.MaxPending < 0 || c.MaxPending > MaxMaxPending {
		add("max_pending %d is not between 1 and %d", c.MaxPending, MaxMaxPending)
	}
	if c.MaxModels < 0 || c.MaxModels > MaxMaxModels {
		add("max_models %d is not between 1 and %d", c.MaxModels, MaxMaxModels)
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Task == "" {
		c.Task = TaskAuto
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.MinLabels <= 0 {
		c.MinLabels = min(DefaultMinLabels, c.Window)
	}
	if c.TTL <= 0 {
		c.TTL = DefaultTTL
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.MaxModels <= 0 {
		c.MaxModels = DefaultMaxModels
	}
	return c
}
