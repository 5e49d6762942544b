package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// Backoff is a capped exponential backoff with proportional jitter.
type Backoff struct {
	Base time.Duration // delay before the first retry, before jitter
	Max  time.Duration // cap on the delay, before jitter; no cap when ≤ 0
	// Jitter in [0, 1] is the fraction of the delay that is random: the
	// delay is drawn uniformly from [(1-Jitter)·d, d]. 0 is no jitter; 1 is
	// "full jitter", uniform in [0, d).
	Jitter float64
}

// DefaultBackoff is a sensible Backoff for notification receivers.
var DefaultBackoff = Backoff{Base: time.Second, Max: time.Minute, Jitter: 0.5}

// Delay returns the wait before retry number attempt (0 for the first
// retry):
//
//	d     = min(Base · 2^attempt, Max)
//	delay = d · (1 − Jitter·u),  u uniform in [0, 1) from rng
//
// A nil rng uses the global source of math/rand/v2. Jitter outside [0, 1]
// is clamped. A zero Base gives zero delays.
func (b Backoff) Delay(attempt int, rng *rand.Rand) time.Duration {
	if b.Base <= 0 {
		return 0
	}
	attempt = max(attempt, 0)
	d := b.Base
	for i := 0; i < attempt; i++ {
		if d > (1<<62)/2 || (b.Max > 0 && d >= b.Max) {
			break
		}
		d *= 2
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	j := min(max(b.Jitter, 0), 1)
	if j == 0 {
		return d
	}
	var u float64
	if rng != nil {
		u = rng.Float64()
	} else {
		u = rand.Float64()
	}
	return time.Duration(float64(d) * (1 - j*u))
}

// Retry calls fn until it succeeds, fails with an error that Retryable
// says is permanent, maxAttempts calls have been made (at least one is),
// or ctx is done. Between calls it waits the larger of b.Delay and the
// Retry-After the error carries. When ctx's deadline would pass before
// the next call, Retry stops at once.
//
// It returns nil, or the last error of fn, wrapped with ctx's error when
// ctx ended the retries.
func Retry(ctx context.Context, b Backoff, maxAttempts int, fn func(ctx context.Context) error) error {
	maxAttempts = max(maxAttempts, 1)
	var err error
	for attempt := 0; ; attempt++ {
		if cerr := ctx.Err(); cerr != nil {
			if err == nil {
				return cerr
			}
			return fmt.Errorf("%w (gave up: %w)", err, cerr)
		}
		err = fn(ctx)
		retry, after := Retryable(err)
		if !retry || attempt+1 >= maxAttempts {
			return err
		}
		wait := max(b.Delay(attempt, nil), after)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return fmt.Errorf("%w (gave up: deadline before next attempt in %s)", err, wait)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}
