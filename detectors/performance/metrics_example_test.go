package performance_test

import (
	"fmt"

	"github.com/driftwatch/driftwatch/detectors/performance"
)

// A model that answers "cat" too often: precision suffers for "cat", and
// recall for "dog", a class it never predicts.
func ExamplePrecisionRecall() {
	truth := []string{"cat", "dog", "bird", "cat"}
	pred := []string{"cat", "cat", "bird", "cat"}
	p, r := performance.PrecisionRecall(truth, pred)
	fmt.Printf("accuracy %.3f precision %.3f recall %.3f\n", performance.Accuracy(truth, pred), p, r)
	// Output:
	// accuracy 0.750 precision 0.556 recall 0.667
}

func ExampleRMSE() {
	truth := []float64{3, -0.5, 2, 7}
	pred := []float64{2.5, 0, 2, 8}
	fmt.Printf("MAE %.3f RMSE %.3f\n", performance.MAE(truth, pred), performance.RMSE(truth, pred))
	// Output:
	// MAE 0.500 RMSE 0.612
}
