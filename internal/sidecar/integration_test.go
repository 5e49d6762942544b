package sidecar_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/sidecar"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// waitFor bounds every poll of these tests.
const waitFor = 30 * time.Second

// TestModelServerDriftThroughPrometheus is the end-to-end test of the
// sidecar: a real scikit-learn model server under gunicorn behind the
// sidecar, real breast-cancer rows replayed through it (reference rows,
// then covariate-shifted rows), and a real Prometheus server scraping the
// admin listener. Drift must be absent, then present, in /api/v1/drift,
// in /metrics and through Prometheus's query API.
func TestModelServerDriftThroughPrometheus(t *testing.T) {
	model := testenv.ModelServer(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - match: {path_prefix: /v2/, model: breast-cancer}
    payload: {protocol: oip-v2}
    drift:
      window: {size: 100}
      reference: {first: 150}
  - match: {path_prefix: /v1/}
    payload: {protocol: tf-serving, model: breast-cancer-tfs}
feedback: {window: 40}
rules:
  - name: model_drift
    result: dataset_drift
    match: {model: breast-cancer}
    op: ">="
    warning: 1
    min_samples: 100
    annotations:
      summary: "{{.Labels.model}}: {{index .Evidence \"drifted_features\"}} features drifted"
`, model))
	prom := testenv.Prometheus(t, sc.admin)

	// reference.csv is in the order of scikit-learn's dataset, which is not
	// random: a fixed shuffle makes its two parts alike.
	ref := readRows(t, "reference.csv")
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(ref), func(i, j int) { ref[i], ref[j] = ref[j], ref[i] })
	shift := readRows(t, "current-shift.csv")

	// 150 reference records, then a window of 100 other reference rows: no
	// drift. Some requests carry batches, as clients send them.
	sent := replay(t, sc.proxy, ref[:150], 1)
	sent += replay(t, sc.proxy, ref[150:250], 5)
	st := waitState(t, sc, func(s api.DriftState) bool { return s.Windows >= 1 })
	if st.Status != "no_drift" || st.ReferenceRows != 150 || st.CurrentRows != 100 {
		t.Fatalf("after reference rows: %+v, want no_drift with 150 reference and 100 current rows", st)
	}
	if got := metric(t, sc, `driftwatch_drift_detected{model="breast-cancer",version="1"}`); got != 0 {
		t.Errorf("driftwatch_drift_detected = %v after reference rows, want 0", got)
	}
	if b := get(t, sc.admin, "/api/v1/alerts", http.StatusOK); strings.TrimSpace(string(b)) != `{"alerts":[]}` {
		t.Errorf("alerts after reference rows: %s, want none", b)
	}
	waitProm(t, prom, `driftwatch_drift_detected{model="breast-cancer",version="1"}`, 0)

	// Synthetic traffic is proxied but kept out of the statistics.
	synth := postOIP(t, sc.proxy, shift[:3], map[string]string{obs.HeaderSynthetic: "1"})
	if synth.StatusCode != http.StatusOK {
		t.Fatalf("synthetic request: status %d", synth.StatusCode)
	}

	// A window of covariate-shifted rows: drift, named by feature.
	sent += replay(t, sc.proxy, shift[:100], 1)
	st = waitState(t, sc, func(s api.DriftState) bool { return s.Windows >= 2 })
	if st.Status != "drift" || st.DriftedFeatures == 0 || len(st.TopFeatures) == 0 {
		t.Fatalf("after shifted rows: %+v, want drift", st)
	}
	if got := metric(t, sc, `driftwatch_drift_detected{model="breast-cancer",version="1"}`); got != 1 {
		t.Errorf("driftwatch_drift_detected = %v after shifted rows, want 1", got)
	}
	if got := metric(t, sc, `driftwatch_feature_drift{feature="`+st.TopFeatures[0]+`",model="breast-cancer",version="1"}`); got != 1 {
		t.Errorf("driftwatch_feature_drift of %s = %v, want 1", st.TopFeatures[0], got)
	}
	waitProm(t, prom, `driftwatch_drift_detected{model="breast-cancer",version="1"}`, 1)
	waitProm(t, prom, `driftwatch_drift_features_drifted{model="breast-cancer",version="1"} > 0`, float64(st.DriftedFeatures))

	// The rule fired, with the evidence a person needs.
	var alerts api.AlertList
	if err := json.Unmarshal(get(t, sc.admin, "/api/v1/alerts", http.StatusOK), &alerts); err != nil {
		t.Fatal(err)
	}
	if len(alerts.Alerts) != 1 {
		t.Fatalf("alerts after shifted rows: %+v, want one", alerts)
	}
	a := alerts.Alerts[0]
	wantSummary := fmt.Sprintf("breast-cancer: %d features drifted", st.DriftedFeatures)
	evidence := map[string]string{}
	for _, f := range a.Evidence {
		evidence[f.Key] = f.Value
	}
	if a.Rule != "model_drift" || a.State != "firing" || a.Severity != "warning" || a.Labels["version"] != "1" ||
		a.Annotations["summary"] != wantSummary || !strings.Contains(evidence["top_features"], st.TopFeatures[0]) {
		t.Errorf("alert %+v, want model_drift firing with summary %q and top feature %s", a, wantSummary, st.TopFeatures[0])
	}
	waitProm(t, prom, `driftwatch_alerts{rule="model_drift",state="firing",severity="warning"}`, 1)

	// The counters agree with what was sent.
	if got := metric(t, sc, `driftwatch_records_total{model="breast-cancer",synthetic="false",version="1"}`); got != float64(sent) {
		t.Errorf("records_total = %v, want %d", got, sent)
	}
	if got := metric(t, sc, `driftwatch_records_total{model="breast-cancer",synthetic="true",version="1"}`); got != 3 {
		t.Errorf("synthetic records_total = %v, want 3", got)
	}
	if obs := st.Observed; obs != uint64(sent) {
		t.Errorf("drift monitor observed %d records, want %d (synthetic ones left out)", obs, sent)
	}

	// The last report, in the shape of `detect --format json`.
	body := get(t, sc.admin, "/api/v1/drift?model=breast-cancer&version=1", http.StatusOK)
	var rep struct {
		Drift    bool `json:"drift"`
		Features []struct {
			Name  string `json:"name"`
			Drift bool   `json:"drift"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &rep); err != nil || !rep.Drift || len(rep.Features) != st.Features {
		t.Errorf("report: drift %v, %d features (want %d), err %v", rep.Drift, len(rep.Features), st.Features, err)
	}
	html := get(t, sc.admin, "/api/v1/drift?model=breast-cancer&version=1&format=html", http.StatusOK)
	if !bytes.Contains(html, []byte("<svg")) {
		t.Error("the HTML report has no plot")
	}

	// The TF-Serving route is decoded as its own model.
	resp := postJSON(t, "http://"+sc.proxy+"/v1/models/breast-cancer:predict", tfsBody(ref[:4]), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("TF Serving request: status %d", resp.StatusCode)
	}
	waitMetric(t, sc, `driftwatch_records_total{model="breast-cancer-tfs",synthetic="false",version=""}`, 4)

	// Delayed labels: the diagnoses of 40 more rows, posted by request id,
	// give the accuracy of the model's own answers.
	truth := readDiagnoses(t, "current-shift.csv")[100:140]
	var labels []map[string]any
	correct := 0
	for i, row := range shift[100:140] {
		resp := postOIP(t, sc.proxy, []map[string]float64{row}, nil)
		var out struct {
			Outputs []struct {
				Name string    `json:"name"`
				Data []float64 `json:"data"`
			} `json:"outputs"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		for _, o := range out.Outputs {
			if o.Name == "label" && o.Data[0] == truth[i] {
				correct++
			}
		}
		labels = append(labels, map[string]any{"request_id": resp.Header.Get(obs.HeaderRequestID), "label": truth[i]})
	}
	waitMetric(t, sc, `driftwatch_records_total{model="breast-cancer",synthetic="false",version="1"}`, float64(sent+40))
	labels = append(labels, map[string]any{"request_id": "never-sent", "label": 1})
	body, _ = json.Marshal(map[string]any{"labels": labels})
	var fb api.FeedbackResponse
	if err := json.NewDecoder(postJSON(t, "http://"+sc.admin+"/api/v1/feedback", body, nil).Body).Decode(&fb); err != nil {
		t.Fatal(err)
	}
	if fb.Accepted != 40 || len(fb.Rejected) != 1 || fb.Rejected[0].RequestID != "never-sent" {
		t.Fatalf("feedback answer %+v, want 40 accepted and never-sent rejected", fb)
	}
	var perf api.PerformanceList
	if err := json.Unmarshal(get(t, sc.admin, "/api/v1/performance", http.StatusOK), &perf); err != nil {
		t.Fatal(err)
	}
	wantAcc := float64(correct) / 40
	if len(perf.Models) != 1 || perf.Models[0].Labels != 40 || perf.Models[0].Metrics["accuracy"] != wantAcc {
		t.Fatalf("performance %+v, want accuracy %v over 40 labels", perf, wantAcc)
	}
	waitMetric(t, sc, `driftwatch_model_performance{metric="accuracy",model="breast-cancer",version="1"}`, wantAcc)
	waitProm(t, prom, `driftwatch_model_performance{metric="accuracy",model="breast-cancer",version="1"}`, wantAcc)
}

// readDiagnoses reads the diagnosis column of a breast-cancer CSV as the
// model's classes: 0 malignant, 1 benign.
func readDiagnoses(t *testing.T, name string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "breast-cancer", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := len(recs[0]) - 1
	if recs[0][col] != "diagnosis" {
		t.Fatalf("%s: last column %q, want diagnosis", name, recs[0][col])
	}
	var out []float64
	for _, r := range recs[1:] {
		switch r[col] {
		case "malignant":
			out = append(out, 0)
		case "benign":
			out = append(out, 1)
		default:
			t.Fatalf("%s: diagnosis %q", name, r[col])
		}
	}
	return out
}

type running struct {
	proxy, admin string // host:port
	sc           *sidecar.Sidecar
	stop         func() // stops Serve and closes; also run by t.Cleanup
}

// startSidecar runs a sidecar with the given configuration on loopback
// until the test ends.
func startSidecar(t *testing.T, yaml string) *running {
	t.Helper()
	return startSidecarWith(t, yaml, nil)
}

// startSidecarWith is startSidecar with a change to the compiled runtime.
func startSidecarWith(t *testing.T, yaml string, change func(*config.Runtime)) *running {
	t.Helper()
	file := filepath.Join(t.TempDir(), "driftwatch.yaml")
	cfg, errs := config.Parse(file, []byte(yaml))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rt, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(rt)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sc, err := sidecar.New(rt, sidecar.Options{Logger: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", rt.Listen)
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", rt.AdminListen)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Serve(ctx, pl, al) }()
	r := &running{proxy: pl.Addr().String(), admin: al.Addr().String(), sc: sc}
	r.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := sc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	t.Cleanup(r.stop)
	get(t, r.admin, "/readyz", http.StatusOK)
	return r
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// readRows reads a breast-cancer CSV of testdata/ as feature name → value
// rows, leaving out the diagnosis (the label).
// referenceCSV is the absolute path of the breast-cancer reference.
func referenceCSV(t *testing.T) string {
	t.Helper()
	ref, err := filepath.Abs(filepath.Join("..", "..", "testdata", "breast-cancer", "reference.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func readRows(t *testing.T, name string) []map[string]float64 {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "breast-cancer", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	for _, rec := range recs[1:] {
		row := map[string]float64{}
		for i, name := range recs[0] {
			if name == "diagnosis" {
				continue
			}
			v, err := strconv.ParseFloat(rec[i], 64)
			if err != nil {
				t.Fatalf("%s: column %s: %v", name, recs[0][i], err)
			}
			row[name] = v
		}
		rows = append(rows, row)
	}
	return rows
}

// oipBody is an OIP v2 request of the rows, one named FP64 tensor of shape
// [batch] per feature.
func oipBody(rows []map[string]float64) []byte {
	type tensor struct {
		Name     string    `json:"name"`
		Datatype string    `json:"datatype"`
		Shape    []int     `json:"shape"`
		Data     []float64 `json:"data"`
	}
	var names []string
	for name := range rows[0] {
		names = append(names, name)
	}
	var req struct {
		Inputs []tensor `json:"inputs"`
	}
	for _, name := range names {
		tn := tensor{Name: name, Datatype: "FP64", Shape: []int{len(rows)}}
		for _, r := range rows {
			tn.Data = append(tn.Data, r[name])
		}
		req.Inputs = append(req.Inputs, tn)
	}
	b, _ := json.Marshal(req)
	return b
}

// tfsBody is a TF Serving request of the rows, as objects by feature name.
func tfsBody(rows []map[string]float64) []byte {
	b, _ := json.Marshal(map[string]any{"instances": rows})
	return b
}

func postJSON(t *testing.T, url string, body []byte, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp
}

func postOIP(t *testing.T, proxy string, rows []map[string]float64, header map[string]string) *http.Response {
	t.Helper()
	return postJSON(t, "http://"+proxy+"/v2/models/breast-cancer/infer", oipBody(rows), header)
}

// replay sends rows through the proxy in requests of batch rows and returns
// how many instances were sent.
func replay(t *testing.T, proxy string, rows []map[string]float64, batch int) int {
	t.Helper()
	for i := 0; i < len(rows); i += batch {
		resp := postOIP(t, proxy, rows[i:min(i+batch, len(rows))], nil)
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, b)
		}
		if resp.Header.Get(obs.HeaderRequestID) == "" {
			t.Fatalf("request %d: no %s in the response", i, obs.HeaderRequestID)
		}
	}
	return len(rows)
}

func get(t *testing.T, addr, path string, want int) []byte {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, want, b)
	}
	return b
}

// waitState polls /api/v1/drift until the one model version watched
// satisfies ok.
func waitState(t *testing.T, r *running, ok func(api.DriftState) bool) api.DriftState {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var last api.DriftList
	for time.Now().Before(deadline) {
		if err := json.Unmarshal(get(t, r.admin, "/api/v1/drift", http.StatusOK), &last); err != nil {
			t.Fatal(err)
		}
		for _, s := range last.Models {
			if s.Model == "breast-cancer" && ok(s) {
				return s
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("drift state not reached within %v; last: %+v", waitFor, last)
	return api.DriftState{}
}

// metric returns the value of the series of /metrics whose name and labels,
// as exposed, are series; -1 when absent.
func metric(t *testing.T, r *running, series string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(string(get(t, r.admin, "/metrics", http.StatusOK)), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return -1
}

func waitMetric(t *testing.T, r *running, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	got := metric(t, r, series)
	for got != want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got = metric(t, r, series)
	}
	if got != want {
		t.Fatalf("%s = %v after %v, want %v", series, got, waitFor, want)
	}
}

// waitProm polls Prometheus until query answers exactly one sample equal to
// want.
func waitProm(t *testing.T, base, query string, want float64) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var (
		got []testenv.PromSample
		err error
	)
	for time.Now().Before(deadline) {
		got, err = testenv.PromQuery(base, query)
		if err == nil && len(got) == 1 && got[0].Value == want {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("Prometheus query %s: got %+v (err %v) within %v, want one sample of %v", query, got, err, waitFor, want)
}
