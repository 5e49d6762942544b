package dashboards

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/statetimeline"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// promDS is the data source of every panel and query: the dashboard's
// datasource variable.
var promDS = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${datasource}")}

// newDashboard starts a dashboard with driftwatch's common settings: the
// "driftwatch" tag, a link to the other driftwatch dashboards, and the
// datasource variable followed by vars.
func newDashboard(uid, title, desc string, vars ...cog.Builder[dashboard.VariableModel]) *dashboard.DashboardBuilder {
	b := dashboard.NewDashboardBuilder(title).Uid(uid).Description(desc).
		Tags([]string{"driftwatch"}).
		Timezone(common.TimeZoneBrowser).
		Time("now-6h", "now").
		Refresh("30s").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("driftwatch").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"driftwatch"}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder("datasource").
			Label("Prometheus").
			Type("prometheus").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{String: cog.ToPtr("driftwatch")},
				Value: dashboard.StringOrArrayOfString{String: cog.ToPtr(DatasourceUID)},
			}))
	for _, v := range vars {
		b.WithVariable(v)
	}
	return b
}

// labelVar is a query variable over the values of label in the series
// selected by series (a metric name with an optional selector). A multi
// variable offers "All", which matches every value and series without the
// label (.*); a single one has no "All" and takes no custom value.
func labelVar(label, title, series string, multi bool) *dashboard.QueryVariableBuilder {
	q := fmt.Sprintf("label_values(%s, %s)", series, label)
	v := dashboard.NewQueryVariableBuilder(label).
		Label(title).
		Datasource(promDS).
		Query(dashboard.StringOrMap{String: cog.ToPtr(q)}).
		Definition(q).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(multi).
		IncludeAll(multi)
	if multi {
		v.AllValue(".*").Current(dashboard.VariableOption{
			Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
			Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
		})
	} else {
		// A value that is no label value (such as "All" brought by a
		// link from a board where the variable is multi) falls back to
		// the first one.
		v.AllowCustomValue(false)
	}
	return v
}

// grid lays panels out on Grafana's 24-column grid, left to right and top
// to bottom, and numbers them. Rows are expanded (their panels follow them
// at the top level).
type grid struct {
	panels  []dashboard.PanelOrRowPanel
	x, y, h uint32 // next free cell, and the height of the current line
	errs    []error
}

const gridWidth = 24

func (g *grid) newline() {
	if g.x > 0 {
		g.x, g.y, g.h = 0, g.y+g.h, 0
	}
}

func (g *grid) nextID() uint32 { return uint32(len(g.panels) + 1) }

// row starts a new line with a row titled title.
func (g *grid) row(title string) {
	g.newline()
	r, err := dashboard.NewRowBuilder(title).Id(g.nextID()).
		GridPos(dashboard.GridPos{X: 0, Y: g.y, W: gridWidth, H: 1}).Build()
	if err != nil {
		g.errs = append(g.errs, fmt.Errorf("row %q: %w", title, err))
		return
	}
	g.panels = append(g.panels, dashboard.PanelOrRowPanel{RowPanel: &r})
	g.y++
}

// add places the panel w columns wide and h high after the previous one,
// on a new line when it does not fit.
func (g *grid) add(w, h uint32, b cog.Builder[dashboard.Panel]) {
	p, err := b.Build()
	if err != nil {
		g.errs = append(g.errs, fmt.Errorf("panel %d: %w", g.nextID(), err))
		return
	}
	if g.x+w > gridWidth {
		g.newline()
	}
	p.Id = cog.ToPtr(g.nextID())
	p.GridPos = &dashboard.GridPos{X: g.x, Y: g.y, W: w, H: h}
	g.panels = append(g.panels, dashboard.PanelOrRowPanel{Panel: &p})
	g.x += w
	g.h = max(g.h, h)
}

// build finishes the dashboard with the grid's panels.
func (g *grid) build(b *dashboard.DashboardBuilder) (dashboard.Dashboard, error) {
	if err := errors.Join(g.errs...); err != nil {
		return dashboard.Dashboard{}, err
	}
	d, err := b.Build()
	if err != nil {
		return dashboard.Dashboard{}, err
	}
	d.Panels = g.panels
	inline(&d)
	return d, nil
}

// inline clears the placement the SDK gives every link by default,
// "inControlsMenu", which Grafana 12 reads as "hide the dashboard's link in
// the controls menu": the links to the other boards stay in sight, and
// panel and data links, which have no placement, carry none.
func inline(d *dashboard.Dashboard) {
	for i := range d.Links {
		d.Links[i].Placement = nil
	}
	for _, p := range d.Panels {
		if p.Panel == nil {
			continue
		}
		for i := range p.Panel.Links {
			p.Panel.Links[i].Placement = nil
		}
		if p.Panel.FieldConfig != nil {
			for i := range p.Panel.FieldConfig.Defaults.Links {
				p.Panel.FieldConfig.Defaults.Links[i].Placement = nil
			}
		}
	}
}

