package performance

import (
	"math"
	"strconv"
	"testing"
)

// The expected values come from /usr/bin/python3 with scikit-learn 1.2.1 and
// numpy 1.24.2, printed with repr (the shortest form that reads back to the
// same float64). Each case's comment is the Python that made its inputs and
// the expression evaluated after
//
//	from sklearn.metrics import accuracy_score, precision_score, recall_score
//	from sklearn.metrics import mean_absolute_error, mean_squared_error
//	P = lambda t, p: precision_score(t, p, average="macro", zero_division=0)
//	R = lambda t, p: recall_score(t, p, average="macro", zero_division=0)
//
// The tolerance is 0: the functions sum in numpy's order (npSum), so they
// agree bit for bit.
const tol = 0

// strs returns the decimal strings of f(0) … f(n-1), like Python's
// [str(f(i)) for i in range(n)].
func strs(n int, f func(i int) int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(f(i))
	}
	return out
}

// tenths is Python's [i / 10 for i in range(n)].
func tenths(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i) / 10
	}
	return out
}

// offsets is Python's [(i * i % 97) / 7 + i / 10 for i in range(n)].
func offsets(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i*i%97)/7 + float64(i)/10
	}
	return out
}

var classificationCases = []struct {
	name                        string
	truth, pred                 []string
	accuracy, precision, recall float64
}{
	{
		// t = ["cat", "dog", "bird", "cat", "dog", "bird", "cat", "cat"]; p = ["cat", "bird", "bird", "cat", "dog", "dog", "dog", "cat"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "multiclass",
		truth:    []string{"cat", "dog", "bird", "cat", "dog", "bird", "cat", "cat"},
		pred:     []string{"cat", "bird", "bird", "cat", "dog", "dog", "dog", "cat"},
		accuracy: 0.625, precision: 0.611111111111111, recall: 0.5833333333333334,
	},
	{
		// t = ["0", "1", "1", "0", "1", "0", "1", "1", "0", "0"]; p = ["0", "1", "0", "0", "1", "1", "1", "1", "0", "1"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "binary",
		truth:    []string{"0", "1", "1", "0", "1", "0", "1", "1", "0", "0"},
		pred:     []string{"0", "1", "0", "0", "1", "1", "1", "1", "0", "1"},
		accuracy: 0.7, precision: 0.7083333333333333, recall: 0.7,
	},
	{
		// t = ["a", "a", "b", "b"]; p = ["a", "c", "b", "b"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "class only in predictions",
		truth:    []string{"a", "a", "b", "b"},
		pred:     []string{"a", "c", "b", "b"},
		accuracy: 0.75, precision: 0.6666666666666666, recall: 0.5,
	},
	{
		// t = ["a", "b", "c", "c"]; p = ["a", "b", "b", "b"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "class only in truth",
		truth:    []string{"a", "b", "c", "c"},
		pred:     []string{"a", "b", "b", "b"},
		accuracy: 0.5, precision: 0.4444444444444444, recall: 0.6666666666666666,
	},
	{
		// t = ["a", "a", "b"]; p = ["c", "d", "c"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "disjoint classes",
		truth:    []string{"a", "a", "b"},
		pred:     []string{"c", "d", "c"},
		accuracy: 0.0, precision: 0.0, recall: 0.0,
	},
	{
		// t = ["x", "y", "x", "y"]; p = ["x", "x", "x", "x"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "one class predicted, tied counts",
		truth:    []string{"x", "y", "x", "y"},
		pred:     []string{"x", "x", "x", "x"},
		accuracy: 0.5, precision: 0.25, recall: 0.5,
	},
	{
		// t = ["b", "a", "b"]; p = ["b", "a", "b"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "all right",
		truth:    []string{"b", "a", "b"},
		pred:     []string{"b", "a", "b"},
		accuracy: 1.0, precision: 1.0, recall: 1.0,
	},
	{
		// t = ["a"]; p = ["a"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "one element right",
		truth:    []string{"a"},
		pred:     []string{"a"},
		accuracy: 1.0, precision: 1.0, recall: 1.0,
	},
	{
		// t = ["a"]; p = ["b"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "one element wrong",
		truth:    []string{"a"},
		pred:     []string{"b"},
		accuracy: 0.0, precision: 0.0, recall: 0.0,
	},
	{
		// t = ["10", "9", "10", "2", "9"]; p = ["9", "9", "10", "10", "2"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "numeric names sort as strings",
		truth:    []string{"10", "9", "10", "2", "9"},
		pred:     []string{"9", "9", "10", "10", "2"},
		accuracy: 0.4, precision: 0.3333333333333333, recall: 0.3333333333333333,
	},
	{
		// t = ["é", "e", "z", "é"]; p = ["é", "z", "z", "e"]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "unicode names",
		truth:    []string{"é", "e", "z", "é"},
		pred:     []string{"é", "z", "z", "e"},
		accuracy: 0.5, precision: 0.5, recall: 0.5,
	},
	{
		// t = [str(i % 12) for i in range(60)]; p = [str(i * i % 13) for i in range(60)]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "twelve classes",
		truth:    strs(60, func(i int) int { return i % 12 }),
		pred:     strs(60, func(i int) int { return i * i % 13 }),
		accuracy: 0.1, precision: 0.05641025641025642, recall: 0.0923076923076923,
	},
	{
		// t = [str(i % 131) for i in range(700)]; p = [str(i * i % 137) for i in range(700)]
		// accuracy_score(t, p), P(t, p), R(t, p)
		name:     "137 classes",
		truth:    strs(700, func(i int) int { return i % 131 }),
		pred:     strs(700, func(i int) int { return i * i % 137 }),
		accuracy: 0.014285714285714285, precision: 0.007485300768882858, recall: 0.012935323383084578,
	},
}

