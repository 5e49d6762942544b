package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// detect runs `driftwatch detect args...` in-process.
func detect(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"detect"}, args...), &o, &e)
	return code, o.String(), e.String()
}

type jsonReport struct {
	ReferenceRows int     `json:"reference_rows"`
	CurrentRows   int     `json:"current_rows"`
	Drift         bool    `json:"drift"`
	DriftShare    float64 `json:"drift_share"`
	Features      []struct {
		Name      string   `json:"name"`
		Type      string   `json:"type"`
		Test      string   `json:"test"`
		Statistic float64  `json:"statistic"`
		PValue    *float64 `json:"p_value"`
		Threshold float64  `json:"threshold"`
		Drift     bool     `json:"drift"`
	} `json:"features"`
	Multivariate *struct {
		Test      string  `json:"test"`
		Statistic float64 `json:"statistic"`
		PValue    float64 `json:"p_value"`
		Drift     bool    `json:"drift"`
	} `json:"multivariate"`
}

func detectJSON(t *testing.T, args ...string) jsonReport {
	t.Helper()
	code, out, errOut := detect(t, append(args, "--format", "json")...)
	if code != exitOK {
		t.Fatalf("exit %d, stderr: %s", code, errOut)
	}
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not the JSON contract: %v\n%s", err, out)
	}
	return r
}

func drifted(r jsonReport) []string {
	var names []string
	for _, f := range r.Features {
		if f.Drift {
			names = append(names, f.Name)
		}
	}
	return names
}

// TestDetectRealData checks the verdicts on real datasets split at random
// (no drift expected) and with a covariate shift (drift expected); see
// testdata/README.md for how the splits were made.
func TestDetectRealData(t *testing.T) {
	for _, c := range []struct {
		name, ref, cur string
		wantDrift      bool
		mustDrift      []string // features that must be flagged
	}{
		{"breast cancer random split", "breast-cancer/reference.csv", "breast-cancer/current-random.csv", false, nil},
		{"breast cancer covariate shift", "breast-cancer/reference.csv", "breast-cancer/current-shift.csv", true, []string{"mean radius", "mean area", "worst radius"}},
		{"wine random split", "wine/reference.csv", "wine/current-random.csv", false, nil},
		{"wine covariate shift", "wine/reference.csv", "wine/current-shift.csv", true, []string{"alcohol"}},
		{"seattle weather 2012 vs 2015", "seattle-weather/2012.csv", "seattle-weather/2015.csv", true, []string{"weather"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := detectJSON(t, "--reference", filepath.Join("..", "..", "testdata", c.ref), "--current", filepath.Join("..", "..", "testdata", c.cur))
			got := drifted(r)
			if r.Drift != c.wantDrift {
				t.Errorf("dataset drift = %v, want %v (drifted features: %v, share %.2f, multivariate %+v)", r.Drift, c.wantDrift, got, r.DriftShare, r.Multivariate)
			}
			if !c.wantDrift && len(got) > 0 {
				t.Errorf("features flagged on a random split: %v", got)
			}
			for _, name := range c.mustDrift {
				if !slices.Contains(got, name) {
					t.Errorf("feature %q not flagged; flagged: %v", name, got)
				}
			}
			if r.Multivariate == nil {
				t.Fatal("no multivariate result with several numeric columns")
			}
			if r.Multivariate.Drift != c.wantDrift {
				t.Errorf("multivariate drift = %v (p %g), want %v", r.Multivariate.Drift, r.Multivariate.PValue, c.wantDrift)
			}
		})
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDetectBadInput checks that every bad input exits 2 with one line that
// names the file and, where there is one, the line and column.
func TestDetectBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.csv", "a,b\n1,x\n2,y\n")
	for _, c := range []struct {
		name string
		args []string
		want string // regexp the message must match
	}{
		{"ragged row", []string{"--reference", good, "--current", writeFile(t, dir, "ragged.csv", "a,b\n1,x\n2\n")}, `ragged\.csv:3:`},
		{"column missing", []string{"--reference", good, "--current", writeFile(t, dir, "nob.csv", "a\n1\n")}, `"b".*nob\.csv`},
		{"non-numeric value", []string{"--reference", good, "--current", writeFile(t, dir, "text.csv", "a,b\n1,x\nten,y\n")}, `text\.csv:3:1:.*"ten"`},
		{"empty file", []string{"--reference", writeFile(t, dir, "empty.csv", ""), "--current", good}, `empty\.csv`},
		{"unreadable parquet", []string{"--reference", writeFile(t, dir, "bad.parquet", "PAR1 not really"), "--current", good}, `bad\.parquet`},
		{"missing file", []string{"--reference", filepath.Join(dir, "nope.csv"), "--current", good}, `nope\.csv`},
		{"no current", []string{"--reference", good}, `--current`},
		{"unknown test", []string{"--reference", good, "--current", good, "--test", "t-test"}, `t-test`},
		{"unknown format", []string{"--reference", good, "--current", good, "--format", "pdf"}, `pdf`},
		{"bad alpha", []string{"--reference", good, "--current", good, "--alpha", "2"}, `alpha`},
		{"bad threshold", []string{"--reference", good, "--current", good, "--threshold", "ks=0.1"}, `ks`},
		{"NaN min effect", []string{"--reference", good, "--current", good, "--min-effect", "NaN"}, `min effect NaN`},
		{"negative drift share", []string{"--reference", good, "--current", good, "--drift-share", "-1"}, `drift share -1`},
		{"mmd without permutations", []string{"--reference", good, "--current", good, "--test", "mmd", "--permutations", "0"}, `permutations`},
		{"unknown flag", []string{"--refrence", good}, `refrence`},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := detect(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stdout %q", code, exitUsage, out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
				t.Errorf("want exactly one line on stderr, got %q", errOut)
			}
			if !regexp.MustCompile(c.want).MatchString(errOut) {
				t.Errorf("stderr %q does not match %q", errOut, c.want)
			}
		})
	}
}

