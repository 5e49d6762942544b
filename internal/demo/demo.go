// Package demo runs the whole product on embedded defaults, in one
// process, for `driftwatch demo`: a model server trained at start on real
// data, the sidecar in front of it with its drift monitor, rules, routes,
// synthetic checks and receivers (the console and a local webhook), and
// clients that replay real traffic, then a batch of outliers and an
// adversarial client alongside, then shifted traffic. It narrates what
// happens and ends with a summary.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwatch/driftwatch"
	"github.com/driftwatch/driftwatch/detectors/adversarial"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/sidecar"
)

const (
	modelName = "breast-cancer"
	dataDir   = "testdata/breast-cancer"
	clients   = 4
	// userRows is how many requests each simulated user sends.
	userRows = 40
)

// Options configure a run.
type Options struct {
	// Duration of the run (the phases scale with it); ignored with
	// Forever, which runs until ctx is done.
	Duration time.Duration
	Forever  bool
	// Out gets the narrative and the console receiver's notifications;
	// Log the sidecar's own log (warnings and errors).
	Out io.Writer
	Log *slog.Logger
	// Version is reported in the sidecar's reports.
	Version string
}

// Summary is what a run did.
type Summary struct {
	Requests      int64
	Windows       uint64
	Verdicts      []string // "no_drift" / "drift" of each window, in order
	TopFeatures   []string // of the last drifted window
	AlertsFired   []string // rule names
	Notifications int64    // received by the local webhook
	ChecksPassed  int64
	ChecksFailed  int64
	Outliers      int // listed by /api/v1/outliers
	// AttackerFlagged is true when the adversarial client was suspected;
	// OthersFlagged counts suspicions of the benign clients.
	AttackerFlagged bool
	OthersFlagged   int
}

// demo is one run.
type demo struct {
	opts     Options
	out      io.Writer // the narrative and the console receiver, one write at a time
	proxy    string    // the sidecar's proxy address
	admin    string    // the sidecar's admin URL
	client   *http.Client
	attacker string // the salted hash of attackerKey

	requests atomic.Int64
	users    atomic.Int64
	hooks    atomic.Int64
	checks   [2]atomic.Int64 // passed, failed
	sum      Summary
}

// say prints one line of the narrative.
func (d *demo) say(format string, a ...any) {
	fmt.Fprintf(d.out, format+"\n", a...)
}

// Run runs the demo until its duration is over (or ctx is done).
func Run(ctx context.Context, opts Options) (*Summary, error) {
	if opts.Duration <= 0 {
		opts.Duration = time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	d := &demo{opts: opts, out: &lockedWriter{w: opts.Out}, client: &http.Client{Timeout: 5 * time.Second},
		attacker: adversarial.HashKey([]byte(clientSalt), attackerKey)}
	dir, err := os.MkdirTemp("", "driftwatch-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	ref, err := readTable(driftwatch.Testdata, dataDir+"/reference.csv", "diagnosis", "benign")
	if err != nil {
		return nil, err
	}
	same, err := readTable(driftwatch.Testdata, dataDir+"/current-random.csv", "diagnosis", "benign")
	if err != nil {
		return nil, err
	}
	shifted, err := readTable(driftwatch.Testdata, dataDir+"/current-shift.csv", "diagnosis", "benign")
	if err != nil {
		return nil, err
	}
	m := train(ref)
	modelURL, stopModel, err := serve(m)
	if err != nil {
		return nil, err
	}
	defer stopModel()
	d.say("model server: a logistic regression trained just now on %d rows of the Wisconsin breast-cancer data, answering OIP v2 at %s", len(ref.x), modelURL)

	hook := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Status string `json:"status"`
			Alerts []struct {
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if json.NewDecoder(r.Body).Decode(&p) == nil {
			d.hooks.Add(1)
			d.say("webhook receiver: got a %s notification (%d alerts)", p.Status, len(p.Alerts))
		}
	})
	hookURL, stopHook, err := serve(hook)
	if err != nil {
		return nil, err
	}
	defer stopHook()

	sc, pl, al, err := d.sidecar(dir, modelURL, hookURL, ref, m)
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	d.proxy, d.admin = pl.Addr().String(), "http://"+al.Addr().String()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- sc.Serve(ctx, pl, al) }()
	d.say("driftwatch sidecar: proxy at http://%s, in front of the model", d.proxy)
	d.say("  metrics      %s/metrics", d.admin)
	d.say("  drift        %s/api/v1/drift  (report: %s/api/v1/drift?model=%s&format=html)", d.admin, d.admin, modelName)
	d.say("  outliers     %s/api/v1/outliers", d.admin)
	d.say("  suspects     %s/api/v1/suspects", d.admin)
	d.say("  alerts       %s/api/v1/alerts", d.admin)
	d.say("")

	var wg sync.WaitGroup
	wg.Go(func() { d.watch(ctx) })
	total := opts.Duration
	if opts.Forever {
		total = 24 * time.Hour * 365
	}
	phases := []struct {
		what      string
		rows      *table
		part      float64
		incidents bool
	}{
		{"replaying real traffic from %d clients: the other half of the same patients (no drift expected)", same, 0.35, false},
		{"while the %d clients go on: a batch job sends 5 records in the wrong unit (outliers), and client \"" + attackerKey +
			"\" probes the model for the smallest change that flips a diagnosis (a boundary-walking attack)", same, 0.25, true},
		{"the population shifts: %d clients now send larger tumours (covariate shift; drift expected)", shifted, 0.40, false},
	}
	for _, ph := range phases {
		if ctx.Err() != nil {
			break
		}
		d.say("== "+ph.what, clients)
		dur := time.Duration(float64(total) * ph.part)
		if ph.incidents {
			pctx, cancel := context.WithTimeout(ctx, dur)
			wg.Go(func() { d.injectOutliers(pctx, ph.rows) })
			wg.Go(func() { d.probe(pctx, ref, attackBudget) })
			d.replay(pctx, ph.rows, dur)
			cancel()
			continue
		}
		d.replay(ctx, ph.rows, dur)
	}
	cancel()
	wg.Wait()
	if err := <-served; err != nil {
		return nil, err
	}
	d.sum.Requests = d.requests.Load()
	d.sum.Notifications = d.hooks.Load()
	d.sum.ChecksPassed, d.sum.ChecksFailed = d.checks[0].Load(), d.checks[1].Load()
	d.summary()
	return &d.sum, nil
}