var regressionCases = []struct {
	name        string
	truth, pred []float64
	mae, rmse   float64
}{
	{
		// t = [3, -0.5, 2, 7]; p = [2.5, 0.0, 2, 8]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "sklearn docs",
		truth: []float64{3, -0.5, 2, 7},
		pred:  []float64{2.5, 0.0, 2, 8},
		mae:   0.5, rmse: 0.6123724356957945,
	},
	{
		// t = [1.5]; p = [4.0]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "one element",
		truth: []float64{1.5},
		pred:  []float64{4.0},
		mae:   2.5, rmse: 2.5,
	},
	{
		// t = [1.0, 1.0, 1.0]; p = [1.0, 1.0, 1.0]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "no error",
		truth: []float64{1.0, 1.0, 1.0},
		pred:  []float64{1.0, 1.0, 1.0},
		mae:   0.0, rmse: 0.0,
	},
	{
		// t = [0.0, 1.0, 2.0, 3.0]; p = [1.0, 0.0, 3.0, 2.0]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "tied errors",
		truth: []float64{0.0, 1.0, 2.0, 3.0},
		pred:  []float64{1.0, 0.0, 3.0, 2.0},
		mae:   1.0, rmse: 1.0,
	},
	{
		// t = [-1e6, 2.5, 1e-3, 0.0, 7.25]; p = [-999999.5, -2.5, 0.0, 1e-9, 7.0]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "negative and large",
		truth: []float64{-1000000.0, 2.5, 0.001, 0.0, 7.25},
		pred:  []float64{-999999.5, -2.5, 0.0, 1e-09, 7.0},
		mae:   1.1502000002000001, rmse: 2.250000044444444,
	},
	{
		// t = [i / 10 for i in range(1000)]; p = [(i * i % 97) / 7 + i / 10 for i in range(1000)]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "1000 pairs",
		truth: tenths(1000),
		pred:  offsets(1000),
		mae:   6.834285714285714, rmse: 8.094182844386909,
	},
	{
		// t = [i / 10 for i in range(10000)]; p = [(i * i % 97) / 7 + i / 10 for i in range(10000)]
		// mean_absolute_error(t, p), mean_squared_error(t, p, squared=False)
		name:  "10000 pairs",
		truth: tenths(10000),
		pred:  offsets(10000),
		mae:   6.853885714285713, rmse: 8.108921264979248,
	},
}

