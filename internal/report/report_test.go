package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

var (
	update  = flag.Bool("update", false, "rewrite the golden files in testdata/")
	htmlOut = flag.String("html-out", "", "also write the sample HTML report to this file, to look at it")
)

func ptr(v float64) *float64 { return &v }

// normalShares returns the share of a normal(mu, sd) sample in each bin of
// edges, renormalised to the bins, so the fixtures look like real data
// without random numbers.
func normalShares(edges []float64, mu, sd float64) []float64 {
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mu)/(sd*math.Sqrt2)) }
	out := make([]float64, len(edges)-1)
	total := cdf(edges[len(edges)-1]) - cdf(edges[0])
	for i := range out {
		out[i] = (cdf(edges[i+1]) - cdf(edges[i])) / total
	}
	return out
}

func linspace(lo, hi float64, n int) []float64 {
	e := make([]float64, n+1)
	for i := range e {
		e[i] = lo + (hi-lo)*float64(i)/float64(n)
	}
	return e
}

// sampleReport is a realistic report: numeric features with and without
// drift, one on quantile bins, categorical ones with few and many labels, a
// constant column, an all-missing column and a multivariate verdict.
func sampleReport() *drift.Report {
	priceEdges := linspace(0, 120, 24)
	ageEdges := linspace(18, 90, 18)
	// Quantile bins of a skewed income: unequal widths.
	incomeEdges := []float64{0, 12e3, 19e3, 25e3, 31e3, 38e3, 46e3, 56e3, 70e3, 95e3, 250e3}
	incomeRef := []float64{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1}
	incomeCur := []float64{0.07, 0.08, 0.09, 0.1, 0.1, 0.11, 0.11, 0.11, 0.12, 0.11}

	var devLabels []string
	var devRef, devCur []float64
	sumR, sumC := 0.0, 0.0
	for i := range 40 {
		devLabels = append(devLabels, fmt.Sprintf("model-%02d", i+1))
		r := 1 / float64(i+2)
		c := r * (1 + 0.3*math.Sin(float64(i)))
		devRef, devCur = append(devRef, r), append(devCur, c)
		sumR, sumC = sumR+r, sumC+c
	}
	for i := range devRef {
		devRef[i] /= sumR
		devCur[i] /= sumC
	}

	return &drift.Report{
		ReferenceRows:   10000,
		CurrentRows:     5000,
		Drift:           true,
		DriftShare:      3.0 / 7,
		DriftedFeatures: 3,
		Settings: drift.Settings{
			Test: "auto", Alpha: 0.05, Correction: "bh", MinEffect: 0.1,
			DriftShareThreshold: 0.3, Permutations: 500, Seed: 42, KSMethod: "auto",
		},
		Features: []drift.Feature{
			{
				Name: "age", Type: "numeric", Test: "ks", Statistic: 0.0123,
				PValue: ptr(0.6812), AdjustedPValue: ptr(0.7947), Threshold: 0.05,
				EffectSize: 0.0123, EffectMeasure: "ks_distance",
				ReferenceCount: 9990, CurrentCount: 4995, ReferenceMissing: 10, CurrentMissing: 5,
				Summary: &drift.Summary{Edges: ageEdges, Reference: normalShares(ageEdges, 41, 12), Current: normalShares(ageEdges, 41.4, 12.2)},
			},
			{
				Name: "price", Type: "numeric", Test: "ks", Statistic: 0.2314,
				PValue: ptr(1.2e-40), AdjustedPValue: ptr(8.4e-40), Threshold: 0.05,
				EffectSize: 0.2314, EffectMeasure: "ks_distance", Drift: true,
				ReferenceCount: 10000, CurrentCount: 5000,
				Summary: &drift.Summary{Edges: priceEdges, Reference: normalShares(priceEdges, 50, 12), Current: normalShares(priceEdges, 61, 15)},
			},
			{
				Name: "country", Type: "categorical", Test: "chi2", Statistic: 412.77,
				PValue: ptr(0), AdjustedPValue: ptr(0), Threshold: 0.05,
				EffectSize: 0.1525, EffectMeasure: "total_variation", Drift: true,
				ReferenceCount: 10000, CurrentCount: 4900, CurrentMissing: 100,
				MissingChange: &drift.MissingChange{ReferenceShare: 0, CurrentShare: 0.02, PValue: 3.1e-9},
				Summary: &drift.Summary{
					Labels:    []string{"US", "DE", "FR", "GB", "JP", "BR", "(other)"},
					Reference: []float64{0.42, 0.18, 0.12, 0.11, 0.08, 0.05, 0.04},
					Current:   []float64{0.30, 0.16, 0.13, 0.12, 0.10, 0.14, 0.05},
				},
			},
			{
				Name: "income", Type: "numeric", Test: "wasserstein", Statistic: 0.1412,
				Threshold: 0.1, EffectSize: 0.0612, EffectMeasure: "ks_distance", Drift: true,
				ReferenceCount: 9800, CurrentCount: 4950, ReferenceMissing: 200, CurrentMissing: 50,
				Summary: &drift.Summary{Edges: incomeEdges, Reference: incomeRef, Current: incomeCur},
			},
			{
				Name: "device_model", Type: "categorical", Test: "psi", Statistic: 0.0412,
				Threshold: 0.1, EffectSize: 0.0633, EffectMeasure: "total_variation",
				ReferenceCount: 10000, CurrentCount: 5000,
				Summary: &drift.Summary{Labels: devLabels, Reference: devRef, Current: devCur},
			},
			{
				Name: "schema_version", Type: "numeric", Test: "none",
				ReferenceCount: 10000, CurrentCount: 5000, EffectMeasure: "ks_distance",
				Note:    "constant in both samples (3)",
				Summary: &drift.Summary{Edges: []float64{3, 3}, Reference: []float64{1}, Current: []float64{1}},
			},
			{
				Name: "legacy_score", Type: "numeric", Test: "none",
				ReferenceCount: 8000, ReferenceMissing: 2000, CurrentMissing: 5000, EffectMeasure: "ks_distance",
				MissingChange: &drift.MissingChange{ReferenceShare: 0.2, CurrentShare: 1, PValue: 0},
				Note:          "all values missing in current",
			},
		},
		Multivariate: &drift.Multivariate{
			Test: "mmd", Statistic: 0.0387, PValue: 0.002, Drift: true, Sigma: 1.73,
			Permutations: 500, Columns: []string{"age", "price", "income"},
			ReferenceRowsUsed: 2000, CurrentRowsUsed: 2000,
			Note: "subsampled to 2,000 rows per side",
		},
		Warnings: []string{
			"column legacy_score: all values missing in current",
			"current has 5,000 rows, fewer than the 10,000 of the reference",
		},
	}
}

