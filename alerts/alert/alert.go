// Package alert holds the alert type that the rule engine produces and that
// routing, the outbox and the notifiers consume. It is the leaf of alerts/
// and imports only internal/obs.
package alert

import (
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// NameLabel is the label that carries the name of the rule that made an
// alert, as Prometheus' "alertname".
const NameLabel = "alertname"

// Alert is the state of one alert series: one rule applied to one set of
// result labels.
type Alert struct {
	Rule string // name of the rule
	// Labels identify the alert: the result's labels, then the rule's
	// labels over them, then NameLabel set to Rule.
	Labels      obs.Labels
	Annotations map[string]string // rendered from the rule's templates
	Severity    obs.Severity
	State       State

	Value    float64     // value of the last result seen
	Samples  int         // samples behind Value
	Evidence []obs.Field // evidence of the last result seen, most important first

	ActiveAt      time.Time // when the condition was first true (pending began)
	FiredAt       time.Time // when it began firing; zero if it has not
	ResolvedAt    time.Time // when it resolved; zero if it has not
	LastEvaluated time.Time // time of the last evaluation
}

// Fingerprint returns Fingerprint(a.Labels): the identity of the alert,
// stable across restarts and processes.
func (a *Alert) Fingerprint() uint64 { return Fingerprint(a.Labels) }

// FNV-1a, 64 bits.
const (
	offset64 = 14695981039346656037
	prime64  = 1099511628211
	sep      = 0xff // cannot occur in UTF-8 text
)

// Fingerprint returns a hash of the label set l that does not depend on
// the order of the map: FNV-1a 64 over the labels sorted by name,
//
//	name₁ 0xff value₁ 0xff name₂ 0xff value₂ 0xff …
//
// the same bytes as Prometheus' model.LabelsToSignature, so the values
// match it. A label with an empty value counts: {a="b", c=""} and {a="b"}
// differ, and the separators keep {a="b", c=""} apart from {a="bc"}. The
// empty set hashes to the FNV-1a offset basis.
//
// With 16 labels or fewer it does not allocate.
func Fingerprint(l obs.Labels) uint64 {
	var buf [16]string
	keys := buf[:0]
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := uint64(offset64)
	for _, k := range keys {
		h = hashString(h, k)
		h = (h ^ sep) * prime64
		h = hashString(h, l[k])
		h = (h ^ sep) * prime64
	}
	return h
}

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime64
	}
	return h
}
