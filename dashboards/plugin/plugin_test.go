package plugin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/sidecar"
)

// startDriftwatch runs a real sidecar in front of a fake OIP v2 model,
// with the breast-cancer reference, sends it 100 covariate-shifted rows
// (a drift window), then 2 rows in the wrong unit (outliers) and 60
// near-identical queries from one client (a suspect), and returns its
// admin address once the drift report and the suspect are there.
func startDriftwatch(t *testing.T) string {
	t.Helper()
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"outputs":[{"name":"label","datatype":"INT64","shape":[1],"data":[1]}]}`)
	}))
	t.Cleanup(model.Close)
	ref, err := filepath.Abs(filepath.Join("..", "..", "testdata", "breast-cancer", "reference.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := config.Parse("", []byte(fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
gpu: {source: off}
models:
  - drift:
      window: {size: 100}
      reference: {file: %s, ignore: [diagnosis]}
    outliers: {}
    adversarial: {client_header: X-Client-Id, salt: plugin test}
rules:
  - name: model_drift
    result: dataset_drift
    op: ">="
    warning: 1
    annotations: {summary: "{{.Labels.model}} drifted"}
`, model.URL, ref)))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rt, err := cfg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := sidecar.New(rt, sidecar.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sc.Serve(ctx, pl, al) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		sc.Close()
	})
	post := func(body []byte, client string) {
		req, err := http.NewRequest(http.MethodPost, "http://"+pl.Addr().String()+"/v2/models/breast-cancer/infer", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Client-Id", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	shift := filepath.Join("..", "..", "testdata", "breast-cancer", "current-shift.csv")
	for i, body := range oipBodies(t, shift, 100, 10, 1) {
		post(body, fmt.Sprint("user-", i))
	}
	for _, body := range oipBodies(t, shift, 2, 1, 4) {
		post(body, "etl")
	}
	for i := range 60 {
		post(oipBodies(t, shift, 1, 1, 1+1e-4*float64(i%7))[0], "prober")
	}
	admin := "http://" + al.Addr().String()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var list api.DriftList
		resp, err := http.Get(admin + "/api/v1/drift")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&list)
			resp.Body.Close()
		}
		var suspects api.SuspectList
		if resp, err := http.Get(admin + "/api/v1/suspects"); err == nil {
			json.NewDecoder(resp.Body).Decode(&suspects)
			resp.Body.Close()
		}
		if len(list.Models) == 1 && list.Models[0].Status == "drift" && len(suspects.Suspects) > 0 {
			return admin
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drift report: %+v (%v)", list, err)
		}
	}
}

// oipBodies reads the first n rows of a CSV and makes OIP v2 requests of
// batch rows, one FP64 tensor per column, each value multiplied by scale.
func oipBodies(t *testing.T, file string, n, batch int, scale float64) [][]byte {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header, rows := recs[0], recs[1:n+1]
	var out [][]byte
	for i := 0; i < n; i += batch {
		var inputs []map[string]any
		for c, name := range header {
			if name == "diagnosis" {
				continue
			}
			var col []float64
			for _, r := range rows[i : i+batch] {
				v, err := strconv.ParseFloat(r[c], 64)
				if err != nil {
					t.Fatal(err)
				}
				col = append(col, scale*v)
			}
			inputs = append(inputs, map[string]any{"name": name, "datatype": "FP64", "shape": []int{batch}, "data": col})
		}
		b, _ := json.Marshal(map[string]any{"inputs": inputs})
		out = append(out, b)
	}
	return out
}

func newDatasource(t *testing.T, url string) *Datasource {
	t.Helper()
	inst, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return inst.(*Datasource)
}