func TestDetectFailOnDrift(t *testing.T) {
	td := filepath.Join("..", "..", "testdata", "wine")
	for _, c := range []struct {
		cur  string
		want int
	}{{"current-shift.csv", exitDrift}, {"current-random.csv", exitOK}} {
		code, _, errOut := detect(t, "--reference", filepath.Join(td, "reference.csv"), "--current", filepath.Join(td, c.cur), "--fail-on-drift", "--format", "json")
		if code != c.want {
			t.Errorf("%s: exit %d, want %d (%s)", c.cur, code, c.want, errOut)
		}
	}
}

// TestDetectEveryTest runs each --test on real data with both numeric and
// categorical columns and checks the JSON contract's invariants.
func TestDetectEveryTest(t *testing.T) {
	td := filepath.Join("..", "..", "testdata", "seattle-weather")
	for _, test := range []string{"auto", "ks", "cvm", "anderson", "chi2", "fisher", "psi", "js", "hellinger", "wasserstein", "mmd"} {
		t.Run(test, func(t *testing.T) {
			r := detectJSON(t, "--reference", filepath.Join(td, "2012.csv"), "--current", filepath.Join(td, "2015.csv"), "--test", test, "--permutations", "50")
			if r.ReferenceRows != 366 || r.CurrentRows != 365 {
				t.Errorf("rows %d and %d, want 366 and 365", r.ReferenceRows, r.CurrentRows)
			}
			if test == "mmd" {
				if len(r.Features) != 0 || r.Multivariate == nil {
					t.Fatalf("--test mmd: want only the multivariate result, got %d features, multivariate %v", len(r.Features), r.Multivariate)
				}
				return
			}
			for _, f := range r.Features {
				if f.Test == "none" {
					continue
				}
				distance := slices.Contains([]string{"psi", "js", "hellinger", "wasserstein"}, f.Test)
				if distance != (f.PValue == nil) {
					t.Errorf("%s: test %s with p_value %v", f.Name, f.Test, f.PValue)
				}
				if f.PValue != nil && (*f.PValue < 0 || *f.PValue > 1) {
					t.Errorf("%s: p-value %g outside [0, 1]", f.Name, *f.PValue)
				}
			}
		})
	}
}

