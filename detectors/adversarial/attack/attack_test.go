package attack

import (
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/driftwatch/driftwatch/detectors/adversarial"
)

// loadBreastCancer reads the 30 features and the diagnosis (1 for
// malignant) of testdata/breast-cancer/reference.csv.
func loadBreastCancer(t *testing.T) (xs [][]float64, ys []int) {
	t.Helper()
	f, err := os.Open("../../../testdata/breast-cancer/reference.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		x := make([]float64, 30)
		for i := range x {
			if x[i], err = strconv.ParseFloat(r[i], 64); err != nil {
				t.Fatal(err)
			}
		}
		xs = append(xs, x)
		if r[30] == "malignant" {
			ys = append(ys, 1)
		} else {
			ys = append(ys, 0)
		}
	}
	return xs, ys
}

// meanStd returns the per-feature mean and population standard deviation.
func meanStd(xs [][]float64) (mean, std []float64) {
	dim := len(xs[0])
	mean, std = make([]float64, dim), make([]float64, dim)
	for _, x := range xs {
		for i, v := range x {
			mean[i] += v
		}
	}
	for i := range mean {
		mean[i] /= float64(len(xs))
	}
	for _, x := range xs {
		for i, v := range x {
			std[i] += (v - mean[i]) * (v - mean[i])
		}
	}
	for i := range std {
		std[i] = math.Sqrt(std[i] / float64(len(xs)))
	}
	return mean, std
}

// fitLinear fits a fixed linear classifier: diagonal LDA on standardised
// features (weights (μ1 - μ0)/σ, threshold at the midpoint of the class
// means), with a logistic link. It returns [P(benign), P(malignant)].
func fitLinear(xs [][]float64, ys []int, mean, std []float64) Predict {
	dim := len(mean)
	var mu [2][]float64
	var n [2]float64
	mu[0], mu[1] = make([]float64, dim), make([]float64, dim)
	for k, x := range xs {
		n[ys[k]]++
		for i, v := range x {
			mu[ys[k]][i] += (v - mean[i]) / std[i]
		}
	}
	w := make([]float64, dim)
	var b float64
	for i := range w {
		m0, m1 := mu[0][i]/n[0], mu[1][i]/n[1]
		w[i] = m1 - m0
		b -= w[i] * (m0 + m1) / 2
	}
	return func(x []float64) []float64 {
		s := b
		for i, v := range x {
			s += w[i] * (v - mean[i]) / std[i]
		}
		p := 1 / (1 + math.Exp(-s))
		return []float64{1 - p, p}
	}
}

func TestSimulateBreastCancer(t *testing.T) {
	xs, ys := loadBreastCancer(t)
	mean, std := meanStd(xs)
	predict := fitLinear(xs, ys, mean, std)

	var correct int
	for k, x := range xs {
		if argmax(predict(x)) == ys[k] {
			correct++
		}
	}
	t.Logf("classifier accuracy on the reference: %.3f", float64(correct)/float64(len(xs)))

	// Calibrate on replayed clean traffic drawn independently of the
	// simulation's benign clients.
	rng := rand.New(rand.NewPCG(7, 8))
	clean := make([][][]float64, 100)
	for i := range clean {
		for range Queries {
			clean[i] = append(clean[i], xs[rng.IntN(len(xs))])
		}
	}
	cfg, err := adversarial.Calibrate(adversarial.Config{Mean: mean, Std: std}, clean, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("calibrated: knn < %.3f, spread > %.3f, delta %.3f; memory per client %d bytes",
		cfg.KNNThreshold, cfg.SpreadThreshold, cfg.Delta, cfg.MemoryPerClient())
	det, err := adversarial.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	rows := Simulate(xs, 20, predict, det)
	t.Logf("detection table:\n%s", Table(rows))
	for _, r := range rows {
		switch {
		case r.Kind == "benign" && r.Flagged:
			t.Errorf("benign client %s flagged by %s after %d queries", r.Client, r.Signal, r.Detected)
		case r.Kind != "benign" && (!r.Flagged || r.Detected > 200):
			t.Errorf("%s client not flagged within 200 queries", r.Kind)
		}
	}
}

func TestBoundaryWalkApproachesStart(t *testing.T) {
	// A fixed linear model on two features: class 1 when x0 + x1 > 1.
	predict := func(x []float64) []float64 {
		p := 1 / (1 + math.Exp(-10*(x[0]+x[1]-1)))
		return []float64{1 - p, p}
	}
	start, other := []float64{0, 0}, []float64{3, 0}
	var n int
	q := func(x []float64) []float64 { n++; return predict(x) }
	best := BoundaryWalk(rand.New(rand.NewPCG(1, 2)), q, start, other, []float64{0.05, 0.05}, 200)
	if argmax(predict(best)) == 0 {
		t.Errorf("BoundaryWalk returned %v, classified like start", best)
	}
	// The nearest adversarial point is (0.5, 0.5), at distance² 0.5.
	if d := dist(best, start); d > 0.6 {
		t.Errorf("distance² to start = %.3f, want below 0.6 (segment end at 1)", d)
	}
	if n != 200 {
		t.Errorf("%d queries, want the budget 200", n)
	}
}