// query is one PromQL query of a panel and its legend.
type query struct{ expr, legend string }

// targets turns qs into Prometheus queries with refIds A, B, …; instant
// queries return one table row per series (for table panels).
func targets(instant bool, qs []query) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, q := range qs {
		b := prometheus.NewDataqueryBuilder().
			RefId(string(rune('A' + i))).
			Expr(q.expr).
			Datasource(promDS)
		if q.legend != "" {
			b.LegendFormat(q.legend)
		}
		if instant {
			b.Instant().Format(prometheus.PromQueryFormatTable)
		} else {
			b.Range()
		}
		out[i] = b
	}
	return out
}

// step is a threshold: from value on (nil: the base), colour color.
type step struct {
	value *float64
	color string
}

func above(v float64, color string) step { return step{&v, color} }

// thresholds are absolute thresholds, base green, then steps.
func thresholds(steps ...step) *dashboard.ThresholdsConfigBuilder {
	ts := []dashboard.Threshold{{Color: "green"}}
	for _, s := range steps {
		ts = append(ts, dashboard.Threshold{Value: s.value, Color: s.color})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(ts)
}

// states maps the values of a 0/1 gauge to words and colours, for the
// state timelines and stats of flags.
func states(zero, zeroColor, one, oneColor string) []dashboard.ValueMapping {
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{
		Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{
			"0": {Text: cog.ToPtr(zero), Color: cog.ToPtr(zeroColor), Index: cog.ToPtr[int32](0)},
			"1": {Text: cog.ToPtr(one), Color: cog.ToPtr(oneColor), Index: cog.ToPtr[int32](1)},
		},
	}}}
}

// timeSeries is a time series panel of qs.
func timeSeries(title, desc, unit string, qs ...query) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(promDS).
		Targets(targets(false, qs)).
		Unit(unit).
		FillOpacity(10).
		ShowPoints(common.VisibilityModeNever).
		Legend(common.NewVizLegendOptionsBuilder().
			DisplayMode(common.LegendDisplayModeList).
			Placement(common.LegendPlacementBottom).
			ShowLegend(true)).
		Tooltip(common.NewVizTooltipOptionsBuilder().
			Mode(common.TooltipDisplayModeMulti).
			Sort(common.SortOrderDescending))
}

// logScale draws p-values on a log₁₀ axis, where 1e-9 and 0.04 are apart.
func logScale() *common.ScaleDistributionConfigBuilder {
	return common.NewScaleDistributionConfigBuilder().Type(common.ScaleDistributionLog).Log(10)
}

// dashedThresholds draws the thresholds as dashed lines.
func dashedThresholds() *common.GraphThresholdsStyleConfigBuilder {
	return common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)
}

// statPanel shows the last value of each query, its background coloured
// by th.
func statPanel(title, desc, unit string, th *dashboard.ThresholdsConfigBuilder, qs ...query) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(promDS).
		Targets(targets(false, qs)).
		Unit(unit).
		Thresholds(th).
		ColorMode(common.BigValueColorModeBackground).
		Orientation(common.VizOrientationAuto).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}))
}

// timeline is a state timeline of 0/1 gauges, named by mappings.
func timeline(title, desc string, mappings []dashboard.ValueMapping, qs ...query) *statetimeline.PanelBuilder {
	return statetimeline.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(promDS).
		Targets(targets(false, qs)).
		Mappings(mappings).
		Thresholds(thresholds()).
		ShowValue(common.VisibilityModeNever).
		MergeValues(true).
		FillOpacity(80)
}

// tablePanel shows the instant queries qs as a table.
func tablePanel(title, desc string, qs ...query) *table.PanelBuilder {
	return table.NewPanelBuilder().
		Title(title).
		Description(desc).
		Datasource(promDS).
		Targets(targets(true, qs)).
		// The SDK's default footer has a null reducer, which its own
		// strict decoder rejects: give it an empty one.
		Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{}))
}

// hideColumns hides the instant queries' Time and __name__ columns and
// renames the value columns (Value #A, …) to names.
func hideColumns(names ...string) dashboard.DataTransformerConfig {
	rename := map[string]string{}
	for i, n := range names {
		if len(names) == 1 {
			rename["Value"] = n
		}
		rename["Value #"+string(rune('A'+i))] = n
	}
	return dashboard.DataTransformerConfig{Id: "organize", Options: map[string]any{
		"excludeByName": map[string]bool{"Time": true, "__name__": true, "job": true},
		"renameByName":  rename,
	}}
}

// textPanel is a markdown text panel; Grafana replaces the dashboard's
// variables in it.
func textPanel(title, markdown string) *text.PanelBuilder {
	return text.NewPanelBuilder().
		Title(title).
		Mode(text.TextModeMarkdown).
		Content(strings.TrimSpace(markdown) + "\n")
}
