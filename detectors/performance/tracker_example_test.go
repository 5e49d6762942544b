package performance_test

import (
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/detectors/performance"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// A batch request of three instances is predicted, and its labels come
// later; the window of three labels is evaluated.
func ExampleTracker() {
	cfg := performance.DefaultConfig()
	cfg.Window = 3
	tr, err := performance.New(cfg)
	if err != nil {
		panic(err)
	}
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, class := range []string{"cat", "dog", "cat"} {
		tr.Observe(obs.Record{
			Time: t0, Model: "pets", Version: "7", RequestID: "req-1",
			Prediction: []obs.Value{{Name: "label", Kind: obs.Category, Str: class}},
		})
	}
	later := t0.Add(10 * time.Minute)
	for i, truth := range []string{"cat", "cat", "cat", "cat"} {
		err := tr.Label(performance.Label{RequestID: "req-1", Index: i, Value: obs.Value{Kind: obs.Category, Str: truth}}, later)
		fmt.Printf("label %d: %v\n", i, err)
	}
	for _, r := range tr.Results(later, nil) {
		fmt.Printf("%s%s = %.3f over %d\n", r.Name, r.Labels, r.Value, r.Samples)
	}
	// Output:
	// label 0: <nil>
	// label 1: <nil>
	// label 2: <nil>
	// label 3: instance index out of range: index 3 of a request of 3 instances
	// model_performance{metric="accuracy", model="pets", version="7"} = 0.667 over 3
	// model_performance{metric="precision", model="pets", version="7"} = 0.500 over 3
	// model_performance{metric="recall", model="pets", version="7"} = 0.333 over 3
}
