package sidecar

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors"
	"github.com/driftwatch/driftwatch/detectors/drift"
)

// Metric names of the pipeline and the detectors (the proxy's are in
// collectors/proxy). Model and version label values are bounded: the first
// 64 pairs seen per model entry keep their names, later ones are counted
// under "other" (requests) or not watched (drift). Feature labels come
// from the reference, so they are bounded by its columns.
const (
	MetricRequests     = "driftwatch_requests_total"
	MetricRecords      = "driftwatch_records_total"
	MetricDecodeErrors = "driftwatch_decode_errors_total"
	MetricSkipped      = "driftwatch_exchanges_skipped_total"
	MetricUnmatched    = "driftwatch_exchanges_unmatched_total"
	MetricPanics       = "driftwatch_pipeline_panics_total"
	MetricQueueLength  = "driftwatch_tap_queue_length"
	MetricQueueCap     = "driftwatch_tap_queue_capacity"
	MetricDetPanics    = "driftwatch_detector_panics_total"
	MetricDetDisabled  = "driftwatch_detector_disabled"
	MetricModelsLimit  = "driftwatch_records_over_model_limit_total"

	MetricDriftDetected   = "driftwatch_drift_detected"
	MetricDriftDrifted    = "driftwatch_drift_features_drifted"
	MetricDriftFeatures   = "driftwatch_drift_features"
	MetricDriftWindowRecs = "driftwatch_drift_window_records"
	MetricDriftRefRecs    = "driftwatch_drift_reference_records"
	MetricDriftObserved   = "driftwatch_drift_records_observed_total"
	MetricDriftWindows    = "driftwatch_drift_windows_total"
	MetricDriftSkipped    = "driftwatch_drift_windows_skipped_total"
	MetricDriftErrors     = "driftwatch_drift_window_errors_total"
	MetricDriftLast       = "driftwatch_drift_last_window_timestamp_seconds"
	MetricFeatureDrift    = "driftwatch_feature_drift"
	MetricFeatureStat     = "driftwatch_feature_drift_statistic"
	MetricFeatureP        = "driftwatch_feature_drift_p_value"
	MetricFeatureAdjP     = "driftwatch_feature_drift_adjusted_p_value"
	MetricFeatureEffect   = "driftwatch_feature_drift_effect_size"
	MetricSynthDropped    = "driftwatch_probe_results_dropped_total"
	MetricSuspects        = "driftwatch_adversarial_suspects"
	MetricSuspectRecords  = "driftwatch_adversarial_records_excluded_total"
	MetricSqueezes        = "driftwatch_feature_squeezing_requests_total"
	MetricSqueezeL1       = "driftwatch_feature_squeezing_l1"
	MetricOutlierRate     = "driftwatch_outlier_rate"
	MetricOutliers        = "driftwatch_outliers_total"
	MetricDataQuality     = "driftwatch_data_quality_issues_total"
)

