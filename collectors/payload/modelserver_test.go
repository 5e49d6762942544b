package payload_test

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// TestModelServer replays rows of the breast-cancer reference set to a real
// model server (testdata/modelserver: Flask and scikit-learn under
// gunicorn), over OIP v2 and TF Serving, and decodes each captured exchange
// with the auto decoder: one record per instance, the model and version of
// the URL or response, the 30 features with the CSV's values, the
// predictions the server answered, and the request id.
func TestModelServer(t *testing.T) {
	base := testenv.ModelServer(t)
	features, rows := readBreastCancer(t)
	client := &http.Client{
		Timeout: 30 * time.Second,
		// Keep the bodies as the wire carries them, as the proxy sees them.
		Transport: &http.Transport{DisableCompression: true},
	}
	t.Cleanup(client.CloseIdleConnections)
	dec, err := payload.New(payload.Config{Protocol: "auto"})
	if err != nil {
		t.Fatal(err)
	}

	const fromResponse = "(the response's id)"
	tensorName := func(j int) string { return fmt.Sprintf("input-0[%d]", j) }
	featureName := func(j int) string { return features[j] }
	listName := func(j int) string { return fmt.Sprintf("f%d", j) }
	model := testenv.ModelServerName
	cases := []struct {
		name    string
		path    string
		first   int // first row of the batch in reference.csv
		n       int // batch size
		body    func(rows []csvRow) any
		header  http.Header
		gzip    bool
		oip     bool
		names   func(j int) string // the expected name of feature j (CSV column j)
		version string
		id      string // the expected RequestID; fromResponse for the OIP response's id
	}{
		{
			name: "oip_single", path: "/v2/models/" + model + "/infer", first: 0, n: 1,
			body: func(r []csvRow) any { return oipTensor("oip-single", "FP64", r, true) },
			oip:  true, names: tensorName, version: testenv.ModelServerVersion, id: "oip-single",
		},
		{
			name: "oip_batch_versioned", path: "/v2/models/" + model + "/versions/1/infer", first: 8, n: 8,
			body:   func(r []csvRow) any { return oipTensor("body-oip-8", "FP64", r, false) },
			header: http.Header{"X-Request-Id": {"req-oip-8"}},
			oip:    true, names: tensorName, version: "1", id: "req-oip-8",
		},
		{
			name: "oip_named_inputs", path: "/v2/models/" + model + "/infer", first: 16, n: 8,
			body: func(r []csvRow) any { return oipNamed(features, r) },
			oip:  true, names: featureName, version: testenv.ModelServerVersion, id: fromResponse,
		},
		{
			name: "oip_gzip", path: "/v2/models/" + model + "/infer", first: 24, n: 8,
			body:   func(r []csvRow) any { return oipTensor("", "FP64", r, true) },
			header: http.Header{"X-Request-Id": {"req-oip-gzip"}}, gzip: true,
			oip: true, names: tensorName, version: testenv.ModelServerVersion, id: "req-oip-gzip",
		},
		{
			name: "tf_single", path: "/v1/models/" + model + ":predict", first: 32, n: 1,
			body:  func(r []csvRow) any { return tfLists(r) },
			names: listName, version: "", id: "",
		},
		{
			name: "tf_batch_versioned", path: "/v1/models/" + model + "/versions/1:predict", first: 40, n: 8,
			body:   func(r []csvRow) any { return tfLists(r) },
			header: http.Header{"X-Request-Id": {"req-tf-8"}},
			names:  listName, version: "1", id: "req-tf-8",
		},
		{
			name: "tf_objects", path: "/v1/models/" + model + ":predict", first: 48, n: 8,
			body:   func(r []csvRow) any { return tfObjects(features, r) },
			header: http.Header{"X-Request-Id": {"req-tf-objects"}},
			names:  featureName, version: "", id: "req-tf-objects",
		},
		{
			name: "tf_gzip", path: "/v1/models/" + model + ":predict", first: 56, n: 8,
			body:   func(r []csvRow) any { return tfLists(r) },
			header: http.Header{"X-Request-Id": {"req-tf-gzip"}}, gzip: true,
			names: listName, version: "", id: "req-tf-gzip",
		},
	}

	var labelled, correct int // the server's labels against the CSV's diagnosis
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			batch := rows[c.first : c.first+c.n]
			body, err := json.Marshal(c.body(batch))
			if err != nil {
				t.Fatal(err)
			}
			hdr := http.Header{"Content-Type": {"application/json"}}
			for k, v := range c.header {
				hdr[k] = v
			}
			if c.gzip {
				body = gzipBytes(t, body)
				hdr.Set("Content-Encoding", "gzip")
			}
			in := exchange(t, client, base+c.path, hdr, body)
			if in.Status != http.StatusOK {
				t.Fatalf("POST %s: status %d: %s", c.path, in.Status, in.Resp)
			}
			want := serverPredictions(t, in.Resp, c.oip, c.n)
			wantID := c.id
			if wantID == fromResponse {
				if wantID = want.id; wantID == "" {
					t.Fatal("the OIP response has no id")
				}
			}

			recs, err := dec.Decode(in, nil)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(recs) != c.n {
				t.Fatalf("Decode gave %d records, want %d (one per instance)", len(recs), c.n)
			}
			for i, rec := range recs {
				row := batch[i]
				if rec.Model != model || rec.Version != c.version {
					t.Errorf("record %d: model %q version %q, want %q %q", i, rec.Model, rec.Version, model, c.version)
				}
				if rec.RequestID != wantID {
					t.Errorf("record %d: request id %q, want %q", i, rec.RequestID, wantID)
				}
				if rec.Status != http.StatusOK || rec.Latency != in.Latency {
					t.Errorf("record %d: status %d latency %v, want %d %v", i, rec.Status, rec.Latency, http.StatusOK, in.Latency)
				}
				checkValues(t, fmt.Sprintf("record %d features", i), rec.Features, len(features), func(j int) (string, float64) {
					return c.names(j), row.values[j]
				})
				checkValues(t, fmt.Sprintf("record %d prediction", i), rec.Prediction, len(want.rows[i]), func(j int) (string, float64) {
					return want.rows[i][j].Name, want.rows[i][j].Num
				})
			}
			for i, p := range want.proba {
				if p[0] < 0 || p[1] < 0 || math.Abs(p[0]+p[1]-1) > 1e-9 {
					t.Errorf("row %d: probabilities %v do not sum to 1", i, p)
				}
				label := 0
				if p[1] > p[0] {
					label = 1
				}
				if want.labels != nil && want.labels[i] != label {
					t.Errorf("row %d: label %d is not the argmax of %v", i, want.labels[i], p)
				}
				labelled++
				if (label == 1) == (batch[i].diagnosis == "benign") {
					correct++
				}
			}
		})
	}
	// The model is real: trained on the whole dataset, it labels these
	// rows (a subset of its training data) about 99% right.
	if labelled > 0 && float64(correct) < 0.9*float64(labelled) {
		t.Errorf("the server labelled %d of %d rows right, want at least 90%%", correct, labelled)
	}

	t.Run("malformed", func(t *testing.T) {
		for _, c := range []struct{ path, protocol string }{
			{"/v2/models/" + model + "/infer", "oip-v2"},
			{"/v1/models/" + model + ":predict", "tf-serving"},
		} {
			in := exchange(t, client, base+c.path, http.Header{"Content-Type": {"application/json"}}, []byte(`{"inputs": [`))
			var answer struct {
				Error string `json:"error"`
			}
			if in.Status != http.StatusBadRequest || json.Unmarshal(in.Resp, &answer) != nil || answer.Error == "" {
				t.Errorf("POST %s with bad JSON: status %d body %s, want 400 and {\"error\": ...}", c.path, in.Status, in.Resp)
			}
			recs, err := dec.Decode(in, nil)
			var perr *payload.Error
			if !errors.As(err, &perr) || perr.Reason != payload.ReasonJSON || perr.Body != "request" || perr.Protocol != c.protocol {
				t.Errorf("Decode of bad JSON to %s: %v, want a %s request error of reason %s", c.path, err, c.protocol, payload.ReasonJSON)
			}
			if len(recs) != 0 {
				t.Errorf("Decode of bad JSON to %s gave %d records, want none", c.path, len(recs))
			}
		}
	})
}

