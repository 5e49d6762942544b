package notify

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: 100 * time.Millisecond, Max: time.Second}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range want {
		if got := b.Delay(i, nil); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %s, want %s", i, got, w*time.Millisecond)
		}
	}
	if got := b.Delay(1000, nil); got != time.Second {
		t.Errorf("Delay(1000) = %s", got)
	}
	if got := (Backoff{Base: time.Second}).Delay(200, nil); got <= 0 {
		t.Errorf("uncapped Delay(200) = %s, overflowed", got)
	}
	if got := (Backoff{}).Delay(3, nil); got != 0 {
		t.Errorf("zero Backoff Delay = %s", got)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	for _, j := range []float64{0.5, 1, 7} {
		jb := Backoff{Base: 100 * time.Millisecond, Max: time.Second, Jitter: j}
		lo := time.Duration(float64(800*time.Millisecond) * (1 - min(j, 1)))
		for range 1000 {
			d := jb.Delay(3, rng)
			if d < lo || d > 800*time.Millisecond {
				t.Fatalf("jitter %g: Delay(3) = %s, want in [%s, 800ms]", j, d, lo)
			}
		}
	}
}

func TestRetry(t *testing.T) {
	fast := Backoff{Base: time.Millisecond, Max: 4 * time.Millisecond}
	retryable := &Error{Retryable: true, Status: 503}
	permanent := &Error{Status: 400}
	tests := []struct {
		name      string
		errs      []error // returned by successive calls; nil after the list
		attempts  int
		wantCalls int
		wantErr   error
	}{
		{name: "first try", attempts: 3, wantCalls: 1},
		{name: "after two failures", errs: []error{retryable, retryable}, attempts: 3, wantCalls: 3},
		{name: "exhausted", errs: []error{retryable, retryable, retryable}, attempts: 3, wantCalls: 3, wantErr: retryable},
		{name: "permanent", errs: []error{permanent}, attempts: 3, wantCalls: 1, wantErr: permanent},
		{name: "canceled", errs: []error{context.Canceled}, attempts: 3, wantCalls: 1, wantErr: context.Canceled},
		{name: "zero attempts means one", errs: []error{retryable}, attempts: 0, wantCalls: 1, wantErr: retryable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := Retry(context.Background(), fast, tt.attempts, func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", calls, tt.wantCalls)
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	var times []time.Time
	after := &Error{Retryable: true, Status: 429, RetryAfter: 60 * time.Millisecond}
	err := Retry(context.Background(), Backoff{Base: time.Millisecond}, 2, func(context.Context) error {
		times = append(times, time.Now())
		if len(times) == 1 {
			return after
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if gap := times[1].Sub(times[0]); gap < 60*time.Millisecond {
		t.Errorf("second call %s after the first, want ≥ 60ms (Retry-After)", gap)
	}
}

func TestRetryStopsOnContext(t *testing.T) {
	retryable := &Error{Retryable: true, Status: 503}
	t.Run("canceled while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		start := time.Now()
		time.AfterFunc(20*time.Millisecond, cancel)
		err := Retry(ctx, Backoff{Base: time.Hour}, 5, func(context.Context) error {
			calls++
			return retryable
		})
		if calls != 1 || !errors.Is(err, context.Canceled) || !errors.Is(err, retryable) {
			t.Errorf("calls = %d, err = %v", calls, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Error("Retry did not stop on cancel")
		}
	})
	t.Run("deadline before next attempt", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		err := Retry(ctx, Backoff{Base: time.Hour}, 5, func(context.Context) error { return retryable })
		if !errors.Is(err, retryable) || time.Since(start) > 5*time.Second {
			t.Errorf("err = %v after %s", err, time.Since(start))
		}
	})
	t.Run("already canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		calls := 0
		err := Retry(ctx, Backoff{}, 5, func(context.Context) error { calls++; return nil })
		if calls != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("calls = %d, err = %v", calls, err)
		}
	})
}
