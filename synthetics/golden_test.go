package synthetics

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeModel answers OIP v2 and TF Serving requests of rows of 2 numbers
// with probabilities [1-s, s], s = sigmoid-free x0/(x0+x1), and the class
// as label; it checks the request's shape.
func fakeModel(t *testing.T) *httptest.Server {
	probs := func(rows [][]float64) ([][]float64, []int) {
		var ps [][]float64
		var cs []int
		for _, r := range rows {
			s := r[0] / (r[0] + r[1])
			ps = append(ps, []float64{1 - s, s})
			c := 0
			if s > 0.5 {
				c = 1
			}
			cs = append(cs, c)
		}
		return ps, cs
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.HasSuffix(r.URL.Path, "/infer"):
			var req struct {
				Inputs []struct {
					Name     string      `json:"name"`
					Shape    []int       `json:"shape"`
					Datatype string      `json:"datatype"`
					Data     [][]float64 `json:"data"`
				} `json:"inputs"`
			}
			if err := json.Unmarshal(body, &req); err != nil || len(req.Inputs) != 1 || req.Inputs[0].Datatype != "FP64" ||
				len(req.Inputs[0].Shape) != 2 || req.Inputs[0].Shape[0] != len(req.Inputs[0].Data) {
				http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
				return
			}
			ps, cs := probs(req.Inputs[0].Data)
			json.NewEncoder(w).Encode(map[string]any{"outputs": []map[string]any{
				{"name": "probabilities", "shape": []int{len(ps), 2}, "datatype": "FP64", "data": ps},
				{"name": "label", "shape": []int{len(cs)}, "datatype": "INT64", "data": cs},
			}})
		case strings.HasSuffix(r.URL.Path, ":predict"):
			var req struct {
				Instances [][]float64 `json:"instances"`
			}
			if err := json.Unmarshal(body, &req); err != nil {
				http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
				return
			}
			ps, _ := probs(req.Instances)
			json.NewEncoder(w).Encode(map[string]any{"predictions": ps})
		default:
			http.NotFound(w, r)
		}
	}))
}

