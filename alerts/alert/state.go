package alert

import (
	"fmt"
	"slices"
	"strings"
)

// State is where an alert is in its life:
//
//	inactive ──▶ pending ──▶ firing ──▶ resolved ──▶ inactive
//	    ▲           │
//	    └───────────┘  (the condition cleared before it fired: no notification)
type State uint8

// The states of an alert.
const (
	// Inactive: the condition does not hold.
	Inactive State = iota
	// Pending: the condition holds but has not held for the rule's `for` yet.
	Pending
	// Firing: the condition held long enough; notifications go out.
	Firing
	// Resolved: the alert was firing and has just stopped. An alert is
	// resolved for one evaluation, then inactive.
	Resolved
)

var stateNames = [...]string{"inactive", "pending", "firing", "resolved"}

// String returns the lowercase name of s.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s State) MarshalText() ([]byte, error) {
	if int(s) >= len(stateNames) {
		return nil, fmt.Errorf("unknown alert state %d", s)
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler. Case does not matter.
func (s *State) UnmarshalText(b []byte) error {
	i := slices.Index(stateNames[:], strings.ToLower(string(b)))
	if i < 0 {
		return fmt.Errorf("unknown alert state %q (want inactive, pending, firing or resolved)", b)
	}
	*s = State(i)
	return nil
}
