package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	thresholds         thresholdFlag
	opt                drift.Options
	failOnDrift, quiet bool
}

func detectFlagSet(f *detectFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("detect", flag.ContinueOnError)
	fs.StringVar(&f.reference, "reference", "", "reference dataset: the data the model was trained or validated on (`FILE`: .csv, .jsonl or .parquet)")
	fs.StringVar(&f.current, "current", "", "current dataset to compare with the reference (`FILE`, same formats)")
	fs.StringVar(&f.format, "format", "", "report `format`: text, json, markdown or html (default: from --output's extension, else text)")
	fs.StringVar(&f.output, "output", "", "write the report to `FILE` instead of standard output")
	fs.Var(&f.columns, "columns", "compare only these comma-separated `columns` (default: every column of the reference)")
	fs.Var(&f.categorical, "categorical", "comma-separated `columns` to compare as categories even if they hold numbers")
	fs.StringVar(&f.opt.Test, "test", "auto", "`test` for every feature: "+strings.Join(drift.TestNames(), ", "))
	fs.Float64Var(&f.opt.Alpha, "alpha", drift.DefaultAlpha, "significance level for tests with a p-value")
	fs.StringVar(&f.opt.Correction, "correction", "fdr", "multiple-testing correction across features: none, bonferroni or fdr (Benjamini–Hochberg)")
	fs.Float64Var(&f.opt.MinEffect, "min-effect", drift.DefaultMinEffect, "smallest effect size (KS distance or total variation, 0..1) that counts as drift; 0 trusts the p-value alone")
	fs.Float64Var(&f.opt.DriftShare, "drift-share", drift.DefaultDriftShare, "share of drifted features (0..1) at which the dataset counts as drifted; 0 means any drifted feature")
	fs.Var(&f.thresholds, "threshold", "drift threshold of a distance test as `test=value`, e.g. psi=0.25 (repeatable)")
	fs.IntVar(&f.opt.Permutations, "permutations", drift.DefaultPermutations, "permutations of the multivariate MMD test; 0 skips MMD in auto mode")
	fs.IntVar(&f.opt.MMDMaxRows, "mmd-max-rows", drift.DefaultMMDMaxRows, "rows per side the MMD test uses (a random subsample above this; memory grows with its square)")
	fs.BoolVar(&f.opt.MMDStandardize, "mmd-standardize", false, "scale each numeric column by the reference's mean and standard deviation before MMD, so no single wide-ranged column dominates")
	fs.Uint64Var(&f.opt.Seed, "seed", 1, "random seed for MMD subsampling and permutations")
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
--min-effect, so huge samples do not turn negligible differences into alerts.
With two or more numeric columns a multivariate MMD test runs too.

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
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "driftwatch detect: "+format+"\n", a...)
		return exitUsage
	}
	if f.reference == "" || f.current == "" {
		return fail("both --reference and --current are required (see --help)")
	}
	format, err := reportFormat(f.format, f.output)
	if err != nil {
		return fail("%v", err)
	}
	if f.opt.Alpha <= 0 {
		return fail("--alpha must be between 0 and 1, got %g", f.opt.Alpha)
	}
	f.opt.MinEffect = explicitZero(f.opt.MinEffect)
	f.opt.DriftShare = explicitZero(f.opt.DriftShare)
	if f.opt.Permutations == 0 {
		f.opt.Permutations = -1
	}
	f.opt.Thresholds = f.thresholds
	if err := f.opt.Validate(); err != nil {
		return fail("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	prog := newProgress(stderr, !f.quiet)
	f.opt.Progress = prog.features

	ropt := dataset.Options{Columns: f.columns, Categorical: f.categorical, Progress: prog.reading(f.reference)}
	ref, err := dataset.ReadFile(f.reference, ropt)
	prog.done()
	if err != nil {
		return fail("%v", err)
	}
	cur, err := dataset.ReadFile(f.current, dataset.Options{Types: ref.Types(), Progress: prog.reading(f.current)})
	prog.done()
	if err != nil {
		return fail("%v", err)
	}
	rcols, ccols, extra := alignColumns(ref, cur)

	rep, err := drift.Compare(rcols, ccols, f.opt)
	prog.done()
	if err != nil {
		return fail("%v", err)
	}
	if len(extra) > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("columns only in %s were ignored: %s", filepath.Base(f.current), strings.Join(extra, ", ")))
	}

	out := stdout
	if f.output != "" {
		file, err := os.Create(f.output)
		if err != nil {
			return fail("create report: %v", err)
		}
		defer file.Close()
		out = file
	}
	meta := report.Meta{Reference: f.reference, Current: f.current, Generated: time.Now(), Version: version()}
	if err := report.Write(out, format, rep, meta); err != nil {
		return fail("write report: %v", err)
	}
	if f.output != "" {
		fmt.Fprintf(stderr, "driftwatch detect: wrote %s report to %s\n", format, f.output)
	}
	if f.failOnDrift && rep.Drift {
		return exitDrift
	}
	return exitOK
}

// explicitZero maps a flag value of 0 ("none") to the negative value that
// drift.Options reads as an explicit zero.
func explicitZero(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
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

// alignColumns orders the current table's columns like the reference's and
// returns the names of current columns that the reference lacks.
func alignColumns(ref, cur *dataset.Table) (rcols, ccols []drift.Column, extra []string) {
	byName := make(map[string]*dataset.Column, len(cur.Columns))
	for _, c := range cur.Columns {
		byName[c.Name] = c
	}
	for _, rc := range ref.Columns {
		cc := byName[rc.Name]
		delete(byName, rc.Name)
		rcols = append(rcols, toDrift(rc))
		ccols = append(ccols, toDrift(cc))
	}
	for _, c := range cur.Columns {
		if _, ok := byName[c.Name]; ok {
			extra = append(extra, c.Name)
		}
	}
	return rcols, ccols, extra
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

// thresholdFlag collects test=value pairs.
type thresholdFlag map[string]float64

func (t *thresholdFlag) String() string {
	var parts []string
	for k, v := range *t {
		parts = append(parts, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func (t *thresholdFlag) Set(s string) error {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want test=value, got %q", s)
	}
	v, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return fmt.Errorf("threshold %q is not a number", val)
	}
	if *t == nil {
		*t = thresholdFlag{}
	}
	(*t)[strings.TrimSpace(name)] = v
	return nil
}