// TestQueryData calls QueryData and CheckHealth as Grafana would, against
// a real driftwatch.
func TestQueryData(t *testing.T) {
	ds := newDatasource(t, startDriftwatch(t))
	q := func(ref, typ, js string) backend.DataQuery {
		return backend.DataQuery{RefID: ref, QueryType: typ, JSON: json.RawMessage(js)}
	}
	resp, err := ds.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{
		q("A", QueryDrift, `{"model": "breast-cancer"}`),
		q("B", QueryHistogram, `{"model": "breast-cancer", "feature": "mean radius"}`),
		q("C", QueryAlerts, `{}`),
		q("D", QuerySuspects, `{}`),
		q("H", QueryOutliers, `{"model": "breast-cancer"}`),
		q("E", "forecast", `{}`),
		q("F", QueryHistogram, `{"model": "breast-cancer", "feature": "shoe size"}`),
		q("G", QueryDrift, `{"model": "iris"}`),
	}})
	if err != nil {
		t.Fatal(err)
	}

	a := resp.Responses["A"]
	if a.Error != nil || len(a.Frames) != 1 {
		t.Fatalf("drift: %v, %d frames", a.Error, len(a.Frames))
	}
	f := a.Frames[0]
	if f.Rows() != 30 || f.Fields[0].Name != "feature" || f.RefID != "A" {
		t.Fatalf("drift frame: %d rows, fields %v", f.Rows(), f.Fields)
	}
	drifted := 0
	for i := range f.Rows() {
		if f.Fields[7].At(i).(bool) {
			drifted++
		}
	}
	if drifted == 0 || f.Meta.Custom.(map[string]any)["drift"] != true {
		t.Errorf("drift frame shows %d drifted features, meta %v", drifted, f.Meta.Custom)
	}

	b := resp.Responses["B"]
	if b.Error != nil || len(b.Frames) != 1 || b.Frames[0].Rows() < 2 {
		t.Fatalf("histogram: %v, %v", b.Error, b.Frames)
	}
	h := b.Frames[0]
	var refSum, curSum float64
	for i := range h.Rows() {
		refSum += h.Fields[1].At(i).(float64)
		curSum += h.Fields[2].At(i).(float64)
	}
	if d := refSum - 1; d > 1e-9 || d < -1e-9 || curSum < 0.999 || !strings.HasPrefix(h.Fields[0].At(0).(string), "[") {
		t.Errorf("histogram shares sum to %v and %v, first bin %q; want 1, 1 and a range", refSum, curSum, h.Fields[0].At(0))
	}

	c := resp.Responses["C"]
	if c.Error != nil || c.Frames[0].Rows() != 1 || c.Frames[0].Fields[2].At(0) != "model_drift" || c.Frames[0].Fields[0].At(0) != "firing" {
		t.Errorf("alerts: %v %v", c.Error, c.Frames)
	}
	if d := resp.Responses["D"]; d.Error != nil || d.Frames[0].Rows() < 1 || len(d.Frames[0].Fields[0].At(0).(string)) != 32 {
		t.Errorf("suspects: %v %v, want the prober as a 32-digit hash", d.Error, d.Frames)
	}
	o := resp.Responses["H"]
	if o.Error != nil || o.Frames[0].Rows() < 2 || o.Frames[0].Fields[1].At(0) != "breast-cancer" || o.Frames[0].Fields[3].At(0) != "iforest" ||
		!strings.Contains(o.Frames[0].Fields[7].At(0).(string), "(z ") {
		t.Errorf("outliers: %v %v, want the 2 wrong-unit rows with their features", o.Error, o.Frames)
	}
	if e := resp.Responses["E"]; e.Error == nil || e.Status != backend.StatusBadRequest || !strings.Contains(e.Error.Error(), `unknown query type "forecast"`) {
		t.Errorf("unknown query type: %v", e.Error)
	}
	if f := resp.Responses["F"]; f.Error == nil || f.Status != backend.StatusNotFound || !strings.Contains(f.Error.Error(), `no feature "shoe size"`) {
		t.Errorf("unknown feature: %v", f.Error)
	}
	if g := resp.Responses["G"]; g.Error == nil || g.Status != backend.StatusNotFound {
		t.Errorf("unknown model: %v %v", g.Status, g.Error)
	}

	h2, err := ds.CheckHealth(context.Background(), &backend.CheckHealthRequest{})
	if err != nil || h2.Status != backend.HealthStatusOk || !strings.Contains(h2.Message, "1 model versions watched") {
		t.Errorf("CheckHealth = %+v, %v", h2, err)
	}
}

func TestCheckHealthSaysWhatIsWrong(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	notDriftwatch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "<html>") }))
	defer notDriftwatch.Close()
	for _, tt := range []struct{ url, want string }{
		{deadURL, "cannot reach driftwatch at " + deadURL + ": connect: connection refused; is the sidecar's admin_listen reachable"},
		{notDriftwatch.URL, "did not answer driftwatch's JSON"},
	} {
		h, err := newDatasource(t, tt.url).CheckHealth(context.Background(), &backend.CheckHealthRequest{})
		if err != nil || h.Status != backend.HealthStatusError || !strings.Contains(h.Message, tt.want) {
			t.Errorf("%s: %+v, %v; want an error saying %q", tt.url, h, err, tt.want)
		}
	}
	if _, err := NewDatasource(context.Background(), backend.DataSourceInstanceSettings{URL: "127.0.0.1:9464"}); err == nil {
		t.Error("a URL without scheme was accepted")
	}
}
