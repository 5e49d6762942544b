package sidecar

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/detectors/performance"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// feedbackAPI joins the labels of POST /api/v1/feedback with the
// predictions the tracker holds.
type feedbackAPI struct{ t *performance.Tracker }

// Label implements api.Feedback.
func (f feedbackAPI) Label(id string, index int, truth obs.Value, now time.Time) error {
	return f.t.Label(performance.Label{RequestID: id, Index: index, Value: truth}, now)
}

// Performance implements api.Feedback.
func (f feedbackAPI) Performance() []api.Performance {
	out := []api.Performance{}
	for _, s := range f.t.Last() {
		p := api.Performance{Model: s.Model, Version: s.Version, Task: s.Task, Labels: s.Pairs,
			At: s.End.UTC(), Metrics: make(map[string]float64, len(s.Metrics))}
		for _, m := range s.Metrics {
			p.Metrics[m.Name] = m.Value
		}
		out = append(out, p)
	}
	return out
}

const (
	MetricPerformance       = "driftwatch_model_performance"
	MetricPerformanceLabels = "driftwatch_model_performance_labels"
	MetricFeedbackLabels    = "driftwatch_feedback_labels_total"
	MetricFeedbackPending   = "driftwatch_feedback_pending_predictions"
	MetricFeedbackDropped   = "driftwatch_feedback_predictions_dropped_total"
)

var (
	descPerf        = prometheus.NewDesc(MetricPerformance, "Performance of the last window of labelled predictions: accuracy, precision and recall (macro averages) for a classifier, mae and rmse for a regressor.", []string{"model", "version", "metric"}, nil)
	descPerfLabels  = prometheus.NewDesc(MetricPerformanceLabels, "Labelled predictions in the last performance window.", mv, nil)
	descFbLabels    = prometheus.NewDesc(MetricFeedbackLabels, "Labels posted to /api/v1/feedback, by result: matched, unknown (no such request id, or not seen yet), expired, duplicate, invalid.", []string{"result"}, nil)
	descFbPending   = prometheus.NewDesc(MetricFeedbackPending, "Predictions waiting for their label.", nil, nil)
	descFbDropped   = prometheus.NewDesc(MetricFeedbackDropped, "Predictions dropped before a label came, by reason: evicted (max_pending reached) or expired (ttl passed).", []string{"reason"}, nil)
	feedbackResults = []string{"matched", "unknown", "expired", "duplicate", "invalid"}
)

// collectFeedback reports the tracker's state.
func collectFeedback(t *performance.Tracker, ch chan<- prometheus.Metric) {
	for _, s := range t.Last() {
		for _, m := range s.Metrics {
			ch <- prometheus.MustNewConstMetric(descPerf, prometheus.GaugeValue, m.Value, s.Model, s.Version, m.Name)
		}
		ch <- prometheus.MustNewConstMetric(descPerfLabels, prometheus.GaugeValue, float64(s.Pairs), s.Model, s.Version)
	}
	st := t.Stats()
	for i, v := range []uint64{st.LabelsMatched, st.LabelsUnknown, st.LabelsExpired, st.LabelsDuplicate, st.LabelsInvalid} {
		ch <- prometheus.MustNewConstMetric(descFbLabels, prometheus.CounterValue, float64(v), feedbackResults[i])
	}
	ch <- prometheus.MustNewConstMetric(descFbPending, prometheus.GaugeValue, float64(st.Pending))
	ch <- prometheus.MustNewConstMetric(descFbDropped, prometheus.CounterValue, float64(st.Evicted), "evicted")
	ch <- prometheus.MustNewConstMetric(descFbDropped, prometheus.CounterValue, float64(st.Expired), "expired")
}
