package main

import (
	"math"
	"slices"
	"time"
)

// quantiles are the latency quantiles reported, in order.
var quantiles = []float64{0.50, 0.90, 0.99, 0.999}

// quantileNames label quantiles in tables.
var quantileNames = []string{"p50", "p90", "p99", "p99.9"}

// percentile returns the q-quantile of sorted by the nearest-rank method:
//
//	sorted[⌈q·n⌉ − 1]
//
// clamped to the first and last element. It returns 0 for an empty slice.
// sorted must be in increasing order.
func percentile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}

// summary holds the quantiles of one set of latencies.
type summary struct {
	n   int
	q   []time.Duration // at quantiles
	max time.Duration
}

// summarize sorts d in place and returns its quantiles.
func summarize(d []time.Duration) summary {
	slices.Sort(d)
	s := summary{n: len(d), q: make([]time.Duration, len(quantiles))}
	for i, q := range quantiles {
		s.q[i] = percentile(d, q)
	}
	if len(d) > 0 {
		s.max = d[len(d)-1]
	}
	return s
}

// median returns the median of v, the mean of the middle two when len(v) is
// even. It sorts v in place.
func median(v []time.Duration) time.Duration {
	slices.Sort(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}
