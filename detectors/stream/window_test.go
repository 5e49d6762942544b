package stream

import (
	"flag"
	"math"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// step adds add records at t0+at, then checks Due at that time; when due,
// it checks the records evaluated and calls Done.
type step struct {
	at   time.Duration
	add  int
	due  bool
	vals []int // values of the records evaluated, in slot order, when due
}

// buffer stores one int per slot, like a caller of Window does.
type buffer struct {
	w    *Window
	vals []int
	next int
}

func newBuffer(t *testing.T, cfg WindowConfig) *buffer {
	t.Helper()
	w, err := NewWindow(cfg)
	if err != nil {
		t.Fatalf("NewWindow(%+v): %v", cfg, err)
	}
	return &buffer{w: w, vals: make([]int, w.Cap())}
}

// add admits n records numbered from b.next.
func (b *buffer) add(now time.Time, n int) {
	for range n {
		if slot, ok := b.w.Admit(now); ok {
			b.vals[slot] = b.next
		}
		b.next++
	}
}

func (b *buffer) evaluated() []int {
	var out []int
	for _, s := range b.w.Slots(nil) {
		out = append(out, b.vals[s])
	}
	return out
}

func TestWindow(t *testing.T) {
	for _, c := range []struct {
		name  string
		cfg   WindowConfig
		steps []step
	}{
		{"tumbling by count", WindowConfig{Size: 3}, []step{
			{at: 0, add: 2},
			{at: time.Hour, add: 1, due: true, vals: []int{0, 1, 2}},
			{at: 2 * time.Hour, add: 2},
			{at: 2 * time.Hour, add: 1, due: true, vals: []int{3, 4, 5}},
		}},
		{"tumbling by time", WindowConfig{Duration: 10 * time.Second}, []step{
			{at: 0, add: 2},
			{at: 9 * time.Second, add: 1},
			{at: 10 * time.Second, due: true, vals: []int{0, 1, 2}},
			{at: 11 * time.Second, add: 1}, // starts the next window
			{at: 20 * time.Second},
			{at: 21 * time.Second, due: true, vals: []int{3}},
		}},
		{"tumbling never due empty", WindowConfig{Duration: time.Second}, []step{
			{at: 0}, {at: time.Minute},
		}},
		{"tumbling by time or count, time first", WindowConfig{Size: 3, Duration: 10 * time.Second}, []step{
			{at: 0, add: 2},
			{at: 10 * time.Second, due: true, vals: []int{0, 1}},
			{at: 11 * time.Second, add: 3, due: true, vals: []int{2, 3, 4}},
		}},
		{"sliding by count", WindowConfig{Size: 4, Mode: Sliding, Step: 2}, []step{
			{at: 0, add: 3},
			{at: 0, add: 1, due: true, vals: []int{0, 1, 2, 3}},
			{at: 0, add: 1},
			{at: 0, add: 1, due: true, vals: []int{2, 3, 4, 5}},
			{at: 0, add: 1},
			{at: 0, add: 4, due: true, vals: []int{7, 8, 9, 10}},
		}},
		{"sliding by count, default step size/4", WindowConfig{Size: 8, Mode: Sliding}, []step{
			{at: 0, add: 8, due: true, vals: []int{0, 1, 2, 3, 4, 5, 6, 7}},
			{at: 0, add: 1},
			{at: 0, add: 1, due: true, vals: []int{2, 3, 4, 5, 6, 7, 8, 9}},
		}},
		{"sliding by count and time", WindowConfig{Size: 4, Duration: 10 * time.Second, Mode: Sliding, Step: 1}, []step{
			{at: 0, add: 2},
			{at: 5 * time.Second, add: 1},
			// Duration since the first record: due, without the two
			// records that are now too old.
			{at: 10 * time.Second, due: true, vals: []int{2}},
			{at: 11 * time.Second, add: 4, due: true, vals: []int{3, 4, 5, 6}},
			{at: 30 * time.Second}, // everything expired
		}},
		{"sliding by time", WindowConfig{Duration: 10 * time.Second, StepDuration: 5 * time.Second, Mode: Sliding}, []step{
			{at: 0, add: 3},
			{at: 6 * time.Second, add: 2},
			{at: 9 * time.Second},
			{at: 10 * time.Second, due: true, vals: []int{0, 1, 2, 3, 4}},
			{at: 12 * time.Second, add: 4},
			{at: 14 * time.Second},
			{at: 15 * time.Second, due: true, vals: []int{3, 4, 5, 6, 7, 8}},
			{at: 16 * time.Second},
			{at: 40 * time.Second}, // all panes expired
		}},
		{"time does not run backwards", WindowConfig{Duration: 10 * time.Second}, []step{
			{at: 5 * time.Second, add: 1},
			{at: 0, add: 1}, // taken as 5s
			{at: 14 * time.Second},
			{at: 15 * time.Second, due: true, vals: []int{0, 1}},
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBuffer(t, c.cfg)
			for i, s := range c.steps {
				now := t0.Add(s.at)
				b.add(now, s.add)
				if got := b.w.Due(now); got != s.due {
					t.Fatalf("step %d (%v): Due = %v, want %v", i, s.at, got, s.due)
				}
				if !s.due {
					continue
				}
				if got := b.evaluated(); !equalInts(got, s.vals) {
					t.Fatalf("step %d (%v): evaluated %v, want %v", i, s.at, got, s.vals)
				}
				b.w.Done(now)
				if b.w.Due(now) {
					t.Fatalf("step %d (%v): still due after Done", i, s.at)
				}
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWindowFlood pushes a million records into windows capped at 10,000
// and checks that what they hold stays within the cap and is a uniform
// sample.
func TestWindowFlood(t *testing.T) {
	const n, limit = 1_000_000, 10_000
	for _, c := range []struct {
		name  string
		cfg   WindowConfig
		span  time.Duration // the records arrive evenly over span
		check time.Duration // when the window is evaluated
	}{
		{"tumbling by time", WindowConfig{Duration: time.Minute, MaxRecords: limit}, 59 * time.Second, time.Minute},
		{"tumbling by time, default cap", WindowConfig{Duration: time.Minute}, 59 * time.Second, time.Minute},
		{"tumbling by count and time", WindowConfig{Size: limit, Duration: time.Minute}, 59 * time.Second, time.Minute},
		{"sliding by time", WindowConfig{Duration: time.Minute, StepDuration: 15 * time.Second, Mode: Sliding, MaxRecords: limit}, time.Minute, time.Minute},
		{"sliding by count", WindowConfig{Size: limit, Mode: Sliding}, time.Minute, time.Minute},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newBuffer(t, c.cfg)
			if b.w.Cap() > limit {
				t.Fatalf("Cap = %d, want at most %d", b.w.Cap(), limit)
			}
			for i := range n {
				b.add(t0.Add(c.span*time.Duration(i)/n), 1)
			}
			if got := len(b.w.times) + len(b.w.panes)*b.w.paneCap; got > limit {
				t.Fatalf("internal buffers hold %d slots, want at most %d", got, limit)
			}
			if len(b.w.panes) > MaxPanes+1 {
				t.Fatalf("%d panes", len(b.w.panes))
			}
			if !b.w.Due(t0.Add(c.check)) {
				t.Fatal("not due")
			}
			vals := b.evaluated()
			if len(vals) > limit || len(vals) < limit/2 {
				t.Fatalf("evaluated %d records, want between %d and %d", len(vals), limit/2, limit)
			}
			if c.cfg.Mode == Sliding && c.cfg.Size > 0 {
				return // the last Size records, not a sample
			}
			// A uniform sample of 0..n-1 (or of the panes evaluated) has
			// a mean within a few standard errors of the middle.
			lo, hi := 0.0, float64(n-1)
			sum := 0.0
			for _, v := range vals {
				sum += float64(v)
				if float64(v) < lo || float64(v) > hi+1 {
					t.Fatalf("evaluated record %d outside [%g, %g]", v, lo, hi)
				}
			}
			mean := sum / float64(len(vals))
			se := (hi - lo) / math.Sqrt(12*float64(len(vals)))
			if d := math.Abs(mean - (lo+hi)/2); d > 5*se {
				t.Errorf("mean of the sample %g is %g from the middle, more than 5 standard errors (%g)", mean, d, se)
			}
			if seen := b.w.Seen(); c.cfg.Mode != Sliding && seen != n {
				t.Errorf("Seen = %d, want %d", seen, n)
			}
			if c.cfg.Mode != Sliding && b.w.Sampled() != uint64(n-len(vals)) {
				t.Errorf("Sampled = %d, want %d", b.w.Sampled(), n-len(vals))
			}
		})
	}
}

// TestWindowPaneShares checks that a sliding window takes from each pane a
// share proportional to its traffic, not to its reservoir.
func TestWindowPaneShares(t *testing.T) {
	b := newBuffer(t, WindowConfig{Duration: 20 * time.Second, StepDuration: 10 * time.Second, Mode: Sliding, MaxRecords: 300})
	for range 1000 {
		if slot, ok := b.w.Admit(t0); ok {
			b.vals[slot] = 0
		}
	}
	for range 100 {
		if slot, ok := b.w.Admit(t0.Add(10 * time.Second)); ok {
			b.vals[slot] = 1
		}
	}
	if !b.w.Due(t0.Add(20 * time.Second)) {
		t.Fatal("not due")
	}
	if got, want := b.w.Seen(), 1100; got != want {
		t.Errorf("Seen = %d, want %d", got, want)
	}
	counts := [2]int{}
	for _, s := range b.w.Slots(nil) {
		counts[b.vals[s]]++
	}
	if counts != [2]int{100, 10} {
		t.Errorf("records taken per pane = %v, want [100 10]", counts)
	}
}

func TestWindowConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  WindowConfig
		err  string // a part of the error; "" for none
	}{
		{"count", WindowConfig{Size: 100}, ""},
		{"time", WindowConfig{Duration: time.Minute}, ""},
		{"sliding time", WindowConfig{Duration: time.Minute, Mode: Sliding}, ""},
		{"empty", WindowConfig{}, "needs a size, a duration or both"},
		{"negative size", WindowConfig{Size: -1}, "window size -1 is not between"},
		{"huge size", WindowConfig{Size: MaxWindowRecords + 1}, "is not between 0"},
		{"negative duration", WindowConfig{Size: 1, Duration: -time.Second}, "negative"},
		{"bad mode", WindowConfig{Size: 1, Mode: "hopping"}, `unknown window mode "hopping"`},
		{"max records with size", WindowConfig{Size: 10, MaxRecords: 10}, "mutually exclusive"},
		{"step on tumbling", WindowConfig{Size: 10, Step: 2}, "sliding windows only"},
		{"step above size", WindowConfig{Size: 10, Step: 20, Mode: Sliding}, "larger than the window size"},
		{"step without size", WindowConfig{Duration: time.Minute, Step: 2, Mode: Sliding}, "needs a window size"},
		{"step duration above duration", WindowConfig{Duration: time.Minute, StepDuration: time.Hour, Mode: Sliding}, "longer than the window duration"},
		{"too many panes", WindowConfig{Duration: time.Hour, StepDuration: time.Second, Mode: Sliding}, "panes, more than"},
		{"cap below panes", WindowConfig{Duration: time.Minute, StepDuration: time.Second, Mode: Sliding, MaxRecords: 10}, "of 60 panes needs at least 61"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case c.err != "" && err == nil:
				t.Fatalf("Validate succeeded, want an error with %q", c.err)
			case c.err != "" && !strings.Contains(err.Error(), c.err):
				t.Fatalf("Validate = %q, want it to contain %q", err, c.err)
			}
			if _, err2 := NewWindow(c.cfg); (err2 == nil) != (err == nil) {
				t.Errorf("NewWindow error %v disagrees with Validate %v", err2, err)
			}
		})
	}
}

func TestWindowConfigFlags(t *testing.T) {
	var c WindowConfig
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-window-size=500", "-window-duration=1m", "-window-mode=sliding", "-window-step=50"}); err != nil {
		t.Fatal(err)
	}
	want := WindowConfig{Size: 500, Duration: time.Minute, Mode: Sliding, Step: 50}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func BenchmarkWindowAdmit(b *testing.B) {
	for _, c := range []struct {
		name string
		cfg  WindowConfig
	}{
		{"tumbling-time", WindowConfig{Duration: time.Hour, MaxRecords: 10_000}},
		{"sliding-count", WindowConfig{Size: 10_000, Mode: Sliding}},
		{"sliding-time", WindowConfig{Duration: time.Hour, Mode: Sliding}},
	} {
		b.Run(c.name, func(b *testing.B) {
			w, err := NewWindow(c.cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				w.Admit(t0.Add(time.Duration(i) * time.Microsecond))
				i++
			}
		})
	}
}
