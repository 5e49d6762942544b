// Package obs holds the small data types that flow between driftwatch's
// components: a decoded prediction Record going into detectors, and a Result
// coming out of detectors, collectors and synthetics into the alert engine.
// It imports only the standard library, so every package may import it.
package obs

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Headers that the proxy, the decoders and synthetic checks agree on.
const (
	// HeaderRequestID carries the request id to the model server and back
	// to the client, so that delayed labels can be joined to predictions.
	HeaderRequestID = "X-Request-Id"
	// HeaderSynthetic marks synthetic (probe) traffic: "1" keeps a request
	// out of every statistic while it is still proxied and measured.
	HeaderSynthetic = "X-Driftwatch-Synthetic"
)

// Kind says whether a Value holds a number or a category.
type Kind uint8

// The kinds of Value.
const (
	Missing Kind = iota
	Number
	Category
)

// Value is one feature or prediction value of a Record.
type Value struct {
	Name string
	Kind Kind
	Num  float64 // set when Kind is Number
	Str  string  // set when Kind is Category
}

// Record is one instance of one prediction: a request row and what the model
// answered for it. A batch request yields one Record per instance.
type Record struct {
	Time       time.Time
	Model      string
	Version    string
	RequestID  string
	Features   []Value
	Prediction []Value
	Latency    time.Duration
	Status     int  // HTTP status of the model's answer
	Synthetic  bool // sent by a synthetic check: kept out of statistics
}

// Severity ranks a Result or an alert.
type Severity uint8

// Severities, from least to most urgent.
const (
	OK Severity = iota
	Info
	Warning
	Critical
)

var severityNames = [...]string{"ok", "info", "warning", "critical"}

// String returns the lowercase name of s.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Severity) UnmarshalText(b []byte) error {
	i := slices.Index(severityNames[:], strings.ToLower(string(b)))
	if i < 0 {
		return fmt.Errorf("unknown severity %q (want ok, info, warning or critical)", b)
	}
	*s = Severity(i)
	return nil
}

// Labels identify what a Result is about (model, version, feature, test).
// Values must come from a bounded set: never request or client IDs.
type Labels map[string]string

// String renders l as {a="x", b="y"} with keys sorted, like Prometheus.
func (l Labels) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, l[k])
	}
	b.WriteByte('}')
	return b.String()
}

// Field is one named piece of evidence carried by a Result, such as a
// p-value or the assertion that failed.
type Field struct {
	Key   string
	Value string
}

// Result is what a detector, collector or synthetic check says at one time:
// a named measurement with labels, a value, how severe it is, and the
// evidence a person needs to act on it.
type Result struct {
	Name     string // e.g. "drift", "probe_success", "gpu_memory_used_ratio"
	Labels   Labels
	Time     time.Time
	Value    float64
	Severity Severity
	Samples  int     // observations behind Value; 0 when not applicable
	Evidence []Field // ordered, most important first
}

// Probabilities appends to dst the class probabilities of the record's
// prediction: the first run of at least two numeric prediction values
// named name[0], name[1], … (as collectors/payload names the columns of a
// [batch, classes] output) that lie in [0, 1] and sum to 1 within 10⁻³. It
// returns nil when the prediction has none (a label, a regression, logits).
func (r *Record) Probabilities(dst []float64) []float64 {
	for i := 0; i < len(r.Prediction); i++ {
		base, ok := strings.CutSuffix(r.Prediction[i].Name, "[0]")
		if !ok {
			continue
		}
		out, sum := dst[:0], 0.0
		for j := i; j < len(r.Prediction); j++ {
			v := &r.Prediction[j]
			if v.Kind != Number || v.Name != base+"["+strconv.Itoa(j-i)+"]" || v.Num < 0 || v.Num > 1 {
				break
			}
			out, sum = append(out, v.Num), sum+v.Num
		}
		if len(out) >= 2 && math.Abs(sum-1) <= 1e-3 {
			return out
		}
	}
	return nil
}