func writeGolden(t *testing.T, lines ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "golden.jsonl")
	if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestGolden(t *testing.T) {
	srv := fakeModel(t)
	defer srv.Close()
	// The fake answers [0.25, 0.75] for [3, 1], [0.8, 0.2] for [1, 4].
	good := writeGolden(t,
		`{"inputs": [3, 1], "class": 1, "probabilities": [0.25, 0.75]}`,
		`{"inputs": [1, 4], "class": 0}`,
		``,
		`{"inputs": [1, 1], "probabilities": [0.5, 0.5]}`)
	near := writeGolden(t, `{"inputs": [3, 1], "probabilities": [0.27, 0.73]}`)
	wrong := writeGolden(t,
		`{"inputs": [3, 1], "class": 0}`,
		`{"inputs": [1, 4], "class": 0}`,
		`{"inputs": [2, 2], "class": 1, "probabilities": [0.1, 0.9]}`,
		`{"inputs": [9, 1], "class": 1}`)
	tests := []struct {
		name      string
		file      string
		proto     string
		golden    Golden
		agreement float64
		reason    string
	}{
		{"oip exact", good, ProtocolOIPv2, Golden{}, 1, ""},
		{"tf-serving exact", good, ProtocolTFServing, Golden{}, 1, ""},
		{"within tolerance", near, ProtocolOIPv2, Golden{Tolerance: 0.05}, 1, ""},
		{"outside tolerance", near, ProtocolOIPv2, Golden{Tolerance: 0.01}, 0,
			"golden: 0 of 1 rows agree (0.0%), want at least 100.0%; row 1: p[0] 0.25, want 0.27 ± 0.01"},
		{"disagreeing rows", wrong, ProtocolOIPv2, Golden{}, 0.5,
			"golden: 2 of 4 rows agree (50.0%), want at least 100.0%; row 1: class 1, want 0; row 3: class 0, want 1"},
		{"min agreement met", wrong, ProtocolOIPv2, Golden{MinAgreement: 0.5}, 0.5, ""},
		{"top 2 always agrees on 2 classes", wrong, ProtocolTFServing, Golden{TopK: 2, Tolerance: 0.5}, 1, ""},
		{"wrong output name", good, ProtocolOIPv2, Golden{Output: "logits"}, 0, `golden: no output "logits" of shape [3, classes] in the answer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := srv.URL + "/v2/models/m/infer"
			if tt.proto == ProtocolTFServing {
				url = srv.URL + "/v1/models/m:predict"
			}
			g := tt.golden
			g.File, g.Protocol = tt.file, tt.proto
			r := newProber(t, Check{Request: Request{URL: url}, Golden: &g}).Run(context.Background())
			if !r.Golden || r.Agreement != tt.agreement {
				t.Errorf("agreement %v, want %v", r.Agreement, tt.agreement)
			}
			if tt.reason == "" {
				if !r.Success {
					t.Errorf("failed: %s", r.Reason)
				}
				return
			}
			if r.Success || !strings.HasPrefix(r.Reason, tt.reason) {
				t.Errorf("reason %q, want %q…", r.Reason, tt.reason)
			}
		})
	}
}

func TestGoldenFileErrors(t *testing.T) {
	for _, tt := range []struct{ name, content, want string }{
		{"empty", "\n", "no rows: want one JSON object per line"},
		{"no expectation", `{"inputs": [1]}`, ":1: give class or probabilities (or both)"},
		{"unknown field", `{"inputs": [1], "label": 1}`, `:1: want {"inputs": …, "class": …, "probabilities": …}: json: unknown field "label"`},
		{"ragged", "{\"inputs\": [1, 2], \"class\": 0}\n{\"inputs\": [1], \"class\": 0}", ":2: 1 inputs, but the first row has 2"},
		{"mixed", "{\"inputs\": [1], \"class\": 0}\n{\"inputs\": {\"a\": 1}, \"class\": 0}", ":2: inputs names its features, but earlier rows are lists"},
		{"not numbers", `{"inputs": ["a"], "class": 0}`, ":1: inputs: want a non-empty list of numbers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadGolden(writeGolden(t, tt.content), &Golden{Protocol: ProtocolOIPv2})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want …%s…", err, tt.want)
			}
		})
	}
}

// TestNamedInputs: inputs by feature name become one tensor per feature
// (OIP v2) or instances of objects (TF Serving), in the file's order.
func TestNamedInputs(t *testing.T) {
	g, err := loadGolden(writeGolden(t,
		`{"inputs": {"b": 1, "a": 2}, "class": 0}`,
		`{"inputs": {"a": 4, "b": 3}, "class": 1}`), &Golden{Protocol: ProtocolOIPv2})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := g.request()
	if want := `{"inputs":[{"name":"b","shape":[2],"datatype":"FP64","data":[1,3]},{"name":"a","shape":[2],"datatype":"FP64","data":[2,4]}]}`; string(b) != want {
		t.Errorf("OIP v2 request\n%s\nwant\n%s", b, want)
	}
	g.cfg.Protocol = ProtocolTFServing
	b, _ = g.request()
	if want := `{"instances":[{"a":2,"b":1},{"a":4,"b":3}]}`; string(b) != want {
		t.Errorf("TF Serving request %s, want %s", b, want)
	}
}

// TestRunnerMinFailure: a failure counts only once the check has failed
// for min_failure_duration; a pass resets it.
func TestRunnerMinFailure(t *testing.T) {
	var fail sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := fail.Load("on"); ok {
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	p := newProber(t, Check{Request: Request{URL: srv.URL}, Expect: &Expect{}, MinFailureDuration: time.Minute})
	clock := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	p.now = func() time.Time { return clock }
	var got []Result
	r := NewRunner([]*Prober{p}, slog.New(slog.NewTextHandler(io.Discard, nil)), func(res Result) { got = append(got, res) })
	step := func(d time.Duration) Result {
		clock = clock.Add(d)
		return r.RunOnce(context.Background())[0]
	}
	if res := step(0); !res.Success || !res.Counted || res.ObsResult().Value != 1 {
		t.Fatalf("passing run: %+v", res)
	}
	fail.Store("on", true)
	for _, d := range []time.Duration{0, 30 * time.Second} {
		res := step(d)
		if res.Success || res.Counted || res.ObsResult().Value != 1 {
			t.Errorf("failing for %v: counted %v, value %v; want not counted yet", res.Start.Sub(res.FailingSince), res.Counted, res.ObsResult().Value)
		}
	}
	res := step(30 * time.Second)
	o := res.ObsResult()
	if !res.Counted || o.Value != 0 || o.Labels["check"] != "check" || o.Evidence[0].Value != "status 500, want 2xx: down" {
		t.Errorf("failing for a minute: %+v, result %+v", res, o)
	}
	fail.Delete("on")
	if res := step(time.Second); !res.Success || !res.FailingSince.IsZero() {
		t.Errorf("back: %+v", res)
	}
	if len(got) != 5 {
		t.Errorf("%d results handed on, want 5", len(got))
	}
}

func TestJUnit(t *testing.T) {
	results := []Result{
		{Check: "ok", Success: true, Status: 200, Attempts: 1, Phases: Phases{Total: 120 * time.Millisecond}},
		{Check: "golden", Golden: true, Agreement: 0.5, Status: 200, Attempts: 2, Reason: "golden: 1 of 2 rows agree",
			Failures: []string{"golden: 1 of 2 rows agree", "row 2: class 0, want 1"}, Phases: Phases{Total: time.Second}},
	}
	var b strings.Builder
	if err := WriteJUnit(&b, results, time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Cases    []struct {
				Name    string  `xml:"name,attr"`
				Time    float64 `xml:"time,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, b.String())
	}
	s := doc.Suites[0]
	if s.Name != "driftwatch synthetics" || s.Tests != 2 || s.Failures != 1 || len(s.Cases) != 2 {
		t.Fatalf("suite %+v", s)
	}
	if c := s.Cases[0]; c.Name != "ok" || c.Failure != nil || c.Time != 0.12 {
		t.Errorf("passing case %+v", c)
	}
	if c := s.Cases[1]; c.Failure == nil || c.Failure.Message != "golden: 1 of 2 rows agree" ||
		!strings.Contains(c.Failure.Text, "row 2: class 0, want 1") || !strings.Contains(c.Out, "golden agreement 0.5") {
		t.Errorf("failing case %+v", c)
	}
	var table strings.Builder
	if err := WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "golden  FAIL    200     2         1s       golden: 1 of 2 rows agree") {
		t.Errorf("table:\n%s", table.String())
	}
}
