package outbox

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/store"
)

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	return st
}

func newOutbox(t testing.TB, opts Options) (*Outbox, *store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "outbox.db")
	st := openStore(t, path)
	t.Cleanup(func() { _ = st.Close() })
	o, err := Open(st, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return o, st, path
}

func enqueue(t testing.TB, o *Outbox, receiver, key string, now time.Time) uint64 {
	t.Helper()
	id, err := o.Enqueue(receiver, key, []byte("payload "+key), now)
	if err != nil {
		t.Fatalf("Enqueue(%s, %s): %v", receiver, key, err)
	}
	return id
}

func dueIDs(t testing.TB, o *Outbox, receiver string, now time.Time, max int) []uint64 {
	t.Helper()
	es, err := o.Due(receiver, now, max)
	if err != nil {
		t.Fatalf("Due: %v", err)
	}
	ids := []uint64{}
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}

func wantIDs(t *testing.T, what string, got []uint64, want ...uint64) {
	t.Helper()
	if want == nil {
		want = []uint64{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func wantStats(t *testing.T, o *Outbox, want map[string]Counts) {
	t.Helper()
	got, err := o.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Stats = %v, want %v", got, want)
	}
}

func TestCycle(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	id := enqueue(t, o, "slack", "g1/firing", t0)

	es, err := o.Due("slack", t0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("Due = %v, want one entry", es)
	}
	e := es[0]
	if e.ID != id || e.Receiver != "slack" || e.DedupKey != "g1/firing" || string(e.Payload) != "payload g1/firing" ||
		e.State != StatePending || e.Attempts != 0 || !e.Created.Equal(t0) || !e.NextAttempt.Equal(t0) {
		t.Errorf("Due entry = %+v", e)
	}
	wantIDs(t, "Due of another receiver", dueIDs(t, o, "datadog", t0, 10))
	wantIDs(t, "Due before Created", dueIDs(t, o, "slack", t0.Add(-time.Second), 10))

	retry := t0.Add(time.Minute)
	if err := o.Fail(id, t0, retry, "503 Service Unavailable"); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Due before retry", dueIDs(t, o, "slack", retry.Add(-time.Nanosecond), 10))
	wantIDs(t, "Due at retry", dueIDs(t, o, "slack", retry, 10), id)
	e, _ = o.Get(id)
	if e.Attempts != 1 || e.LastError != "503 Service Unavailable" || !e.NextAttempt.Equal(retry) {
		t.Errorf("after Fail: %+v", e)
	}

	done := retry.Add(time.Second)
	if err := o.Ack(id, done); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Due after Ack", dueIDs(t, o, "slack", done, 10))
	e, _ = o.Get(id)
	if e.State != StateDelivered || e.Attempts != 2 || !e.Finished.Equal(done) {
		t.Errorf("after Ack: %+v", e)
	}
	if err := o.Ack(id, done); err != nil {
		t.Errorf("second Ack = %v, want nil", err)
	}
	if err := o.Fail(id, done, done, "x"); !errors.Is(err, ErrNotPending) {
		t.Errorf("Fail after Ack = %v, want ErrNotPending", err)
	}
	if err := o.Ack(999, done); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ack(999) = %v, want ErrNotFound", err)
	}
	wantStats(t, o, map[string]Counts{"slack": {Delivered: 1}})
}

func TestEnqueueIdempotent(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	a := enqueue(t, o, "slack", "g1/firing", t0)
	b := enqueue(t, o, "slack", "g1/firing", t0.Add(time.Second))
	if a != b {
		t.Errorf("same key while pending: ids %d and %d, want equal", a, b)
	}
	c := enqueue(t, o, "webhook", "g1/firing", t0)
	if c == a {
		t.Error("same key for another receiver reused the id")
	}
	wantStats(t, o, map[string]Counts{"slack": {Pending: 1}, "webhook": {Pending: 1}})

	// Delivered: the key may be sent again (a repeat notification).
	if err := o.Ack(a, t0); err != nil {
		t.Fatal(err)
	}
	d := enqueue(t, o, "slack", "g1/firing", t0)
	if d == a {
		t.Error("after Ack, Enqueue of the same key returned the delivered entry")
	}

	q, err := o.EnqueueBatch([]Item{
		{Receiver: "slack", DedupKey: "g2"},
		{Receiver: "slack", DedupKey: "g2"},
		{Receiver: "slack", DedupKey: "g1/firing"},
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if q[0] != q[1] || q[2] != (Queued{ID: d}) {
		t.Errorf("EnqueueBatch = %v, want [x x {%d false}]", q, d)
	}
}

func TestEnqueueBadNames(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	for _, c := range []struct{ name, receiver, key string }{
		{"empty receiver", "", "k"},
		{"empty key", "r", ""},
		{"NUL in receiver", "r\x00", "k"},
		{"NUL in key", "r", "k\x00x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := o.Enqueue(c.receiver, c.key, nil, t0); err == nil {
				t.Error("Enqueue succeeded")
			}
		})
	}
}

func TestFIFOPerReceiver(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	var slack, hook []uint64
	for i := range 5 {
		slack = append(slack, enqueue(t, o, "slack", fmt.Sprintf("k%d", i), t0.Add(time.Duration(i)*time.Second)))
		hook = append(hook, enqueue(t, o, "webhook", fmt.Sprintf("k%d", i), t0))
	}
	now := t0.Add(time.Minute)
	wantIDs(t, "Due(slack)", dueIDs(t, o, "slack", now, 0), slack...)
	wantIDs(t, "Due(slack, max 2)", dueIDs(t, o, "slack", now, 2), slack[:2]...)
	wantIDs(t, "Due(webhook)", dueIDs(t, o, "webhook", now, 0), hook...)
	// A receiver name that is a prefix of another must not see its entries.
	wantIDs(t, "Due(slac)", dueIDs(t, o, "slac", now, 0))

	// The oldest entry waits for its retry: the later ones wait behind it.
	if err := o.Fail(slack[0], now, now.Add(time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Due(slack) while the head waits", dueIDs(t, o, "slack", now, 0))
	wantIDs(t, "Due(webhook) is not held back", dueIDs(t, o, "webhook", now, 1), hook[0])
	wantIDs(t, "Due(slack) after the retry time", dueIDs(t, o, "slack", now.Add(time.Minute), 0), slack...)

	if err := o.Ack(slack[0], now); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(slack[2], now); err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Due(slack) after acks", dueIDs(t, o, "slack", now, 0), slack[1], slack[3], slack[4])
}

func TestMaxAttempts(t *testing.T) {
	o, _, _ := newOutbox(t, Options{MaxAttempts: 3})
	id := enqueue(t, o, "sentry", "g1", t0)
	now := t0
	for i := 1; i <= 3; i++ {
		wantIDs(t, fmt.Sprintf("Due before attempt %d", i), dueIDs(t, o, "sentry", now, 0), id)
		if err := o.Fail(id, now, now.Add(time.Second), fmt.Sprintf("attempt %d: 500", i)); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Second)
	}
	wantIDs(t, "Due after giving up", dueIDs(t, o, "sentry", now, 0))
	e, err := o.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if e.State != StateFailed || e.Attempts != 3 || e.LastError != "attempt 3: 500" || !e.Finished.Equal(t0.Add(2*time.Second)) {
		t.Errorf("given-up entry = %+v", e)
	}
	if err := o.Ack(id, now); !errors.Is(err, ErrNotPending) {
		t.Errorf("Ack of a failed entry = %v, want ErrNotPending", err)
	}
	wantStats(t, o, map[string]Counts{"sentry": {Failed: 1}})
	rs, err := o.Receivers()
	if err != nil || len(rs) != 0 {
		t.Errorf("Receivers = %v, %v; want none pending", rs, err)
	}
	// The key is free again.
	if id2 := enqueue(t, o, "sentry", "g1", now); id2 == id {
		t.Error("Enqueue after give-up returned the failed entry")
	}
}

func TestLastErrorTruncated(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	id := enqueue(t, o, "r", "k", t0)
	long := "x" + strings.Repeat("é", maxErrLen) // the cut falls inside a rune
	if err := o.Fail(id, t0, t0, long); err != nil {
		t.Fatal(err)
	}
	e, _ := o.Get(id)
	if len(e.LastError) > maxErrLen+len("…") || !strings.HasSuffix(e.LastError, "…") || !strings.HasPrefix(long, strings.TrimSuffix(e.LastError, "…")) {
		t.Errorf("LastError has %d bytes: %q…", len(e.LastError), e.LastError[:20])
	}
}

func TestMaxPending(t *testing.T) {
	o, _, _ := newOutbox(t, Options{MaxPending: 2})
	a := enqueue(t, o, "slack", "k1", t0)
	enqueue(t, o, "slack", "k2", t0)
	if _, err := o.Enqueue("slack", "k3", nil, t0); !errors.Is(err, ErrFull) {
		t.Fatalf("third Enqueue = %v, want ErrFull", err)
	} else if !strings.Contains(err.Error(), `"slack"`) {
		t.Errorf("error %q does not name the receiver", err)
	}
	if id, err := o.Enqueue("slack", "k1", nil, t0); err != nil || id != a {
		t.Errorf("idempotent Enqueue when full = %d, %v; want %d, nil", id, err, a)
	}
	enqueue(t, o, "webhook", "k3", t0) // other receivers are not affected
	// A batch is all or nothing.
	if _, err := o.EnqueueBatch([]Item{{Receiver: "webhook", DedupKey: "k4"}, {Receiver: "slack", DedupKey: "k4"}}, t0); !errors.Is(err, ErrFull) {
		t.Errorf("EnqueueBatch = %v, want ErrFull", err)
	}
	wantStats(t, o, map[string]Counts{"slack": {Pending: 2}, "webhook": {Pending: 1}})
	if err := o.Ack(a, t0); err != nil {
		t.Fatal(err)
	}
	enqueue(t, o, "slack", "k3", t0)
}

func TestPrune(t *testing.T) {
	o, _, _ := newOutbox(t, Options{Retention: time.Hour, MaxAttempts: 1})
	delivered := enqueue(t, o, "r", "a", t0)
	failed := enqueue(t, o, "r", "b", t0)
	late := enqueue(t, o, "r", "c", t0)
	pending := enqueue(t, o, "r", "d", t0)
	if err := o.Ack(delivered, t0); err != nil {
		t.Fatal(err)
	}
	if err := o.Fail(failed, t0.Add(time.Minute), t0, "400"); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(late, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := o.Prune(t0.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("Prune at retention = %d, %v; want 0", n, err)
	}
	if n, err := o.Prune(t0.Add(time.Hour + 2*time.Minute)); err != nil || n != 2 {
		t.Errorf("Prune = %d, %v; want 2", n, err)
	}
	for _, id := range []uint64{delivered, failed} {
		if _, err := o.Get(id); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%d) after Prune = %v, want ErrNotFound", id, err)
		}
	}
	es, err := o.Status("")
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, e := range es {
		got = append(got, e.ID)
	}
	wantIDs(t, "Status after Prune", got, late, pending)
	wantStats(t, o, map[string]Counts{"r": {Pending: 1, Delivered: 1}})
	if n, err := o.Prune(t0.Add(48 * time.Hour)); err != nil || n != 1 {
		t.Errorf("last Prune = %d, %v; want 1 (never the pending entry)", n, err)
	}
}

func TestStatusAndReceivers(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	f1 := enqueue(t, o, "slack", "grp/a/firing", t0)
	f2 := enqueue(t, o, "webhook", "grp/a/firing", t0)
	r1 := enqueue(t, o, "slack", "grp/a/resolved", t0)
	enqueue(t, o, "slack", "grp/b/firing", t0)
	enqueue(t, o, "pagerduty", "grp/ab/firing", t0)
	if err := o.Ack(f1, t0); err != nil {
		t.Fatal(err)
	}
	es, err := o.Status("grp/a/")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%d %s %s %s", e.ID, e.Receiver, e.DedupKey, e.State))
	}
	want := []string{
		fmt.Sprintf("%d slack grp/a/firing delivered", f1),
		fmt.Sprintf("%d webhook grp/a/firing pending", f2),
		fmt.Sprintf("%d slack grp/a/resolved pending", r1),
	}
	if !slices.Equal(got, want) {
		t.Errorf("Status = %q, want %q", got, want)
	}
	rs, err := o.Receivers()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pagerduty", "slack", "webhook"}; !slices.Equal(rs, want) {
		t.Errorf("Receivers = %v, want %v", rs, want)
	}
	wantStats(t, o, map[string]Counts{"pagerduty": {Pending: 1}, "slack": {Pending: 2, Delivered: 1}, "webhook": {Pending: 1}})
}

