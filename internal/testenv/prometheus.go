package testenv

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// PrometheusBinary is the server Debian's prometheus package installs.
const PrometheusBinary = "prometheus"

// PrometheusScrapeInterval is how often the server of Prometheus scrapes
// its targets.
const PrometheusScrapeInterval = time.Second

// Prometheus starts a real Prometheus server (Debian's prometheus package)
// on 127.0.0.1 that scrapes the /metrics of each target ("127.0.0.1:PORT")
// every PrometheusScrapeInterval under job "driftwatch", with its storage in
// a temporary directory, waits until /-/ready answers 200 and returns its
// base URL. It skips t when the binary is missing (fails it when RequireEnv
// is set). The server is stopped by t.Cleanup.
func Prometheus(t testing.TB, targets ...string) string {
	t.Helper()
	if !processSupported {
		t.Skip("starting Prometheus is supported on Linux only")
	}
	bin, err := exec.LookPath(PrometheusBinary)
	if err != nil {
		Missing(t, "the prometheus server", "prometheus")
	}
	dir := t.TempDir()
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: driftwatch
    scrape_interval: %[1]s
    scrape_timeout: %[1]s
    static_configs:
      - targets: [%[2]s]
`, PrometheusScrapeInterval, strings.Join(quoted, ", "))
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range bindAttempts {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		p, err := start(t, "prometheus", nil, bin,
			"--config.file="+cfgFile,
			"--storage.tsdb.path="+filepath.Join(dir, "data"),
			"--web.listen-address="+addr,
			"--log.level=warn")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + addr
		err = p.waitHTTP(base+"/-/ready", startTimeout)
		if err == nil {
			return base
		}
		exited := p.exited()
		p.stop(t)
		if exited && strings.Contains(p.out.String(), "address already in use") {
			lastErr = err
			t.Logf("port %d was taken meanwhile; trying another", port)
			continue
		}
		t.Fatalf("prometheus did not become ready: %v (its output follows)", err)
	}
	t.Fatalf("prometheus could not bind a port after %d attempts: %v", bindAttempts, lastErr)
	return ""
}

// PromSample is one sample of an instant query's vector result.
type PromSample struct {
	Metric map[string]string
	Value  float64
}

// PromQuery runs an instant query through Prometheus's HTTP API
// (GET /api/v1/query) and returns the vector it answers.
func PromQuery(base, query string) ([]PromSample, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(base + "/api/v1/query?" + url.Values{"query": {query}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %q: decode answer: %w", query, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %q: %s: %s", query, body.Status, body.Error)
	}
	if body.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %q, want vector", query, body.Data.ResultType)
	}
	out := make([]PromSample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %w", query, r.Value[1], err)
		}
		out = append(out, PromSample{Metric: r.Metric, Value: v})
	}
	return out, nil
}