// csvRow is one row of testdata/breast-cancer/reference.csv: the 30
// features as the CSV spells them and as numbers, and the class.
type csvRow struct {
	cells     []json.Number
	values    []float64
	diagnosis string
}

func readBreastCancer(t *testing.T) (features []string, rows []csvRow) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "breast-cancer", "reference.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read reference.csv: %v", err)
	}
	header := all[0]
	if len(header) != 31 || header[30] != "diagnosis" {
		t.Fatalf("reference.csv has columns %q, want 30 features and diagnosis", header)
	}
	for _, rec := range all[1:] {
		r := csvRow{diagnosis: rec[30]}
		for _, cell := range rec[:30] {
			v, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Fatalf("reference.csv: %v", err)
			}
			r.cells = append(r.cells, json.Number(cell))
			r.values = append(r.values, v)
		}
		rows = append(rows, r)
	}
	return header[:30], rows
}

type oipInput struct {
	Name     string `json:"name"`
	Shape    []int  `json:"shape"`
	Datatype string `json:"datatype"`
	Data     any    `json:"data"`
}

type oipRequest struct {
	ID     string     `json:"id,omitempty"`
	Inputs []oipInput `json:"inputs"`
}

// oipTensor is one input "input-0" of shape [batch, 30], its data nested
// per row or flat.
func oipTensor(id, datatype string, rows []csvRow, nested bool) oipRequest {
	var data any
	if nested {
		m := make([][]json.Number, len(rows))
		for i, r := range rows {
			m[i] = r.cells
		}
		data = m
	} else {
		var flat []json.Number
		for _, r := range rows {
			flat = append(flat, r.cells...)
		}
		data = flat
	}
	return oipRequest{ID: id, Inputs: []oipInput{{Name: "input-0", Shape: []int{len(rows), 30}, Datatype: datatype, Data: data}}}
}