func (p *pipeline) registerMetrics(reg prometheus.Registerer) {
	p.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests,
		Help: "Tapped exchanges by model, version and the status code sent to the client (not counting those the tap dropped).",
	}, []string{"model", "version", "code"})
	p.records = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRecords,
		Help: "Decoded prediction records (one per instance of a batch), by model, version and whether they were synthetic.",
	}, []string{"model", "version", "synthetic"})
	p.decodeErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricDecodeErrors,
		Help: "Exchanges whose request or response body could not be decoded, by protocol, body and reason; the request itself was unaffected.",
	}, []string{"protocol", "body", "reason"})
	p.skipped = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricSkipped,
		Help: "Tapped exchanges not decoded, by reason: upstream_error, status (not 2xx), over_capture_limit, no_body.",
	}, []string{"reason"})
	p.panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricPanics,
		Help: "Panics recovered in the pipeline, by stage: decode (the exchange was dropped), adversarial (the client signals skipped the record); traffic was unaffected.",
	}, []string{"stage"})
	p.unmatched = prometheus.NewCounter(prometheus.CounterOpts{
		Name: MetricUnmatched,
		Help: "Tapped exchanges whose path matched no model entry of the config.",
	})
	p.synthDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: MetricSynthDropped,
		Help: "Results of synthetic checks the rules did not get because the pipeline was busy (their metrics were updated).",
	})
	p.outlierRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: MetricOutlierRate,
		Help: "Share of the records of the last second (with records) scored above the outlier threshold, by model, version and method; the threshold flags fpr of clean data.",
	}, []string{"model", "version", "method"})
	p.excluded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricSuspectRecords,
		Help: "Records of clients suspected of adversarial use, kept out of the drift and uncertainty windows (they still count for outliers and the suspect's own signals).",
	}, []string{"model", "version"})
	if p.squeezeOut != nil {
		p.squeezes, p.squeezeL1 = squeezeMetrics(reg)
	}
	reg.MustRegister(p.excluded, p.outlierRate, p.requests, p.records, p.decodeErrors, p.skipped, p.panics, p.unmatched, p.synthDropped)
	p.panics.WithLabelValues("decode")
	if p.watchesClients() {
		p.panics.WithLabelValues("adversarial")
	}
}

// collector reports, on each scrape, the state the detectors keep: the last
// drift report of every model version, the detectors' panics and the queue.
type collector struct {
	p *pipeline
	q *proxy.Queue
}

func (p *pipeline) collector(q *proxy.Queue) prometheus.Collector { return collector{p: p, q: q} }

var (
	mv  = []string{"model", "version"}
	mvf = []string{"model", "version", "feature"}

	descSuspects    = prometheus.NewDesc(MetricSuspects, "Clients suspected of adversarial use now, by signal: stateful (queries close to the client's own earlier ones), extraction (a sweep of the input space), boundary (many low-margin predictions). Clients themselves are in /api/v1/suspects as salted hashes.", []string{"signal"}, nil)
	descQueueLen    = prometheus.NewDesc(MetricQueueLength, "Exchanges waiting in the tap queue.", nil, nil)
	descQueueCap    = prometheus.NewDesc(MetricQueueCap, "Capacity of the tap queue; exchanges beyond it are dropped (driftwatch_tap_dropped_total).", nil, nil)
	descDetPanics   = prometheus.NewDesc(MetricDetPanics, "Panics recovered in a detector; the record was dropped and traffic was unaffected.", []string{"detector"}, nil)
	descDetDisabled = prometheus.NewDesc(MetricDetDisabled, "1 when a detector was disabled after too many panics.", []string{"detector"}, nil)
	descModelsLimit = prometheus.NewDesc(MetricModelsLimit, "Records dropped by a detector because their model version was past the limit of versions watched, or its monitor could not be made.", []string{"detector"}, nil)

	descDetected   = prometheus.NewDesc(MetricDriftDetected, "1 when the last window compared drifted from the reference, else 0; absent before the first window.", mv, nil)
	descDrifted    = prometheus.NewDesc(MetricDriftDrifted, "Features (and predictions) that drifted in the last window.", mv, nil)
	descFeatures   = prometheus.NewDesc(MetricDriftFeatures, "Features (and predictions) tested in the last window.", mv, nil)
	descWindowRecs = prometheus.NewDesc(MetricDriftWindowRecs, "Records in the last window compared.", mv, nil)
	descRefRecs    = prometheus.NewDesc(MetricDriftRefRecs, "Records in the reference; 0 while the first records are being collected as the reference.", mv, nil)
	descObserved   = prometheus.NewDesc(MetricDriftObserved, "Non-synthetic records the drift monitor observed, reference included.", mv, nil)
	descWindows    = prometheus.NewDesc(MetricDriftWindows, "Windows compared with the reference.", mv, nil)
	descSkippedW   = prometheus.NewDesc(MetricDriftSkipped, "Complete windows not compared because they had fewer than min_records records.", mv, nil)
	descErrorsW    = prometheus.NewDesc(MetricDriftErrors, "Windows whose comparison failed (see /api/v1/drift last_error).", mv, nil)
	descLast       = prometheus.NewDesc(MetricDriftLast, "Unix time of the last window compared.", mv, nil)
	descFDrift     = prometheus.NewDesc(MetricFeatureDrift, "1 when the feature drifted in the last window, else 0. Predictions are features named prediction:<name>.", mvf, nil)
	descFStat      = prometheus.NewDesc(MetricFeatureStat, "The statistic of the test that decided (label test) in the last window.", append(mvf, "test"), nil)
	descFP         = prometheus.NewDesc(MetricFeatureP, "The test's p-value in the last window, before correction; absent for distance-only tests.", append(mvf, "test"), nil)
	descFAdjP      = prometheus.NewDesc(MetricFeatureAdjP, "The p-value after the multiple-testing correction in the last window; absent for distance-only tests.", append(mvf, "test"), nil)
	descFEffect    = prometheus.NewDesc(MetricFeatureEffect, "Effect size in the last window: KS distance for numeric features, total variation for categorical ones (0..1).", mvf, nil)
)

