package sidecar

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/receivers"
	"github.com/driftwatch/driftwatch/alerts/notify/webhook"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
)

// BenchmarkBreachToNotification measures the time from a breach (a result
// over a rule's threshold reaching the engine) to the first notification
// arriving at a webhook receiver, with group_wait 10s: the target is
// group_wait + 1 s at p99. 200 breaches, each its own group, arrive at
// random times over 2 s; the engine runs as in the pipeline (results,
// the 1 s tick, the dispatcher's due timer), the outbox is on disk and
// the deliverer posts over loopback HTTP. One iteration takes ~12 s:
//
//	go test -run '^$' -bench BreachToNotification -benchtime 1x ./internal/sidecar/
//
// It reports the latency beyond group_wait: p50, p99 and max, in ms.
func BenchmarkBreachToNotification(b *testing.B) {
	const (
		breaches  = 200
		groupWait = 10 * time.Second
		spread    = 2 * time.Second
	)
	var (
		mu      sync.Mutex
		arrived = map[string]time.Time{}
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		var p webhook.Payload
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		for _, a := range p.Alerts {
			if _, ok := arrived[a.Labels["id"]]; !ok {
				arrived[a.Labels["id"]] = now
			}
		}
		mu.Unlock()
	}))
	defer hook.Close()

	var over []float64 // ms beyond group_wait, all iterations
	for b.Loop() {
		mu.Lock()
		clear(arrived)
		mu.Unlock()
		breachedAt := runBreaches(b, hook.URL, breaches, groupWait, spread, func() int {
			mu.Lock()
			defer mu.Unlock()
			return len(arrived)
		})
		mu.Lock()
		for id, t := range breachedAt {
			at, ok := arrived[id]
			if !ok {
				b.Fatalf("breach %s was never notified", id)
			}
			over = append(over, float64(at.Sub(t)-groupWait)/float64(time.Millisecond))
		}
		mu.Unlock()
	}
	slices.Sort(over)
	q := func(p float64) float64 { return over[min(int(p*float64(len(over))), len(over)-1)] }
	b.ReportMetric(q(0.5), "p50-over-group_wait-ms")
	b.ReportMetric(q(0.99), "p99-over-group_wait-ms")
	b.ReportMetric(over[len(over)-1], "max-over-group_wait-ms")
}

// runBreaches runs the alert engine with a webhook receiver at url, feeds
// it n breaches over spread, and returns when delivered() reaches n, with
// the time of each breach by id.
func runBreaches(b *testing.B, url string, n int, groupWait, spread time.Duration, delivered func() int) map[string]time.Time {
	b.Helper()
	one := 1.0
	a, err := newAlerting([]rules.Rule{{Name: "breach", Result: "r", Op: ">=", Warning: &one}},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	tree, err := route.Compile(route.Config{Receiver: "hook", GroupBy: []string{"id"}, GroupWait: new(groupWait)})
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(b.TempDir(), "state.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := &Sidecar{store: st, log: a.log, rt: &config.Runtime{Route: tree,
		Receivers: []receivers.Config{{Name: "hook", Webhook: &webhook.Config{URL: notify.Secret(url)}}}}}
	if err := s.notifications(a); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { a.deliverer.Run(ctx) })

	type breach struct {
		id string
		at time.Time
	}
	in := make(chan breach)
	breachedAt := map[string]time.Time{}
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		offsets := make([]time.Duration, n)
		for i := range offsets {
			offsets[i] = time.Duration(rng.Int64N(int64(spread)))
		}
		slices.Sort(offsets)
		start := time.Now()
		for i, off := range offsets {
			time.Sleep(time.Until(start.Add(off)))
			select {
			case in <- breach{strconv.Itoa(i), time.Now()}:
			case <-ctx.Done():
				return
			}
		}
	})
	// The pipeline's alert cases (pipeline.run), on this goroutine.
	tick := time.NewTicker(evaluateEvery)
	defer tick.Stop()
	check := time.NewTicker(10 * time.Millisecond)
	defer check.Stop()
	deadline := time.Now().Add(groupWait + spread + time.Minute)
	for delivered() < n {
		select {
		case br := <-in:
			breachedAt[br.id] = br.at
			a.evaluate(br.at, []obs.Result{{Name: "r", Labels: obs.Labels{"id": br.id}, Value: 1, Time: br.at}})
		case now := <-tick.C:
			a.tick(now, nil)
		case now := <-a.dueC():
			a.flush(now)
		case <-check.C:
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d notifications after %v", delivered(), n, groupWait+spread+time.Minute)
			}
		}
	}
	return breachedAt
}
