package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metric names of the sidecar that the report quotes.
const (
	metricTapDropped = "driftwatch_tap_dropped_total"
	metricOverhead   = "driftwatch_proxy_overhead_seconds"
	metricRequests   = "driftwatch_proxy_requests_total"
	metricQueueLen   = "driftwatch_tap_queue_length"

	metricDriftDetected = "driftwatch_drift_detected"
)

// quotedSums are further metrics the report gives, summed over their
// labels, when the sidecar exports them: what shows that the records
// reached the drift monitor, and what explains its memory.
var quotedSums = []string{
	"driftwatch_records_total",
	"driftwatch_decode_errors_total",
	"driftwatch_exchanges_skipped_total",
	"driftwatch_drift_reference_records",
	"driftwatch_drift_windows_total",
	metricDriftDetected,
	"driftwatch_tap_queue_capacity",
	"go_memstats_heap_inuse_bytes",
	"go_memstats_next_gc_bytes",
	"go_goroutines",
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string // without labels
	labels string // "{…}" or ""
	value  float64
}

// scrape fetches http://admin/metrics and returns its samples.
func scrape(admin string) ([]sample, error) {
	raw, err := scrapeText(admin)
	if err != nil {
		return nil, err
	}
	return parseMetrics(raw), nil
}

// scrapeText fetches http://admin/metrics.
func scrapeText(admin string) (string, error) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("http://" + admin + "/metrics")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", fmt.Errorf("read /metrics: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return string(raw), nil
}

// parseMetrics reads the samples of the Prometheus text format, skipping
// comments and any line it does not understand.
func parseMetrics(text string) []sample {
	var out []sample
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var s sample
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			s.name, s.labels, rest = line[:i], line[i:j+1], line[j+1:]
		} else {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			s.name, rest = f[0], strings.Join(f[1:], " ")
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		s.value = v
		out = append(out, s)
	}
	return out
}

// sum returns the sum of the samples named name, and whether there was any.
func sum(samples []sample, name string) (float64, bool) {
	var total float64
	found := false
	for _, s := range samples {
		if s.name == name {
			total += s.value
			found = true
		}
	}
	return total, found
}

// histogram is a Prometheus histogram's cumulative buckets.
type histogram struct {
	upper []float64 // bucket upper bounds, increasing, +Inf last
	count []float64 // cumulative counts
	sum   float64
	total float64
}

// readHistogram collects the histogram name from samples.
func readHistogram(samples []sample, name string) (histogram, bool) {
	var h histogram
	found := false
	type bucket struct{ le, n float64 }
	var buckets []bucket
	for _, s := range samples {
		switch s.name {
		case name + "_bucket":
			le, ok := label(s.labels, "le")
			if !ok {
				continue
			}
			v, err := strconv.ParseFloat(le, 64)
			if err != nil {
				continue
			}
			buckets = append(buckets, bucket{v, s.value})
		case name + "_sum":
			h.sum, found = s.value, true
		case name + "_count":
			h.total, found = s.value, true
		}
	}
	slices.SortFunc(buckets, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	for _, b := range buckets {
		h.upper = append(h.upper, b.le)
		h.count = append(h.count, b.n)
	}
	return h, found
}

// quantileBound returns the upper bound of the bucket that holds the
// q-quantile: the true quantile is at most that (and above the previous
// bound). It returns +Inf when the quantile is in the last bucket and NaN
// when the histogram is empty.
func (h histogram) quantileBound(q float64) float64 {
	if h.total == 0 || len(h.count) == 0 {
		return math.NaN()
	}
	rank := q * h.total
	for i, c := range h.count {
		if c >= rank {
			return h.upper[i]
		}
	}
	return math.Inf(1)
}

// label returns the value of label key in a "{a="x",b="y"}" string.
func label(labels, key string) (string, bool) {
	i := strings.Index(labels, key+`="`)
	if i < 0 || (i > 0 && labels[i-1] != '{' && labels[i-1] != ',') {
		return "", false
	}
	rest := labels[i+len(key)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return rest[:j], true
}
