package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/units"
)

// Label matchers of the drill-down's variables: one model version, some of
// its features.
const (
	onVersion = `instance=~"$instance", model="$model", version="$version"`
	onFeature = onVersion + `, feature=~"$feature"`
)

// defaultAdminURL is where `driftwatch sidecar` serves /api/v1 by default
// (admin_listen), as seen from a browser on the same machine.
const defaultAdminURL = "http://127.0.0.1:9464"

// reportURL is the sidecar's HTML drift report of the selected model
// version: the reference and current histogram of every feature.
const reportURL = "${sidecar}/api/v1/drift?model=${model:percentencode}&version=${version:percentencode}&format=html"

// Drift is the drift drill-down of one model version: which features
// drifted, how significant and how large the shift is, over time.
func Drift() (dashboard.Dashboard, error) {
	b := newDashboard("driftwatch-drift", "driftwatch / drift drill-down",
		"Per-feature drift of one model version: the features drifting now, p-values, adjusted p-values, statistics and effect sizes over time, window sizes, and the link to the sidecar's report with the histograms.",
		labelVar("instance", "Sidecar", mDriftDetected, true),
		labelVar("model", "Model", s(mDriftDetected, onInstance), false),
		labelVar("version", "Version", s(mDriftDetected, onInstance, `model="$model"`), false),
		labelVar("feature", "Feature", s(mFeatureDrift, onVersion), true),
		dashboard.NewTextBoxVariableBuilder("sidecar").
			Label("Sidecar admin URL").
			Description("The sidecar's admin listener (admin_listen) as your browser reaches it, for the link to its HTML report.").
			DefaultValue(dashboard.StringOrMap{String: cog.ToPtr(defaultAdminURL)}).
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr(defaultAdminURL)},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(defaultAdminURL)},
			}))
	var g grid

	g.row("Last window")
	g.add(4, 4, statPanel("Drift", "Did the last window drift?", units.NoUnit, thresholds(above(1, "red")),
		query{"max(" + s(mDriftDetected, onVersion) + ")", ""}).
		Mappings(states("no drift", "green", "DRIFT", "red")).
		NoValue("no window yet"))
	g.add(4, 4, statPanel("Drifted features", "Features that drifted in the last window.", units.Short, thresholds(above(1, "orange")),
		query{"max(" + s(mDriftDrifted, onVersion) + ")", ""}))
	g.add(4, 4, statPanel("Tested features", "Features tested in the last window.", units.Short, thresholds(),
		query{"max(" + s(mDriftFeatures, onVersion) + ")", ""}))
	g.add(4, 4, statPanel("Window", "Records in the last window compared with the reference.", units.Short, thresholds(),
		query{"max(" + s(mWindowRecords, onVersion) + ")", ""}))
	g.add(4, 4, statPanel("Reference", "Records in the reference (0 while the first records are collected).", units.Short, thresholds(),
		query{"max(" + s(mReferenceRecs, onVersion) + ")", ""}))
	g.add(4, 4, statPanel("Last window", "Time since the last window was compared.", units.Seconds, thresholds(above(3600, "orange")),
		query{"time() - max(" + s(mLastWindow, onVersion) + ")", ""}))

	drifted := "and on (instance, model, version, feature) (" + s(mFeatureDrift, onFeature) + " == 1)"
	g.add(16, 9, tablePanel("Drifted features", "The features that drifted in the last window, with the test that decided. The adjusted p-value is what alpha is compared with; distance tests have none.",
		query{s(mFeatureAdjP, onFeature) + " " + drifted, ""},
		query{s(mFeatureP, onFeature) + " " + drifted, ""},
		query{s(mFeatureStat, onFeature) + " " + drifted, ""},
		query{s(mFeatureEffect, onFeature) + " " + drifted, ""}).
		Transformations([]dashboard.DataTransformerConfig{
			{Id: "merge", Options: map[string]any{}},
			hideColumns("adjusted p-value", "p-value", "statistic", "effect size"),
		}).
		SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName("effect size").Desc(true),
		}))
	g.add(8, 9, textPanel("Reference vs current histograms (link; plugin panel to come)", `
Histograms are not Prometheus metrics, so this board links to them:

- **[Open the sidecar's HTML report of ${model} ${version}](`+reportURL+`)**: the
  reference and current histogram of every feature, with the verdicts.
  Set *Sidecar admin URL* above to the sidecar's admin listener as your browser
  reaches it (for example through `+"`kubectl port-forward pod/POD 9464`"+`).
- **Placeholder:** the driftwatch Grafana data source (`+"`dashboards/plugin`"+`) serves
  one feature's reference and current distributions as a frame (query type
  `+"`histogram`"+`); a bar chart on it belongs here once the plugin is installed.
`).Links([]cog.Builder[dashboard.DashboardLink]{
		dashboard.NewDashboardLinkBuilder("HTML drift report of ${model} ${version}").
			Type(dashboard.DashboardLinkTypeLink).
			Url(reportURL).
			TargetBlank(true),
	}))

	g.row("Over time")
	g.add(12, 9, timeSeries("Adjusted p-value", "After the multiple-testing correction; below alpha (0.05 by default, dashed) with a large enough effect means drift. Log scale.",
		units.NoUnit,
		query{s(mFeatureAdjP, onFeature), "{{feature}} ({{test}}) {{instance}}"}).
		ScaleDistribution(logScale()).
		Thresholds(thresholds(above(0.05, "red"))).
		ThresholdsStyle(dashedThresholds()))
	g.add(12, 9, timeSeries("p-value", "Before the correction. Log scale.",
		units.NoUnit,
		query{s(mFeatureP, onFeature), "{{feature}} ({{test}}) {{instance}}"}).
		ScaleDistribution(logScale()))
	g.add(12, 9, timeSeries("Test statistic", "The statistic of the test that decided (KS D, chi², PSI, Wasserstein, MMD …); compare a feature with itself over time, not features with each other.",
		units.NoUnit,
		query{s(mFeatureStat, onFeature), "{{feature}} ({{test}}) {{instance}}"}))
	g.add(12, 9, timeSeries("Effect size", "KS distance or total variation, 0..1; a feature drifts only when it reaches min_effect (0.1 by default, dashed).",
		units.NoUnit,
		query{s(mFeatureEffect, onFeature), "{{feature}} {{instance}}"}).
		Min(0).Max(1).
		Thresholds(thresholds(above(0.1, "orange"))).
		ThresholdsStyle(dashedThresholds()))
	g.add(24, 8, timeline("Feature drift", "Per feature: did it drift in the window compared at that time?",
		states("no drift", "green", "drift", "red"),
		query{"max by (feature) (" + s(mFeatureDrift, onFeature) + ")", "{{feature}}"}))
	g.add(12, 8, timeSeries("Drifted features", "Drifted and tested features per window.",
		units.Short,
		query{"max(" + s(mDriftDrifted, onVersion) + ")", "drifted"},
		query{"max(" + s(mDriftFeatures, onVersion) + ")", "tested"}).
		Min(0))
	g.add(12, 8, timeSeries("Window sizes", "Records in the last window compared and in the reference.",
		units.Short,
		query{s(mWindowRecords, onVersion), "window {{instance}}"},
		query{s(mReferenceRecs, onVersion), "reference {{instance}}"}).
		Min(0))

	return g.build(b)
}