func near(got, want float64) bool {
	return got == want || math.Abs(got-want) <= tol*math.Abs(want)
}

func TestClassificationMetrics(t *testing.T) {
	for _, c := range classificationCases {
		t.Run(c.name, func(t *testing.T) {
			if got := Accuracy(c.truth, c.pred); !near(got, c.accuracy) {
				t.Errorf("Accuracy = %v, want %v", got, c.accuracy)
			}
			p, r := PrecisionRecall(c.truth, c.pred)
			if !near(p, c.precision) || !near(r, c.recall) {
				t.Errorf("PrecisionRecall = %v, %v, want %v, %v", p, r, c.precision, c.recall)
			}
		})
	}
}

func TestRegressionMetrics(t *testing.T) {
	for _, c := range regressionCases {
		t.Run(c.name, func(t *testing.T) {
			if got := MAE(c.truth, c.pred); !near(got, c.mae) {
				t.Errorf("MAE = %v, want %v", got, c.mae)
			}
			if got := RMSE(c.truth, c.pred); !near(got, c.rmse) {
				t.Errorf("RMSE = %v, want %v", got, c.rmse)
			}
		})
	}
}

// Empty inputs give NaN: scikit-learn returns nan for accuracy_score([], [])
// and for precision_score and recall_score (average="macro",
// zero_division=0), and raises for the regression metrics.
func TestMetricsEmpty(t *testing.T) {
	p, r := PrecisionRecall(nil, nil)
	for name, v := range map[string]float64{
		"Accuracy": Accuracy(nil, nil), "precision": p, "recall": r,
		"MAE": MAE(nil, nil), "RMSE": RMSE(nil, nil),
	} {
		if !math.IsNaN(v) {
			t.Errorf("%s of nothing = %v, want NaN", name, v)
		}
	}
}

func TestMetricsLengthMismatch(t *testing.T) {
	f := func(name string, call func()) {
		t.Helper()
		defer func() {
			if p := recover(); p != badLength {
				t.Errorf("%s: panic %v, want %q", name, p, badLength)
			}
		}()
		call()
	}
	f("Accuracy", func() { Accuracy([]string{"a"}, nil) })
	f("PrecisionRecall", func() { PrecisionRecall(nil, []string{"a"}) })
	f("MAE", func() { MAE([]float64{1}, nil) })
	f("RMSE", func() { RMSE(nil, []float64{1}) })
}

// npSum must add in numpy's order: these sums differ from a sequential
// sum from 128 terms on (the comments give the sequential sums). Made by
//
//	import numpy as np
//	a = [(i * i % 1009) / 3 + 1e8 * (i % 3) for i in range(n)]
//	repr(float(np.sum(np.array(a))))
func TestNPSumOrder(t *testing.T) {
	for _, c := range []struct {
		n    int
		want float64
	}{
		{1, 0.0},
		{7, 600000030.3333334},
		{8, 700000046.6666667},
		{9, 900000068.0000001},
		{127, 12600019417.333336},  // sequential 12600019417.33333
		{128, 12700019748.666668},  // sequential 12700019748.666664
		{129, 12900019828.666668},  // sequential 12900019828.666664
		{1000, 99900169417.0},      // sequential 99900169417.0
		{8192, 819101374172.6667},  // sequential 819101374172.6682
		{8193, 819301374264.0001},  // sequential 819301374264.0016
		{20000, 1999903362073.667}, // sequential 1999903362073.6558
	} {
		got := npSum(c.n, func(i int) float64 {
			return float64(i*i%1009)/3 + float64(1e8*float64(i%3)) // no fused multiply-add
		})
		if got != c.want {
			t.Errorf("n=%d: npSum = %v, want %v", c.n, got, c.want)
		}
	}
}
