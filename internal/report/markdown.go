package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// writeMarkdown renders a GitHub-flavoured summary for CI job summaries and
// pull-request comments: the verdict, the datasets, the settings, the
// multivariate verdict, the warnings and the table of features by severity.
func writeMarkdown(buf *bytes.Buffer, r *drift.Report, m Meta) error {
	head, detail := verdict(r)
	icon := "✅"
	if r.Drift {
		icon = "⚠️"
	}
	buf.WriteString("## driftwatch drift report\n\n")
	fmt.Fprintf(buf, "%s **%s:** %s.\n\n", icon, head, mdEscape(detail))

	fmt.Fprintf(buf, "| | reference | current |\n|---|---|---|\n")
	if m.Reference != "" || m.Current != "" {
		fmt.Fprintf(buf, "| dataset | %s | %s |\n", mdCode(m.Reference), mdCode(m.Current))
	}
	fmt.Fprintf(buf, "| rows | %s | %s |\n\n", fmtInt(r.ReferenceRows), fmtInt(r.CurrentRows))

	fmt.Fprintf(buf, "**Settings:** %s.", mdEscape(settingsText(r.Settings)))
	if g := generatedText(m); g != "" {
		fmt.Fprintf(buf, " %s.", mdEscape(g))
	}
	buf.WriteString("\n\n")

	if mv := r.Multivariate; mv != nil {
		fmt.Fprintf(buf, "**Multivariate:** %s.\n\n", mdEscape(multivariateText(mv)))
	}
	if len(r.Warnings) > 0 {
		buf.WriteString("> [!WARNING]\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(buf, "> - %s\n", mdEscape(w))
		}
		buf.WriteString("\n")
	}

	if len(r.Features) == 0 {
		buf.WriteString("No features.\n")
		return nil
	}
	buf.WriteString("| Feature | Type | Test | Statistic | P-value (adj) | Effect | Drift | Missing (ref→cur) | Note |\n")
	buf.WriteString("|---|---|---|--:|--:|--:|:-:|:-:|---|\n")
	for _, f := range bySeverity(r) {
		d := driftText(f)
		if f.Drift {
			d = "🔴 **yes**"
		}
		fmt.Fprintf(buf, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			mdEscape(f.Name), mdEscape(f.Type), mdEscape(f.Test), fmtStatistic(f), fmtPtr(f.AdjustedPValue),
			fmtFeatureEffect(f), d, fmtMissing(f), mdEscape(notes(f)))
	}
	return nil
}

// mdReplacer escapes what GitHub-flavoured markdown would otherwise read as
// markup inside a paragraph or a table cell; HTML is shown, not rendered.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;", "#", `\#`, "~", `\~`,
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdEscape makes s literal text in markdown.
func mdEscape(s string) string {
	return mdReplacer.Replace(printable(s))
}

// mdCode shows a name as code when it is simple, escaped text otherwise;
// empty names are a dash.
func mdCode(s string) string {
	switch {
	case s == "":
		return dash
	case strings.ContainsAny(s, "`|<>&\n\r"):
		return mdEscape(s)
	}
	return "`" + s + "`"
}
