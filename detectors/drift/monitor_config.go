package drift

import (
	"errors"
	"fmt"
	"strings"

	"github.com/driftwatch/driftwatch/detectors/stream"
)

// Live defaults of a Monitor.
const (
	// PredictionPrefix starts the column name of a prediction value, so
	// that output drift is reported as feature "prediction:<name>".
	PredictionPrefix = "prediction:"
	// LivePermutations and LiveMMDMaxRows bound the multivariate MMD test
	// of a live window (Compare's defaults, 500 and 2,000, cost about a
	// hundred times more, once per window on the sidecar's cores).
	LivePermutations = 100
	LiveMMDMaxRows   = 500
	// DefaultMaxColumns caps the columns a monitor tracks: names past it
	// are ignored and counted, so that a client sending new names cannot
	// grow memory or label sets.
	DefaultMaxColumns = 1024
	// MaxReferenceFirst is the largest ReferenceFirst accepted.
	MaxReferenceFirst = 1 << 22
	// MaxCategoryBytes: a longer category is cut to this many bytes (and
	// counted), so that a window's memory is bounded by its slots.
	MaxCategoryBytes = 256
)

// LiveOptions returns the options a Monitor uses when none are given:
// DefaultOptions with MMD limited to LivePermutations permutations on
// LiveMMDMaxRows rows per side, and KS p-values by KSFast (an exact
// p-value for 10,000 against 9,999 values can take half a second per
// feature; the sidecar compares windows on the cores that serve traffic).
func LiveOptions() Options {
	o := DefaultOptions()
	o.Permutations = LivePermutations
	o.MMDMaxRows = LiveMMDMaxRows
	o.KSMethod = "fast"
	return o
}

// MonitorConfig configures the live drift Monitor of one model version.
type MonitorConfig struct {
	// Model and Version label the Results. The Monitor does not filter
	// records by them: its caller routes records (see detectors.PerModel).
	Model   string `yaml:"model,omitempty"`
	Version string `yaml:"version,omitempty"`
	// Window says which records are compared with the reference, and when.
	Window stream.WindowConfig `yaml:"window"`
	// Options of the comparison; the zero value (Test "") means
	// LiveOptions().
	Options Options `yaml:"-"`
	// ReferenceFirst uses the first N non-synthetic records as the
	// reference. The columns are the feature (and prediction) names seen
	// in them; a column's type is the kind of its first non-missing
	// value. Mutually exclusive with Reference.
	ReferenceFirst int `yaml:"reference_first,omitempty"`
	// Reference gives the reference as columns (read from a file by the
	// caller); prediction columns are named PredictionPrefix+name. The
	// Monitor keeps the slice and never modifies it.
	Reference []Column `yaml:"-"`
	// ReferenceName says where Reference came from (a file), for the
	// reference_window evidence of the Results.
	ReferenceName string `yaml:"-"`
	// Features and Predictions select the values tested; when neither is
	// set, both are.
	Features    bool `yaml:"features,omitempty"`
	Predictions bool `yaml:"predictions,omitempty"`
	// MinRecords: a complete window with fewer records is not compared
	// (it is counted as skipped); 0 means 1.
	MinRecords int `yaml:"min_records,omitempty"`
	// MaxColumns caps the columns tracked; 0 means DefaultMaxColumns.
	MaxColumns int `yaml:"max_columns,omitempty"`
}

// Validate reports every problem with c, joined.
func (c *MonitorConfig) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if err := c.Window.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Options.Test != "" {
		if err := c.Options.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case c.ReferenceFirst != 0 && c.Reference != nil:
		add("reference_first and reference are mutually exclusive")
	case c.ReferenceFirst < 0 || c.ReferenceFirst > MaxReferenceFirst:
		add("reference_first %d is not between 1 and %d", c.ReferenceFirst, MaxReferenceFirst)
	case c.ReferenceFirst == 0 && len(c.Reference) == 0:
		add("a monitor needs a reference: reference_first or reference columns")
	case c.Reference != nil:
		if err := checkColumns(c.Reference, c.Reference); err != nil {
			errs = append(errs, fmt.Errorf("reference: %w", err))
		} else if rows(c.Reference) == 0 {
			add("reference columns hold no rows")
		}
		seen := map[string]bool{}
		for _, col := range c.Reference {
			if seen[col.Name] {
				add("reference column %q appears twice", col.Name)
			}
			seen[col.Name] = true
		}
		if len(c.selectReference()) == 0 {
			add("no reference column is a %s", c.tested())
		}
	}
	if c.MinRecords < 0 {
		add("min_records %d is negative", c.MinRecords)
	} else if c.Window.Size > 0 && c.MinRecords > c.Window.Size {
		add("min_records %d is larger than the window size %d", c.MinRecords, c.Window.Size)
	}
	if c.MaxColumns < 0 {
		add("max_columns %d is negative", c.MaxColumns)
	} else if n := len(c.selectReference()); n > c.maxColumns() {
		add("reference has %d columns, more than max_columns %d", n, c.maxColumns())
	}
	return errors.Join(errs...)
}

func (c *MonitorConfig) maxColumns() int {
	if c.MaxColumns == 0 {
		return DefaultMaxColumns
	}
	return c.MaxColumns
}

func (c *MonitorConfig) testsFeatures() bool    { return c.Features || !c.Predictions }
func (c *MonitorConfig) testsPredictions() bool { return c.Predictions || !c.Features }

func (c *MonitorConfig) tested() string {
	switch {
	case c.testsFeatures() && c.testsPredictions():
		return "feature or prediction"
	case c.testsFeatures():
		return "feature"
	}
	return "prediction"
}

// selectReference returns the reference columns that are tested.
func (c *MonitorConfig) selectReference() []Column {
	var out []Column
	for _, col := range c.Reference {
		if strings.HasPrefix(col.Name, PredictionPrefix) && c.testsPredictions() ||
			!strings.HasPrefix(col.Name, PredictionPrefix) && c.testsFeatures() {
			out = append(out, col)
		}
	}
	return out
}
