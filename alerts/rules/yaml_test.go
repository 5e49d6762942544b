package rules

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// TestDecodeYAML checks the yaml tags with the project's YAML library,
// strictly, on the example of the Rule documentation.
func TestDecodeYAML(t *testing.T) {
	const doc = `
- name: model_drift
  result: dataset_drift
  match: {model: iris}
  op: ">="
  warning: 1
  critical: 2
  recover: 0.5
  for: 5m
  keep_firing_for: 10m
  occurrences: {count: 3, within: 10m}
  min_samples: 500
  no_data: {after: 15m, state: ok}
  max_series: 100
  labels: {team: ml}
  annotations:
    summary: "{{.Labels.model}} drifted: {{index .Evidence \"top_features\"}}"
`
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	var got []Rule
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []Rule{{
		Name: "model_drift", Result: "dataset_drift", Match: map[string]string{"model": "iris"}, Op: ">=",
		Warning: fp(1), Critical: fp(2), Recover: fp(0.5),
		For: 5 * time.Minute, KeepFiringFor: 10 * time.Minute,
		Occurrences: &Occurrences{Count: 3, Within: 10 * time.Minute},
		MinSamples:  500,
		NoData:      &NoData{After: 15 * time.Minute, State: NoDataOK},
		MaxSeries:   100,
		Labels:      map[string]string{"team": "ml"},
		Annotations: map[string]string{"summary": `{{.Labels.model}} drifted: {{index .Evidence "top_features"}}`},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, want)
	}
	if _, err := New(got); err != nil {
		t.Errorf("New: %v", err)
	}
}
