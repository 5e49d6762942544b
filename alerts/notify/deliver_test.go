package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/outbox"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
)

// recorder is a receiver that answers from a script of errors (nil: sent)
// and records the group keys it was sent.
type recorder struct {
	mu     sync.Mutex
	script []error
	got    []string
}

func (r *recorder) Notify(_ context.Context, m *Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var err error
	if len(r.script) > 0 {
		err, r.script = r.script[0], r.script[1:]
	}
	if err == nil {
		r.got = append(r.got, m.GroupKey+"/"+m.DedupKey)
	}
	return err
}

func (r *recorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func TestDeliverer(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ob, err := outbox.Open(st, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ok := &recorder{}
	flaky := &recorder{script: []error{
		&Error{Retryable: true, Status: 503},
		&Error{Retryable: true, Status: 429, RetryAfter: 20 * time.Millisecond},
	}}
	refusing := &recorder{script: []error{&Error{Status: 400, Reason: "invalid_payload"}}}
	now := time.Now()
	msg := func(group string) []byte {
		b, err := json.Marshal(&Message{GroupKey: group, Status: StatusFiring,
			Alerts: []*alert.Alert{{Rule: "drift", Labels: obs.Labels{"alertname": "drift"}, State: alert.Firing, Severity: obs.Warning}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, e := range []struct{ receiver, key, group string }{
		{"ok", "k1", "g1"}, {"ok", "k2", "g2"},
		{"flaky", "k1", "g1"}, {"flaky", "k2", "g2"},
		{"refusing", "k1", "g1"}, {"refusing", "k2", "g2"},
	} {
		if _, err := ob.Enqueue(e.receiver, e.key, msg(e.group), now); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ob.Enqueue("ok", "bad", []byte("not json"), now); err != nil {
		t.Fatal(err)
	}
	d := &Deliverer{Outbox: ob, Notifiers: map[string]Notifier{"ok": ok, "flaky": flaky, "refusing": refusing},
		Backoff: Backoff{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}, Poll: 10 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	want := map[*recorder][]string{ok: {"g1/k1", "g2/k2"}, flaky: {"g1/k1", "g2/k2"}, refusing: {"g2/k2"}}
	wantStats := map[string]outbox.Counts{"ok": {Delivered: 2, Failed: 1}, "flaky": {Delivered: 2}, "refusing": {Delivered: 1, Failed: 1}}
	var stats map[string]outbox.Counts
	// A send is recorded in the outbox just after the receiver got it:
	// wait for both.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if stats, err = ob.Stats(); err != nil {
			t.Fatal(err)
		}
		if slices.Equal(ok.sent(), want[ok]) && slices.Equal(flaky.sent(), want[flaky]) && slices.Equal(refusing.sent(), want[refusing]) &&
			stats["ok"] == wantStats["ok"] && stats["flaky"] == wantStats["flaky"] && stats["refusing"] == wantStats["refusing"] {
			break
		}
	}
	for r, w := range want {
		if got := r.sent(); !slices.Equal(got, w) {
			t.Errorf("sent %q, want %q (in order)", got, w)
		}
	}
	for recv, c := range wantStats {
		if stats[recv] != c {
			t.Errorf("outbox %s: %+v, want %+v", recv, stats[recv], c)
		}
	}
	entries, err := ob.Status("")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		if e.Receiver == "flaky" && e.DedupKey == "k1" {
			found = true
			if e.Attempts != 3 {
				t.Errorf("flaky k1 took %d attempts, want 3 (503, 429, sent)", e.Attempts)
			}
		}
	}
	if !found {
		t.Error("flaky k1 is not in the outbox's status")
	}
}

// switchable is a receiver that fails with a retryable error while down.
type switchable struct {
	recorder
	down     atomic.Bool
	attempts atomic.Int64
}

func (s *switchable) Notify(ctx context.Context, m *Message) error {
	s.attempts.Add(1)
	if s.down.Load() {
		return &Error{Retryable: true, Err: errors.New("connection refused")}
	}
	return s.recorder.Notify(ctx, m)
}

// TestBreakerAndFallback: a dead receiver trips its circuit (few attempts
// while it is down), its notifications go to its fallback, the other
// receivers are not delayed, a refused notification goes to the fallback
// too, and the dead receiver gets its own when it comes back.
func TestBreakerAndFallback(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "state.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ob, err := outbox.Open(st, outbox.Options{MaxAttempts: 1000})
	if err != nil {
		t.Fatal(err)
	}
	dead, healthy, backup := &switchable{}, &recorder{}, &recorder{}
	dead.down.Store(true)
	refusing := &recorder{script: []error{&Error{Status: 400, Reason: "invalid_blocks"}}}
	now := time.Now()
	var want []string
	for i := range 5 {
		key := fmt.Sprintf("k%d", i)
		for _, r := range []string{"dead", "healthy"} {
			if _, err := ob.Enqueue(r, key, []byte(`{"GroupKey":"g"}`), now); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, "g/"+key)
	}
	if _, err := ob.Enqueue("refusing", "r0", []byte(`{"GroupKey":"g"}`), now); err != nil {
		t.Fatal(err)
	}
	cooldown := 100 * time.Millisecond
	d := &Deliverer{Outbox: ob,
		Notifiers: map[string]Notifier{"dead": dead, "healthy": healthy, "backup": backup, "refusing": refusing},
		Fallbacks: map[string]string{"dead": "backup", "refusing": "backup"},
		Backoff:   Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond},
		Breaker:   Breaker{Failures: 3, Cooldown: cooldown, MaxCooldown: 2 * cooldown},
		Poll:      5 * time.Millisecond, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	start := time.Now()
	waitFor("the fallback to get the dead receiver's and the refused notifications", func() bool { return len(backup.sent()) == 6 })
	if got := healthy.sent(); !slices.Equal(got, want) {
		t.Errorf("healthy receiver got %q, want %q", got, want)
	}
	if c := d.Circuits()["dead"]; !c.Open || c.Failures < 3 || !strings.Contains(c.LastError, "connection refused") {
		t.Errorf("dead receiver's circuit = %+v, want open after 3 failures", c)
	}
	time.Sleep(3 * cooldown)
	// While open the receiver is tried once per cooldown (which doubles):
	// 3 attempts to open it, then at most one per cooldown.
	if n, most := dead.attempts.Load(), 3+int64(time.Since(start)/cooldown)+1; n > most {
		t.Errorf("dead receiver tried %d times in %v, want at most %d", n, time.Since(start), most)
	}
	if c := d.Circuits()["healthy"]; c.Open || c.Failures != 0 {
		t.Errorf("healthy receiver's circuit = %+v, want closed", c)
	}
	if c := d.Circuits()["refusing"]; c.Open {
		t.Errorf("a refusal opened the circuit: %+v", c)
	}

	dead.down.Store(false)
	waitFor("the dead receiver to get its notifications once back", func() bool { return len(dead.sent()) == 5 })
	if got := dead.sent(); !slices.Equal(got, want) {
		t.Errorf("receiver back got %q, want %q", got, want)
	}
	if c := d.Circuits()["dead"]; c.Open || c.Failures != 0 {
		t.Errorf("circuit after the receiver came back = %+v, want closed", c)
	}
	if n := len(backup.sent()); n != 6 {
		t.Errorf("fallback got %d notifications, want 6 (no copy after the circuit closed)", n)
	}
}
