package gpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Split(strings.TrimSpace(b.buf.String()), "\n")
}

func testLogger(b *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// countingSource counts the polls of a source and keeps its name.
type countingSource struct {
	Source
	polls atomic.Int32
}

func (c *countingSource) Sample(ctx context.Context, dst []Sample) ([]Sample, error) {
	c.polls.Add(1)
	return c.Source.Sample(ctx, dst)
}

func (c *countingSource) Name() string { return sourceName(c.Source) }

// TestWatcherNoGPU runs the auto source of this machine (no NVIDIA
// library, no nvidia-smi) for several polls: one log line, "no GPU: …",
// and the Watcher keeps running.
func TestWatcherNoGPU(t *testing.T) {
	var logs logBuffer
	cfg := &Config{Source: SourceAuto, NvidiaSMI: "/nonexistent/nvidia-smi", Interval: 5 * time.Millisecond}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	auto, err := sources[SourceAuto](cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := &countingSource{Source: auto}
	w := NewWatcher(src, cfg.Interval, testLogger(&logs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for src.polls.Load() < 6 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := src.polls.Load(); n < 6 {
		t.Fatalf("%d polls, want at least 6", n)
	}
	lines := logs.lines()
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], `level=INFO msg="no GPU: nvml: `) ||
		!strings.Contains(lines[0], "nvidia-smi: fork/exec /nonexistent/nvidia-smi: no such file or directory") ||
		!strings.Contains(lines[0], "source=auto") {
		t.Errorf("log line %q", lines[0])
	}
	if err := w.Err(); !errors.Is(err, ErrNoGPU) {
		t.Errorf("Err() = %v, want no GPU", err)
	}
	if s := w.Samples(nil); len(s) != 0 {
		t.Errorf("samples %v", s)
	}
	res := w.Results(time.Now(), nil)
	if len(res) != 1 || res[0].Name != ResultSourceUp || res[0].Value != 0 || res[0].Labels["source"] != "auto" {
		t.Errorf("results %+v", res)
	}
	if err := w.Close(); err != nil {
		t.Error(err)
	}
}

// scripted is a source answering from a script, one step per poll.
type scripted struct {
	steps []func(dst []Sample) ([]Sample, error)
	i     int
}

func (s *scripted) Sample(_ context.Context, dst []Sample) ([]Sample, error) {
	step := s.steps[min(s.i, len(s.steps)-1)]
	s.i++
	return step(dst)
}

func (s *scripted) Name() string { return "scripted" }

func TestWatcherTransitions(t *testing.T) {
	noGPU := func(dst []Sample) ([]Sample, error) { return dst, fmt.Errorf("%w: x", ErrNoGPU) }
	ok := func(dst []Sample) ([]Sample, error) {
		s := smiH100()
		s.Invalid = 2
		return append(dst, s), nil
	}
	fail := func(dst []Sample) ([]Sample, error) {
		return dst, errors.New("dcgm: GET http://x/metrics: 503 Service Unavailable")
	}
	src := &scripted{steps: []func([]Sample) ([]Sample, error){noGPU, noGPU, ok, ok, fail, fail, fail, ok}}
	var logs logBuffer
	w := NewWatcher(src, time.Second, testLogger(&logs))
	if res := w.Results(time.Now(), nil); len(res) != 0 {
		t.Errorf("results before the first poll: %v", res)
	}
	ctx := context.Background()
	for range len(src.steps) {
		w.Poll(ctx)
	}
	var msgs []string
	for _, l := range logs.lines() {
		_, msg, _ := strings.Cut(l, "msg=")
		msgs = append(msgs, msg)
	}
	want := []string{
		`"no GPU: x" source=scripted`,
		`"GPU source ok" source=scripted gpus=1 after="no GPU: x" failed_polls=2`,
		`"GPU source failing" source=scripted err="dcgm: GET http://x/metrics: 503 Service Unavailable"`,
		`"GPU source ok" source=scripted gpus=1 after="dcgm: GET http://x/metrics: 503 Service Unavailable" failed_polls=3`,
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if err := w.Err(); err != nil {
		t.Errorf("Err() = %v", err)
	}
	w.mu.Lock()
	errs, invalid := w.errors, w.invalid
	w.mu.Unlock()
	if errs != 3 || invalid != 6 {
		t.Errorf("errors %d, invalid %d; want 3 and 6", errs, invalid)
	}
	if s := w.Samples(nil); len(s) != 1 || s[0].UUID != smiH100().UUID {
		t.Errorf("samples %+v", s)
	}
}

func TestWatcherPartialSamples(t *testing.T) {
	src := SourceFunc(func(_ context.Context, dst []Sample) ([]Sample, error) {
		return append(dst, smiH100()), errors.New("nvml: device 1: GetUUID: ERROR_GPU_IS_LOST")
	})
	var logs logBuffer
	w := NewWatcher(src, 0, testLogger(&logs))
	w.Poll(context.Background())
	if len(w.Samples(nil)) != 1 {
		t.Error("the samples read before the error were dropped")
	}
	res := w.Results(time.Now(), nil)
	if res[0].Name != ResultSourceUp || res[0].Value != 0 || res[0].Labels["source"] != "custom" ||
		res[0].Evidence[0].Value != "nvml: device 1: GetUUID: ERROR_GPU_IS_LOST" {
		t.Errorf("first result %+v", res[0])
	}
	if len(res) < 2 {
		t.Error("no result of the samples read")
	}
}

func TestWatcherRunStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var polls atomic.Int32
	src := SourceFunc(func(ctx context.Context, dst []Sample) ([]Sample, error) {
		polls.Add(1)
		<-ctx.Done() // a poll never outlives its interval
		return dst, ctx.Err()
	})
	var logs logBuffer
	w := NewWatcher(src, 20*time.Millisecond, testLogger(&logs))
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	for polls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	lines := logs.lines()
	if len(lines) != 1 || !strings.Contains(lines[0], "context deadline exceeded") {
		t.Errorf("logs %q, want one failing line", lines)
	}
}
