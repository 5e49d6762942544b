package sidecar_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify/webhook"
	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/sidecar"
)

// oipUpstream answers every request with a one-instance OIP v2 response,
// or with the status and body of the X-Test-Answer header "status body".
func oipUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if a := r.Header.Get("X-Test-Answer"); a != "" {
			var code int
			var body string
			fmt.Sscanf(a, "%d %s", &code, &body)
			w.WriteHeader(code)
			fmt.Fprint(w, body)
			return
		}
		fmt.Fprint(w, `{"outputs":[{"name":"y","datatype":"FP64","shape":[1],"data":[0.5]}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const oneInstance = `{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}]}`

// TestCounters checks what the pipeline counts for each kind of exchange;
// none of them changes what the client gets.
func TestCounters(t *testing.T) {
	up := oipUpstream(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
proxy: {capture_limit: 1KiB}
models:
  - match: {path_prefix: /v2/}
    payload: {protocol: oip-v2}
`, up.URL))
	send := func(path, body string, header map[string]string, wantCode int) {
		t.Helper()
		resp := postJSON(t, "http://"+sc.proxy+path, []byte(body), header)
		if resp.StatusCode != wantCode {
			t.Fatalf("POST %s: status %d, want %d", path, resp.StatusCode, wantCode)
		}
	}
	send("/v2/models/m/infer", oneInstance, nil, 200)
	send("/v2/models/m/infer", oneInstance, map[string]string{obs.HeaderSynthetic: "1"}, 200)
	send("/v2/models/m/infer", `{"inputs":[`, nil, 200)                                                   // bad request body
	send("/v2/models/m/infer", oneInstance, map[string]string{"X-Test-Answer": "200 {\"outputs\":"}, 200) // bad response body
	send("/v2/models/m/infer", oneInstance, map[string]string{"X-Test-Answer": `400 {"error":"no"}`}, 400)
	send("/other", oneInstance, nil, 200) // no model entry matches
	big := `{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[1]}],"pad":"` + strings.Repeat("x", 2048) + `"}`
	send("/v2/models/m/infer", big, nil, 200)
	if resp, err := http.Get("http://" + sc.proxy + "/v2/health/ready"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	// The queue is first in, first out: once the last exchange is counted,
	// all are.
	waitMetric(t, sc, `driftwatch_requests_total{code="200",model="default",version=""}`, 1)
	for series, want := range map[string]float64{
		`driftwatch_requests_total{code="400",model="m",version=""}`:                                            1,
		`driftwatch_records_total{model="m",synthetic="false",version=""}`:                                      2, // the good one, and the features of the bad response
		`driftwatch_records_total{model="m",synthetic="true",version=""}`:                                       1,
		`driftwatch_decode_errors_total{body="request",protocol="oip-v2",reason="` + payload.ReasonJSON + `"}`:  1,
		`driftwatch_decode_errors_total{body="response",protocol="oip-v2",reason="` + payload.ReasonJSON + `"}`: 1,
		`driftwatch_exchanges_skipped_total{reason="status"}`:                                                   1,
		`driftwatch_exchanges_unmatched_total`:                                                                  1,
		`driftwatch_pipeline_panics_total{stage="decode"}`:                                                      0,
		`driftwatch_tap_queue_capacity`:                                                                         10000,
	} {
		if got := metric(t, sc, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
}

// TestUpstreamDown: requests get 502 and are counted as upstream errors,
// not decoded.
func TestUpstreamDown(t *testing.T) {
	up := oipUpstream(t)
	url := up.URL
	up.Close()
	sc := startSidecar(t, fmt.Sprintf("upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n", url))
	resp := postJSON(t, "http://"+sc.proxy+"/v2/models/m/infer", []byte(oneInstance), nil)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	waitMetric(t, sc, `driftwatch_exchanges_skipped_total{reason="upstream_error"}`, 1)
	waitMetric(t, sc, `driftwatch_requests_total{code="502",model="m",version=""}`, 1)
}

// TestAdmin checks the admin endpoints other than the API.
func TestAdmin(t *testing.T) {
	up := oipUpstream(t)
	sc := startSidecar(t, fmt.Sprintf("upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n", up.URL))
	if b := get(t, sc.admin, "/healthz", 200); strings.TrimSpace(string(b)) != "ok" {
		t.Errorf("/healthz: %q", b)
	}
	if b := get(t, sc.admin, "/", 200); !strings.Contains(string(b), "/api/v1/drift") {
		t.Errorf("/ does not list the endpoints: %q", b)
	}
	get(t, sc.admin, "/nope", 404)
	if b := get(t, sc.admin, "/api/v1/performance", 404); !strings.Contains(string(b), "feedback: {}") {
		t.Errorf("/api/v1/performance with feedback off does not say how to turn it on: %s", b)
	}
	if b := get(t, sc.admin, "/api/v1/drift", 200); strings.TrimSpace(string(b)) != `{"models":[]}` {
		t.Errorf("/api/v1/drift before traffic: %s", b)
	}
	for _, name := range []string{"driftwatch_tap_queue_capacity", "driftwatch_pipeline_panics_total", "go_goroutines", "process_resident_memory_bytes"} {
		if !strings.Contains(string(get(t, sc.admin, "/metrics", 200)), "# HELP "+name+" ") {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// TestDecoderPanic: a decoder that panics costs the exchange, not the
// traffic or the pipeline.
func TestDecoderPanic(t *testing.T) {
	up := oipUpstream(t)
	sc := startSidecarWith(t, fmt.Sprintf("upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\n", up.URL),
		func(rt *config.Runtime) {
			good := rt.Models[0].Decoder
			rt.Models[0].Decoder = payload.DecoderFunc(func(in *payload.Input, dst []obs.Record) ([]obs.Record, error) {
				if strings.Contains(in.Path, "boom") {
					panic("decoder bug")
				}
				return good.Decode(in, dst)
			})
		})
	for _, path := range []string{"/v2/models/boom/infer", "/v2/models/boom/infer", "/v2/models/m/infer"} {
		if resp := postJSON(t, "http://"+sc.proxy+path, []byte(oneInstance), nil); resp.StatusCode != 200 {
			t.Fatalf("POST %s: status %d", path, resp.StatusCode)
		}
	}
	waitMetric(t, sc, `driftwatch_records_total{model="m",synthetic="false",version=""}`, 1)
	if got := metric(t, sc, `driftwatch_pipeline_panics_total{stage="decode"}`); got != 2 {
		t.Errorf("decode panics = %v, want 2", got)
	}
}

// TestReferenceFile compares windows with a reference file, leaving out its
// label column, which the traffic does not carry.
func TestReferenceFile(t *testing.T) {
	up := oipUpstream(t)
	ref := referenceCSV(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 100}
      reference: {file: %s, ignore: [diagnosis]}
`, up.URL, ref))
	rows := readRows(t, "reference.csv")
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	replay(t, sc.proxy, rows[:100], 10)
	st := waitState(t, sc, func(s api.DriftState) bool { return s.Windows >= 1 })
	if st.Status != "no_drift" || st.ReferenceRows != len(rows) || st.Features != 30 {
		t.Fatalf("reference rows through: %+v, want no_drift against %d rows and 30 features", st, len(rows))
	}
	replay(t, sc.proxy, readRows(t, "current-shift.csv")[:100], 10)
	if st = waitState(t, sc, func(s api.DriftState) bool { return s.Windows >= 2 }); st.Status != "drift" {
		t.Fatalf("shifted rows through: %+v, want drift", st)
	}
}

func TestReferenceFileErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "ref.csv")
	if err := os.WriteFile(file, []byte("a,b\n1,x\n2,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ reference, want string }{
		{"{file: ref.csv, ignore: [c]}", `models[0].drift: reference ` + file + `: no column "c" to ignore`},
		{"{file: ref.csv, ignore: [a, b]}", `every column is ignored`},
		{"{file: none.csv}", `none.csv`},
	} {
		yaml := "upstream: http://127.0.0.1:1\nmodels:\n  - drift: {reference: " + c.reference + "}\n"
		cfg, errs := config.Parse(filepath.Join(dir, "driftwatch.yaml"), []byte(yaml))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		rt, err := cfg.Compile()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sidecar.New(rt, sidecar.Options{}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("reference %s: error %v, want one containing %q", c.reference, err, c.want)
		}
	}
}

// TestSilencesSurviveRestart adds a silence through the API, restarts the
// sidecar on the same state file, finds it again and expires it.
func TestSilencesSurviveRestart(t *testing.T) {
	up := oipUpstream(t)
	state := filepath.Join(t.TempDir(), "state.db")
	yaml := fmt.Sprintf("upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nstate_file: %s\n", up.URL, state)

	first := startSidecarWith(t, yaml, nil)
	resp := postJSON(t, "http://"+first.admin+"/api/v1/silences",
		[]byte(`{"matchers":["alertname=model_drift","model=iris"],"duration":"2h","created_by":"ana","comment":"retraining"}`), nil)
	var added api.Silence
	if err := json.NewDecoder(resp.Body).Decode(&added); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add silence: %d %v", resp.StatusCode, err)
	}
	if added.State != "active" || added.EndsAt.Sub(added.StartsAt) != 2*time.Hour {
		t.Errorf("added %+v", added)
	}
	resp = postJSON(t, "http://"+first.admin+"/api/v1/silences", []byte(`{"matchers":["model=~\".*\""],"duration":"2h","created_by":"ana"}`), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a silence of everything: status %d, want 400", resp.StatusCode)
	}
	first.stop()

	second := startSidecarWith(t, yaml, nil)
	var list api.SilenceList
	if err := json.Unmarshal(get(t, second.admin, "/api/v1/silences", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Silences) != 1 || list.Silences[0].ID != added.ID || list.Silences[0].Comment != "retraining" {
		t.Fatalf("after restart: %+v, want the silence added before", list)
	}
	req, _ := http.NewRequest(http.MethodDelete, "http://"+second.admin+"/api/v1/silences/"+added.ID, nil)
	dresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	dresp.Body.Close()
	if dresp.StatusCode != http.StatusOK {
		t.Errorf("expire: status %d", dresp.StatusCode)
	}
	if err := json.Unmarshal(get(t, second.admin, "/api/v1/silences", http.StatusOK), &list); err != nil || list.Silences[0].State != "expired" {
		t.Errorf("after expiring: %+v (%v)", list, err)
	}
}

// TestNotifications: drift in the traffic fires a rule whose route sends it
// to a webhook receiver, in Alertmanager's format with the evidence; the
// first attempt is answered 503 and the notification is retried.
func TestNotifications(t *testing.T) {
	up := oipUpstream(t)
	var (
		mu       sync.Mutex
		payloads []webhook.Payload
		attempts int
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		var p webhook.Payload
		if err := dec.Decode(&p); err != nil {
			t.Errorf("webhook payload: %v", err)
		}
		payloads = append(payloads, p)
	}))
	defer hook.Close()
	ref := referenceCSV(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 100}
      reference: {file: %s, ignore: [diagnosis]}
rules:
  - name: model_drift
    result: dataset_drift
    op: ">="
    warning: 1
    annotations: {summary: "{{.Labels.model}} drifted"}
receivers:
  - name: ml-team
    webhook: {url: %s/hook}
route:
  receiver: ml-team
  group_by: [alertname, model]
  group_wait: 1s
`, up.URL, ref, hook.URL))
	replay(t, sc.proxy, readRows(t, "current-shift.csv")[:100], 10)

	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(payloads)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(payloads) != 1 || attempts != 2 {
		t.Fatalf("%d payloads after %d attempts, want 1 after 2 (the first answered 503)", len(payloads), attempts)
	}
	p := payloads[0]
	if p.Version != "4" || p.Status != "firing" || p.Receiver != "ml-team" || p.GroupLabels["model"] != "breast-cancer" || len(p.Alerts) != 1 {
		t.Fatalf("payload %+v", p)
	}
	a := p.Alerts[0]
	if a.Labels["alertname"] != "model_drift" || a.Annotations["summary"] != "breast-cancer drifted" ||
		a.Annotations["evidence_top_features"] == "" || a.Annotations["evidence_drifted_features"] == "" {
		t.Errorf("alert %+v lacks its labels, summary or evidence", a)
	}
	waitMetric(t, sc, `driftwatch_outbox_notifications{receiver="ml-team",state="delivered"}`, 1)

	// The alert says where its notification went.
	var list api.AlertList
	if err := json.Unmarshal(get(t, sc.admin, "/api/v1/alerts", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Alerts) != 1 || len(list.Alerts[0].Notifications) != 1 {
		t.Fatalf("alerts: %+v, want one with one notification", list.Alerts)
	}
	d := list.Alerts[0].Notifications[0]
	if d.Receiver != "ml-team" || d.State != "delivered" || d.Attempts != 2 || d.Status != "firing" ||
		!strings.Contains(d.LastError, "503") || d.DoneAt == nil || d.DedupKey == "" {
		t.Errorf("delivery %+v, want ml-team delivered after 2 attempts, the first a 503", d)
	}
}

// TestSynthetics: the sidecar runs its synthetic checks on their
// schedule, exports their metrics, and a failing one fires an alert that
// says why.
func TestSynthetics(t *testing.T) {
	up := oipUpstream(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
rules:
  - name: synthetic_failed
    result: probe_success
    op: "<"
    critical: 1
synthetics:
  - name: predict-ok
    interval: 200ms
    jitter: 0s
    request: {url: "%[1]s/v2/models/m/infer", body: '%[2]s'}
    expect: {json: [{path: "$.outputs[0].data[0]", equals: 0.5}]}
  - name: predict-wrong
    interval: 200ms
    jitter: 0s
    request: {url: "%[1]s/v2/models/m/infer", body: '%[2]s'}
    expect: {json: [{path: "$.outputs[0].data[0]", min: 0.9}]}
`, up.URL, oneInstance))
	waitMetric(t, sc, `driftwatch_probe_success{check="predict-ok"}`, 1)
	waitMetric(t, sc, `driftwatch_probe_success{check="predict-wrong"}`, 0)
	deadline := time.Now().Add(waitFor)
	for {
		var list api.AlertList
		if err := json.Unmarshal(get(t, sc.admin, "/api/v1/alerts", http.StatusOK), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Alerts) == 1 && list.Alerts[0].State == "firing" {
			a := list.Alerts[0]
			if a.Labels["check"] != "predict-wrong" || a.Severity != "critical" || len(a.Evidence) == 0 ||
				a.Evidence[0].Value != "$.outputs[0].data[0] is 0.5, want at least 0.9" {
				t.Errorf("alert %+v", a)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alerts %+v, want predict-wrong firing", list.Alerts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(string(get(t, sc.admin, "/metrics", http.StatusOK)), `driftwatch_probe_duration_seconds{check="predict-ok",phase="first_byte"}`) {
		t.Error("no phase timings in /metrics")
	}
}

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNoGPU is issue 6's acceptance on this GPU-less machine: the GPU
// collector, on by default, says "no GPU" once, keeps polling, reports
// driftwatch_gpu_up 0, and the sidecar works.
func TestNoGPU(t *testing.T) {
	up := oipUpstream(t)
	cfg, errs := config.Parse("", []byte(fmt.Sprintf("upstream: %s\nlisten: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\ngpu: {interval: 20ms}\n", up.URL)))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rt, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	sc, err := sidecar.New(rt, sidecar.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	pl, _ := net.Listen("tcp", "127.0.0.1:0")
	al, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Serve(ctx, pl, al) }()
	r := &running{proxy: pl.Addr().String(), admin: al.Addr().String(), sc: sc}
	waitMetric(t, r, `driftwatch_gpu_up{source="auto"}`, 0)
	time.Sleep(200 * time.Millisecond) // about ten more polls
	resp := postOIP(t, r.proxy, []map[string]float64{{"x": 1}}, nil)
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Errorf("proxied request: %d", resp.StatusCode)
	}
	if n := strings.Count(logs.String(), "no GPU"); n != 1 {
		t.Errorf("%d log lines say no GPU, want 1:\n%s", n, logs.String())
	}
}

// TestAdversarialClients: a client that sends near-copies of one query is
// flagged at /api/v1/suspects, by salted hash only; clients replaying real
// rows are not.
func TestAdversarialClients(t *testing.T) {
	up := oipUpstream(t)
	ref := referenceCSV(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 1000}
      reference: {file: %s, ignore: [diagnosis]}
    adversarial: {client_header: X-Client-Id, salt: "a test salt"}
`, up.URL, ref))
	rows := readRows(t, "current-random.csv")
	for c := range 4 {
		for i := range 40 {
			resp := postOIP(t, sc.proxy, rows[(c*40+i)%len(rows):(c*40+i)%len(rows)+1], map[string]string{"X-Client-Id": fmt.Sprintf("benign-%d", c)})
			resp.Body.Close()
		}
	}
	probe := rows[7]
	for i := range 60 {
		q := map[string]float64{}
		for k, v := range probe {
			q[k] = v * (1 + 1e-4*float64(i%7))
		}
		resp := postOIP(t, sc.proxy, []map[string]float64{q}, map[string]string{"X-Client-Id": "attacker-key-123"})
		resp.Body.Close()
	}
	var list api.SuspectList
	deadline := time.Now().Add(waitFor)
	for {
		if err := json.Unmarshal(get(t, sc.admin, "/api/v1/suspects", http.StatusOK), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Suspects) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	clientsFlagged := map[string]bool{}
	for _, s := range list.Suspects {
		clientsFlagged[s.Client] = true
		if strings.Contains(s.Client, "attacker") || strings.Contains(s.Client, "benign") {
			t.Errorf("suspect %+v shows a raw client key", s)
		}
	}
	if len(clientsFlagged) != 1 {
		t.Fatalf("suspects %+v: want exactly the attacking client", list.Suspects)
	}
	if !strings.Contains(string(get(t, sc.admin, "/metrics", http.StatusOK)), `driftwatch_adversarial_suspects{signal="stateful"} 1`) {
		t.Error("driftwatch_adversarial_suspects{signal=\"stateful\"} is not 1")
	}
}
