package sidecar_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// TestFeatureSqueezing runs the sidecar with every request squeezed in
// front of a model whose answer turns steeply at x = 15: a natural input
// far from there moves little when squeezed, an input placed just past
// the boundary (as an attack would) flips back. The model wants an API
// key, and one request comes gzip-compressed: the copies carry the key and
// are sent decompressed.
func TestFeatureSqueezing(t *testing.T) {
	var (
		mu        sync.Mutex
		synthetic int
	)
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Inputs []struct {
				Data []float64 `json:"data"`
			} `json:"inputs"`
		}
		if r.Header.Get("X-Api-Key") != "k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		body := r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		if err := json.Unmarshal(b, &req); err != nil || len(req.Inputs) != 1 || len(req.Inputs[0].Data) != 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.Header.Get(obs.HeaderSynthetic) == "1" {
			mu.Lock()
			synthetic++
			mu.Unlock()
		}
		p := 1 / (1 + math.Exp(-50*(req.Inputs[0].Data[0]-15)))
		fmt.Fprintf(w, `{"outputs":[{"name":"probabilities","datatype":"FP64","shape":[1,2],"data":[%g,%g]}]}`, 1-p, p)
	}))
	t.Cleanup(model.Close)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift: {window: {size: 1000}}
    feature_squeezing: {sample: 1, digits: 2}
rules:
  - name: squeezed_far
    result: feature_squeezing_l1
    op: ">"
    warning: 0.5
`, model.URL))
	send := func(x float64, compress bool) {
		body := []byte(fmt.Sprintf(`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[%g]}]}`, x))
		header := map[string]string{"X-Api-Key": "k"}
		if compress {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(body)
			zw.Close()
			body, header["Content-Encoding"] = b.Bytes(), "gzip"
		}
		postJSON(t, "http://"+sc.proxy+"/v2/models/m/infer", body, header).Body.Close()
	}
	for i, x := range []float64{11.42, 20.57, 13.54, 17.99, 12.45} {
		send(x, i == 2)
	}
	// waitFor polls path on the admin listener until it shows want.
	waitFor := func(path, want string) string {
		deadline := time.Now().Add(waitFor)
		for {
			body := string(get(t, sc.admin, path, http.StatusOK))
			if strings.Contains(body, want) {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lacks %s after %v:\n%s", path, want, waitFor, body)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("/metrics", `driftwatch_feature_squeezing_requests_total{result="compared"} 5`)
	time.Sleep(1100 * time.Millisecond) // a tick: the rules see the natural inputs' results
	if alerts := string(get(t, sc.admin, "/api/v1/alerts", http.StatusOK)); strings.Contains(alerts, "squeezed_far") {
		t.Fatalf("natural inputs fired the rule: %s", alerts)
	}
	send(15.04, false) // p = 0.88; squeezed to 15, p = 0.5: L1 = 0.76
	waitFor("/api/v1/alerts", `"alertname":"squeezed_far"`)
	m := waitFor("/metrics", `driftwatch_feature_squeezing_requests_total{result="compared"} 6`)
	for _, want := range []string{
		`driftwatch_feature_squeezing_l1_bucket{model="m",version="",le="0.01"} 5`,
		`driftwatch_feature_squeezing_l1_bucket{model="m",version="",le="0.5"} 5`,
		`driftwatch_feature_squeezing_l1_bucket{model="m",version="",le="1"} 6`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if synthetic != 6 {
		t.Errorf("the model got %d squeezed requests marked synthetic, want 6", synthetic)
	}
}
