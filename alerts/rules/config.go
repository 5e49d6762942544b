package rules

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
)

// Limits of a rule's configuration.
const (
	// DefaultMaxSeries is the number of series a rule keeps when its
	// max_series is 0.
	DefaultMaxSeries = 10000
	// MaxOccurrences bounds occurrences.count, which sizes a ring of
	// timestamps per series.
	MaxOccurrences = 1000
)

// Rule is one alerting rule as written in the configuration file:
//
//	name: model_drift
//	result: dataset_drift          # the obs.Result.Name it applies to
//	match: {model: iris}           # result labels that must be equal [all results]
//	op: ">="                       # >, >=, <, <=, ==, !=
//	warning: 1                     # at least one of warning and critical
//	critical: 1
//	recover: 0.5                   # once firing, firing until the value is at or past this [off]
//	for: 5m                        # pending → firing after the condition held this long [0: at once]
//	keep_firing_for: 10m           # firing this long after the condition cleared [0]
//	occurrences: {count: 3, within: 10m}  # condition true in ≥ count results within the window [off]
//	min_samples: 500               # results with fewer Samples are ignored [0]
//	no_data: {after: 15m, state: ok}      # ok, alerting or keep, after this long without a result [keep]
//	max_series: 10000              # series (label sets) kept; more are dropped and counted [10000]
//	labels: {team: ml}             # added to the alert, over the result's labels
//	annotations:                   # Go text/template (see TemplateData)
//	  summary: "{{.Labels.model}} drifted: {{index .Evidence \"top_features\"}}"
//
// The alert's severity is critical while the critical threshold is met,
// else warning. With recover, a firing series stays firing while its value
// is strictly beyond recover (above it for > and >=, below it for < and
// <=), so a value oscillating around a threshold does not flap; a pending
// series does not use recover. While held by recover only, the severity is
// the last one met.
//
// A rule is raw configuration; New compiles it.
type Rule struct {
	Name   string            `yaml:"name"`
	Result string            `yaml:"result"`
	Match  map[string]string `yaml:"match,omitempty"`
	Op     string            `yaml:"op"`

	Warning  *float64 `yaml:"warning,omitempty"`
	Critical *float64 `yaml:"critical,omitempty"`
	Recover  *float64 `yaml:"recover,omitempty"`

	For           time.Duration `yaml:"for,omitempty"`
	KeepFiringFor time.Duration `yaml:"keep_firing_for,omitempty"`
	Occurrences   *Occurrences  `yaml:"occurrences,omitempty"`
	MinSamples    int           `yaml:"min_samples,omitempty"`
	NoData        *NoData       `yaml:"no_data,omitempty"`
	MaxSeries     int           `yaml:"max_series,omitempty"`

	Labels      map[string]string `yaml:"labels,omitempty"`
	Annotations map[string]string `yaml:"annotations,omitempty"`
}

// Occurrences makes a rule fire on "count times within a window": the
// condition of a series holds when at least Count of its results within
// the last Within met the threshold.
type Occurrences struct {
	Count  int           `yaml:"count"`
	Within time.Duration `yaml:"within"`
}

// NoData says what happens to a series that has had no result for After.
// A series exists from its first result: a label set never seen has no
// series, and no_data does not apply to it. With state alerting the alert
// fires at once, whatever the rule's for, at warning severity, with the
// annotation NoDataAnnotation and the evidence NoDataEvidence first; when
// a result comes again the alert follows it, and resolves at once if the
// condition does not hold.
type NoData struct {
	After time.Duration `yaml:"after"`
	State string        `yaml:"state"` // one of NoDataStates
}

// The policies of NoData.State.
const (
	// NoDataOK: a series without data is fine; a firing alert resolves.
	NoDataOK = "ok"
	// NoDataAlerting: a series without data fires, at warning severity.
	NoDataAlerting = "alerting"
	// NoDataKeep: a series keeps its last state, as without a policy.
	NoDataKeep = "keep"
)

// NoDataStates lists the valid NoData.State values.
var NoDataStates = []string{NoDataOK, NoDataAlerting, NoDataKeep}

// Ops lists the comparison operators of Rule.Op. The condition is
// "value op threshold".
var Ops = []string{">", ">=", "<", "<=", "==", "!="}

