package synthetics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// The metrics a Runner exports.
const (
	MetricSuccess   = "driftwatch_probe_success"
	MetricDuration  = "driftwatch_probe_duration_seconds"
	MetricRuns      = "driftwatch_probe_runs_total"
	MetricAgreement = "driftwatch_probe_golden_agreement_ratio"
)

var (
	descSuccess   = prometheus.NewDesc(MetricSuccess, "1 when the check's last run passed (or its failure has not lasted min_failure_duration yet), 0 when it failed.", []string{"check"}, nil)
	descDuration  = prometheus.NewDesc(MetricDuration, "Timings of the check's last attempt by phase: dns, connect, tls (0 when the phase did not happen), first_byte and total (from the start of the request).", []string{"check", "phase"}, nil)
	descRuns      = prometheus.NewDesc(MetricRuns, "Runs of the check by result: passed or failed (after its retries).", []string{"check", "result"}, nil)
	descAgreement = prometheus.NewDesc(MetricAgreement, "Share of the golden set's rows the model answered as expected in the last run.", []string{"check"}, nil)
)

// Describe implements prometheus.Collector. It sends nothing: the series
// appear with the first run of each check, so the collector is unchecked.
func (r *Runner) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (r *Runner) Collect(ch chan<- prometheus.Metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, res := range r.last {
		ok := 0.0
		if res.Success || !res.Counted {
			ok = 1
		}
		ch <- prometheus.MustNewConstMetric(descSuccess, prometheus.GaugeValue, ok, name)
		for i, d := range res.Phases.Values() {
			ch <- prometheus.MustNewConstMetric(descDuration, prometheus.GaugeValue, d.Seconds(), name, PhaseNames[i])
		}
		if res.Golden {
			ch <- prometheus.MustNewConstMetric(descAgreement, prometheus.GaugeValue, res.Agreement, name)
		}
	}
	for name, n := range r.runs {
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, float64(n[0]), name, "passed")
		ch <- prometheus.MustNewConstMetric(descRuns, prometheus.CounterValue, float64(n[1]), name, "failed")
	}
}