// sidecar builds the sidecar's configuration, as a user would write it,
// and starts listening.
func (d *demo) sidecar(dir, modelURL, hookURL string, ref *table, m *model) (*sidecar.Sidecar, net.Listener, net.Listener, error) {
	refFile := filepath.Join(dir, "reference.csv")
	b, err := driftwatch.Testdata.ReadFile(dataDir + "/reference.csv")
	if err != nil {
		return nil, nil, nil, err
	}
	if err := os.WriteFile(refFile, b, 0o600); err != nil {
		return nil, nil, nil, err
	}
	// The synthetic check goes through the sidecar: listen first.
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pl.Close()
		return nil, nil, nil, err
	}
	fail := func(err error) (*sidecar.Sidecar, net.Listener, net.Listener, error) {
		pl.Close()
		al.Close()
		return nil, nil, nil, err
	}
	body, _ := json.Marshal(oipRequest(m.features, ref.x[:1]))
	yaml := fmt.Sprintf(`
upstream: %[1]s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
state_file: %[2]s
gpu: {source: off}
models:
  - match: {model: %[3]s}
    drift:
      window: {size: 100}
      reference: {file: %[4]s, ignore: [diagnosis]}
    outliers: {method: iforest, fpr: 0.005}
    adversarial: {client_header: X-Client-Id, salt: "%[9]s"}
rules:
  - name: model_drift
    result: dataset_drift
    op: ">="
    warning: 1
    annotations: {summary: "{{.Labels.model}}: the inputs drifted ({{index .Evidence \"top_features\"}})"}
  - name: outliers
    result: outlier_rate
    op: ">"
    warning: 0.05
    min_samples: 20
    keep_firing_for: 30s
    annotations: {summary: "{{.Labels.model}}: {{index .Evidence \"outliers\"}} of {{index .Evidence \"records\"}} records are outliers"}
  - name: adversarial_client
    result: adversarial_suspects
    op: ">="
    warning: 1
    annotations: {summary: "{{.Labels.model}}: {{.Value}} client(s) suspected of adversarial use ({{.Labels.signal}} signal); see /api/v1/suspects"}
  - name: synthetic_failed
    result: probe_success
    op: "<"
    critical: 1
synthetics:
  - name: predict
    interval: 5s
    jitter: 0s
    request: {url: "http://%[6]s/v2/models/%[3]s/infer", body: '%[7]s', timeout: 2s}
    expect:
      status: [200]
      max_latency: 1s
      json: [{path: "$.outputs[?@.name == 'label'].data[0]", equals: %[8]d}]
receivers:
  - name: console
    console: {}
  - name: local-webhook
    webhook: {url: "%[5]s/hook"}
route:
  receiver: console
  group_by: [alertname, model]
  group_wait: 1s
  group_interval: 10s
  routes:
    - {receiver: console, continue: true}
    - {receiver: local-webhook, continue: true}
`, modelURL, filepath.Join(dir, "state.db"), modelName, refFile, hookURL, pl.Addr(), body, label(m, ref.x[0]), clientSalt)
	cfg, errs := config.Parse(filepath.Join(dir, "driftwatch.yaml"), []byte(yaml))
	if len(errs) > 0 {
		return fail(fmt.Errorf("demo config: %v", errs))
	}
	rt, err := cfg.Compile()
	if err != nil {
		return fail(err)
	}
	sc, err := sidecar.New(rt, sidecar.Options{Logger: d.opts.Log, Version: d.opts.Version, Output: d.out,
		Results: func(res []obs.Result) { d.results(res) }})
	if err != nil {
		return fail(err)
	}
	return sc, pl, al, nil
}

