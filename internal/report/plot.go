package report

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// The colours of the two samples, also used by the HTML legend: a blue and
// an orange that stay distinct for colour-blind readers.
var (
	refColor = color.NRGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0xff}
	curColor = color.NRGBA{R: 0xf5, G: 0x85, B: 0x18, A: 0xff}
	inkColor = color.NRGBA{R: 0x34, G: 0x40, B: 0x54, A: 0xff}
	gridLine = color.NRGBA{R: 0xe4, G: 0xe7, B: 0xec, A: 0xff}
)

const (
	plotWidth  = 6 * vg.Inch
	plotHeight = 3 * vg.Inch
	// legendBand is the strip above the plot that holds the legend, so
	// that the legend never covers a bar.
	legendBand = vg.Length(18)
	// maxLabel is the longest category label drawn, in runes.
	maxLabel = 18
)

// plotSVG draws reference against current for a feature with a Summary and
// returns the picture as an SVG element for inline use in HTML: numeric
// features as overlaid step histograms over Summary.Edges, categorical ones
// (those with Summary.Labels) and constant numeric ones as grouped bars. The
// SVG uses no external resources: its text names Liberation Sans with
// metric-compatible fallbacks instead of embedding a font.
func plotSVG(f *drift.Feature) (string, error) {
	s := f.Summary
	if s == nil {
		return "", errors.New("no summary")
	}
	p := plot.New()
	styleAxes(p)
	height := plotHeight
	var err error
	switch {
	case len(s.Labels) > 0:
		height, err = categoricalPlot(p, s.Labels, s.Reference, s.Current)
	case isConstant(s):
		// One value: a histogram would be a box over an invented
		// range, so draw one pair of bars labelled with the value.
		height, err = categoricalPlot(p, []string{fmtNum(s.Edges[0])}, s.Reference, s.Current)
		p.X.Label.Text = clip(f.Name, 60)
	default:
		err = numericPlot(p, s, f.Name)
	}
	if err != nil {
		return "", err
	}

	canvas := vgsvg.New(plotWidth, height)
	dc := draw.New(canvas)
	p.Draw(draw.Crop(dc, 0, 0, 0, -legendBand))
	drawLegend(dc, p.Legend.TextStyle)

	var buf bytes.Buffer
	if _, err := canvas.WriteTo(&buf); err != nil {
		return "", fmt.Errorf("write svg: %w", err)
	}
	return inlineSVG(buf.String()), nil
}

// isConstant reports whether a numeric summary has all its values at one
// point: a single bin of zero width.
func isConstant(s *drift.Summary) bool {
	return len(s.Edges) == 2 && len(s.Reference) == 1 && len(s.Current) == 1 && s.Edges[0] == s.Edges[1]
}

// numericPlot adds overlaid step histograms of the two samples to p. With
// bins of equal width it plots each bin's share of the values. With unequal
// bins (quantile bins, say) it plots each share scaled by the mean bin width
// over the bin's width, a density in units of shares, so that a wide bin
// does not look tall just because it is wide.
func numericPlot(p *plot.Plot, s *drift.Summary, name string) error {
	n := len(s.Reference)
	if n == 0 || len(s.Current) != n || len(s.Edges) != n+1 {
		return fmt.Errorf("summary has %d edges for %d reference and %d current bins", len(s.Edges), n, len(s.Current))
	}
	edges, err := finiteEdges(s.Edges)
	if err != nil {
		return err
	}
	adjust := !equalWidths(edges)
	meanWidth := (edges[n] - edges[0]) / float64(n)
	ymax := 0.0
	series := func(shares []float64, c color.NRGBA, fillAlpha uint8) (*plotter.Line, error) {
		xys := make(plotter.XYs, n+1)
		for i, v := range shares {
			v = clean(v)
			if adjust {
				v *= meanWidth / (edges[i+1] - edges[i])
			}
			ymax = max(ymax, v)
			xys[i] = plotter.XY{X: edges[i], Y: v}
		}
		xys[n] = plotter.XY{X: edges[n], Y: xys[n-1].Y}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle.Color = c
		l.LineStyle.Width = vg.Points(1.6)
		fill := c
		fill.A = fillAlpha
		l.FillColor = fill
		return l, nil
	}
	ref, err := series(s.Reference, refColor, 0x40)
	if err != nil {
		return fmt.Errorf("plot reference: %w", err)
	}
	cur, err := series(s.Current, curColor, 0x1c)
	if err != nil {
		return fmt.Errorf("plot current: %w", err)
	}
	p.Add(grid(false), ref, cur)
	p.X.Label.Text = clip(name, 60)
	p.Y.Label.Text = "share of values"
	if adjust {
		p.Y.Label.Text = "share (width-adjusted)"
	}
	p.X.Min, p.X.Max = edges[0], edges[n]
	p.Y.Min, p.Y.Max = 0, niceMax(ymax)
	majorTicks(p)
	return nil
}

