package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// target is one address the load goes to, with its own pool of keep-alive
// connections.
type target struct {
	name   string
	url    string
	client *http.Client
}

// newTarget returns a target for the inference URL of model "bench" at
// host:port addr, keeping up to conns idle connections open.
func newTarget(name, addr string, conns int) *target {
	return &target{
		name: name,
		url:  "http://" + addr + "/v2/models/bench/infer",
		client: &http.Client{Transport: &http.Transport{
			// No Proxy: the environment's HTTP_PROXY must not apply.
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     5 * time.Minute,
			DisableCompression:  true,
		}},
	}
}

// do sends one inference request and reads the whole response. Anything but
// a 200 with the upstream's exact body is an error.
func (t *target) do(body []byte) error {
	req, err := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return fmt.Errorf("read response: %w", err)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case n != int64(len(inferResponse)):
		return fmt.Errorf("response body of %d bytes, want %d", n, len(inferResponse))
	}
	return nil
}

// openResult is what one open-loop phase measured. Latencies are indexed by
// request number; the slices of failed requests hold their times too but
// failed[i] is set.
type openResult struct {
	target  string
	planned int // requests on the schedule
	sent    int // requests sent before the phase was cancelled
	errs    int
	err     error // first error

	latency []time.Duration // scheduled send time → response read
	service []time.Duration // actual send time → response read
	lag     []time.Duration // scheduled → actual send time
	failed  []bool
}

// openLoop sends requests to t at a constant rate for d, on a fixed
// schedule: request i is due at start + i/rate whatever happened to the
// ones before, so a slow response delays no later request and the latency
// measured from the due time includes any queueing (no coordinated
// omission). Up to workers requests are in flight at once; beyond that,
// requests wait in a queue and their latency grows. Bodies are taken in
// turn from bodies, starting at index first.
func openLoop(ctx context.Context, t *target, rate float64, d time.Duration, workers int, bodies [][]byte, first int) *openResult {
	n := int(rate * d.Seconds())
	r := &openResult{
		target:  t.name,
		planned: n,
		latency: make([]time.Duration, n),
		service: make([]time.Duration, n),
		lag:     make([]time.Duration, n),
		failed:  make([]bool, n),
	}
	start := time.Now().Add(5 * time.Millisecond)
	due := func(i int) time.Time { return start.Add(time.Duration(float64(i) * 1e9 / rate)) }

	jobs := make(chan int, 4*workers)
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				sched := due(i)
				t0 := time.Now()
				err := t.do(bodies[(first+i)%len(bodies)])
				t1 := time.Now()
				r.latency[i], r.service[i], r.lag[i] = t1.Sub(sched), t1.Sub(t0), t0.Sub(sched)
				if err != nil {
					r.failed[i] = true
					mu.Lock()
					r.errs++
					if r.err == nil {
						r.err = err
					}
					mu.Unlock()
				}
			}
		})
	}
	// The pacer runs on its own OS thread; see sleepUntil.
	paced := make(chan int)
	go func() {
		lockPacer()
		i := 0
		for ; i < n && ctx.Err() == nil; i++ {
			sleepUntil(due(i))
			jobs <- i
		}
		close(jobs)
		paced <- i
	}()
	r.sent = <-paced
	wg.Wait()
	r.latency, r.service, r.lag, r.failed = r.latency[:r.sent], r.service[:r.sent], r.lag[:r.sent], r.failed[:r.sent]
	return r
}

// ok returns the durations of the requests that succeeded, in a new slice.
func (r *openResult) ok(all []time.Duration) []time.Duration {
	out := make([]time.Duration, 0, len(all))
	for i, v := range all {
		if !r.failed[i] {
			out = append(out, v)
		}
	}
	return out
}

// closedResult is what one closed-loop phase measured.
type closedResult struct {
	target  string
	conns   int
	elapsed time.Duration
	sent    int // requests sent, including those answered after the end
	done    int // requests completed within the phase
	errs    int
	err     error
	latency []time.Duration
}

// throughput returns the completed requests per second.
func (r *closedResult) throughput() float64 { return float64(r.done) / r.elapsed.Seconds() }

// closedLoop keeps conns requests in flight to t for d, each connection
// sending its next request as soon as the previous answer is read: the
// maximum rate the path sustains with that concurrency.
func closedLoop(ctx context.Context, t *target, conns int, d time.Duration, bodies [][]byte, first int) *closedResult {
	r := &closedResult{target: t.name, conns: conns}
	var (
		wg sync.WaitGroup
		mu sync.Mutex
	)
	start := time.Now()
	end := start.Add(d)
	for c := range conns {
		wg.Go(func() {
			var lat []time.Duration
			sent, done, errs := 0, 0, 0
			var firstErr error
			for k := c; ctx.Err() == nil; k += conns {
				t0 := time.Now()
				if t0.After(end) {
					break
				}
				sent++
				err := t.do(bodies[(first+k)%len(bodies)])
				t1 := time.Now()
				if t1.After(end) {
					break
				}
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				done++
				lat = append(lat, t1.Sub(t0))
			}
			mu.Lock()
			r.sent += sent
			r.done += done
			r.errs += errs
			if r.err == nil {
				r.err = firstErr
			}
			r.latency = append(r.latency, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r.elapsed = min(time.Since(start), d)
	return r
}
