package dashboards

import (
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// Label matchers of the template variables.
const (
	onInstance = `instance=~"$instance"`
	onModel    = `instance=~"$instance", model=~"$model", version=~"$version"`
)

// s is the series selector metric{matchers, extra...}.
func s(metric, matchers string, extra ...string) string {
	return metric + "{" + strings.Join(append([]string{matchers}, extra...), ", ") + "}"
}

// rate is the per-second rate of counter over Grafana's rate interval.
func rate(series string) string { return "rate(" + series + "[$__rate_interval])" }

// quantile is the q-quantile of histogram's buckets, over all its series.
func quantile(q float64, histogram, matchers string) string {
	return fmt.Sprintf("histogram_quantile(%g, sum by (le) (%s))", q, rate(s(histogram+"_bucket", matchers)))
}

// Overview is the model overview: is the model service healthy and are its
// inputs and clients what they were? Traffic, errors, latency, the
// sidecar's own cost, drift, outliers, adversarial clients, model
// performance, synthetic checks, and alerts with their delivery.
func Overview() (dashboard.Dashboard, error) {
	b := newDashboard("driftwatch-overview", "driftwatch / model overview",
		"One model service behind driftwatch sidecars: traffic, errors, latency, drift, outliers, adversarial clients, synthetic checks, alerts and their delivery.",
		labelVar("instance", "Sidecar", mProxyRequests, true),
		labelVar("model", "Model", s(mRequests, onInstance), true),
		labelVar("version", "Version", s(mRequests, onInstance, `model=~"$model"`), true))
	var g grid

	g.row("Now")
	g.add(4, 4, statPanel("Drift", "1 when the last window of a selected model version drifted (driftwatch_drift_detected); no data before the first window.",
		units.NoUnit, thresholds(above(1, "red")),
		query{"max(" + s(mDriftDetected, onModel) + ")", ""}).
		Mappings(states("no drift", "green", "DRIFT", "red")))
	g.add(4, 4, statPanel("Drifted features", "Features that drifted in the last window, over the selected model versions.",
		units.Short, thresholds(above(1, "orange")),
		query{"sum(" + s(mDriftDrifted, onModel) + ")", ""}))
	g.add(4, 4, statPanel("Outlier rate", "Highest share of the last window's records flagged as outliers, over methods and model versions.",
		units.PercentUnit, thresholds(above(0.05, "orange"), above(0.2, "red")),
		query{"max(" + s(mOutlierRate, onModel) + ")", ""}))
	g.add(4, 4, statPanel("Adversarial suspects", "Clients suspected now, over every signal (stateful, extraction, boundary).",
		units.Short, thresholds(above(1, "red")),
		query{"sum(" + s(mSuspects, onInstance) + ")", ""}))
	g.add(4, 4, statPanel("Synthetic checks failing", "Checks whose last run failed (driftwatch_probe_success 0).",
		units.Short, thresholds(above(1, "red")),
		query{"count(" + s(mProbeSuccess, onInstance) + " == 0) or vector(0)", ""}))
	g.add(4, 4, statPanel("Alerts firing", "Alerts firing at the last rule evaluation.",
		units.Short, thresholds(above(1, "red")),
		query{"sum(" + s(mAlerts, onInstance, `state="firing"`) + ")", ""}))

	g.row("Traffic")
	g.add(12, 8, timeSeries("Requests per second by status", "Every proxied request, by the status sent to the client (499: the client went away first).",
		units.RequestsPerSecond,
		query{"sum by (code) (" + rate(s(mProxyRequests, onInstance)) + ")", "{{code}}"}))
	g.add(12, 8, timeSeries("Error ratio (5xx)", "Share of requests answered with a 5xx status: all proxied traffic, and per model version.",
		units.PercentUnit,
		// "or": 0 rather than no data while there is traffic but no 5xx.
		query{fmt.Sprintf("(sum(%[1]s) or vector(0)) / sum(%[2]s)",
			rate(s(mProxyRequests, onInstance, `code=~"5.."`)), rate(s(mProxyRequests, onInstance))), "all"},
		query{fmt.Sprintf("(sum by (model, version) (%[1]s) or 0 * sum by (model, version) (%[2]s)) / sum by (model, version) (%[2]s)",
			rate(s(mRequests, onModel, `code=~"5.."`)), rate(s(mRequests, onModel))), "{{model}} {{version}}"}).
		Min(0))
	g.add(12, 8, timeSeries("Upstream latency", "From sending the request to the model server to the end of its response body.",
		units.Seconds,
		query{quantile(0.5, mUpstreamDuration, onInstance), "p50"},
		query{quantile(0.9, mUpstreamDuration, onInstance), "p90"},
		query{quantile(0.99, mUpstreamDuration, onInstance), "p99"}))
	g.add(12, 8, timeSeries("Sidecar overhead", "Time the sidecar itself adds to an exchange (before the upstream send, after its last byte).",
		units.Seconds,
		query{quantile(0.5, mOverhead, onInstance), "p50"},
		query{quantile(0.99, mOverhead, onInstance), "p99"}))
	g.add(12, 8, timeSeries("Requests per second by model", "Tapped exchanges per model version (the tap's drops are not in it).",
		units.RequestsPerSecond,
		query{"sum by (model, version) (" + rate(s(mRequests, onModel)) + ")", "{{model}} {{version}}"}))
	g.add(12, 8, timeSeries("Tap drops and upstream errors", "Copies the tap did not get in full (traffic unaffected), and upstream failures by kind.",
		units.OpsPerSecond,
		query{"sum by (reason) (" + rate(s(mTapDropped, onInstance)) + ")", "tap dropped: {{reason}}"},
		query{"sum by (kind) (" + rate(s(mUpstreamErrors, onInstance)) + ")", "upstream error: {{kind}}"}))

	g.row("Drift, outliers and adversarial clients")
	g.add(12, 8, timeline("Drift flag", "Per model version: did the last window drift? Click a version to open its drift drill-down.",
		states("no drift", "green", "drift", "red"),
		query{"max by (model, version) (" + s(mDriftDetected, onModel) + ")", "{{model}} {{version}}"}).
		DataLinks([]cog.Builder[dashboard.DashboardLink]{drillDownLink()}))
	g.add(12, 8, timeSeries("Drifted features", "Drifted and tested features of the last window, per model version.",
		units.Short,
		query{"max by (model, version) (" + s(mDriftDrifted, onModel) + ")", "{{model}} {{version}} drifted"},
		query{"max by (model, version) (" + s(mDriftFeatures, onModel) + ")", "{{model}} {{version}} tested"}).
		DataLinks([]cog.Builder[dashboard.DashboardLink]{drillDownLink()}))
	g.add(8, 8, timeSeries("Outlier rate", "Share of the last window's records flagged, per model version and method.",
		units.PercentUnit,
		query{"max by (model, version, method) (" + s(mOutlierRate, onModel) + ")", "{{model}} {{version}} {{method}}"}).
		Min(0))
	g.add(8, 8, timeSeries("Outliers per second", "Records flagged as outliers, per model version and method.",
		units.OpsPerSecond,
		query{"sum by (model, version, method) (" + rate(s(mOutliers, onModel)) + ")", "{{model}} {{version}} {{method}}"}))
	g.add(8, 8, timeSeries("Adversarial suspects", "Clients suspected now, by signal: stateful (many near-identical queries), extraction (model stealing), boundary (probing the decision boundary).",
		units.Short,
		query{"sum by (signal) (" + s(mSuspects, onInstance) + ")", "{{signal}}"}).
		Min(0))
	g.add(8, 8, timeSeries("Data-quality issues per second", "Feature values missing, NaN, out of the reference's range, of an unseen category or of the wrong type: the 10 worst features.",
		units.OpsPerSecond,
		query{"topk(10, sum by (model, feature, kind) (" + rate(s(mQuality, onModel)) + "))", "{{model}} {{feature}} {{kind}}"}))
	g.add(8, 8, timeSeries("Suspects' records kept out", "Records of suspected clients kept out of the drift and uncertainty windows, per second.",
		units.OpsPerSecond,
		query{"sum by (model, version) (" + rate(s(mExcluded, onModel)) + ")", "{{model}} {{version}}"}))
	g.add(8, 8, timeSeries("Feature squeezing", "L1 distance between the answers to sampled requests and to their squeezed copies (0 to 2; models with feature_squeezing): adversarial inputs move far more than natural ones.",
		units.Short,
		query{quantile(0.5, mSqueezeL1, onModel), "p50"},
		query{quantile(0.99, mSqueezeL1, onModel), "p99"}).
		Min(0))
	g.add(16, 8, timeSeries("Model performance", "Last labelled window, per model version: accuracy, precision, recall (classifiers) or mae, rmse (regressors).",
		units.Short,
		query{"avg by (model, version, metric) (" + s(mPerformance, onModel) + ")", "{{model}} {{version}} {{metric}}"}))
	g.add(8, 8, timeSeries("Labelled predictions", "Labelled predictions in the window the performance was computed on.",
		units.Short,
		query{"sum by (model, version) (" + s(mPerformanceSize, onModel) + ")", "{{model}} {{version}}"}))

	g.row("Synthetic checks")
	g.add(12, 8, timeline("Check status", "Did the check's last run pass? A failing check counts only after its min_failure_duration.",
		states("fail", "red", "pass", "green"),
		query{"min by (check) (" + s(mProbeSuccess, onInstance) + ")", "{{check}}"}))
	g.add(12, 8, timeSeries("Check duration", "The whole of each check's last attempt (phases: dns, connect, tls, first_byte, total).",
		units.Seconds,
		query{"max by (check) (" + s(mProbeDuration, onInstance, `phase="total"`) + ")", "{{check}}"}))

	g.row("Alerts and notifications")
	g.add(12, 8, tablePanel("Alerts pending or firing", "Alerts at the last rule evaluation, by rule, state and severity.",
		query{"sum by (rule, state, severity) (" + s(mAlerts, onInstance) + ") > 0", ""}).
		Transformations([]dashboard.DataTransformerConfig{hideColumns("alerts")}))
	g.add(12, 8, timeSeries("Alerts firing by rule", "Alerts firing at each rule evaluation, by rule and severity.", units.Short,
		query{"sum by (rule, severity) (" + s(mAlerts, onInstance, `state="firing"`) + ")", "{{rule}} ({{severity}})"}).
		Min(0))
	g.add(8, 8, timeSeries("Notifications", "Notifications the routes made: queued in the outbox, suppressed (already delivered within repeat_interval), lost (the outbox refused them).",
		units.Short,
		query{"sum by (result) (increase(" + s(mNotifications, onInstance) + "[$__rate_interval]))", "{{result}}"}).
		Min(0))
	g.add(8, 8, timeSeries("Outbox", "Notifications waiting to be sent or retried, and those given up, per receiver.",
		units.Short,
		query{"sum by (receiver) (" + s(mOutbox, onInstance, `state="pending"`) + ")", "pending: {{receiver}}"},
		query{"sum by (receiver) (" + s(mOutbox, onInstance, `state="failed"`) + ")", "failed: {{receiver}}"}).
		Min(0))
	g.add(8, 8, timeline("Receiver circuits", "Open while a receiver kept failing; its notifications go to its fallback.",
		states("closed", "green", "open", "red"),
		query{"max by (receiver) (" + s(mCircuitOpen, onInstance) + ")", "{{receiver}}"}))

	return g.build(b)
}

// drillDownLink opens the drift drill-down of the model version of the
// series clicked.
func drillDownLink() *dashboard.DashboardLinkBuilder {
	return dashboard.NewDashboardLinkBuilder("Drift drill-down of ${__field.labels.model} ${__field.labels.version}").
		Type(dashboard.DashboardLinkTypeLink).
		Url("/d/driftwatch-drift?var-model=${__field.labels.model}&var-version=${__field.labels.version}&${datasource:queryparam}&${instance:queryparam}&${__url_time_range}")
}
