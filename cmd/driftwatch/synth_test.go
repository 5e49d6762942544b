package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/internal/testenv"
)

// synthConfig checks the model server at base: readiness, one prediction
// with assertions on its answer, and the golden set over both protocols.
func synthConfig(t *testing.T, base string) string {
	t.Helper()
	golden, err := filepath.Abs(filepath.Join("..", "..", "testdata", "modelserver", "golden.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "synth.yaml")
	cfg := fmt.Sprintf(`synthetics:
  - name: ready
    request: {url: "%[1]s/v2/health/ready"}
    expect: {status: [200]}
  - name: predict
    request:
      url: "%[1]s/v2/models/breast-cancer/infer"
      body: '{"inputs": [{"name": "x", "shape": [1, 30], "datatype": "FP64", "data": [[17.99, 10.38, 122.8, 1001, 0.1184, 0.2776, 0.3001, 0.1471, 0.2419, 0.07871, 1.095, 0.9053, 8.589, 153.4, 0.006399, 0.04904, 0.05373, 0.01587, 0.03003, 0.006193, 25.38, 17.33, 184.6, 2019, 0.1622, 0.6656, 0.7119, 0.2654, 0.4601, 0.1189]]}]}'
    expect:
      status: [200]
      max_latency: 10s
      headers: [{name: Content-Type, matches: "^application/json"}]
      json:
        - {path: "$.model_name", equals: breast-cancer}
        - {path: "$.outputs[?@.name == 'label'].data[0]", equals: 0}
  - name: golden-oip
    request: {url: "%[1]s/v2/models/breast-cancer/infer"}
    golden: {file: %[2]s, protocol: oip-v2, tolerance: 0.000001}
  - name: golden-tf-serving
    request: {url: "%[1]s/v1/models/breast-cancer:predict"}
    golden: {file: %[2]s, protocol: tf-serving, tolerance: 0.000001}
`, base, golden)
	if err := os.WriteFile(f, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSynthRunModelServer is issue 6's acceptance: synth run --once passes
// against the real model server (gunicorn + scikit-learn), and fails with
// a clear reason against the same server with its classes swapped.
func TestSynthRunModelServer(t *testing.T) {
	good := testenv.ModelServer(t)
	junit := filepath.Join(t.TempDir(), "junit.xml")
	var o, e strings.Builder
	code := run([]string{"synth", "run", "--config", synthConfig(t, good), "--once", "--junit", junit}, &o, &e)
	if code != exitOK || !strings.Contains(o.String(), "all 4 checks passed") {
		t.Fatalf("exit %d, want 0:\n%s%s", code, o.String(), e.String())
	}
	var doc struct {
		Suites []struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
		} `xml:"testsuite"`
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &doc); err != nil || len(doc.Suites) != 1 || doc.Suites[0].Tests != 4 || doc.Suites[0].Failures != 0 {
		t.Fatalf("JUnit %+v (%v):\n%s", doc, err, b)
	}

	// The README's example, pointed at this server.
	dir := t.TempDir()
	for _, f := range []string{"synthetics.yaml", "golden.jsonl", "predict-request.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "modelserver", f))
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), "http://127.0.0.1:8080", good))
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o.Reset()
	if code := run([]string{"synth", "run", "--config", filepath.Join(dir, "synthetics.yaml"), "--once"}, &o, &e); code != exitOK {
		t.Fatalf("the README's example: exit %d:\n%s%s", code, o.String(), e.String())
	}

	broken := testenv.ModelServer(t, "MODEL_SWAP_CLASSES=1")
	o.Reset()
	e.Reset()
	code = run([]string{"synth", "run", "--config", synthConfig(t, broken), "--once"}, &o, &e)
	out := o.String()
	t.Logf("against the broken model:\n%s", out)
	if code != exitCheckFailed || !strings.Contains(out, "3 of 4 checks failed") {
		t.Fatalf("exit %d, want 1 with 3 failures:\n%s%s", code, out, e.String())
	}
	for _, want := range []string{
		"predict            FAIL", `$.outputs[?@.name == 'label'].data[0] is 1, want 0`,
		"golden-oip         FAIL", "golden: 0 of 40 rows agree (0.0%), want at least 100.0%; row 1: class 1, want 0;",
		"golden-tf-serving  FAIL",
		"ready              PASS",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestSynthRunUsage(t *testing.T) {
	dir := t.TempDir()
	noSynth := filepath.Join(dir, "sidecar.yaml")
	if err := os.WriteFile(noSynth, []byte("upstream: http://127.0.0.1:8081\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badGolden := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badGolden, []byte("synthetics:\n  - name: g\n    request: {url: \"http://127.0.0.1:1/\"}\n    golden: {file: missing.jsonl, protocol: oip-v2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"synth"}, "Usage:"},
		{[]string{"synth", "probe"}, `driftwatch synth: unknown subcommand "probe": want run (see --help)`},
		{[]string{"synth", "run"}, "driftwatch synth run: --config FILE is required (see --help)"},
		{[]string{"synth", "run", "--config", noSynth, "--junit", "x.xml"}, "driftwatch synth run: --junit needs --once"},
		{[]string{"synth", "run", "--config", noSynth, "--once"}, "has no synthetics section: nothing to run"},
		{[]string{"synth", "run", "--config", badGolden, "--once"}, `driftwatch synth run: check "g": golden.file: open ` + filepath.Join(dir, "missing.jsonl") + ": no such file or directory"},
		{[]string{"synth", "run", "--config", badGolden, "--once", "--check", "nope"}, `no check "nope" in`},
	} {
		var o, e strings.Builder
		if code := run(tt.args, &o, &e); code != exitUsage || !strings.Contains(e.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tt.args, code, e.String(), tt.want)
		}
	}
	var o, e strings.Builder
	if code := run([]string{"synth", "--help"}, &o, &e); code != exitOK || !strings.Contains(o.String(), "post-deploy gate") {
		t.Errorf("--help: exit %d: %s", code, o.String())
	}
}
