package dashboards

import "fmt"

// board builds a dashboard, laying panels out left to right, top to
// bottom.
type board struct {
	d    Dashboard
	x, y int
	rowH int
}

func newBoard(uid, title, desc string, vars ...Variable) *board {
	b := &board{d: Dashboard{UID: uid, Title: title, Description: desc, Tags: []string{"driftwatch"},
		Timezone: "browser", SchemaVersion: 39, Refresh: "30s", Editable: true,
		Time: TimeRange{From: "now-6h", To: "now"}}}
	ds := Variable{Name: "datasource", Label: "Prometheus", Type: "datasource", Query: "prometheus",
		Current: map[string]string{"text": "driftwatch", "value": DatasourceUID}}
	b.d.Templating.List = append([]Variable{ds}, vars...)
	return b
}

// labelVar is a multi-value template variable over a label of metric.
func labelVar(name, metric string) Variable {
	q := fmt.Sprintf("label_values(%s, %s)", metric, name)
	return Variable{Name: name, Label: name, Type: "query", Definition: q,
		Query:      map[string]string{"query": q, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
		Datasource: prom(), Current: map[string]any{"text": "All", "value": "$__all"},
		Refresh: 2, IncludeAll: true, Multi: true, Sort: 1}
}

func prom() *Datasource { return &Datasource{Type: "prometheus", UID: "${datasource}"} }

// row starts a new row titled title.
func (b *board) row(title string) {
	b.newline()
	b.add(Panel{Type: "row", Title: title, GridPos: GridPos{H: 1, W: 24}})
	b.newline()
}

func (b *board) newline() {
	if b.x > 0 {
		b.y += b.rowH
		b.x, b.rowH = 0, 0
	}
}

// add places p (its W and H set) and numbers it.
func (b *board) add(p Panel) {
	if b.x+p.GridPos.W > 24 {
		b.newline()
	}
	p.ID = len(b.d.Panels) + 1
	p.GridPos.X, p.GridPos.Y = b.x, b.y
	b.x += p.GridPos.W
	b.rowH = max(b.rowH, p.GridPos.H)
	if p.Type != "row" && p.Type != "text" {
		p.Datasource = prom()
		if p.FieldConfig == nil {
			p.FieldConfig = &FieldConfig{Overrides: []any{}}
		}
	}
	b.d.Panels = append(b.d.Panels, p)
}

// query is a PromQL target with a legend.
type query struct{ expr, legend string }

func targets(qs []query, instant bool) []Target {
	out := make([]Target, len(qs))
	for i, q := range qs {
		out[i] = Target{RefID: string(rune('A' + i)), Expr: q.expr, LegendFormat: q.legend, Instant: instant}
		if instant {
			out[i].Format = "table"
		}
	}
	return out
}

func (b *board) timeseries(title, unit string, w int, qs ...query) {
	b.add(Panel{Type: "timeseries", Title: title, GridPos: GridPos{H: 8, W: w},
		Targets: targets(qs, false), FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: unit}, Overrides: []any{}}})
}

