package detectors

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/stream"
	"github.com/driftwatch/driftwatch/internal/obs"
)

var (
	_ Detector = (*drift.Monitor)(nil)
	_ Detector = (*Runner)(nil)
	_ Detector = (*PerModel[*drift.Monitor])(nil)
	_ Detector = Funcs{}
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// counter counts records and says so in one Result.
type counter struct{ n int }

func (c *counter) Observe(obs.Record) { c.n++ }
func (c *counter) Results(now time.Time, dst []obs.Result) []obs.Result {
	return append(dst, obs.Result{Name: "count", Time: now, Value: float64(c.n)})
}

func newLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, nil)), &buf
}

func TestRunnerRecovers(t *testing.T) {
	for _, c := range []struct {
		name         string
		maxPanics    int
		records      int
		wantPanics   uint64
		wantDisabled bool
		wantLogs     int
	}{
		{"kept below the limit", 0, 50, 50 + 1, false, 1},
		{"disabled at the limit", 10, 50, 10, true, 2},
		{"never disabled", -1, 200, 200 + 1, false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, logs := newLogger()
			r := NewRunner(l)
			r.MaxPanics = c.maxPanics
			before, after := &counter{}, &counter{}
			r.Add("before", before)
			r.Add("bad", Funcs{
				ObserveFunc: func(rec obs.Record) { _ = rec.Features[3] }, // index out of range
				ResultsFunc: func(now time.Time, dst []obs.Result) []obs.Result {
					dst = append(dst, obs.Result{Name: "half-done"})
					panic("boom")
				},
			})
			r.Add("after", after)
			for range c.records {
				r.Observe(obs.Record{})
			}
			res := r.Results(t0, nil)
			if before.n != c.records || after.n != c.records {
				t.Errorf("the other detectors saw %d and %d records, want %d", before.n, after.n, c.records)
			}
			if len(res) != 2 || res[0].Name != "count" || res[1].Name != "count" {
				t.Errorf("results %+v, want the two counts and nothing of the panicking detector", res)
			}
			p := r.Panics()
			if len(p) != 3 || p[1].Detector != "bad" || p[1].Panics != c.wantPanics || p[1].Disabled != c.wantDisabled || p[0].Panics != 0 {
				t.Errorf("panics %+v, want %d for bad (disabled %v)", p, c.wantPanics, c.wantDisabled)
			}
			if n := strings.Count(logs.String(), "level=ERROR"); n != c.wantLogs {
				t.Errorf("%d log lines, want %d (throttled):\n%s", n, c.wantLogs, logs)
			}
			if !strings.Contains(logs.String(), "detector=bad") || !strings.Contains(logs.String(), "index out of range") {
				t.Errorf("log does not say which detector and why:\n%s", logs)
			}
		})
	}
}

func TestRunnerPanicsConcurrent(t *testing.T) {
	r := NewRunner(slog.New(slog.DiscardHandler))
	r.Add("bad", Funcs{ObserveFunc: func(obs.Record) { panic(errors.New("x")) }})
	var wg sync.WaitGroup
	wg.Go(func() {
		for range 100 {
			_ = r.Panics()
		}
	})
	for range 100 {
		r.Observe(obs.Record{})
	}
	wg.Wait()
	if p := r.Panics(); p[0].Panics != DefaultMaxPanics || !p[0].Disabled {
		t.Errorf("panics %+v", p)
	}
}

func TestPerModel(t *testing.T) {
	for _, c := range []struct {
		name        string
		max         int
		fail        string // model whose detector cannot be made
		models      []string
		wantKeys    int
		wantDropped uint64
		wantErrors  uint64
	}{
		{"under the cap", 3, "", []string{"a", "b", "a", "c"}, 3, 0, 0},
		{"over the cap", 2, "", []string{"a", "b", "c", "a", "d", "c"}, 2, 3, 0},
		{"failing constructor", 3, "b", []string{"a", "b", "b", "c", "d"}, 2, 3, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			made := 0
			p := NewPerModel(c.max, func(model, version string) (*counter, error) {
				made++
				if model == c.fail {
					return nil, fmt.Errorf("no reference for %s", model)
				}
				return &counter{}, nil
			})
			for _, m := range c.models {
				p.Observe(obs.Record{Model: m, Version: "1"})
			}
			if keys := p.Keys(); len(keys) != c.wantKeys {
				t.Errorf("keys %v, want %d", keys, c.wantKeys)
			}
			if made > c.max {
				t.Errorf("made %d detectors, more than the cap %d", made, c.max)
			}
			if p.Dropped() != c.wantDropped {
				t.Errorf("dropped %d, want %d", p.Dropped(), c.wantDropped)
			}
			if n, msg := p.Errors(); n != c.wantErrors || n > 0 && !strings.Contains(msg, `model "b"`) {
				t.Errorf("errors %d %q, want %d", n, msg, c.wantErrors)
			}
			if d, ok := p.Get("a", "1"); !ok || d.n != strings.Count(strings.Join(c.models, ""), "a") {
				t.Errorf("Get(a) = %v, %v", d, ok)
			}
			if res := p.Results(t0, nil); len(res) != c.wantKeys {
				t.Errorf("%d results, want %d", len(res), c.wantKeys)
			}
		})
	}
}

// TestPerModelDrift runs drift monitors per model version behind a Runner,
// reading their reports concurrently.
func TestPerModelDrift(t *testing.T) {
	p := NewPerModel(2, func(model, version string) (*drift.Monitor, error) {
		opt := drift.LiveOptions()
		opt.Permutations = 0
		return drift.NewMonitor(drift.MonitorConfig{Model: model, Version: version, ReferenceFirst: 100, Options: opt,
			Window: stream.WindowConfig{Size: 100}})
	})
	r := NewRunner(slog.New(slog.DiscardHandler))
	r.Add("drift", p)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			for _, k := range p.Keys() {
				if m, ok := p.Get(k.Model, k.Version); ok {
					_ = m.LastReport()
				}
			}
		}
	})
	var res []obs.Result
	for i := range 200 {
		for _, model := range []string{"stable", "shifting", "extra"} {
			x := float64(i % 10)
			if model == "shifting" && i >= 100 {
				x += 5
			}
			r.Observe(obs.Record{Time: t0, Model: model, Version: "v1", Features: []obs.Value{{Name: "x", Kind: obs.Number, Num: x}}})
		}
	}
	res = r.Results(t0, res)
	close(done)
	wg.Wait()
	got := map[string]float64{}
	for _, x := range res {
		if x.Name == drift.ResultDataset {
			got[x.Labels["model"]] = x.Value
		}
	}
	if len(got) != 2 || got["stable"] != 0 || got["shifting"] != 1 {
		t.Errorf("dataset drift per model %v, want stable 0 and shifting 1 (extra over the cap)", got)
	}
	if p.Dropped() != 200 {
		t.Errorf("dropped %d, want 200", p.Dropped())
	}
}
