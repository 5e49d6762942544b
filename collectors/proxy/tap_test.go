package proxy

import (
	"sync"
	"testing"
)

func TestQueue(t *testing.T) {
	q := NewQueue(2)
	a, b, c := getExchange(), getExchange(), getExchange()
	if !q.Offer(a) || !q.Offer(b) {
		t.Fatal("queue with room refused an exchange")
	}
	if q.Offer(c) {
		t.Fatal("full queue accepted an exchange")
	}
	if q.Dropped() != 1 || q.Len() != 2 || q.Cap() != 2 {
		t.Errorf("dropped %d len %d cap %d", q.Dropped(), q.Len(), q.Cap())
	}
	if got := <-q.C(); got != a {
		t.Error("queue is not FIFO")
	}
	if !q.Offer(c) {
		t.Error("drained queue refused an exchange")
	}
}

func TestNewQueuePanics(t *testing.T) {
	defer func() {
		if r := recover(); r != "proxy: queue size must be positive" {
			t.Errorf("recovered %v", r)
		}
	}()
	NewQueue(0)
}

func TestTee(t *testing.T) {
	var got []string
	rec := func(name string, ok bool) Tap {
		return TapFunc(func(*Exchange) bool { got = append(got, name); return ok })
	}
	for _, c := range []struct {
		name string
		taps []Tap
		want bool
		seen string
	}{
		{"all accept", []Tap{rec("a", true), rec("b", true)}, true, "ab"},
		{"one accepts", []Tap{rec("a", false), rec("b", true)}, true, "ab"},
		{"none accept", []Tap{rec("a", false), rec("b", false)}, false, "ab"},
		{"nested and nil", []Tap{nil, Tee(rec("a", true), rec("b", false)), rec("c", false)}, true, "abc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got = nil
			e := getExchange()
			ok := Tee(c.taps...).Offer(e)
			if ok != c.want {
				t.Errorf("Offer = %v, want %v", ok, c.want)
			}
			if s := join(got); s != c.seen {
				t.Errorf("offered to %q, want %q", s, c.seen)
			}
		})
	}
	if Tee() != nil || Tee(nil, nil) != nil {
		t.Error("Tee of no taps is not nil")
	}
	single := rec("x", true)
	if _, isTee := Tee(nil, single).(tee); isTee {
		t.Error("Tee of one tap wraps it")
	}
}

func join(s []string) string {
	var out string
	for _, x := range s {
		out += x
	}
	return out
}

// TestTeeReferences checks the reference counting: each accepting tap holds
// one reference, and the exchange returns to the pool only when all are
// released, whatever the order.
func TestTeeReferences(t *testing.T) {
	q1, q2, full := NewQueue(1), NewQueue(1), NewQueue(1)
	full.Offer(getExchange())
	e := getExchange()
	if !Tee(q1, full, q2).Offer(e) {
		t.Fatal("Offer = false")
	}
	if n := e.refs.Load(); n != 2 {
		t.Fatalf("refs = %d, want 2 (one per accepting queue)", n)
	}
	var wg sync.WaitGroup
	for _, q := range []*Queue{q1, q2} {
		wg.Go(func() { (<-q.C()).Release() })
	}
	wg.Wait()
	if n := e.refs.Load(); n != 0 {
		t.Errorf("refs = %d after both releases", n)
	}
}

func TestReleaseTwicePanics(t *testing.T) {
	e := getExchange()
	e.Release()
	defer func() {
		if r := recover(); r != "proxy: Exchange released more often than retained" {
			t.Errorf("recovered %v", r)
		}
	}()
	e.Release()
}

func TestCapture(t *testing.T) {
	f := func(limit, announced int64, chunks []string, wantBuf string, wantOver bool) {
		t.Helper()
		var c capture
		c.start(nil, limit, announced)
		for _, s := range chunks {
			c.write([]byte(s))
		}
		if string(c.buf) != wantBuf || c.over != wantOver {
			t.Errorf("limit %d announced %d %q: buf %q over %v, want %q %v",
				limit, announced, chunks, c.buf, c.over, wantBuf, wantOver)
		}
	}
	f(4, -1, []string{"ab", "cd"}, "abcd", false) // exactly the limit
	f(4, -1, []string{"ab", "cde"}, "", true)     // one over
	f(4, -1, []string{"abcde", "f"}, "", true)    // over in one chunk, stays over
	f(4, 5, nil, "", true)                        // announced over: never copied
	f(4, 4, []string{"abcd"}, "abcd", false)      // announced at the limit
	f(-1, -1, nil, "", false)                     // capture off, empty body
	f(-1, -1, []string{"a"}, "", true)            // capture off, a body
	f(-1, 3, []string{"abc"}, "", true)           // capture off, announced body
	f(0, 0, nil, "", false)                       // empty
}
