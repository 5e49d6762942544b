package adversarial_test

import (
	"fmt"

	"github.com/driftwatch/driftwatch/detectors/adversarial"
)

func ExampleShapiroWilk() {
	x := []float64{1.9, 2.1, 2.8, 3.1, 3.3, 3.4, 3.9, 4.0, 4.4, 5.6} // sorted
	w, p := adversarial.ShapiroWilk(x)
	fmt.Printf("W = %.4f, p = %.4f\n", w, p)
	// Output: W = 0.9691, p = 0.8820
}

func ExampleHashKey() {
	fmt.Println(adversarial.HashKey([]byte("pepper"), "api-key-123"))
	// Output: 952dbd805c3b5a37b5cf0701a8c67a3a
}
