package sidecar_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestMetricsDocumented fails when a metric name defined in the sidecar's
// packages is missing from the README's metrics table.
func TestMetricsDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	names := 0
	for _, dir := range []string{".", filepath.Join("..", "..", "collectors", "proxy"),
		filepath.Join("..", "..", "collectors", "gpu"), filepath.Join("..", "..", "synthetics")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !strings.HasPrefix(s, "driftwatch_") {
					return true
				}
				names++
				if !strings.Contains(string(readme), "`"+s+"`") {
					t.Errorf("metric %s (%s) is not documented in README.md", s, filepath.Base(file))
				}
				return true
			})
		}
	}
	if names < 30 {
		t.Errorf("found %d metric names, want at least 30: is the parsing broken?", names)
	}
}

// TestPrometheusRulesUseDocumentedMetrics fails when deploy/prometheus's
// rules name a metric the README does not document (a renamed metric).
func TestPrometheusRulesUseDocumentedMetrics(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(filepath.Join("..", "..", "deploy", "prometheus", "rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`driftwatch_[a-z_]+`).FindAllString(string(rules), -1)
	if len(names) < 8 {
		t.Fatalf("found %d metric names in rules.yml", len(names))
	}
	for _, n := range names {
		if !strings.Contains(string(readme), "`"+n+"`") {
			t.Errorf("deploy/prometheus/rules.yml uses %s, which README.md does not document", n)
		}
	}
}