// Validate reports every problem of r, joined. Each message names the
// yaml field it is about; the fields of occurrences and no_data are
// prefixed by that word ("occurrences count 0 is less than 1").
func (r *Rule) Validate() error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if r.Name == "" {
		add("name is required")
	}
	if r.Result == "" {
		add("result is required: the result (e.g. dataset_drift) the rule applies to")
	}
	for k := range r.Match {
		if !validLabel(k) {
			add("match key %q is not valid (want [a-zA-Z_][a-zA-Z0-9_]*)", k)
		}
	}
	op, opErr := parseOp(r.Op)
	if opErr != nil {
		errs = append(errs, opErr)
	}
	errs = append(errs, r.validateThresholds(op, opErr == nil)...)
	if r.For < 0 {
		add("for %v is negative", r.For)
	}
	if r.KeepFiringFor < 0 {
		add("keep_firing_for %v is negative", r.KeepFiringFor)
	}
	if r.Occurrences != nil {
		errs = append(errs, prefixed("occurrences", r.Occurrences.Validate())...)
	}
	if r.MinSamples < 0 {
		add("min_samples %d is negative", r.MinSamples)
	}
	if r.NoData != nil {
		errs = append(errs, prefixed("no_data", r.NoData.Validate())...)
	}
	if r.MaxSeries < 0 {
		add("max_series %d is negative", r.MaxSeries)
	}
	for k := range r.Labels {
		switch {
		case !validLabel(k):
			add("labels key %q is not valid (want [a-zA-Z_][a-zA-Z0-9_]*)", k)
		case k == alert.NameLabel:
			add("labels may not set %s: it is the rule's own", alert.NameLabel)
		}
	}
	for k, text := range r.Annotations {
		if _, err := parseTemplate(k, text); err != nil {
			add("annotations %q does not parse: %w", k, err)
		}
	}
	return errors.Join(errs...)
}

// validateThresholds checks warning, critical and recover; with a bad op
// only that each is a number.
func (r *Rule) validateThresholds(o op, opOK bool) []error {
	var errs []error
	add := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if r.Warning == nil && r.Critical == nil {
		add("one of warning or critical is required")
	}
	for _, t := range []struct {
		name string
		v    *float64
	}{{"warning", r.Warning}, {"critical", r.Critical}, {"recover", r.Recover}} {
		if t.v != nil && math.IsNaN(*t.v) {
			add("%s is NaN", t.name)
		}
	}
	if !opOK || errs != nil {
		return errs
	}
	if o <= opLE && r.Warning != nil && r.Critical != nil && o.meets(*r.Warning, *r.Critical) && *r.Warning != *r.Critical {
		// The warning threshold meets the critical one: critical is met first.
		add("critical %s is met before warning %s with operator %s", ftoa(*r.Critical), ftoa(*r.Warning), r.Op)
	}
	if r.Recover == nil {
		return errs
	}
	lowest, _ := thresholds{warning: r.Warning, critical: r.Critical}.lowest(o)
	switch o {
	case opGT, opGE:
		if !(*r.Recover < lowest) {
			add("recover %s is not below the lowest threshold %s (operator %s)", ftoa(*r.Recover), ftoa(lowest), r.Op)
		}
	case opLT, opLE:
		if !(*r.Recover > lowest) {
			add("recover %s is not above the highest threshold %s (operator %s)", ftoa(*r.Recover), ftoa(lowest), r.Op)
		}
	default:
		add("recover needs an ordering operator (>, >=, <, <=), not %s", r.Op)
	}
	return errs
}

// Validate reports every problem of o, joined.
func (o *Occurrences) Validate() error {
	var errs []error
	if o.Count < 1 || o.Count > MaxOccurrences {
		errs = append(errs, fmt.Errorf("count %d is not between 1 and %d", o.Count, MaxOccurrences))
	}
	if o.Within <= 0 {
		errs = append(errs, fmt.Errorf("within %v is not positive", o.Within))
	}
	return errors.Join(errs...)
}

// Validate reports every problem of n, joined.
func (n *NoData) Validate() error {
	var errs []error
	if n.After <= 0 {
		errs = append(errs, fmt.Errorf("after %v is not positive", n.After))
	}
	switch n.State {
	case NoDataOK, NoDataAlerting, NoDataKeep:
	case "":
		errs = append(errs, errors.New("state is required (want ok, alerting, keep)"))
	default:
		errs = append(errs, fmt.Errorf("unknown state %q (want ok, alerting, keep)", n.State))
	}
	return errors.Join(errs...)
}

// prefixed returns the errors joined in err, each prefixed by word and a
// space.
func prefixed(word string, err error) []error {
	var out []error
	for _, e := range split(err) {
		out = append(out, fmt.Errorf("%s %w", word, e))
	}
	return out
}

// split returns the errors joined in err, or err alone.
func split(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func validLabel(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// parseTemplate parses one annotation template; missing keys of maps
// render as the zero value.
func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}
