package sidecar_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/api"
)

// TestDriftEvidenceDelivered: a drift alert, made by the real drift
// monitor from real traffic, reaches Slack, Datadog, Sentry and PagerDuty
// (fake peers on loopback) carrying its evidence: model, version, the
// features that drifted (top first), the test, statistic, p-value, effect
// size, sample sizes and the reference window.
func TestDriftEvidenceDelivered(t *testing.T) {
	up := oipUpstream(t)
	var (
		mu     sync.Mutex
		bodies = map[string]string{} // receiver → first body received
	)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		name := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")[0]
		mu.Lock()
		if _, ok := bodies[name]; !ok {
			bodies[name] = string(b)
		}
		mu.Unlock()
		switch name {
		case "slack":
			io.WriteString(w, "ok")
		case "datadog":
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"ok"}`)
		case "sentry":
			io.WriteString(w, `{"id":"0123456789abcdef0123456789abcdef"}`)
		case "pagerduty":
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
		}
	}))
	defer peer.Close()
	ref := referenceCSV(t)
	t.Setenv("DW_TEST_DD_KEY", "0123456789abcdef0123456789abcdef")
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %[1]s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 100}
      reference: {file: %[2]s, ignore: [diagnosis]}
rules:
  - name: model_drift
    result: dataset_drift
    op: ">="
    warning: 1
    annotations: {summary: "{{.Labels.model}} drifted"}
receivers:
  - name: slack
    slack: {url: "%[3]s/slack/T0/B0/x", min_interval: 1ms}
  - name: datadog
    datadog: {api_key: "env:DW_TEST_DD_KEY", url: "%[3]s/datadog/api/v1/events"}
  - name: sentry
    sentry: {dsn: "%[4]s"}
  - name: pagerduty
    pagerduty: {routing_key: "R0123456789abcdef0123456789abcde", url: "%[3]s/pagerduty/v2/enqueue"}
route:
  receiver: slack
  group_wait: 0s
  routes:
    - {receiver: slack, continue: true}
    - {receiver: datadog, continue: true}
    - {receiver: sentry, continue: true}
    - {receiver: pagerduty, continue: true}
`, up.URL, ref, peer.URL, strings.Replace(peer.URL, "http://", "http://0123456789abcdef0123456789abcdef@", 1)+"/sentry/1"))
	replay(t, sc.proxy, readRows(t, "current-shift.csv")[:100], 10)

	receivers := []string{"slack", "datadog", "sentry", "pagerduty"}
	deadline := time.Now().Add(waitFor)
	for {
		mu.Lock()
		n := len(bodies)
		mu.Unlock()
		if n == len(receivers) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d receivers got the alert", n, len(receivers))
		}
		time.Sleep(20 * time.Millisecond)
	}

	var list api.AlertList
	if err := json.Unmarshal(get(t, sc.admin, "/api/v1/alerts", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Alerts) != 1 {
		t.Fatalf("alerts %+v, want one", list.Alerts)
	}
	ev := map[string]string{}
	for _, f := range list.Alerts[0].Evidence {
		ev[f.Key] = f.Value
	}
	top := strings.Split(ev["top_features"], " (")[0]
	want := map[string]string{
		"model":            "breast-cancer",
		"top feature":      top,
		"test":             ev["test"],
		"statistic":        ev["statistic"],
		"p-value":          ev["p_value"],
		"effect size":      ev["effect_size"],
		"reference rows":   ev["reference_rows"],
		"current rows":     ev["current_rows"],
		"reference window": ev["reference_window"],
	}
	for what, v := range want {
		if v == "" {
			t.Fatalf("the alert itself lacks %s: evidence %v", what, ev)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range receivers {
		for what, v := range want {
			if !strings.Contains(bodies[r], v) && !strings.Contains(bodies[r], jsonString(v)) {
				t.Errorf("%s: the notification lacks the %s %q:\n%s", r, what, v, bodies[r])
			}
		}
	}
}

// jsonString is s as it appears inside a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
