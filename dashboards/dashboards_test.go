package dashboards

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
)

// TestCommittedJSON fails when dashboards/json differs from what the code
// generates.
func TestCommittedJSON(t *testing.T) {
	for name, d := range All() {
		want, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("json", name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("dashboards/json/%s is not what the code makes (%v): run go run ./dashboards/cmd/gendashboards", name, err)
		}
	}
}

// TestPanels checks the layout and the queries: unique ids, panels within
// the grid and not overlapping, every query on the template data source.
func TestPanels(t *testing.T) {
	for name, d := range All() {
		ids := map[int]bool{}
		type cell struct{ x, y int }
		taken := map[cell]int{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d twice", name, p.ID)
			}
			ids[p.ID] = true
			g := p.GridPos
			if g.X < 0 || g.X+g.W > 24 || g.W <= 0 || g.H <= 0 {
				t.Errorf("%s: panel %q at %+v is off the grid", name, p.Title, g)
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := taken[cell{x, y}]; ok {
						t.Errorf("%s: panel %q overlaps panel %d", name, p.Title, other)
					}
					taken[cell{x, y}] = p.ID
				}
			}
			if p.Type != "row" && p.Type != "text" && (len(p.Targets) == 0 || p.Datasource == nil || p.Datasource.UID != "${datasource}") {
				t.Errorf("%s: panel %q has no query on the template data source", name, p.Title)
			}
		}
		b, _ := d.JSON()
		var back Dashboard
		if err := json.Unmarshal(b, &back); err != nil || back.UID == "" {
			t.Errorf("%s: does not decode: %v", name, err)
		}
	}
}

// TestMetricsDocumented fails when a dashboard queries a metric the
// README does not document (a renamed metric), the pending ones aside.
func TestMetricsDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`driftwatch_[a-z_]+`)
	n := 0
	for name, d := range All() {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				for _, m := range re.FindAllString(tg.Expr, -1) {
					m = strings.TrimSuffix(m, "_bucket")
					n++
					if !slices.Contains(pending, m) && !strings.Contains(string(readme), "`"+m+"`") {
						t.Errorf("%s: panel %q queries %s, which README.md does not document", name, p.Title, m)
					}
				}
			}
		}
	}
	if n < 30 {
		t.Errorf("found %d metric names: is the parsing broken?", n)
	}
}

// TestQueriesParse checks every query with Debian's promtool (as
// recording rules, the template variables replaced), so a PromQL typo
// fails CI.
func TestQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("DRIFTWATCH_REQUIRE_INTEGRATION") != "" {
			t.Fatal("promtool is missing: apt-get install -y prometheus")
		}
		t.Skip("install Debian's prometheus (promtool) to run this test")
	}
	vars := strings.NewReplacer("$__rate_interval", "5m", "$model", ".*", "$version", ".*", "$feature", ".*", "$instance", ".*", "$gpu", ".*")
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboards\n    rules:\n")
	n := 0
	for name, d := range All() {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				n++
				expr, _ := json.Marshal(vars.Replace(tg.Expr))
				fmt.Fprintf(&b, "      - record: dashboard:%s:panel%d:%s\n        expr: %s\n", strings.TrimSuffix(name, ".json"), p.ID, tg.RefID, expr)
			}
		}
	}
	file := filepath.Join(t.TempDir(), "queries.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("SUCCESS: %d rules found", n)) {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
}