// stat shows the last value, red at or above red (nil: no colour).
func (b *board) stat(title, unit string, red *float64, qs ...query) {
	fc := &FieldConfig{Defaults: FieldDefaults{Unit: unit}, Overrides: []any{}}
	if red != nil {
		fc.Defaults.Thresholds = &Thresholds{Mode: "absolute", Steps: []Step{{Color: "green"}, {Color: "red", Value: red}}}
	}
	b.add(Panel{Type: "stat", Title: title, GridPos: GridPos{H: 5, W: 6}, Targets: targets(qs, false), FieldConfig: fc,
		Options: map[string]any{"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}}, "colorMode": "background"}})
}

func (b *board) table(title string, w int, qs ...query) {
	b.add(Panel{Type: "table", Title: title, GridPos: GridPos{H: 8, W: w}, Targets: targets(qs, true)})
}

func (b *board) text(title, markdown string, w int) {
	b.add(Panel{Type: "text", Title: title, GridPos: GridPos{H: 5, W: w},
		Options: map[string]any{"mode": "markdown", "content": markdown}})
}

func fp(v float64) *float64 { return &v }

const mv = `model=~"$model", version=~"$version"`

// Overview is the model overview: traffic, errors, latency, drift,
// outliers, suspects, synthetic checks, alerts and their delivery.
func Overview() *Dashboard {
	b := newBoard("driftwatch-overview", "driftwatch / model overview",
		"One model service behind driftwatch: traffic, errors, latency, drift, outliers, adversarial clients, synthetic checks and alerts.",
		labelVar("model", mDriftDetected), labelVar("version", mDriftDetected))
	b.row("Health")
	b.stat("Drift", "none", fp(1), query{fmt.Sprintf("max(%s{%s})", mDriftDetected, mv), ""})
	b.stat("Synthetic checks failing", "none", fp(1), query{fmt.Sprintf("count(%s == 0) or vector(0)", mProbeSuccess), ""})
	b.stat("Alerts firing", "none", fp(1), query{fmt.Sprintf(`sum(%s{state="firing"})`, mAlerts), ""})
	b.stat("Adversarial suspects", "none", fp(1), query{fmt.Sprintf("sum(%s) or vector(0)", mSuspects), ""})
	b.row("Traffic")
	b.timeseries("Requests per second by status", "reqps", 12, query{fmt.Sprintf("sum by (code) (rate(%s[$__rate_interval]))", mProxyRequests), "{{code}}"})
	b.timeseries("Error ratio (5xx)", "percentunit", 12, query{fmt.Sprintf(`sum(rate(%[1]s{code=~"5.."}[$__rate_interval])) / sum(rate(%[1]s[$__rate_interval]))`, mProxyRequests), "5xx"})
	b.timeseries("Upstream latency", "s", 12,
		query{fmt.Sprintf("histogram_quantile(0.5, sum by (le) (rate(%s_bucket[$__rate_interval])))", mUpstreamDuration), "p50"},
		query{fmt.Sprintf("histogram_quantile(0.9, sum by (le) (rate(%s_bucket[$__rate_interval])))", mUpstreamDuration), "p90"},
		query{fmt.Sprintf("histogram_quantile(0.99, sum by (le) (rate(%s_bucket[$__rate_interval])))", mUpstreamDuration), "p99"})
	b.timeseries("Sidecar overhead and tap drops", "s", 12,
		query{fmt.Sprintf("histogram_quantile(0.99, sum by (le) (rate(%s_bucket[$__rate_interval])))", mOverhead), "overhead p99"},
		query{fmt.Sprintf("sum by (reason) (rate(%s[$__rate_interval]))", mTapDropped), "dropped/s {{reason}}"})
	b.timeseries("Requests by model", "reqps", 24, query{fmt.Sprintf("sum by (model, version) (rate(%s{%s}[$__rate_interval]))", mRequests, mv), "{{model}} {{version}}"})
	b.row("Model")
	b.timeseries("Drift flag", "none", 8, query{fmt.Sprintf("%s{%s}", mDriftDetected, mv), "{{model}} {{version}}"})
	b.timeseries("Drifted features", "none", 8, query{fmt.Sprintf("%s{%s}", mDriftDrifted, mv), "{{model}} {{version}} drifted"},
		query{fmt.Sprintf("%s{%s}", mDriftFeatures, mv), "{{model}} {{version}} tested"})
	b.timeseries("Outlier rate", "percentunit", 8, query{fmt.Sprintf("%s{%s}", mOutlierRate, mv), "{{model}} {{version}} {{method}}"})
	b.timeseries("Model performance (delayed labels)", "none", 12, query{fmt.Sprintf("%s{%s}", mPerformance, mv), "{{model}} {{version}} {{metric}}"})
	b.timeseries("Adversarial suspects by signal", "none", 12, query{fmt.Sprintf("sum by (signal) (%s)", mSuspects), "{{signal}}"})
	b.row("Synthetic checks")
	b.timeseries("Check passing (1) or failing (0)", "none", 12, query{mProbeSuccess, "{{check}}"})
	b.timeseries("Check duration", "s", 12, query{fmt.Sprintf(`%s{phase="total"}`, mProbeDuration), "{{check}}"})
	b.row("Alerts and delivery")
	b.table("Alerts now", 12, query{fmt.Sprintf("sum by (rule, state, severity) (%s) > 0", mAlerts), ""})
	b.timeseries("Notifications", "none", 12,
		query{fmt.Sprintf("sum by (result) (increase(%s[$__rate_interval]))", mNotifications), "{{result}}"},
		query{fmt.Sprintf(`sum by (receiver) (%s{state="pending"})`, mOutbox), "pending {{receiver}}"},
		query{fmt.Sprintf("%s == 1", mCircuitOpen), "circuit open {{receiver}}"})
	return &b.d
}

// Drift is the drift drill-down of one model version.
func Drift() *Dashboard {
	b := newBoard("driftwatch-drift", "driftwatch / drift drill-down",
		"Per-feature drift of one model version: p-values, statistics and effect sizes over time, and the features drifting now.",
		labelVar("model", mFeatureDrift), labelVar("version", mFeatureDrift), labelVar("feature", mFeatureDrift))
	fv := mv + `, feature=~"$feature"`
	b.row("Now")
	b.table("Features drifting now", 12, query{fmt.Sprintf("%s{%s} == 1", mFeatureDrift, fv), ""})
	b.text("Reference vs current histograms",
		"The sidecar's report draws each feature's reference and current distributions: open "+
			"`/api/v1/drift?model=$model&version=$version&format=html` on its admin listener, or add the "+
			"driftwatch data source (dashboards/plugin) and a bar chart of its `histogram` query.", 12)
	b.row("Over time")
	b.timeseries("Adjusted p-value (below alpha: drift)", "none", 12, query{fmt.Sprintf("%s{%s}", mFeatureAdjP, fv), "{{feature}} ({{test}})"})
	b.timeseries("p-value", "none", 12, query{fmt.Sprintf("%s{%s}", mFeatureP, fv), "{{feature}} ({{test}})"})
	b.timeseries("Test statistic", "none", 12, query{fmt.Sprintf("%s{%s}", mFeatureStat, fv), "{{feature}} ({{test}})"})
	b.timeseries("Effect size (KS distance or total variation)", "percentunit", 12, query{fmt.Sprintf("%s{%s}", mFeatureEffect, fv), "{{feature}}"})
	b.timeseries("Drifted features", "none", 12, query{fmt.Sprintf("%s{%s}", mDriftDrifted, mv), "{{model}} {{version}}"})
	b.timeseries("Records per window", "none", 12, query{fmt.Sprintf("%s{%s}", mWindowRecords, mv), "{{model}} {{version}}"})
	return &b.d
}

// GPU is the GPU board.
func GPU() *Dashboard {
	b := newBoard("driftwatch-gpu", "driftwatch / GPUs",
		"The GPUs next to the models: utilisation, memory, temperature, power, clocks, throttling, ECC and XID errors.",
		labelVar("instance", mGPUUp), labelVar("gpu", mGPUUtil))
	sel := `instance=~"$instance", gpu=~"$gpu"`
	leg := "{{instance}} GPU {{gpu}} {{pod}}"
	b.row("GPUs")
	b.stat("GPU source up", "none", nil, query{fmt.Sprintf(`min(%s{instance=~"$instance"})`, mGPUUp), ""})
	b.stat("XID errors (1h)", "none", fp(1), query{fmt.Sprintf("sum(increase(%s{%s}[1h])) or vector(0)", mGPUXID, sel), ""})
	b.stat("Throttled GPUs", "none", fp(1), query{fmt.Sprintf(`count(%s{%s, reason!="gpu_idle"} == 1) or vector(0)`, mGPUThrottled, sel), ""})
	b.stat("Hottest GPU", "celsius", fp(85), query{fmt.Sprintf("max(%s{%s})", mGPUTemp, sel), ""})
	b.timeseries("Utilisation", "percentunit", 12, query{fmt.Sprintf("%s{%s}", mGPUUtil, sel), leg})
	b.timeseries("Memory used", "percentunit", 12, query{fmt.Sprintf("%s{%s} / %s{%s}", mGPUMemUsed, sel, mGPUMemTotal, sel), leg})
	b.timeseries("Temperature", "celsius", 12, query{fmt.Sprintf("%s{%s}", mGPUTemp, sel), leg})
	b.timeseries("Power and limit", "watt", 12, query{fmt.Sprintf("%s{%s}", mGPUPower, sel), leg},
		query{fmt.Sprintf("%s{%s}", mGPUPowerLimit, sel), "limit " + leg})
	b.timeseries("Clocks", "hertz", 12, query{fmt.Sprintf("%s{%s}", mGPUClock, sel), "{{clock}} " + leg})
	b.timeseries("Throttle reasons", "none", 12, query{fmt.Sprintf("%s{%s} == 1", mGPUThrottled, sel), "{{reason}} " + leg})
	b.timeseries("ECC errors", "none", 12, query{fmt.Sprintf("increase(%s{%s}[$__rate_interval])", mGPUECC, sel), "{{type}} {{counter}} " + leg})
	b.timeseries("XID errors", "none", 12, query{fmt.Sprintf("increase(%s{%s}[$__rate_interval])", mGPUXID, sel), leg})
	return &b.d
}

// All returns every dashboard by file name.
func All() map[string]*Dashboard {
	return map[string]*Dashboard{"overview.json": Overview(), "drift.json": Drift(), "gpu.json": GPU()}
}
