package report

import (
	"bytes"
	"cmp"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// writeText renders the terminal report: the verdict, the datasets, the
// settings, a table of features by severity, the multivariate verdict and
// the warnings. Names and notes with control characters are quoted, so a
// hostile column name cannot break the table or drive the terminal.
func writeText(buf *bytes.Buffer, r *drift.Report, m Meta) error {
	head, detail := verdict(r)
	fmt.Fprintf(buf, "%s: %s\n", head, detail)
	fmt.Fprintf(buf, "Reference: %s   Current: %s\n", datasetText(m.Reference, r.ReferenceRows), datasetText(m.Current, r.CurrentRows))
	fmt.Fprintf(buf, "Settings: %s\n", settingsText(r.Settings))
	if g := generatedText(m); g != "" {
		fmt.Fprintf(buf, "%s\n", g)
	}
	buf.WriteByte('\n')

	if len(r.Features) == 0 {
		buf.WriteString("No features.\n")
	} else {
		var table bytes.Buffer
		tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "FEATURE\tTYPE\tTEST\tSTATISTIC\tP-VALUE(adj)\tEFFECT\tDRIFT\tMISSING(ref→cur)\tNOTE")
		for _, f := range bySeverity(r) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				printable(f.Name), printable(f.Type), printable(f.Test), fmtStatistic(f),
				fmtPtr(f.AdjustedPValue), fmtFeatureEffect(f), driftText(f), fmtMissing(f), printable(notes(f)))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("align table: %w", err)
		}
		// tabwriter pads the last column too; drop the trailing blanks.
		for line := range strings.Lines(table.String()) {
			buf.WriteString(strings.TrimRight(line, " \n"))
			buf.WriteByte('\n')
		}
	}

	if mv := r.Multivariate; mv != nil {
		fmt.Fprintf(buf, "\nMultivariate: %s\n", printable(multivariateText(mv)))
	}
	if len(r.Warnings) > 0 {
		buf.WriteString("\nWarnings:\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(buf, "  - %s\n", printable(w))
		}
	}
	return nil
}

// datasetText describes one dataset: "ref.csv (10,000 rows)" or
// "10,000 rows" when it has no name.
func datasetText(name string, rows int) string {
	r := fmtInt(rows) + " rows"
	if name == "" {
		return r
	}
	return printable(name) + " (" + r + ")"
}

// generatedText says when and by which version a report was made; it is
// empty when Meta says neither.
func generatedText(m Meta) string {
	var s string
	if !m.Generated.IsZero() {
		s = "Generated " + m.Generated.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if m.Version != "" {
		s = cmp.Or(s, "Generated") + " by driftwatch " + printable(m.Version)
	}
	return s
}
