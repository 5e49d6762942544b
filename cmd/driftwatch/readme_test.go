package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/internal/config"
)

// readmeBlocks returns the README's fenced code blocks of lang, with the
// line each starts on.
func readmeBlocks(t *testing.T, lang string) (blocks []string, lines []int) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var cur *strings.Builder
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && line == "```"+lang:
			cur = &strings.Builder{}
			lines = append(lines, n+1)
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks, lines
}

// TestReadmeConfigs: every YAML example of the README passes driftwatch's
// configuration checks (a fragment gets an upstream to stand on).
func TestReadmeConfigs(t *testing.T) {
	blocks, lines := readmeBlocks(t, "yaml")
	if len(blocks) < 5 {
		t.Fatalf("found %d YAML blocks in README.md", len(blocks))
	}
	for i, b := range blocks {
		if !strings.HasPrefix(b, "upstream:") && !strings.HasPrefix(b, "synthetics:") {
			b = "upstream: http://127.0.0.1:8081\n" + b
		}
		if _, errs := config.Parse(fmt.Sprintf("README.md block at line %d", lines[i]), []byte(b)); len(errs) > 0 {
			for _, e := range errs {
				t.Errorf("%v", e)
			}
		}
	}
}

// TestReadmeCommands runs the README's `go run ./cmd/driftwatch` commands
// that finish by themselves on the repository's files (detect,
// check-config); the demo, synth run and the sidecar have their own tests
// (TestDemo, TestSynthRunModelServer, the sidecar's).
func TestReadmeCommands(t *testing.T) {
	blocks, _ := readmeBlocks(t, "sh")
	t.Chdir(filepath.Join("..", ".."))
	ran := 0
	for _, b := range blocks {
		for _, line := range strings.Split(b, "\n") {
			args, ok := strings.CutPrefix(strings.TrimSpace(line), "go run ./cmd/driftwatch ")
			if !ok {
				continue
			}
			if i := strings.Index(args, " #"); i >= 0 {
				args = args[:i]
			}
			fields := strings.Fields(args)
			if fields[0] != "detect" && fields[0] != "check-config" {
				continue
			}
			for i, f := range fields { // write outputs to a temporary folder
				if i > 0 && fields[i-1] == "--output" {
					fields[i] = filepath.Join(t.TempDir(), filepath.Base(f))
				}
			}
			var o, e strings.Builder
			if code := run(fields, &o, &e); code != exitOK {
				t.Errorf("README: go run ./cmd/driftwatch %s: exit %d\n%s%s", args, code, o.String(), e.String())
			}
			ran++
		}
	}
	if ran == 0 {
		t.Error("no README command ran: is the parsing broken?")
	}
	t.Logf("ran %d README commands", ran)
}
