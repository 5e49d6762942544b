package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/internal/report"
)

type detectFlags struct {
	reference, current string
	format, output     string
	columns            listFlag
	categorical        listFlag
	opt                drift.Options
	failOnDrift, quiet bool
}

func detectFlagSet(f *detectFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	formats := strings.Join(dataset.Extensions(), ", ")
	fs.StringVar(&f.reference, "reference", "", "reference dataset: the data the model was trained or validated on (`FILE`: "+formats+", optionally .gz)")
	fs.StringVar(&f.current, "current", "", "current dataset to compare with the reference (`FILE`, same formats)")
	fs.StringVar(&f.format, "format", "", "report `format`: "+strings.Join(report.Formats, ", ")+" (default: from --output's extension, else text)")
	fs.StringVar(&f.output, "output", "", "write the report to `FILE` instead of standard output")
	fs.Var(&f.columns, "columns", "compare only these comma-separated `columns` (default: every column of the reference)")
	fs.Var(&f.categorical, "categorical", "comma-separated `columns` to compare as categories even if they hold numbers")
	f.opt = drift.DefaultOptions()
	f.opt.RegisterFlags(fs)
	fs.BoolVar(&f.failOnDrift, "fail-on-drift", false, "exit with status 1 when the dataset drifted (for CI jobs)")
	fs.BoolVar(&f.quiet, "quiet", false, "do not show progress on standard error")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, `Usage: driftwatch detect --reference FILE --current FILE [flags]

Compares every column of the current dataset with the same column of the
reference and reports which features drifted, with a p-value and an effect
size for each, and whether the dataset as a whole drifted.

Numeric columns get the Kolmogorov–Smirnov test (or, with at most 10 distinct
values, are compared as categories); categorical columns get chi-squared, or
Fisher's exact test for two categories with small counts. A feature drifts
when its corrected p-value is below --alpha AND its effect size reaches
--min-effect, so huge samples do not turn negligible differences into alerts,
or when its share of missing values changed by --min-effect or more. With two
or more numeric columns a multivariate MMD test is reported too.

Exit status: 0 success (drift or not), 1 drift with --fail-on-drift,
2 bad flags or unreadable input.

Examples:
  driftwatch detect --reference train.csv --current today.csv
  driftwatch detect --reference ref.parquet --current cur.jsonl --format html --output report.html
  driftwatch detect --reference ref.csv --current cur.csv --test psi --threshold psi=0.25 --fail-on-drift

Tests (--test):
`)
		for _, name := range drift.TestNames() {
			fmt.Fprintf(w, "  %-12s %s\n", name, drift.TestDoc(name))
		}
		fmt.Fprint(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

func runDetect(args []string, stdout, stderr io.Writer) int {
	var f detectFlags
	fs := detectFlagSet(&f)
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "driftwatch detect: %s\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		return exitUsage
	}
	if f.reference == "" || f.current == "" {
		return fail(fmt.Errorf("both --reference and --current are required (see --help)"))
	}
	format, err := reportFormat(f.format, f.output)
	if err != nil {
		return fail(err)
	}
	if err := f.opt.Validate(); err != nil {
		return fail(err)
	}
	prog := newProgress(stderr, !f.quiet)
	f.opt.Progress = prog.compare

	ref, err := dataset.ReadFile(f.reference, dataset.Options{Columns: f.columns, Categorical: f.categorical, Progress: prog.reading(f.reference)})
	prog.done()
	if err != nil {
		return fail(err)
	}
	names := make([]string, len(ref.Columns))
	for i, c := range ref.Columns {
		names[i] = c.Name
	}
	cur, err := dataset.ReadFile(f.current, dataset.Options{Columns: names, Types: ref.Types(), Progress: prog.reading(f.current)})
	prog.done()
	if err != nil {
		return fail(err)
	}
	rcols, ccols := alignColumns(ref, cur)

	rep, err := drift.Compare(rcols, ccols, f.opt)
	prog.done()
	if err != nil {
		return fail(err)
	}
	if extra := slices.DeleteFunc(cur.Skipped, func(n string) bool { return slices.Contains(ref.Skipped, n) }); len(extra) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("columns only in %s were ignored: %s", filepath.Base(f.current), strings.Join(extra, ", ")))
	}

	var buf bytes.Buffer
	meta := report.Meta{Reference: f.reference, Current: f.current, Generated: time.Now(), Version: version()}
	if err := report.Write(&buf, format, rep, meta); err != nil {
		return fail(fmt.Errorf("write report: %w", err))
	}
	if f.output == "" {
		_, err = stdout.Write(buf.Bytes())
	} else if err = os.WriteFile(f.output, buf.Bytes(), 0o644); err == nil {
		fmt.Fprintf(stderr, "driftwatch detect: wrote %s report to %s\n", format, f.output)
	}
	if err != nil {
		return fail(fmt.Errorf("write report: %w", err))
	}
	if f.failOnDrift && rep.Drift {
		return exitDrift
	}
	return exitOK
}

// reportFormat picks the report format from --format, or from --output's
// extension, or text.
func reportFormat(format, output string) (string, error) {
	if format == "" {
		switch strings.ToLower(filepath.Ext(output)) {
		case ".json":
			return "json", nil
		case ".md", ".markdown":
			return "markdown", nil
		case ".html", ".htm":
			return "html", nil
		}
		return "text", nil
	}
	if !slices.Contains(report.Formats, format) {
		return "", fmt.Errorf("unknown --format %q (want %s)", format, strings.Join(report.Formats, ", "))
	}
	return format, nil
}

// alignColumns orders the current table's columns like the reference's.
// The current file was read with the reference's column names, so every
// one of them is there.
func alignColumns(ref, cur *dataset.Table) (rcols, ccols []drift.Column) {
	for _, rc := range ref.Columns {
		rcols = append(rcols, toDrift(rc))
		ccols = append(ccols, toDrift(cur.Column(rc.Name)))
	}
	return rcols, ccols
}

func toDrift(c *dataset.Column) drift.Column {
	return drift.Column{Name: c.Name, Categorical: c.Type == dataset.Categorical, Num: c.Num, Str: c.Str}
}

// listFlag is a comma-separated list flag; repeating it appends.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			*l = append(*l, v)
		}
	}
	return nil
}
