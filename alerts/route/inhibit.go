package route

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// InhibitConfig is an inhibition rule as written in the configuration: while
// an alert matching source_matchers fires, alerts matching target_matchers
// that have the same values of the equal labels are not notified. A typical
// one mutes the feature-level drift alerts of a model whose dataset-level
// drift alert fires:
//
//	source_matchers: [alertname=model_drift]
//	target_matchers: [alertname=feature_drift]
//	equal: [model, version]
//
// Unlike Alertmanager, a label that is missing from the source or the target
// never counts as equal: a source without a version label does not inhibit
// targets without one.
type InhibitConfig struct {
	SourceMatchers []string `yaml:"source_matchers"`
	TargetMatchers []string `yaml:"target_matchers"`
	Equal          []string `yaml:"equal"`
}

// Inhibitor applies inhibition rules.
type Inhibitor struct {
	rules []inhibitRule
}

type inhibitRule struct {
	source, target Matchers
	equal          []string
}

// NewInhibitor compiles the rules. Its error joins every problem, each
// naming the rule as inhibit_rules[i].
func NewInhibitor(cfgs []InhibitConfig) (*Inhibitor, error) {
	in := &Inhibitor{}
	var errs []error
	for i, c := range cfgs {
		path := "inhibit_rules[" + strconv.Itoa(i) + "]: "
		src, err := ParseMatchers(c.SourceMatchers)
		if err != nil {
			errs = append(errs, fmt.Errorf("%sbad source_matchers: %v", path, err))
		}
		tgt, err := ParseMatchers(c.TargetMatchers)
		if err != nil {
			errs = append(errs, fmt.Errorf("%sbad target_matchers: %v", path, err))
		}
		if len(c.SourceMatchers) == 0 || len(c.TargetMatchers) == 0 {
			errs = append(errs, fmt.Errorf("%sgive both source_matchers and target_matchers (an empty list would match every alert)", path))
		}
		for _, l := range c.Equal {
			if !validName(l) {
				errs = append(errs, fmt.Errorf("%s%q in equal is not a label name", path, l))
			}
		}
		in.rules = append(in.rules, inhibitRule{source: src, target: tgt, equal: c.Equal})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return in, nil
}

// Inhibited reports whether an alert with labels target is inhibited by one
// of the firing alerts: a firing alert that matches a rule's source, other
// than the target itself, with equal values of the rule's equal labels.
func (in *Inhibitor) Inhibited(target obs.Labels, firing []*alert.Alert) bool {
	if in == nil {
		return false
	}
	fp := alert.Fingerprint(target)
	for i := range in.rules {
		r := &in.rules[i]
		if !r.target.Matches(target) {
			continue
		}
		for _, src := range firing {
			if src.State != alert.Firing || !r.source.Matches(src.Labels) || src.Fingerprint() == fp {
				continue
			}
			if equalLabels(r.equal, src.Labels, target) {
				return true
			}
		}
	}
	return false
}

// equalLabels reports whether a and b have the same value of every label
// in names, each present in both.
func equalLabels(names []string, a, b obs.Labels) bool {
	for _, n := range names {
		va, oka := a[n]
		vb, okb := b[n]
		if !oka || !okb || va != vb {
			return false
		}
	}
	return true
}
