package rules

import (
	"fmt"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// op is a compiled comparison operator.
type op uint8

const (
	opGT op = iota
	opGE
	opLT
	opLE
	opEQ
	opNE
)

// parseOp maps Rule.Op to an op, in the order of Ops.
func parseOp(s string) (op, error) {
	for i, name := range Ops {
		if s == name {
			return op(i), nil
		}
	}
	if s == "" {
		return 0, fmt.Errorf("op is required (want >, >=, <, <=, ==, !=)")
	}
	return 0, fmt.Errorf("unknown op %q (want >, >=, <, <=, ==, !=)", s)
}

// meets reports whether "v o threshold" holds. NaN meets nothing but !=.
func (o op) meets(v, threshold float64) bool {
	switch o {
	case opGT:
		return v > threshold
	case opGE:
		return v >= threshold
	case opLT:
		return v < threshold
	case opLE:
		return v <= threshold
	case opEQ:
		return v == threshold
	default:
		return v != threshold
	}
}

// beyondRecover reports whether v is still on the alerting side of the
// recovery threshold r: strictly above it for > and >=, strictly below
// for < and <=. Ops without an order never have r (Validate).
func (o op) beyondRecover(v, r float64) bool {
	if o == opGT || o == opGE {
		return v > r
	}
	return v < r
}

// thresholds are the levels of a rule; nil when not set.
type thresholds struct {
	warning, critical *float64
}

// level returns the severity v meets: Critical if it meets the critical
// threshold, else Warning if it meets the warning one, else OK.
func (t thresholds) level(o op, v float64) obs.Severity {
	switch {
	case t.critical != nil && o.meets(v, *t.critical):
		return obs.Critical
	case t.warning != nil && o.meets(v, *t.warning):
		return obs.Warning
	}
	return obs.OK
}

// lowest returns the threshold met first as the value moves towards the
// alerting side (the least strict), and whether there is one.
func (t thresholds) lowest(o op) (float64, bool) {
	switch {
	case t.warning == nil && t.critical == nil:
		return 0, false
	case t.warning == nil:
		return *t.critical, true
	case t.critical == nil:
		return *t.warning, true
	}
	w, c := *t.warning, *t.critical
	if o.meets(c, w) { // c is past w: w is met first
		return w, true
	}
	return c, true
}

// lowestLevel returns the severity of the least strict threshold: Warning
// if there is a warning threshold, else Critical.
func (t thresholds) lowestLevel() obs.Severity {
	if t.warning != nil {
		return obs.Warning
	}
	return obs.Critical
}