// Describe implements prometheus.Collector. It sends nothing: the series
// depend on the traffic, so the collector is unchecked.
func (collector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (c collector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge(descQueueLen, float64(c.q.Len()))
	if c.p.watchesClients() {
		counts := map[string]int{}
		for _, s := range c.p.Suspects() {
			counts[s.Signal]++
		}
		for _, sig := range []string{"stateful", "extraction", "boundary"} {
			gauge(descSuspects, float64(counts[sig]), sig)
		}
	}
	gauge(descQueueCap, float64(c.q.Cap()))
	runners := []*detectors.Runner{c.p.global}
	for _, w := range c.p.models {
		runners = append(runners, w.runner, w.perTick)
		counter(descModelsLimit, float64(w.drift.Dropped()), w.name+".drift")
		if w.outliers != nil {
			counter(descModelsLimit, float64(w.outliers.Dropped()), w.name+".outliers")
		}
	}
	for _, r := range runners {
		for _, dp := range r.Panics() {
			counter(descDetPanics, float64(dp.Panics), dp.Detector)
			gauge(descDetDisabled, b2f(dp.Disabled), dp.Detector)
		}
	}
	c.p.eachMonitor(func(_ *watched, m, v string, mon *drift.Monitor) bool {
		st := mon.Stats()
		gauge(descRefRecs, float64(st.ReferenceRows), m, v)
		counter(descObserved, float64(st.Observed), m, v)
		counter(descWindows, float64(st.Windows), m, v)
		counter(descSkippedW, float64(st.SkippedWindows), m, v)
		counter(descErrorsW, float64(st.Errors), m, v)
		rep, at := mon.Last()
		if rep == nil {
			return true
		}
		gauge(descDetected, b2f(rep.Drift), m, v)
		gauge(descDrifted, float64(rep.DriftedFeatures), m, v)
		gauge(descFeatures, float64(len(rep.Features)), m, v)
		gauge(descWindowRecs, float64(rep.CurrentRows), m, v)
		gauge(descLast, float64(at.UnixNano())/1e9, m, v)
		for i := range rep.Features {
			f := &rep.Features[i]
			gauge(descFDrift, b2f(f.Drift), m, v, f.Name)
			gauge(descFEffect, f.EffectSize, m, v, f.Name)
			gauge(descFStat, f.Statistic, m, v, f.Name, f.Test)
			if f.PValue != nil {
				gauge(descFP, *f.PValue, m, v, f.Name, f.Test)
			}
			if f.AdjustedPValue != nil {
				gauge(descFAdjP, *f.AdjustedPValue, m, v, f.Name, f.Test)
			}
		}
		return true
	})
	c.p.collectOutliers(ch)
	if c.p.feed != nil {
		collectFeedback(c.p.feed, ch)
	}
	if c.p.alerts != nil {
		c.p.alerts.collect(ch)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