var sampleMeta = Meta{Reference: "train.parquet", Current: "last_week.csv", Version: "v0.1.0"}

// svgElement matches one inline picture.
var svgElement = regexp.MustCompile(`(?s)<svg\b.*?</svg>`)

func TestWriteGolden(t *testing.T) {
	for _, tc := range []struct {
		name, format, golden string
		// normalize rewrites output that must not be compared byte for
		// byte (the SVG coordinates depend on floating point details).
		normalize func(string) string
	}{
		{name: "text", format: "text", golden: "sample.txt"},
		{name: "markdown", format: "markdown", golden: "sample.md"},
		{name: "json", format: "json", golden: "sample.json"},
		{name: "html", format: "html", golden: "sample.html", normalize: func(s string) string {
			return svgElement.ReplaceAllString(s, `<svg><!-- picture --></svg>`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tc.format, sampleReport(), sampleMeta); err != nil {
				t.Fatalf("Write: %v", err)
			}
			got := buf.String()
			if tc.normalize != nil {
				got = tc.normalize(got)
			}
			checkGolden(t, filepath.Join("testdata", tc.golden), got)
		})
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update to accept it):\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(wl), len(gl)) {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant: %q\ngot:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

func TestWriteHTMLPictures(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := Write(&buf, "html", r, sampleMeta); err != nil {
		t.Fatalf("Write: %v", err)
	}
	out := buf.String()
	if *htmlOut != "" {
		if err := os.WriteFile(*htmlOut, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	withSummary := 0
	for _, f := range r.Features {
		if f.Summary != nil {
			withSummary++
		}
	}
	svgs := svgElement.FindAllString(out, -1)
	if len(svgs) != withSummary {
		t.Errorf("got %d <svg> elements, want one per feature with a summary: %d", len(svgs), withSummary)
	}
	for i, s := range svgs {
		if len(s) > 60<<10 {
			t.Errorf("picture %d is %d bytes, want < 60 KiB", i, len(s))
		}
		if strings.Contains(s, "@font-face") || strings.Contains(s, "data:") {
			t.Errorf("picture %d embeds a font or data URL", i)
		}
		if !strings.Contains(s, "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;") {
			t.Errorf("picture %d has no fallback fonts", i)
		}
	}
	if !strings.Contains(out, "no picture: all values missing in current") {
		t.Error("the feature without a summary does not say why it has no picture")
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"<script", "<link", "@import", "url(", "src=", "http://", "https://"} {
		if n := strings.Count(out, bad); bad == "http://" {
			// The SVG namespaces are names, not fetches.
			if n != 2*len(svgs) {
				t.Errorf("page has %d %q, want only the %d SVG namespaces", n, bad, 2*len(svgs))
			}
		} else if n > 0 {
			t.Errorf("page contains %q; it must be self-contained", bad)
		}
	}
	t.Logf("html: %d bytes, %d pictures", len(out), len(svgs))
}

func TestWriteHTMLEscapesHostileNames(t *testing.T) {
	const hostile = `<script>alert(1)</script>`
	r := sampleReport()
	r.Features[0].Name = hostile
	r.Features[2].Summary.Labels[0] = `<img src=x onerror=alert(2)>`
	r.Features[5].Note = `"><script>alert(3)</script>`
	r.Warnings = append(r.Warnings, hostile)
	r.Multivariate.Columns[0] = hostile
	m := sampleMeta
	m.Reference = `</title><script>alert(4)</script>`
	var buf bytes.Buffer
	if err := Write(&buf, "html", r, m); err != nil {
		t.Fatalf("Write: %v", err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "<img"} {
		if strings.Contains(out, bad) {
			t.Errorf("hostile markup %q reached the page unescaped", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile feature name is not shown as text")
	}
	if svgs := svgElement.FindAllString(out, -1); len(svgs) != 6 {
		t.Errorf("got %d pictures, want 6", len(svgs))
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "xml", sampleReport(), Meta{})
	if err == nil {
		t.Fatal("Write accepted format xml")
	}
	for _, f := range Formats {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not list format %q", err, f)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Write wrote %d bytes before failing", buf.Len())
	}
}

func TestFormatsMatchRenderers(t *testing.T) {
	if len(Formats) != len(renderers) {
		t.Errorf("Formats has %d entries, renderers %d", len(Formats), len(renderers))
	}
	for _, f := range Formats {
		if renderers[f] == nil {
			t.Errorf("format %q has no renderer", f)
		}
	}
}

func TestWriteJSONRejectsNonFinite(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*drift.Report)
		want   string
	}{
		{"statistic NaN", func(r *drift.Report) { r.Features[1].Statistic = math.NaN() }, `feature "price": statistic is NaN`},
		{"effect +Inf", func(r *drift.Report) { r.Features[0].EffectSize = math.Inf(1) }, `feature "age": effect_size is +Inf`},
		{"adjusted p NaN", func(r *drift.Report) { r.Features[2].AdjustedPValue = ptr(math.NaN()) }, `feature "country": adjusted_p_value is NaN`},
		{"multivariate", func(r *drift.Report) { r.Multivariate.Statistic = math.Inf(-1) }, `multivariate: statistic is -Inf`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport()
			tc.mutate(r)
			var buf bytes.Buffer
			err := Write(&buf, "json", r, Meta{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Write wrote %d bytes before failing", buf.Len())
			}
			// The other formats still render, showing NaN as text.
			for _, f := range []string{"text", "markdown", "html"} {
				if err := Write(&bytes.Buffer{}, f, r, Meta{}); err != nil {
					t.Errorf("Write %s: %v", f, err)
				}
			}
		})
	}
}

func TestWriteJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var buf bytes.Buffer
	if err := Write(&buf, "json", r, sampleMeta); err != nil {
		t.Fatal(err)
	}
	var back drift.Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	want, _ := json.MarshalIndent(r, "", "  ")
	if got := strings.TrimSuffix(buf.String(), "\n"); got != string(want) {
		t.Error("json output is not exactly encoding/json's indented encoding")
	}
}

func TestBySeverity(t *testing.T) {
	r := &drift.Report{Features: []drift.Feature{
		{Name: "b", EffectSize: 0.2},
		{Name: "nan", EffectSize: math.NaN()},
		{Name: "a", EffectSize: 0.2},
		{Name: "d", EffectSize: 0.1, Drift: true},
		{Name: "c", EffectSize: 0.5, Drift: true},
		{Name: "e", EffectSize: 0.9},
	}}
	var got []string
	for _, f := range bySeverity(r) {
		got = append(got, f.Name)
	}
	if want := "c d e a b nan"; strings.Join(got, " ") != want {
		t.Errorf("got order %v, want %s", got, want)
	}
	if r.Features[0].Name != "b" {
		t.Error("bySeverity reordered the report")
	}
}

func TestNumberFormats(t *testing.T) {
	f := func(name string, fn func(float64) string, x float64, want string) {
		t.Helper()
		if got := fn(x); got != want {
			t.Errorf("%s(%v) = %q, want %q", name, x, got, want)
		}
	}
	f("fmtP", fmtP, 3.2e-12, "3.2e-12")
	f("fmtP", fmtP, 1e-5, "1e-5")
	f("fmtP", fmtP, 0, "<1e-300")
	f("fmtP", fmtP, 0.0123456, "0.0123")
	f("fmtP", fmtP, 0.5, "0.5")
	f("fmtP", fmtP, 1, "1")
	f("fmtNum", fmtNum, 412.77, "412.8")
	f("fmtNum", fmtNum, 0.23141, "0.2314")
	f("fmtNum", fmtNum, 123456.7, "123457")
	f("fmtNum", fmtNum, 2.5e-7, "2.5e-7")
	f("fmtNum", fmtNum, 3e12, "3e12")
	f("fmtNum", fmtNum, math.NaN(), "NaN")
	f("fmtShare", fmtShare, 0.375, "37.5%")
	f("fmtShare", fmtShare, 0.5, "50%")
	f("fmtShare", fmtShare, 0.0001, "<0.1%")
	f("fmtShare", fmtShare, 1, "100%")
	if got := fmtInt(1234567); got != "1,234,567" {
		t.Errorf("fmtInt = %q", got)
	}
	if got := printable("a\tb\x1b[31m"); got != `"a\tb\x1b[31m"` {
		t.Errorf("printable = %q", got)
	}
}

func TestWriteMeta(t *testing.T) {
	m := Meta{Reference: "a.csv", Current: "b.csv", Generated: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC), Version: "v1.2.3"}
	const want = "Generated 2026-03-04 05:06:07 UTC by driftwatch v1.2.3"
	for _, format := range []string{"text", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, sampleReport(), m); err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{want, "a.csv", "b.csv"} {
				if !strings.Contains(buf.String(), s) {
					t.Errorf("output lacks %q", s)
				}
			}
		})
	}
}

