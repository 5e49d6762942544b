package outlier_test

import (
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/detectors/outlier"
	"github.com/driftwatch/driftwatch/internal/obs"
)

func ExampleRobustZ_Top() {
	ref := [][]float64{{1, 10}, {2, 20}, {3, 30}, {4, 40}, {5, 50}}
	z := outlier.FitRobustZ(ref)
	for _, e := range z.Top(nil, []float64{3, 200}, 2) {
		fmt.Printf("feature %d: value %g, z %.2f\n", e.Feature, e.Value, e.Z)
	}
	// Output:
	// feature 1: value 200, z 11.47
	// feature 0: value 3, z 0.00
}

func ExampleMonitor() {
	names := []string{"x", "y"}
	var ref [][]float64
	for i := range 100 {
		ref = append(ref, []float64{float64(i % 10), float64(i % 7)})
	}
	m, err := outlier.NewMonitor(outlier.Config{
		Model: "m", Version: "1",
		Options: outlier.Options{Method: outlier.MethodMahalanobis, FPR: 0.01},
	}, names, ref)
	if err != nil {
		panic(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.Observe(obs.Record{Time: at, Features: []obs.Value{
		{Name: "x", Kind: obs.Number, Num: 4}, {Name: "y", Kind: obs.Number, Num: 3}}})
	m.Observe(obs.Record{Time: at, Features: []obs.Value{
		{Name: "x", Kind: obs.Number, Num: 40}}}) // y missing
	for _, r := range m.Results(at, nil) {
		fmt.Println(r.Name, r.Labels, r.Value, r.Samples)
	}
	o := m.Recent(nil)[0]
	fmt.Println(o.Features[0].Name, o.Features[0].Value)
	// Output:
	// outlier_rate {method="mahalanobis", model="m", version="1"} 0.5 2
	// data_quality_issues {kind="missing", model="m", version="1"} 1 2
	// data_quality_issues {kind="nan", model="m", version="1"} 0 2
	// data_quality_issues {kind="out_of_range", model="m", version="1"} 1 2
	// data_quality_issues {kind="unseen_category", model="m", version="1"} 0 2
	// data_quality_issues {kind="wrong_type", model="m", version="1"} 0 2
	// feature_quality_issues {feature="x", kind="out_of_range", model="m", version="1"} 1 2
	// feature_quality_issues {feature="y", kind="missing", model="m", version="1"} 1 2
	// x 40
}