// categoricalPlot adds grouped bars of the two samples to p, one group per
// label, and returns the height the picture needs (drift folds rare
// categories into one bar before this). A few short labels
// stand under vertical bars; more or longer ones label horizontal bars, one
// per line, largest first.
func categoricalPlot(p *plot.Plot, labels []string, ref, cur []float64) (vg.Length, error) {
	n := len(labels)
	if len(ref) != n || len(cur) != n {
		return 0, fmt.Errorf("summary has %d labels for %d reference and %d current bars", n, len(ref), len(cur))
	}
	labels, ref, cur = slices.Clone(labels), slices.Clone(ref), slices.Clone(cur)
	horizontal := len(labels) > 6
	ymax := 0.0
	for i := range labels {
		ref[i], cur[i] = clean(ref[i]), clean(cur[i])
		ymax = max(ymax, ref[i], cur[i])
		if utf8.RuneCountInString(labels[i]) > 8 {
			horizontal = true
		}
		labels[i] = clip(labels[i], maxLabel)
	}

	height := plotHeight
	// slot is the room of one group along the category axis.
	slot := (plotWidth - 0.8*vg.Inch) / vg.Length(len(labels))
	if horizontal {
		slot = vg.Points(20)
		height = max(plotHeight, legendBand+vg.Points(50)+slot*vg.Length(len(labels)))
		// Largest first means top first; the y axis grows upwards.
		slices.Reverse(labels)
		slices.Reverse(ref)
		slices.Reverse(cur)
	}
	w := min(slot*0.4, 0.5*vg.Inch)
	rb, err := plotter.NewBarChart(plotter.Values(ref), w)
	if err != nil {
		return 0, fmt.Errorf("plot reference: %w", err)
	}
	cb, err := plotter.NewBarChart(plotter.Values(cur), w)
	if err != nil {
		return 0, fmt.Errorf("plot current: %w", err)
	}
	rb.Color, cb.Color = refColor, curColor
	rb.LineStyle.Width, cb.LineStyle.Width = 0, 0
	rb.Offset, cb.Offset = -w/2, w/2
	if horizontal {
		rb.Horizontal, cb.Horizontal = true, true
		rb.Offset, cb.Offset = w/2, -w/2 // reference above current
	}
	p.Add(grid(horizontal), rb, cb)
	if horizontal {
		p.NominalY(labels...)
		p.Y.Tick.Length = 0
		p.X.Label.Text = "share of values"
		p.X.Min, p.X.Max = 0, niceMax(ymax)
		p.X.Padding = 0
	} else {
		p.NominalX(labels...)
		p.X.Tick.Length = 0
		p.Y.Label.Text = "share of values"
		p.Y.Min, p.Y.Max = 0, niceMax(ymax)
		p.Y.Padding = 0
	}
	majorTicks(p)
	return height, nil
}

// finiteEdges returns a copy of edges in which infinite outer edges are
// replaced by one typical bin width beyond their neighbour, and a zero span
// (a constant column) is widened to a unit interval.
func finiteEdges(edges []float64) ([]float64, error) {
	e := slices.Clone(edges)
	var widths []float64
	for i := 1; i < len(e); i++ {
		if d := e[i] - e[i-1]; d > 0 && !math.IsInf(d, 0) && !math.IsNaN(d) {
			widths = append(widths, d)
		}
	}
	w := 1.0
	if len(widths) > 0 {
		slices.Sort(widths)
		w = widths[len(widths)/2]
	}
	if n := len(e); n >= 2 {
		if math.IsInf(e[0], -1) && !math.IsInf(e[1], 0) {
			e[0] = e[1] - w
		}
		if math.IsInf(e[n-1], 1) && !math.IsInf(e[n-2], 0) {
			e[n-1] = e[n-2] + w
		}
	}
	for i, x := range e {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("summary edge %d is %s", i, fmtNum(x))
		}
		if i > 0 && x < e[i-1] {
			return nil, fmt.Errorf("summary edges decrease at %d", i)
		}
	}
	if lo, hi := e[0], e[len(e)-1]; hi == lo {
		half := max(math.Abs(lo)*0.05, 0.5)
		e[0], e[len(e)-1] = lo-half, hi+half
	}
	return e, nil
}

