package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strconv"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

//go:embed templates/report.html.tmpl
var templates embed.FS

// page is the HTML template; html/template escapes every value, so feature
// names, labels and notes are shown as text, never run.
var page = template.Must(template.ParseFS(templates, "templates/report.html.tmpl"))

// htmlPage is what the HTML template shows, formatted in advance.
type htmlPage struct {
	Title        string
	Reference    string
	Current      string
	Generated    string
	Drift        bool
	Verdict      string
	Detail       string
	Tiles        []htmlTile
	Settings     []htmlFact
	Multivariate *htmlMultivariate
	Warnings     []string
	Features     []htmlFeature
	RefColor     template.CSS
	CurColor     template.CSS
}

// shareRule says when the dataset counts as drifted.
func shareRule(t float64) string {
	if t == 0 {
		return "any feature drifts"
	}
	return fmtShare(t) + " of features drift"
}

// shareTile shows the dataset's drift-share threshold.
func shareTile(t float64) htmlTile {
	if t == 0 {
		return htmlTile{Label: "Dataset drift when", Value: "any", Sub: "feature drifts"}
	}
	return htmlTile{Label: "Drift threshold", Value: fmtShare(t), Sub: "share of drifted features"}
}

// htmlTile is one of the summary numbers under the verdict.
type htmlTile struct {
	Label, Value, Sub string
	Alert             bool
}

// htmlFact is a labelled value.
type htmlFact struct {
	Label, Value string
}

// htmlMultivariate is the multivariate verdict.
type htmlMultivariate struct {
	Drift   bool
	Test    string
	Facts   []htmlFact
	Columns []string
	Note    string
	// Standardized says the columns were scaled before the test.
	Standardized bool
}

// htmlFeature is one feature: a row of the table and a card.
type htmlFeature struct {
	ID        string
	Name      string
	Type      string
	Test      string
	Status    string // "drift", "ok" or "untested"
	DriftText string
	Statistic string
	PAdj      string
	Effect    string
	Missing   string
	MissingUp bool
	Note      string
	Facts     []htmlFact
	SVG       template.HTML
	NoPicture string
}

// writeHTML renders one self-contained page: inline CSS, inline SVG
// pictures, no scripts and no external resources.
func writeHTML(buf *bytes.Buffer, r *drift.Report, m Meta) error {
	head, detail := verdict(r)
	v := htmlPage{
		Title:     "Drift report",
		Reference: m.Reference,
		Current:   m.Current,
		Generated: generatedText(m),
		Drift:     r.Drift,
		Verdict:   head,
		Detail:    detail,
		Warnings:  r.Warnings,
		RefColor:  template.CSS(hexColor(refColor.R, refColor.G, refColor.B)),
		CurColor:  template.CSS(hexColor(curColor.R, curColor.G, curColor.B)),
	}
	if m.Reference != "" || m.Current != "" {
		v.Title += ": " + orDash(m.Reference) + " vs " + orDash(m.Current)
	}
	v.Tiles = []htmlTile{
		{Label: "Drifted features", Value: fmt.Sprintf("%d / %d", r.DriftedFeatures, len(r.Features)), Sub: fmtShare(r.DriftShare) + " of features", Alert: r.DriftedFeatures > 0},
		shareTile(r.Settings.DriftShareThreshold),
		{Label: "Reference rows", Value: fmtInt(r.ReferenceRows), Sub: m.Reference},
		{Label: "Current rows", Value: fmtInt(r.CurrentRows), Sub: m.Current},
	}
	if mv := r.Multivariate; mv != nil {
		t := htmlTile{Label: "Multivariate (" + orDash(mv.Test) + ")", Value: "no drift", Sub: "p = " + fmtP(mv.PValue), Alert: mv.Drift}
		if mv.Drift {
			t.Value = "drift"
		}
		v.Tiles = append(v.Tiles, t)
		v.Multivariate = &htmlMultivariate{
			Drift: mv.Drift,
			Test:  orDash(mv.Test),
			Facts: []htmlFact{
				{"Statistic", fmtNum(mv.Statistic)},
				{"P-value", fmtP(mv.PValue)},
				{"Kernel sigma", fmtNum(mv.Sigma)},
				{"Permutations", fmtInt(mv.Permutations)},
				{"Rows used", fmtInt(mv.ReferenceRowsUsed) + " ref / " + fmtInt(mv.CurrentRowsUsed) + " cur"},
			},
			Columns:      mv.Columns,
			Standardized: mv.Standardized,
			Note:         mv.Note,
		}
	}
	s := r.Settings
	v.Settings = []htmlFact{
		{"Test", orDash(s.Test)},
		{"Alpha", fmtNum(s.Alpha)},
		{"Correction", orDash(s.Correction)},
		{"Min effect", fmtNum(s.MinEffect)},
		{"Dataset drift when", shareRule(s.DriftShareThreshold)},
	}
	if s.Permutations > 0 {
		v.Settings = append(v.Settings, htmlFact{"Permutations", fmtInt(s.Permutations)}, htmlFact{"Seed", strconv.FormatUint(s.Seed, 10)})
	}

	for i, f := range bySeverity(r) {
		v.Features = append(v.Features, htmlFeatureOf(i, f, s))
	}
	return page.Execute(buf, v)
}

// htmlFeatureOf formats feature f, the i-th by severity.
func htmlFeatureOf(i int, f *drift.Feature, s drift.Settings) htmlFeature {
	h := htmlFeature{
		ID:        "feature-" + strconv.Itoa(i+1),
		Name:      f.Name,
		Type:      orDash(f.Type),
		Test:      orDash(f.Test),
		Status:    "ok",
		DriftText: "no drift",
		Statistic: fmtStatistic(f),
		PAdj:      fmtPtr(f.AdjustedPValue),
		Effect:    fmtFeatureEffect(f),
		Missing:   fmtMissing(f),
		MissingUp: f.MissingChange != nil,
		Note:      notes(f),
	}
	switch {
	case f.Drift:
		h.Status, h.DriftText = "drift", "drift"
	case f.Test == "none":
		h.Status, h.DriftText = "untested", "not tested"
	}
	effect := h.Effect
	if f.EffectMeasure != "" && f.Test != "none" {
		effect += " (" + f.EffectMeasure + ")"
	}
	h.Facts = []htmlFact{
		{"Test", h.Test},
		{"Statistic", h.Statistic},
		{"P-value", fmtPtr(f.PValue)},
		{"Adjusted p-value", h.PAdj},
		{"Effect size", effect},
		{"Decision", thresholdText(f, s)},
		{"Values", fmtInt(f.ReferenceCount) + " ref / " + fmtInt(f.CurrentCount) + " cur"},
		{"Missing", fmtInt(f.ReferenceMissing) + " ref / " + fmtInt(f.CurrentMissing) + " cur (" + h.Missing + ")"},
	}
	if f.Summary == nil {
		h.NoPicture = "no picture: " + orDash(f.Note)
		if f.Note == "" {
			h.NoPicture = "no picture: no values to summarise"
		}
		return h
	}
	svg, err := plotSVG(f)
	if err != nil {
		h.NoPicture = "no picture: " + err.Error()
		return h
	}
	// plotSVG escapes every text it draws (vgsvg uses html.EscapeString).
	h.SVG = template.HTML(svg) //nolint:gosec // generated markup, text escaped by vgsvg
	return h
}

// hexColor formats a colour for CSS.
func hexColor(r, g, b uint8) string {
	return fmt.Sprintf("#%02x%02x%02x", r, g, b)
}