func TestDetectFormats(t *testing.T) {
	td := filepath.Join("..", "..", "testdata", "wine")
	args := []string{"--reference", filepath.Join(td, "reference.csv"), "--current", filepath.Join(td, "current-shift.csv")}
	for _, c := range []struct{ format, want string }{
		{"text", "FEATURE"},
		{"markdown", "| "},
		{"html", "<svg"},
	} {
		code, out, errOut := detect(t, append(args, "--format", c.format)...)
		if code != exitOK || !strings.Contains(out, c.want) {
			t.Errorf("--format %s: exit %d, output lacks %q (stderr %s)", c.format, code, c.want, errOut)
		}
	}
	// --output picks the format from the extension.
	out := filepath.Join(t.TempDir(), "r.json")
	if code, _, errOut := detect(t, append(args, "--output", out)...); code != exitOK {
		t.Fatalf("--output: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(out)
	if !json.Valid(b) {
		t.Errorf("--output r.json did not write JSON: %.100s", b)
	}
}

// TestDetectHTMLInChromium renders the HTML report in headless Chromium and
// checks that the browser sees one picture per feature.
func TestDetectHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("DRIFTWATCH_REQUIRE_CHROMIUM") != "" {
			t.Fatal("chromium not found and DRIFTWATCH_REQUIRE_CHROMIUM is set")
		}
		t.Skip("chromium not installed (Debian package chromium)")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	td := filepath.Join("..", "..", "testdata", "seattle-weather")
	if code, _, errOut := detect(t, "--reference", filepath.Join(td, "2012.csv"), "--current", filepath.Join(td, "2015.csv"), "--output", page); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	r := detectJSON(t, "--reference", filepath.Join(td, "2012.csv"), "--current", filepath.Join(td, "2015.csv"))
	pictures := 0
	for _, f := range r.Features {
		if f.Test != "none" {
			pictures++
		}
	}
	ctx, cancel := contextWithTimeout(t, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+page)
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if got := strings.Count(string(dom), "<svg"); got < pictures {
		t.Errorf("chromium's DOM has %d <svg> pictures, want at least %d (one per tested feature)", got, pictures)
	}
}

// TestDetectMixedFormats compares the same wine rows stored as CSV, JSON
// Lines and Parquet: whatever the formats, the two sides are identical, so
// every statistic is zero.
func TestDetectMixedFormats(t *testing.T) {
	type wine struct {
		Alcohol   float64 `parquet:"alcohol"`
		MalicAcid float64 `parquet:"malic_acid"`
		Cultivar  string  `parquet:"cultivar"`
	}
	src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "wine", "reference.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(src)), "\n")
	header := strings.Split(lines[0], ",")
	col := func(name string) int { return slices.Index(header, name) }
	var rows []wine
	var csvOut, jsonOut strings.Builder
	csvOut.WriteString("alcohol,malic_acid,cultivar\n")
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		var w wine
		if _, err := fmt.Sscan(f[col("alcohol")], &w.Alcohol); err != nil {
			t.Fatal(err)
		}
		if _, err := fmt.Sscan(f[col("malic_acid")], &w.MalicAcid); err != nil {
			t.Fatal(err)
		}
		w.Cultivar = f[col("cultivar")]
		rows = append(rows, w)
		fmt.Fprintf(&csvOut, "%s,%s,%s\n", f[col("alcohol")], f[col("malic_acid")], w.Cultivar)
		fmt.Fprintf(&jsonOut, "{\"alcohol\": %s, \"malic_acid\": %s, \"cultivar\": %q}\n", f[col("alcohol")], f[col("malic_acid")], w.Cultivar)
	}
	dir := t.TempDir()
	files := map[string]string{
		"csv":     writeFile(t, dir, "w.csv", csvOut.String()),
		"jsonl":   writeFile(t, dir, "w.jsonl", jsonOut.String()),
		"parquet": filepath.Join(dir, "w.parquet"),
	}
	if err := parquet.WriteFile(files["parquet"], rows); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"csv", "jsonl"}, {"jsonl", "parquet"}, {"parquet", "csv"}} {
		t.Run(pair[0]+" vs "+pair[1], func(t *testing.T) {
			r := detectJSON(t, "--reference", files[pair[0]], "--current", files[pair[1]])
			if r.ReferenceRows != len(rows) || r.CurrentRows != len(rows) || len(r.Features) != 3 {
				t.Fatalf("rows %d/%d features %d, want %d rows and 3 features", r.ReferenceRows, r.CurrentRows, len(r.Features), len(rows))
			}
			for _, f := range r.Features {
				if f.Statistic != 0 || f.Drift {
					t.Errorf("%s: statistic %g drift %v on identical data", f.Name, f.Statistic, f.Drift)
				}
			}
		})
	}
}

// TestDetectColumnSelection: the current file is read with the reference's
// columns only, so a column that only it has (or that --columns left out)
// is never parsed and is reported as ignored only when the reference lacks
// it.
func TestDetectColumnSelection(t *testing.T) {
	dir := t.TempDir()
	ref := writeFile(t, dir, "ref.csv", "x,y\n1,a\n2,b\n3,a\n")
	cur := writeFile(t, dir, "cur.csv", "x,y,v\n1,a,1\n2,b,abc\n3,b,3\n")
	code, out, errOut := detect(t, "--reference", ref, "--current", cur, "--format", "json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r struct{ Warnings []string }
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "cur.csv were ignored: v") {
		t.Errorf("warnings %q, want one naming v", r.Warnings)
	}
	code, out, errOut = detect(t, "--reference", ref, "--current", cur, "--columns", "x", "--format", "json")
	if code != exitOK {
		t.Fatalf("--columns x: exit %d: %s", code, errOut)
	}
	r.Warnings = nil
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 1 || !strings.HasSuffix(r.Warnings[0], "ignored: v") {
		t.Errorf("--columns x: warnings %q, want one naming only v", r.Warnings)
	}
}