// equalWidths reports whether all bins have the same width (to one part in
// a thousand of the span) or any bin is empty, in which case shares are
// plotted rather than densities.
func equalWidths(edges []float64) bool {
	span := edges[len(edges)-1] - edges[0]
	w0 := edges[1] - edges[0]
	for i := 1; i < len(edges); i++ {
		w := edges[i] - edges[i-1]
		if w <= 0 {
			return true
		}
		if math.Abs(w-w0) > span*1e-3 {
			return false
		}
	}
	return true
}

// niceMax leaves a little room above the highest bar.
func niceMax(y float64) float64 {
	if y <= 0 || math.IsNaN(y) || math.IsInf(y, 0) {
		return 1
	}
	return y * 1.08
}

// clean turns a share that cannot be drawn into zero.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// clip shortens s to at most n runes, ending with an ellipsis, and drops
// control characters.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// sans is the font of every text in the pictures.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// styleAxes gives p the house style: sans-serif text, quiet axes, no
// outer padding.
func styleAxes(p *plot.Plot) {
	setFont := func(st *text.Style, size vg.Length) {
		st.Font = font.Font{Typeface: sans.Typeface, Variant: sans.Variant, Size: size}
		st.Color = inkColor
	}
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		setFont(&a.Label.TextStyle, 11)
		setFont(&a.Tick.Label, 10)
		a.LineStyle.Color = inkColor
		a.LineStyle.Width = vg.Points(0.6)
		a.Tick.LineStyle.Color = inkColor
		a.Tick.LineStyle.Width = vg.Points(0.6)
		a.Padding = 0
	}
	setFont(&p.Title.TextStyle, 12)
	setFont(&p.Legend.TextStyle, 11)
	p.BackgroundColor = color.Transparent
}

// grid returns faint grid lines across the value axis: horizontal lines,
// or vertical ones for horizontal bars.
func grid(vertical bool) *plotter.Grid {
	g := plotter.NewGrid()
	line := draw.LineStyle{Color: gridLine, Width: vg.Points(0.6)}
	g.Vertical, g.Horizontal = draw.LineStyle{}, line
	if vertical {
		g.Vertical, g.Horizontal = line, draw.LineStyle{}
	}
	return g
}

// majorTicks drops the unlabelled minor ticks of numeric axes.
func majorTicks(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if _, ok := a.Tick.Marker.(plot.DefaultTicks); !ok {
			continue
		}
		a.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
			var ts []plot.Tick
			for _, t := range (plot.DefaultTicks{}).Ticks(lo, hi) {
				if t.Label != "" {
					ts = append(ts, t)
				}
			}
			return ts
		})
	}
}

// drawLegend draws "■ reference  ■ current" in the band above the plot,
// right-aligned.
func drawLegend(dc draw.Canvas, st text.Style) {
	const gap, box = 4, 8
	y := dc.Max.Y - legendBand/2
	entries := []struct {
		name string
		c    color.Color
	}{{"reference", refColor}, {"current", curColor}}
	var total vg.Length
	for _, e := range entries {
		total += box + gap + st.Width(e.name) + 3*gap
	}
	x := dc.Max.X - total
	st.YAlign = draw.YCenter
	for _, e := range entries {
		dc.FillPolygon(e.c, []vg.Point{
			{X: x, Y: y - box/2}, {X: x + box, Y: y - box/2},
			{X: x + box, Y: y + box/2}, {X: x, Y: y + box/2},
		})
		x += box + gap
		dc.FillText(st, vg.Point{X: x, Y: y}, e.name)
		x += st.Width(e.name) + 3*gap
	}
}

// inlineSVG turns a vgsvg document into an element for inline HTML: it
// drops the XML prologue and the generator comment, lets CSS size the
// picture (the viewBox keeps the aspect ratio), and gives the text
// metric-compatible fallback fonts so no font needs to be embedded.
func inlineSVG(doc string) string {
	if i := strings.Index(doc, "<svg"); i >= 0 {
		doc = doc[i:]
	}
	doc = strings.Replace(doc, "<svg ", `<svg class="plot" role="img" `, 1)
	doc = strings.ReplaceAll(doc, "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	return doc
}