func label(m *model, x []float64) int {
	if m.prob(x) >= 0.5 {
		return 1
	}
	return 0
}

// results sees the detectors' results: it counts the synthetic checks.
func (d *demo) results(res []obs.Result) {
	for _, r := range res {
		if r.Name == "probe_success" {
			d.checks[min(int(1-r.Value), 1)].Add(1)
		}
	}
}

// replay sends the table's rows from several clients for dur, one row per
// request, at about 40 requests a second. Each client stands for a stream
// of users, each of whom sends userRows distinct rows under their own id.
func (d *demo) replay(ctx context.Context, t *table, dur time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			var (
				rows []int
				user string
			)
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if n%userRows == 0 {
					rows = rng.Perm(len(t.x))[:userRows]
					user = fmt.Sprintf("user-%d", d.users.Add(1))
				}
				if _, err := d.predict(ctx, user, t.features, [][]float64{t.x[rows[n%userRows]]}); err == nil {
					d.requests.Add(1)
				}
			}
		})
	}
	wg.Wait()
}

// oipRequest is an OIP v2 request with one tensor per feature.
func oipRequest(features []string, rows [][]float64) map[string]any {
	inputs := make([]map[string]any, len(features))
	for j, f := range features {
		col := make([]float64, len(rows))
		for i, r := range rows {
			col[i] = r[j]
		}
		inputs[j] = map[string]any{"name": f, "datatype": "FP64", "shape": []int{len(rows)}, "data": col}
	}
	return map[string]any{"inputs": inputs}
}

// watch polls the sidecar's API and narrates each new drift verdict and
// each alert that starts firing.
func (d *demo) watch(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var windows uint64
	firing, seen := map[string]bool{}, map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var list api.DriftList
		if getJSON(ctx, d.admin+"/api/v1/drift", &list) == nil {
			for _, s := range list.Models {
				if s.Windows <= windows || s.Drift == nil {
					continue
				}
				windows = s.Windows
				d.sum.Windows = windows
				d.sum.Verdicts = append(d.sum.Verdicts, s.Status)
				if *s.Drift {
					d.sum.TopFeatures = s.TopFeatures
					d.say("drift verdict, window %d (%d records): DRIFT in %d of %d features; strongest: %s",
						s.Windows, s.CurrentRows, s.DriftedFeatures, s.Features, strings.Join(s.TopFeatures, ", "))
				} else {
					d.say("drift verdict, window %d (%d records): no drift (%d of %d features differ)",
						s.Windows, s.CurrentRows, s.DriftedFeatures, s.Features)
				}
			}
		}
		d.watchIncidents(ctx, seen)
		var alerts api.AlertList
		if getJSON(ctx, d.admin+"/api/v1/alerts", &alerts) == nil {
			// An alert that fires again is listed again, and its
			// resolved predecessor stays listed for a while: each firing
			// is known by its fingerprint and start.
			for _, a := range alerts.Alerts {
				if a.FiredAt == nil {
					continue
				}
				key := a.Fingerprint + a.FiredAt.String()
				switch {
				case a.State == "firing" && !firing[key]:
					firing[key] = true
					d.sum.AlertsFired = append(d.sum.AlertsFired, a.Rule)
					d.say("ALERT %s (%s) firing: %s", a.Rule, a.Severity, a.Annotations["summary"])
				case a.State == "resolved" && firing[key] && !seen[key]:
					seen[key] = true
					d.say("alert %s resolved", a.Rule)
				}
			}
		}
	}
}

func (d *demo) summary() {
	s := &d.sum
	nd, dr := 0, 0
	for _, v := range s.Verdicts {
		if v == "drift" {
			dr++
		} else {
			nd++
		}
	}
	d.say("")
	d.say("== summary")
	d.say("requests through the sidecar   %d", s.Requests)
	d.say("drift windows compared         %d: %d without drift, %d with drift", s.Windows, nd, dr)
	if len(s.TopFeatures) > 0 {
		d.say("features that drifted most     %s", strings.Join(s.TopFeatures, ", "))
	}
	d.say("alerts fired                   %d (%s)", len(s.AlertsFired), strings.Join(s.AlertsFired, ", "))
	d.say("notifications delivered        console and local webhook (%d received by the webhook)", s.Notifications)
	d.say("outlier records listed         %d", s.Outliers)
	if s.AttackerFlagged {
		d.say("adversarial client             flagged (as %s…; benign clients flagged: %d)", d.attacker[:12], s.OthersFlagged)
	} else {
		d.say("adversarial client             not flagged (benign clients flagged: %d)", s.OthersFlagged)
	}
	d.say("synthetic checks               %d passed, %d failed", s.ChecksPassed, s.ChecksFailed)
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// serve serves h on 127.0.0.1 and returns its URL and a stop function.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// lockedWriter serialises the console receiver's blocks with the
// narrative.
type lockedWriter struct {
	w  io.Writer
	mu sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
