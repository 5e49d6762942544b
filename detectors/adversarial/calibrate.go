package adversarial

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
)

// Calibrate replays the queries of benign clients (benign[i] is the query
// sequence of client i, in order) through a Detector of cfg with its alarms
// off, and returns cfg with thresholds set from what benign clients show:
//
//	KNNThreshold    = Q_q(mean distance to the K nearest recent queries),
//	SpreadThreshold = 2 · Q_{1-q}(median of the recent minimum distances),
//	Delta           = min(cfg.Delta, Q_q(lowest Shapiro–Wilk W of a client's distances) - 0.1),
//
// where Q_q is the q-quantile (type 7, as numpy's default) over every query
// of every benign client at which the statistic is defined, except for
// Delta, where it is over clients: W of 20 to 100 skewed distances varies
// so much that a per-query quantile leaves clean clients below it. A low q such as
// 0.001 gives few false alarms; KNNThreshold also needs Consecutive queries
// in a row below it. Lowering Delta below PRADA's δ keeps clean traffic whose
// distances are far from normal (skewed real features, repeated rows) from
// being flagged; the lowered value is returned so the caller can see it.
func Calibrate(cfg Config, benign [][][]float64, q float64) (Config, error) {
	if !(q > 0 && q < 0.5) {
		return cfg, fmt.Errorf("calibrate: quantile %v not in (0, 0.5)", q)
	}
	off := cfg
	off.KNNThreshold, off.SpreadThreshold, off.Delta, off.MaxClients = 0, 0, math.SmallestNonzeroFloat64, 1
	d, err := New(off)
	if err != nil {
		return cfg, err
	}
	var knn, ws, meds []float64
	t := time.Unix(0, 0)
	for i, qs := range benign {
		key := "calibrate-" + strconv.Itoa(i)
		minW := math.Inf(1)
		for _, x := range qs {
			d.Observe(key, x, nil, t)
			c := d.clients[key].Value.(*client)
			if !math.IsNaN(c.knn) {
				knn = append(knn, c.knn)
			}
			if !math.IsNaN(c.w) {
				minW = min(minW, c.w)
				meds = append(meds, c.med)
			}
		}
		if !math.IsInf(minW, 1) {
			ws = append(ws, minW)
		}
	}
	if len(knn) == 0 || len(ws) == 0 {
		return cfg, errors.New("calibrate: too few benign queries per client for k and min_distances")
	}
	cfg = cfg.withDefaults()
	cfg.KNNThreshold = quantile(knn, q)
	cfg.SpreadThreshold = 2 * quantile(meds, 1-q)
	cfg.Delta = max(min(cfg.Delta, quantile(ws, q)-0.1), minDelta)
	return cfg, nil
}

// minDelta is the least Delta Calibrate sets.
const minDelta = 0.01

// quantile returns the q-quantile of x with linear interpolation between
// order statistics (numpy.quantile's default). It sorts x in place.
func quantile(x []float64, q float64) float64 {
	slices.Sort(x)
	h := q * float64(len(x)-1)
	i := int(h)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}
