package sidecar_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUncertaintyShift: many clients probing near the decision boundary,
// each with two queries (too few for the per-client signals), move the
// window's margins and fire the rule on uncertainty_shift; a window like
// the first predictions does not.
func TestUncertaintyShift(t *testing.T) {
	// p(1 | x) = σ(2x): an answer is uncertain only near x = 0.
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var x float64
		if _, err := fmt.Fscanf(r.Body, `{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[%g]}]}`, &x); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p := 1 / (1 + math.Exp(-2*x))
		fmt.Fprintf(w, `{"outputs":[{"name":"probabilities","datatype":"FP64","shape":[1,2],"data":[%g,%g]}]}`, 1-p, p)
	}))
	t.Cleanup(model.Close)
	rng := rand.New(rand.NewPCG(7, 8))
	var ref strings.Builder
	ref.WriteString("x\n")
	for range 200 {
		fmt.Fprintf(&ref, "%g\n", -5+10*rng.Float64())
	}
	refFile := filepath.Join(t.TempDir(), "ref.csv")
	if err := os.WriteFile(refFile, []byte(ref.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 10000}
      reference: {file: %s}
    adversarial: {client_header: X-Api-Key, salt: test}
rules:
  - name: uncertain
    result: uncertainty_shift
    op: ">="
    warning: 1
`, model.URL, refFile))
	send := func(n int, x func() float64, perClient int, prefix string) {
		for i := range n {
			body := fmt.Sprintf(`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[%g]}]}`, x())
			postJSON(t, "http://"+sc.proxy+"/v2/models/m/infer", []byte(body),
				map[string]string{"X-Api-Key": fmt.Sprintf("%s-%d", prefix, i/perClient)}).Body.Close()
		}
	}
	natural := func() float64 { return -5 + 10*rng.Float64() }
	send(500+200, natural, 10, "user") // the reference, then a window like it
	time.Sleep(1100 * time.Millisecond)
	if alerts := string(get(t, sc.admin, "/api/v1/alerts", http.StatusOK)); strings.Contains(alerts, `"rule":"uncertain"`) {
		t.Fatalf("a natural window fired the rule: %s", alerts)
	}
	send(200, func() float64 { return -0.05 + 0.1*rng.Float64() }, 2, "prober") // margins below 0.05
	deadline := time.Now().Add(waitFor)
	for {
		alerts := string(get(t, sc.admin, "/api/v1/alerts", http.StatusOK))
		if strings.Contains(alerts, `"rule":"uncertain"`) {
			if !strings.Contains(alerts, `"key":"low_margin_share","value":"1"`) {
				t.Errorf("the alert lacks the window's low-margin share: %s", alerts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no uncertainty alert after %v: %s", waitFor, alerts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s := string(get(t, sc.admin, "/api/v1/suspects", http.StatusOK)); strings.Contains(s, `"signal"`) {
		t.Errorf("per-client signals flagged someone: %s", s)
	}
}