// oipNamed is one FP32 input of shape [batch, 1] per feature, named by it.
func oipNamed(features []string, rows []csvRow) oipRequest {
	var req oipRequest
	for j, name := range features {
		col := make([]json.Number, len(rows))
		for i, r := range rows {
			col[i] = r.cells[j]
		}
		req.Inputs = append(req.Inputs, oipInput{Name: name, Shape: []int{len(rows), 1}, Datatype: "FP32", Data: col})
	}
	return req
}

// tfLists is TF Serving's row format with each instance a list.
func tfLists(rows []csvRow) any {
	inst := make([][]json.Number, len(rows))
	for i, r := range rows {
		inst[i] = r.cells
	}
	return map[string]any{"instances": inst}
}

// tfObjects is TF Serving's row format with each instance an object keyed
// by feature name.
func tfObjects(features []string, rows []csvRow) any {
	inst := make([]map[string]json.Number, len(rows))
	for i, r := range rows {
		inst[i] = make(map[string]json.Number, len(features))
		for j, name := range features {
			inst[i][name] = r.cells[j]
		}
	}
	return map[string]any{"instances": inst}
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// exchange POSTs body to url and returns the exchange as the proxy would
// capture it: the bytes and headers on the wire both ways.
func exchange(t *testing.T, client *http.Client, url string, hdr http.Header, body []byte) *payload.Input {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read the response of %s: %v", req.URL.Path, err)
	}
	return &payload.Input{
		Path:       req.URL.Path,
		ReqHeader:  hdr,
		RespHeader: resp.Header,
		Req:        body,
		Resp:       respBody,
		Status:     resp.StatusCode,
		Time:       start,
		Latency:    time.Since(start),
	}
}

// predictions is what the server answered, read with encoding/json
// independently of the decoder.
type predictions struct {
	rows   [][]obs.Value // per instance, the prediction values the decoder should give
	proba  [][2]float64  // per instance, P(malignant), P(benign)
	labels []int         // OIP only
	id     string        // OIP only
}

func serverPredictions(t *testing.T, body []byte, oip bool, n int) predictions {
	t.Helper()
	var p predictions
	num := func(name string, v float64) obs.Value { return obs.Value{Name: name, Kind: obs.Number, Num: v} }
	if !oip {
		var resp struct {
			Predictions [][]float64 `json:"predictions"`
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatalf("TF Serving response %s: %v", body, err)
		}
		if len(resp.Predictions) != n {
			t.Fatalf("TF Serving response has %d predictions, want %d", len(resp.Predictions), n)
		}
		for _, pr := range resp.Predictions {
			if len(pr) != 2 {
				t.Fatalf("TF Serving prediction %v, want 2 probabilities", pr)
			}
			p.rows = append(p.rows, []obs.Value{num("prediction[0]", pr[0]), num("prediction[1]", pr[1])})
			p.proba = append(p.proba, [2]float64{pr[0], pr[1]})
		}
		return p
	}
	var resp struct {
		ModelName    string `json:"model_name"`
		ModelVersion string `json:"model_version"`
		ID           string `json:"id"`
		Outputs      []struct {
			Name     string    `json:"name"`
			Shape    []int     `json:"shape"`
			Datatype string    `json:"datatype"`
			Data     []float64 `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("OIP response %s: %v", body, err)
	}
	if len(resp.Outputs) != 2 || resp.Outputs[0].Name != "probabilities" || resp.Outputs[1].Name != "label" {
		t.Fatalf("OIP response %s: want the outputs probabilities and label", body)
	}
	pr, lb := resp.Outputs[0], resp.Outputs[1]
	if len(pr.Data) != 2*n || len(lb.Data) != n {
		t.Fatalf("OIP response has %d probabilities and %d labels, want %d and %d", len(pr.Data), len(lb.Data), 2*n, n)
	}
	p.id = resp.ID
	for i := range n {
		p0, p1 := pr.Data[2*i], pr.Data[2*i+1]
		p.rows = append(p.rows, []obs.Value{num("probabilities[0]", p0), num("probabilities[1]", p1), num("label", lb.Data[i])})
		p.proba = append(p.proba, [2]float64{p0, p1})
		p.labels = append(p.labels, int(lb.Data[i]))
	}
	return p
}

// checkValues checks that got holds exactly n numbers, the j-th of them
// (in any order) named and valued as want(j) says.
func checkValues(t *testing.T, what string, got []obs.Value, n int, want func(j int) (string, float64)) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%s: %d values, want %d", what, len(got), n)
		return
	}
	byName := make(map[string]obs.Value, len(got))
	for _, v := range got {
		byName[v.Name] = v
	}
	for j := range n {
		name, val := want(j)
		v, ok := byName[name]
		switch {
		case !ok:
			t.Errorf("%s: no value named %q", what, name)
		case v.Kind != obs.Number || v.Num != val:
			t.Errorf("%s: %q is %+v, want the number %v", what, name, v, val)
		}
	}
}
