package sidecar

import (
	"fmt"
	"math"
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/detectors"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/outlier"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// referenceRows returns the reference's numeric feature columns (not the
// predictions) by name, and its rows that have all of them.
func referenceRows(ref []drift.Column) (names []string, rows [][]float64) {
	var cols [][]float64
	for _, col := range ref {
		if !col.Categorical && len(col.Num) > 0 && !isPrediction(col.Name) {
			names = append(names, col.Name)
			cols = append(cols, col.Num)
		}
	}
	if len(cols) == 0 {
		return nil, nil
	}
	for i := range cols[0] {
		r := make([]float64, len(cols))
		ok := true
		for j, col := range cols {
			r[j] = col[i]
			ok = ok && !math.IsNaN(col[i]) && !math.IsInf(col[i], 0)
		}
		if ok {
			rows = append(rows, r)
		}
	}
	return names, rows
}

// newOutliers returns the outlier monitors of a model entry, one per
// model version, sharing one scorer fitted on the reference's numeric
// features here, at start: a bad section stops the sidecar then, and a new
// model version does not hold up the pipeline with a fit (k-NN's is
// quadratic in the reference's rows).
func newOutliers(cfg *config.OutlierConfig, ref []drift.Column) (*detectors.PerModel[*outlier.Monitor], error) {
	names, rows := referenceRows(ref)
	if len(names) == 0 {
		return nil, fmt.Errorf("the reference has no numeric feature")
	}
	cats := map[string][]string{}
	for _, col := range ref {
		if col.Categorical && !isPrediction(col.Name) {
			set := map[string]bool{}
			for _, v := range col.Str {
				if v != "" && !set[v] {
					set[v] = true
					cats[col.Name] = append(cats[col.Name], v)
				}
			}
		}
	}
	fitted, err := outlier.Fit(rows, cfg.Options())
	if err != nil {
		return nil, fmt.Errorf("%w (complete rows of the reference)", err)
	}
	return detectors.NewPerModel(maxModelVersions, func(model, version string) (*outlier.Monitor, error) {
		return outlier.NewMonitor(outlier.Config{
			Model: model, Version: version, Options: cfg.Options(), Recent: cfg.Recent, Categories: cats, Fitted: fitted,
		}, names, rows)
	}), nil
}

// eachOutlierMonitor calls fn for the outlier monitor of every model
// version watched.
func (p *pipeline) eachOutlierMonitor(fn func(model, version string, mon *outlier.Monitor)) {
	for _, w := range p.models {
		if w.outliers == nil {
			continue
		}
		for _, k := range w.outliers.Keys() {
			if mon, ok := w.outliers.Get(k.Model, k.Version); ok {
				fn(k.Model, k.Version, mon)
			}
		}
	}
}

// watchesOutliers reports whether a model entry has an outliers section.
func (p *pipeline) watchesOutliers() bool {
	return slices.ContainsFunc(p.models, func(w *watched) bool { return w.outliers != nil })
}

// Outliers implements api.Outliers.
func (p *pipeline) Outliers(model string) []api.Outlier {
	var out []api.Outlier
	var recent []outlier.Outlier
	p.eachOutlierMonitor(func(m, v string, mon *outlier.Monitor) {
		if model != "" && m != model {
			return
		}
		method := string(mon.Model().Method)
		recent = mon.Recent(recent[:0])
		for _, o := range recent {
			a := api.Outlier{
				Model: m, Version: v, Method: method, Time: o.Time.UTC(), RequestID: o.RequestID,
				Score: o.Score, Threshold: o.Threshold, Features: make([]api.OutlierFeature, len(o.Features)),
			}
			for i, f := range o.Features {
				a.Features[i] = api.OutlierFeature(f)
			}
			out = append(out, a)
		}
	})
	slices.SortStableFunc(out, func(a, b api.Outlier) int { return b.Time.Compare(a.Time) })
	return out
}

var (
	descOutliers = prometheus.NewDesc(MetricOutliers,
		"Records scored above the outlier threshold of their model version (set for a target false-positive rate on the reference), by method.",
		[]string{"model", "version", "method"}, nil)
	descQuality = prometheus.NewDesc(MetricDataQuality,
		"Feature values with a data-quality issue, by feature of the reference and kind: missing, nan (NaN or ±Inf), out_of_range (of the reference), unseen_category, wrong_type. Only features with issues are listed.",
		[]string{"model", "version", "feature", "kind"}, nil)
)

// collectOutliers reports the outlier and data-quality counters of every
// model version.
func (p *pipeline) collectOutliers(ch chan<- prometheus.Metric) {
	p.eachOutlierMonitor(func(m, v string, mon *outlier.Monitor) {
		ch <- prometheus.MustNewConstMetric(descOutliers, prometheus.CounterValue,
			float64(mon.Stats().Outliers), m, v, string(mon.Model().Method))
		for _, q := range mon.Quality() {
			ch <- prometheus.MustNewConstMetric(descQuality, prometheus.CounterValue, float64(q.Count), m, v, q.Feature, q.Kind)
		}
	})
}

// recordOutlierRates sets driftwatch_outlier_rate from the outlier_rate
// results of a tick.
func (p *pipeline) recordOutlierRates(res []obs.Result) {
	for i := range res {
		if r := &res[i]; r.Name == outlier.ResultOutlierRate {
			p.outlierRate.WithLabelValues(r.Labels["model"], r.Labels["version"], r.Labels["method"]).Set(r.Value)
		}
	}
}
