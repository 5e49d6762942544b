package adversarial

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

func TestHashKey(t *testing.T) {
	// /usr/bin/python3: hmac.new(b'pepper', b'api-key-123',
	// hashlib.sha256).hexdigest()[:32]
	const want = "952dbd805c3b5a37b5cf0701a8c67a3a"
	if got := HashKey([]byte("pepper"), "api-key-123"); got != want {
		t.Errorf("HashKey = %s, want %s", got, want)
	}
	if HashKey([]byte("salt2"), "api-key-123") == want {
		t.Error("HashKey does not depend on the salt")
	}
}

// testConfig returns a 2-feature config with identity standardisation.
func testConfig() Config {
	return Config{Mean: []float64{0, 0}, Std: []float64{1, 1}}
}

func newDetector(t *testing.T, cfg Config) *Detector {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no mean", Config{}, "mean and std"},
		{"k not below ring", Config{Mean: []float64{0}, Std: []float64{1}, Ring: 10, K: 10}, "1 <= k < ring"},
		{"min distances above ring", Config{Mean: []float64{0}, Std: []float64{1}, Ring: 10, K: 2, MinDistances: 11}, "min_distances"},
		{"delta above 1", Config{Mean: []float64{0}, Std: []float64{1}, Delta: 1.5}, "delta"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := testConfig().Validate(); err != nil {
		t.Errorf("Validate() of a good config = %v", err)
	}
}

func TestEviction(t *testing.T) {
	cfg := testConfig()
	cfg.MaxClients = 2
	cfg.Idle = time.Minute
	d := newDetector(t, cfg)
	t0 := time.Unix(0, 0)
	d.Observe("a", []float64{1, 2}, nil, t0)
	d.Observe("b", []float64{1, 2}, nil, t0)
	d.Observe("a", []float64{1, 2}, nil, t0.Add(time.Second)) // b is now the oldest
	d.Observe("c", []float64{1, 2}, nil, t0.Add(2*time.Second))
	if _, ok := d.clients["b"]; ok {
		t.Error("least recently seen client b not evicted at MaxClients")
	}
	if n, _ := d.Len(); n != 2 {
		t.Errorf("Len() = %d, want 2", n)
	}
	d.Observe("c", []float64{1, 2}, nil, t0.Add(2*time.Minute))
	if _, ok := d.clients["a"]; ok {
		t.Error("idle client a not evicted")
	}
	d.Observe("c", []float64{1}, nil, t0.Add(2*time.Minute))
	if _, dropped := d.Len(); dropped != 1 {
		t.Errorf("dropped = %d, want 1", dropped)
	}
}

func TestSignals(t *testing.T) {
	t0 := time.Unix(0, 0)
	t.Run("stateful", func(t *testing.T) {
		cfg := testConfig()
		cfg.KNNThreshold = 0.5
		d := newDetector(t, cfg)
		for i := range 30 {
			d.Observe("c", []float64{1 + 0.001*float64(i), 1}, nil, t0)
		}
		assertFlag(t, d, "c", SignalStateful)
	})
	t.Run("extraction spread", func(t *testing.T) {
		cfg := testConfig()
		cfg.SpreadThreshold = 5
		cfg.Delta = 0.01
		d := newDetector(t, cfg)
		for i := range 30 {
			d.Observe("c", []float64{10 * float64(i), 0}, nil, t0) // min distance 10 each
		}
		assertFlag(t, d, "c", SignalExtraction)
	})
	t.Run("extraction W", func(t *testing.T) {
		d := newDetector(t, testConfig())
		// Min distances of 1 except one of 50: far from normal.
		for i := range 25 {
			x := float64(i)
			if i == 24 {
				x = 73
			}
			d.Observe("c", []float64{x, 0}, nil, t0)
		}
		assertFlag(t, d, "c", SignalExtraction)
	})
	t.Run("boundary", func(t *testing.T) {
		d := newDetector(t, testConfig())
		for i := range 25 {
			d.Observe("c", []float64{float64(i) * 0.37, float64(i*i) * 0.11}, []float64{0.52, 0.48}, t0)
		}
		assertFlag(t, d, "c", SignalBoundary)
	})
	t.Run("benign", func(t *testing.T) {
		cfg := testConfig()
		cfg.Delta = 0.5 // W of 20-odd skewed distances varies widely
		d := newDetector(t, cfg)
		rng := rand.New(rand.NewPCG(1, 2))
		for range 25 {
			d.Observe("c", []float64{rng.NormFloat64(), rng.NormFloat64()}, []float64{0.9, 0.1}, t0)
		}
		if f := d.Flags("c"); len(f) != 0 {
			t.Errorf("Flags = %v, want none", f)
		}
	})
}

func assertFlag(t *testing.T, d *Detector, client, signal string) {
	t.Helper()
	for _, s := range d.Flags(client) {
		if s.Signal == signal {
			return
		}
	}
	t.Errorf("Flags(%s) = %v, want signal %s", client, d.Flags(client), signal)
}

func TestResultsBoundedLabels(t *testing.T) {
	d := newDetector(t, testConfig())
	t0 := time.Unix(0, 0)
	for c := range 5 {
		for i := range 25 {
			d.Observe(fmt.Sprint("client", c), []float64{float64(i), float64(i * c)}, []float64{0.5, 0.5}, t0)
		}
	}
	rs := d.Results(t0, nil)
	if len(rs) != 4 {
		t.Fatalf("got %d results, want 4", len(rs))
	}
	for _, r := range rs {
		for k, v := range r.Labels {
			if k != "signal" || strings.Contains(v, "client") {
				t.Errorf("unbounded label %s=%q in %s", k, v, r.Name)
			}
		}
		if r.Name == ResultSuspects && r.Labels["signal"] == SignalBoundary && (r.Value != 5 || r.Severity != obs.Warning) {
			t.Errorf("boundary suspects = %v (%v), want 5 (warning)", r.Value, r.Severity)
		}
	}
}

func TestSuspectsConcurrent(t *testing.T) {
	d := newDetector(t, testConfig())
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				d.Suspects()
			}
		}
	})
	t0 := time.Unix(0, 0)
	for i := range 500 {
		d.Observe(fmt.Sprint(i%7), []float64{float64(i), 1}, []float64{0.5, 0.5}, t0)
	}
	close(stop)
	wg.Wait()
	if len(d.Suspects()) == 0 {
		t.Error("no suspects")
	}
}

func TestMargin(t *testing.T) {
	if got := Margin([]float64{0.2, 0.5, 0.3}); got < 0.2-1e-12 || got > 0.2+1e-12 {
		t.Errorf("Margin = %v, want 0.2", got)
	}
}

func BenchmarkObserve(b *testing.B) {
	cfg := Config{Mean: make([]float64, 30), Std: make([]float64, 30)}
	d, _ := New(cfg)
	x := make([]float64, 30)
	t0 := time.Unix(0, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		x[i%30] += 1
		i++
		d.Observe("c", x, []float64{0.7, 0.3}, t0)
	}
}
