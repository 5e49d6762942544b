package drift_test

import (
	"fmt"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// Compare a reference and a current sample of one numeric and one
// categorical feature: the prices moved up, the countries did not change.
func ExampleCompare() {
	var refPrice, curPrice []float64
	var refCountry, curCountry []string
	for i := range 200 {
		refPrice = append(refPrice, float64(i%50))
		curPrice = append(curPrice, float64(i%50)+15)
		c := []string{"DE", "FR", "US", "US"}[i%4]
		refCountry = append(refCountry, c)
		curCountry = append(curCountry, c)
	}
	ref := []drift.Column{{Name: "price", Num: refPrice}, {Name: "country", Categorical: true, Str: refCountry}}
	cur := []drift.Column{{Name: "price", Num: curPrice}, {Name: "country", Categorical: true, Str: curCountry}}

	opt := drift.DefaultOptions()
	opt.Permutations = 0 // no multivariate test
	r, err := drift.Compare(ref, cur, opt)
	if err != nil {
		panic(err)
	}
	for _, f := range r.Features {
		fmt.Printf("%s: %s statistic %.3f effect %.2f drift %v\n", f.Name, f.Test, f.Statistic, f.EffectSize, f.Drift)
	}
	fmt.Printf("dataset drift %v (%d of %d features)\n", r.Drift, r.DriftedFeatures, len(r.Features))
	// Output:
	// price: ks statistic 0.300 effect 0.30 drift true
	// country: chi2 statistic 0.000 effect 0.00 drift false
	// dataset drift true (1 of 2 features)
}
