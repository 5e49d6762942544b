package rules_test

import (
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/internal/obs"
)

func ExampleEngine_Evaluate() {
	one := 1.0
	e, err := rules.New([]rules.Rule{{
		Name:        "model_drift",
		Result:      "dataset_drift",
		Op:          ">=",
		Warning:     &one,
		For:         5 * time.Minute,
		Labels:      map[string]string{"team": "ml"},
		Annotations: map[string]string{"summary": `{{.Labels.model}} drifted: {{index .Evidence "top_features"}}`},
	}})
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	drift := obs.Result{
		Name:     "dataset_drift",
		Labels:   obs.Labels{"model": "iris", "version": "3"},
		Value:    1,
		Samples:  1000,
		Evidence: []obs.Field{{Key: "top_features", Value: "petal_width (0.41)"}},
	}
	for _, m := range []int{0, 5, 10} {
		now := t0.Add(time.Duration(m) * time.Minute)
		drift.Time = now
		if m == 10 {
			drift.Value = 0
		}
		for _, a := range e.Evaluate(now, []obs.Result{drift}) {
			fmt.Printf("%2dm %s %s %v: %s\n", m, a.State, a.Severity, a.Labels, a.Annotations["summary"])
		}
	}
	// Output:
	//  0m pending warning {alertname="model_drift", model="iris", team="ml", version="3"}: iris drifted: petal_width (0.41)
	//  5m firing warning {alertname="model_drift", model="iris", team="ml", version="3"}: iris drifted: petal_width (0.41)
	// 10m resolved warning {alertname="model_drift", model="iris", team="ml", version="3"}: iris drifted: petal_width (0.41)
}
