package rules

import (
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Rule)
		want string // the one message
		key  string // the one key of Rule the message names; "" for the section
	}{
		{"name", func(r *Rule) { r.Name = "" }, "name is required", "name"},
		{"result", func(r *Rule) { r.Result = "" }, "result is required: the result (e.g. dataset_drift) the rule applies to", "result"},
		{"match key", func(r *Rule) { r.Match = map[string]string{"1x": "a"} }, `match key "1x" is not valid (want [a-zA-Z_][a-zA-Z0-9_]*)`, "match"},
		{"op missing", func(r *Rule) { r.Op = "" }, "op is required (want >, >=, <, <=, ==, !=)", "op"},
		{"op unknown", func(r *Rule) { r.Op = "=>" }, `unknown op "=>" (want >, >=, <, <=, ==, !=)`, "op"},
		{"no threshold", func(r *Rule) { r.Warning, r.Critical = nil, nil }, "one of warning or critical is required", ""},
		{"warning NaN", func(r *Rule) { r.Warning = fp(math.NaN()) }, "warning is NaN", "warning"},
		{"critical NaN", func(r *Rule) { r.Critical = fp(math.NaN()) }, "critical is NaN", "critical"},
		{"recover NaN", func(r *Rule) { r.Recover = fp(math.NaN()) }, "recover is NaN", "recover"},
		{"critical first", func(r *Rule) { r.Critical = fp(0.5) }, "critical 0.5 is met before warning 1 with operator >=", ""},
		{"critical first below", func(r *Rule) { r.Op = "<" }, "critical 2 is met before warning 1 with operator <", ""},
		{"recover above", func(r *Rule) { r.Recover = fp(1) }, "recover 1 is not below the lowest threshold 1 (operator >=)", "recover"},
		{"recover below", func(r *Rule) { r.Op, r.Warning, r.Critical, r.Recover = "<=", fp(0.1), fp(0.05), fp(0.1) },
			"recover 0.1 is not above the highest threshold 0.1 (operator <=)", "recover"},
		{"recover unordered", func(r *Rule) { r.Op, r.Critical, r.Recover = "==", nil, fp(0) },
			"recover needs an ordering operator (>, >=, <, <=), not ==", "recover"},
		{"for", func(r *Rule) { r.For = -time.Second }, "for -1s is negative", "for"},
		{"keep_firing_for", func(r *Rule) { r.KeepFiringFor = -time.Minute }, "keep_firing_for -1m0s is negative", "keep_firing_for"},
		{"occurrences count", func(r *Rule) { r.Occurrences = &Occurrences{Count: 0, Within: time.Minute} },
			"occurrences count 0 is not between 1 and 1000", "occurrences"},
		{"occurrences count big", func(r *Rule) { r.Occurrences = &Occurrences{Count: 1001, Within: time.Minute} },
			"occurrences count 1001 is not between 1 and 1000", "occurrences"},
		{"occurrences within", func(r *Rule) { r.Occurrences = &Occurrences{Count: 3} }, "occurrences within 0s is not positive", "occurrences"},
		{"min_samples", func(r *Rule) { r.MinSamples = -1 }, "min_samples -1 is negative", "min_samples"},
		{"no_data after", func(r *Rule) { r.NoData = &NoData{State: "ok"} }, "no_data after 0s is not positive", "no_data"},
		{"no_data state missing", func(r *Rule) { r.NoData = &NoData{After: time.Minute} },
			"no_data state is required (want ok, alerting, keep)", "no_data"},
		{"no_data state unknown", func(r *Rule) { r.NoData = &NoData{After: time.Minute, State: "firing"} },
			`no_data unknown state "firing" (want ok, alerting, keep)`, "no_data"},
		{"max_series", func(r *Rule) { r.MaxSeries = -5 }, "max_series -5 is negative", "max_series"},
		{"labels key", func(r *Rule) { r.Labels = map[string]string{"a-b": "x"} }, `labels key "a-b" is not valid (want [a-zA-Z_][a-zA-Z0-9_]*)`, "labels"},
		{"labels alertname", func(r *Rule) { r.Labels = map[string]string{"alertname": "x"} }, "labels may not set alertname: it is the rule's own", "labels"},
		{"annotations", func(r *Rule) { r.Annotations = map[string]string{"summary": "{{.Labels"} },
			`annotations "summary" does not parse: summary:1: unclosed action`, "annotations"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(&r)
			err := r.Validate()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
			if got := namedKeys(tt.want); got != tt.key {
				t.Errorf("message names %q, want %q", got, tt.key)
			}
		})
	}
}

func TestValidateGood(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Rule)
	}{
		{"base", func(*Rule) {}},
		{"all fields", func(r *Rule) {
			r.Match = map[string]string{"model": "iris"}
			r.Recover = fp(0.5)
			r.For, r.KeepFiringFor = 5*time.Minute, 10*time.Minute
			r.Occurrences = &Occurrences{Count: 3, Within: 10 * time.Minute}
			r.MinSamples, r.MaxSeries = 500, 100
			r.NoData = &NoData{After: 15 * time.Minute, State: NoDataKeep}
			r.Labels = map[string]string{"team": "ml"}
			r.Annotations = map[string]string{"summary": `{{.Labels.model}}: {{index .Evidence "top_features"}}`}
		}},
		{"not equal with two levels", func(r *Rule) { r.Op = "!=" }},
		{"below", func(r *Rule) { r.Op, r.Warning, r.Critical, r.Recover = "<", fp(0.05), fp(0.01), fp(0.1) }},
		{"zero threshold", func(r *Rule) { r.Op, r.Warning, r.Critical = ">", fp(0), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base()
			tt.edit(&r)
			if err := r.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestValidateJoins(t *testing.T) {
	r := Rule{Op: "~", For: -1}
	const want = "name is required\n" +
		"result is required: the result (e.g. dataset_drift) the rule applies to\n" +
		"unknown op \"~\" (want >, >=, <, <=, ==, !=)\n" +
		"one of warning or critical is required\n" +
		"for -1ns is negative"
	if err := r.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() =\n%v\nwant\n%s", err, want)
	}
}

// ruleKeys are the yaml keys of Rule.
var ruleKeys = []string{"name", "result", "match", "op", "warning", "critical", "recover", "for",
	"keep_firing_for", "occurrences", "min_samples", "no_data", "max_series", "labels", "annotations"}

// namedKeys returns the one key of Rule that msg names as a word (as is,
// with spaces for underscores, or singular), the way internal/config
// places a component's error; "" if none or several.
func namedKeys(msg string) string {
	found := ""
	for _, k := range ruleKeys {
		for _, w := range []string{k, strings.ReplaceAll(k, "_", " "), strings.TrimSuffix(k, "s")} {
			if regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(w) + `($|[^A-Za-z0-9_])`).MatchString(msg) {
				if found != "" && found != k {
					return ""
				}
				found = k
			}
		}
	}
	return found
}