func TestReopenKeepsPending(t *testing.T) {
	o, st, path := newOutbox(t, Options{})
	a := enqueue(t, o, "slack", "k1", t0)
	b := enqueue(t, o, "slack", "k2", t0)
	c := enqueue(t, o, "slack", "k3", t0)
	retry := t0.Add(time.Minute)
	if err := o.Fail(a, t0, retry, "429"); err != nil {
		t.Fatal(err)
	}
	if err := o.Ack(b, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st2 := openStore(t, path)
	defer st2.Close()
	o2, err := Open(st2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, "Due after reopen", dueIDs(t, o2, "slack", retry, 0), a, c)
	e, _ := o2.Get(a)
	if e.Attempts != 1 || e.LastError != "429" || !e.NextAttempt.Equal(retry) {
		t.Errorf("entry after reopen = %+v", e)
	}
	if id := enqueue(t, o2, "slack", "k3", t0); id != c {
		t.Errorf("dedup lost on reopen: id %d, want %d", id, c)
	}
	if id := enqueue(t, o2, "slack", "k4", t0); id <= c {
		t.Errorf("new id %d after reopen is not above %d", id, c)
	}
}

func TestOptions(t *testing.T) {
	if err := (Options{MaxAttempts: -1, Retention: -1, MaxPending: -1}).Validate(); err == nil ||
		strings.Count(err.Error(), "negative") != 3 {
		t.Errorf("Validate = %v, want three errors", err)
	}
	_, st, _ := newOutbox(t, Options{})
	if _, err := Open(st, Options{MaxPending: -1}); err == nil {
		t.Error("Open with invalid options succeeded")
	}
}

func TestLayoutVersion(t *testing.T) {
	_, st, _ := newOutbox(t, Options{})
	if err := st.Update(func(tx *store.Tx) error { return tx.Put(bucketMeta, keyVersion, []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(st, Options{}); err == nil || !strings.Contains(err.Error(), "99") {
		t.Errorf("Open of another layout version = %v", err)
	}
}

func TestConcurrentEnqueue(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	const workers, keys = 4, 50
	ids := make([][]uint64, workers)
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			for k := range keys {
				id, err := o.Enqueue("r", fmt.Sprintf("k%d", k), nil, t0)
				if err != nil {
					errs <- err
					return
				}
				ids[w] = append(ids[w], id)
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for w := 1; w < workers; w++ {
		if !slices.Equal(ids[w], ids[0]) {
			t.Errorf("worker %d got ids %v, worker 0 %v", w, ids[w], ids[0])
		}
	}
	wantStats(t, o, map[string]Counts{"r": {Pending: keys}})
}

func TestGiveUp(t *testing.T) {
	ob, _, _ := newOutbox(t, Options{MaxAttempts: 5})
	t0 := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	first, err := ob.Enqueue("slack", "a", []byte("1"), t0)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ob.Enqueue("slack", "b", []byte("2"), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := ob.GiveUp(first, t0, "400 invalid_payload"); err != nil {
		t.Fatal(err)
	}
	e, err := ob.Get(first)
	if err != nil || e.State != StateFailed || e.Attempts != 1 || e.LastError != "400 invalid_payload" {
		t.Errorf("after GiveUp: %+v, %v", e, err)
	}
	due, err := ob.Due("slack", t0, 10)
	if err != nil || len(due) != 1 || due[0].ID != second {
		t.Errorf("Due after GiveUp = %+v, %v; want the second entry, no longer held back", due, err)
	}
}

// TestRepeatAfter: a notification delivered less than RepeatAfter ago is
// not queued again, also after the store is reopened (a restarted engine
// rebuilding its groups); later, or once pruned, it is.
func TestRepeatAfter(t *testing.T) {
	o, st, path := newOutbox(t, Options{Retention: time.Hour})
	item := Item{Receiver: "slack", DedupKey: "g1/a-firing", Group: "g1", Payload: []byte("p"), RepeatAfter: 10 * time.Minute}
	batch := func(o *Outbox, now time.Time) Queued {
		t.Helper()
		q, err := o.EnqueueBatch([]Item{item}, now)
		if err != nil {
			t.Fatal(err)
		}
		return q[0]
	}
	first := batch(o, t0)
	if first.Suppressed {
		t.Fatal("first enqueue suppressed")
	}
	if q := batch(o, t0.Add(time.Second)); q != first {
		t.Errorf("while pending: %v, want the pending entry %v", q, first)
	}
	if err := o.Ack(first.ID, t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStore(t, path)
	t.Cleanup(func() { _ = st.Close() })
	o, err := Open(st, Options{Retention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if q := batch(o, t0.Add(5*time.Minute)); q != (Queued{ID: first.ID, Suppressed: true}) {
		t.Errorf("5 min after, reopened: %v, want suppressed by %d", q, first.ID)
	}
	other := item
	other.Receiver = "webhook"
	if q, err := o.EnqueueBatch([]Item{other}, t0.Add(5*time.Minute)); err != nil || q[0].Suppressed {
		t.Errorf("another receiver: %v, %v; want queued", q, err)
	}
	noRepeat := item
	noRepeat.RepeatAfter = 0
	if q, err := o.EnqueueBatch([]Item{noRepeat}, t0.Add(5*time.Minute)); err != nil || q[0].Suppressed {
		t.Errorf("without RepeatAfter: %v, %v; want queued", q, err)
	}
	// The group resolved, then fired again: the last notification differs,
	// so the same firing one is sent again.
	flap := item
	flap.Receiver = "pager"
	for i, key := range []string{"g1/a-firing", "g1/a-resolved"} {
		flap.DedupKey = key
		q, err := o.EnqueueBatch([]Item{flap}, t0.Add(time.Duration(i)*time.Minute))
		if err != nil || q[0].Suppressed {
			t.Fatalf("%s: %v, %v", key, q, err)
		}
		if err := o.Ack(q[0].ID, t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	flap.DedupKey = "g1/a-firing"
	if q, err := o.EnqueueBatch([]Item{flap}, t0.Add(2*time.Minute)); err != nil || q[0].Suppressed {
		t.Errorf("firing again after resolved: %v, %v; want queued", q, err)
	}

	o2, _, _ := newOutbox(t, Options{Retention: time.Hour})
	id := batch(o2, t0).ID
	if err := o2.Ack(id, t0); err != nil {
		t.Fatal(err)
	}
	if q := batch(o2, t0.Add(10*time.Minute)); q.Suppressed || q.ID == id {
		t.Errorf("RepeatAfter later: %v, want a new entry", q)
	}
	o3, _, _ := newOutbox(t, Options{Retention: time.Minute})
	id = batch(o3, t0).ID
	if err := o3.Ack(id, t0); err != nil {
		t.Fatal(err)
	}
	if n, err := o3.Prune(t0.Add(2 * time.Minute)); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if q := batch(o3, t0.Add(3*time.Minute)); q.Suppressed {
		t.Errorf("after the delivered entry was pruned: %v, want queued", q)
	}
}

func TestDivert(t *testing.T) {
	o, _, _ := newOutbox(t, Options{})
	id := enqueue(t, o, "slack", "g1", t0)
	id2 := enqueue(t, o, "slack", "g2", t0)
	enqueue(t, o, "console", "g2", t0) // already pending there: not copied twice
	if err := o.Fail(id2, t0, t0.Add(time.Hour), "503"); err != nil {
		t.Fatal(err)
	}
	if p, err := o.Pending("slack"); err != nil || len(p) != 2 {
		t.Fatalf("Pending = %d entries, %v; want 2 (one due, one retrying later)", len(p), err)
	}
	n, err := o.Divert([]uint64{id, id2}, "console", t0.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("Divert = %d, %v; want 1 copy", n, err)
	}
	due, err := o.Due("console", t0.Add(time.Hour), 0)
	if err != nil || len(due) != 2 {
		t.Fatalf("console due = %v, %v; want 2", due, err)
	}
	if c := due[1]; c.DedupKey != "g1" || string(c.Payload) != "payload g1" || c.State != StatePending {
		t.Errorf("copy = %+v", c)
	}
	for _, id := range []uint64{id, id2} {
		if e, _ := o.Get(id); e.Fallback != "console" || e.State != StatePending {
			t.Errorf("entry %d after Divert = %+v, want pending with Fallback console", id, e)
		}
	}
	if n, err := o.Divert([]uint64{id}, "console", t0.Add(2*time.Second)); n != 0 || err != nil {
		t.Errorf("second Divert = %d, %v; want 0, nil", n, err)
	}
	if _, err := o.Divert([]uint64{id + 100}, "console", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("Divert of a missing entry: %v, want ErrNotFound", err)
	}
	if _, err := o.Divert([]uint64{id}, "", t0); err == nil {
		t.Error("Divert to an empty receiver name: no error")
	}
}
