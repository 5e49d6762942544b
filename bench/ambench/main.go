// Command ambench measures Prometheus Alertmanager on what
// BenchmarkBreachToNotification measures driftwatch on, for
// bench/alerts.sh: the time from an alert reaching the engine to the first
// notification at a webhook, with group_wait 10s, for n alerts arriving
// at random times over a spread, each its own group. Then, as
// driftwatch's crash test does, it posts n more alerts, kills
// Alertmanager with SIGKILL before their group_wait ends, restarts it on
// the same storage, and counts how many are ever notified.
//
// It starts Alertmanager itself, on loopback, with gossip off, and prints
// one line per measurement in the form "key value".
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("alertmanager", "prometheus-alertmanager", "the Alertmanager binary")
	n := flag.Int("n", 200, "alerts per measurement")
	groupWait := flag.Duration("group-wait", 10*time.Second, "group_wait of the route")
	spread := flag.Duration("spread", 2*time.Second, "the alerts arrive at random times over this")
	flag.Parse()
	if err := run(*bin, *n, *groupWait, *spread); err != nil {
		fmt.Fprintln(os.Stderr, "ambench:", err)
		os.Exit(1)
	}
}

// hook records when each alert id was first notified.
type hook struct {
	mu      sync.Mutex
	arrived map[string]time.Time
}

func (h *hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	var p struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range p.Alerts {
		if _, ok := h.arrived[a.Labels["id"]]; !ok {
			h.arrived[a.Labels["id"]] = now
		}
	}
}

func (h *hook) count(prefix string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for id := range h.arrived {
		if len(id) > len(prefix) && id[:len(prefix)] == prefix {
			n++
		}
	}
	return n
}

func run(bin string, n int, groupWait, spread time.Duration) error {
	dir, err := os.MkdirTemp("", "ambench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	h := &hook{arrived: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, h)
	cfg := fmt.Sprintf(`route:
  receiver: hook
  group_by: [id]
  group_wait: %s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: hook
    webhook_configs:
      - url: http://%s/
        send_resolved: false
`, groupWait, ln.Addr())
	cfgFile := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	am := &alertmanager{bin: bin, args: []string{"--config.file=" + cfgFile, "--storage.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(port), "--cluster.listen-address=", "--log.level=warn"},
		url: "http://127.0.0.1:" + strconv.Itoa(port)}
	if err := am.start(); err != nil {
		return err
	}
	defer am.kill()

	// Latency: n alerts over spread, each its own group.
	posted, err := postSpread(am.url, "lat-", n, spread)
	if err != nil {
		return err
	}
	if err := waitFor(func() bool { return h.count("lat-") == n }, groupWait+spread+time.Minute); err != nil {
		return fmt.Errorf("latency: %d of %d notified: %w", h.count("lat-"), n, err)
	}
	var over []float64
	h.mu.Lock()
	for id, t := range posted {
		over = append(over, float64(h.arrived[id].Sub(t)-groupWait)/float64(time.Millisecond))
	}
	h.mu.Unlock()
	slices.Sort(over)
	q := func(p float64) float64 { return over[min(int(p*float64(len(over))), len(over)-1)] }
	fmt.Printf("p50_over_group_wait_ms %.1f\np99_over_group_wait_ms %.1f\nmax_over_group_wait_ms %.1f\n", q(0.5), q(0.99), over[len(over)-1])

	// Restart: n alerts posted, SIGKILL before their group_wait ends,
	// restarted on the same storage; nobody posts them again.
	if _, err := postSpread(am.url, "crash-", n, 0); err != nil {
		return err
	}
	time.Sleep(groupWait / 2)
	am.kill()
	if err := am.start(); err != nil {
		return err
	}
	time.Sleep(2*groupWait + 5*time.Second)
	got := h.count("crash-")
	fmt.Printf("restart_alerts %d\nrestart_notified %d\nrestart_lost %d\n", n, got, n-got)
	return nil
}

type alertmanager struct {
	bin  string
	args []string
	url  string
	cmd  *exec.Cmd
}

func (a *alertmanager) start() error {
	a.cmd = exec.Command(a.bin, a.args...)
	a.cmd.Stderr = os.Stderr
	if err := a.cmd.Start(); err != nil {
		return err
	}
	return waitFor(func() bool {
		resp, err := http.Get(a.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second)
}

func (a *alertmanager) kill() {
	if a.cmd != nil && a.cmd.Process != nil {
		_ = a.cmd.Process.Signal(syscall.SIGKILL)
		_ = a.cmd.Wait()
		a.cmd = nil
	}
}

// postSpread posts n alerts with ids prefix0… at random times over spread
// (all at once when spread is 0), one request each, and returns when each
// was accepted.
func postSpread(url, prefix string, n int, spread time.Duration) (map[string]time.Time, error) {
	rng := rand.New(rand.NewPCG(1, 2))
	offsets := make([]time.Duration, n)
	for i := range offsets {
		if spread > 0 {
			offsets[i] = time.Duration(rng.Int64N(int64(spread)))
		}
	}
	slices.Sort(offsets)
	posted := make(map[string]time.Time, n)
	start := time.Now()
	for i, off := range offsets {
		time.Sleep(time.Until(start.Add(off)))
		id := prefix + strconv.Itoa(i)
		body, _ := json.Marshal([]map[string]any{{"labels": map[string]string{"alertname": "breach", "id": id}}})
		t := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v2/alerts", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			return nil, err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("POST /api/v2/alerts: %s", resp.Status)
		}
		posted[id] = t
	}
	return posted, nil
}

func waitFor(cond func() bool, within time.Duration) error {
	for deadline := time.Now().Add(within); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v", within)
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