func TestWriteEmptyReport(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, format, &drift.Report{}, Meta{}); err != nil {
				t.Fatal(err)
			}
			if buf.Len() == 0 {
				t.Error("empty output")
			}
		})
	}
}

func TestPictureSizes(t *testing.T) {
	for _, f := range sampleReport().Features {
		if f.Summary == nil {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			svg, err := plotSVG(&f)
			if err != nil {
				t.Fatal(err)
			}
			if len(svg) > 60<<10 {
				t.Errorf("picture is %d bytes, want < 60 KiB", len(svg))
			}
			t.Logf("%d bytes", len(svg))
		})
	}
}

func TestPictureOfBadSummary(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *drift.Summary
	}{
		{"edges short", &drift.Summary{Edges: []float64{0, 1}, Reference: []float64{0.5, 0.5}, Current: []float64{0.5, 0.5}}},
		{"edges NaN", &drift.Summary{Edges: []float64{0, math.NaN(), 2}, Reference: []float64{0.5, 0.5}, Current: []float64{0.5, 0.5}}},
		{"labels short", &drift.Summary{Labels: []string{"a"}, Reference: []float64{0.5, 0.5}, Current: []float64{0.5, 0.5}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := drift.Feature{Name: "x", Summary: tc.s}
			if _, err := plotSVG(&f); err == nil {
				t.Error("plotSVG accepted a malformed summary")
			}
			var buf bytes.Buffer
			r := &drift.Report{Features: []drift.Feature{f}}
			if err := Write(&buf, "html", r, Meta{}); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "no picture: summary") {
				t.Error("the page does not say why the picture is missing")
			}
		})
	}
}

func TestPictureOfInfiniteEdges(t *testing.T) {
	f := drift.Feature{Name: "x", Summary: &drift.Summary{
		Edges:     []float64{math.Inf(-1), 0, 1, 2, math.Inf(1)},
		Reference: []float64{0.1, 0.4, 0.4, 0.1},
		Current:   []float64{0.2, 0.3, 0.3, 0.2},
	}}
	if _, err := plotSVG(&f); err != nil {
		t.Fatal(err)
	}
}
