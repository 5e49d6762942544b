package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/alerts/outbox"
)

// Defaults of a Deliverer.
const (
	DefaultPoll    = time.Second
	DefaultTimeout = 30 * time.Second
	deliverBatch   = 16
)

// DefaultBreaker is the circuit breaker of a Deliverer whose Breaker is
// zero.
var DefaultBreaker = Breaker{Failures: 5, Cooldown: 30 * time.Second, MaxCooldown: 5 * time.Minute}

// Breaker is a receiver's circuit breaker. After Failures retryable
// failures in a row the circuit opens: the receiver is not tried for
// Cooldown, and its pending notifications are diverted to its fallback
// receiver, if it has one. Then one attempt is made (half open): a success
// closes the circuit; a failure opens it again for twice as long, up to
// MaxCooldown.
type Breaker struct {
	Failures    int
	Cooldown    time.Duration
	MaxCooldown time.Duration
}

// Circuit is the state of one receiver's circuit breaker.
type Circuit struct {
	Open      bool      // the receiver is not being tried
	Failures  int       // retryable failures in a row
	OpenUntil time.Time // when Open: the next trial attempt
	LastError string    // of the last failed attempt, until a success
}

// Deliverer sends what the outbox holds to the receivers: one goroutine
// per receiver, so that a slow or dead receiver delays only its own
// notifications. Each receiver's entries go out in the order they were
// enqueued. A successful send is acknowledged in the outbox; a retryable
// failure is retried after the larger of the backoff and the receiver's
// Retry-After (the entry then holds back that receiver's later ones); a
// permanent one (the receiver refused the payload) is given up at once and
// logged. Because the outbox is written before any send and acknowledged
// after, a crash between the two sends the notification again on restart:
// delivery is at least once, and Message.DedupKey lets receivers tell.
//
// A receiver that keeps failing trips its circuit Breaker; while the
// circuit is open, and whenever the receiver refuses a notification, the
// notifications are copied to the receiver's fallback (Fallbacks), which
// is delivered like any other receiver.
type Deliverer struct {
	Outbox    *outbox.Outbox
	Notifiers map[string]Notifier
	// Fallbacks maps a receiver to the receiver that gets its
	// notifications while its circuit is open or when it refuses them.
	// Both must be in Notifiers.
	Fallbacks map[string]string
	Backoff   Backoff       // zero: DefaultBackoff
	Breaker   Breaker       // zero: DefaultBreaker
	Poll      time.Duration // how often each queue is looked at; zero: DefaultPoll
	Timeout   time.Duration // bounds one attempt; zero: DefaultTimeout
	Log       *slog.Logger  // nil: slog.Default()

	once sync.Once
	kick map[string]chan struct{}

	mu       sync.Mutex
	circuits map[string]*circuit
}

type circuit struct {
	Circuit
	cooldown time.Duration // of the next opening
}

func (d *Deliverer) init() {
	d.once.Do(func() {
		d.kick = make(map[string]chan struct{}, len(d.Notifiers))
		for name := range d.Notifiers {
			d.kick[name] = make(chan struct{}, 1)
		}
		if d.Backoff == (Backoff{}) {
			d.Backoff = DefaultBackoff
		}
		if d.Breaker == (Breaker{}) {
			d.Breaker = DefaultBreaker
		}
		d.circuits = make(map[string]*circuit, len(d.Notifiers))
		for name := range d.Notifiers {
			d.circuits[name] = &circuit{cooldown: d.Breaker.Cooldown}
		}
		if d.Poll <= 0 {
			d.Poll = DefaultPoll
		}
		if d.Timeout <= 0 {
			d.Timeout = DefaultTimeout
		}
		if d.Log == nil {
			d.Log = slog.Default()
		}
	})
}

// Kick asks the receiver's loop to look at its queue now, after an
// Enqueue, instead of at its next poll. It never blocks.
func (d *Deliverer) Kick(receiver string) {
	d.init()
	select {
	case d.kick[receiver] <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (d *Deliverer) Run(ctx context.Context) {
	d.init()
	var wg sync.WaitGroup
	for name, n := range d.Notifiers {
		wg.Go(func() { d.loop(ctx, name, n) })
	}
	wg.Wait()
}

func (d *Deliverer) loop(ctx context.Context, receiver string, n Notifier) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.kick[receiver]:
		}
		d.drain(ctx, receiver, n, rng)
		t.Reset(d.Poll)
	}
}

// Circuits returns the state of every receiver's circuit breaker.
func (d *Deliverer) Circuits() map[string]Circuit {
	d.init()
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]Circuit, len(d.circuits))
	for name, c := range d.circuits {
		out[name] = c.Circuit
	}
	return out
}

// drain sends the receiver's due entries until none is left or one fails.
// While the receiver's circuit is open it sends nothing and diverts the
// pending entries to the fallback.
func (d *Deliverer) drain(ctx context.Context, receiver string, n Notifier, rng *rand.Rand) {
	d.mu.Lock()
	c := d.circuits[receiver]
	open := c.Open && time.Now().Before(c.OpenUntil)
	d.mu.Unlock()
	if open {
		d.divertPending(receiver)
		return
	}
	for ctx.Err() == nil {
		due, err := d.Outbox.Due(receiver, time.Now(), deliverBatch)
		if err != nil {
			d.Log.Error("read the outbox", "receiver", receiver, "error", err)
			return
		}
		if len(due) == 0 {
			return
		}
		for _, e := range due {
			if !d.send(ctx, receiver, n, e, rng) {
				return // FIFO: later entries wait for this one
			}
		}
	}
}

// send makes one attempt and records it; it reports whether the entry is
// done with (delivered or given up).
func (d *Deliverer) send(ctx context.Context, receiver string, n Notifier, e outbox.Entry, rng *rand.Rand) bool {
	var m Message
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		d.record(receiver, e, d.Outbox.GiveUp(e.ID, time.Now(), "payload is not a message: "+err.Error()))
		d.Log.Error("notification given up: its payload does not decode", "receiver", receiver, "id", e.ID, "error", err)
		return true
	}
	m.Receiver, m.DedupKey = receiver, e.DedupKey
	actx, cancel := context.WithTimeout(ctx, d.Timeout)
	err := n.Notify(actx, &m)
	cancel()
	now := time.Now()
	if err != nil && ctx.Err() != nil {
		return false // shutting down: the entry stays pending for the next start
	}
	d.trip(receiver, err, now)
	if err == nil {
		d.record(receiver, e, d.Outbox.Ack(e.ID, now))
		d.Log.Info("notification sent", "receiver", receiver, "group", m.GroupKey, "status", m.Status, "alerts", len(m.Alerts), "attempt", e.Attempts+1)
		return true
	}
	retry, after := Retryable(err)
	if !retry {
		d.record(receiver, e, d.Outbox.GiveUp(e.ID, now, err.Error()))
		d.Log.Error("notification given up: the receiver refused it", "receiver", receiver, "group", m.GroupKey, "error", err)
		d.divert(receiver, []uint64{e.ID})
		return true
	}
	wait := max(d.Backoff.Delay(e.Attempts, rng), after)
	d.record(receiver, e, d.Outbox.Fail(e.ID, now, now.Add(wait), err.Error()))
	d.Log.Warn("notification failed; will retry", "receiver", receiver, "group", m.GroupKey, "attempt", e.Attempts+1, "retry_in", wait, "error", err)
	if d.isOpen(receiver) {
		d.divertPending(receiver)
	}
	return false
}

// trip updates the receiver's circuit after an attempt that ended with
// err at now: a success closes it, a retryable failure counts and opens it
// after Breaker.Failures in a row (and at once when half open). A refusal
// (a permanent error) says the receiver is up: it does not count.
func (d *Deliverer) trip(receiver string, err error, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.circuits[receiver]
	if err == nil {
		if c.Open {
			d.Log.Info("receiver is back: circuit closed", "receiver", receiver)
		}
		c.Circuit, c.cooldown = Circuit{}, d.Breaker.Cooldown
		return
	}
	if retry, _ := Retryable(err); !retry {
		return
	}
	c.Failures++
	c.LastError = err.Error()
	if c.Open || c.Failures >= d.Breaker.Failures {
		c.Open, c.OpenUntil = true, now.Add(c.cooldown)
		d.Log.Warn("receiver keeps failing: circuit open", "receiver", receiver, "failures", c.Failures,
			"next_try", c.cooldown, "fallback", d.Fallbacks[receiver], "error", err)
		c.cooldown = min(2*c.cooldown, max(d.Breaker.MaxCooldown, d.Breaker.Cooldown))
	}
}

func (d *Deliverer) isOpen(receiver string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.circuits[receiver].Open
}

// divertPending copies the receiver's pending entries to its fallback.
func (d *Deliverer) divertPending(receiver string) {
	if d.Fallbacks[receiver] == "" {
		return
	}
	pending, err := d.Outbox.Pending(receiver)
	if err != nil {
		d.Log.Error("read the outbox", "receiver", receiver, "error", err)
		return
	}
	var ids []uint64
	for _, e := range pending {
		if e.Fallback == "" {
			ids = append(ids, e.ID)
		}
	}
	d.divert(receiver, ids)
}

// divert copies the entries to the receiver's fallback, if it has one,
// and wakes the fallback's loop.
func (d *Deliverer) divert(receiver string, ids []uint64) {
	to := d.Fallbacks[receiver]
	if to == "" || len(ids) == 0 {
		return
	}
	n, err := d.Outbox.Divert(ids, to, time.Now())
	if err != nil {
		d.Log.Error("divert notifications to the fallback receiver", "receiver", receiver, "fallback", to, "error", err)
		return
	}
	if n > 0 {
		d.Log.Warn("notifications diverted to the fallback receiver", "receiver", receiver, "fallback", to, "notifications", n)
		d.Kick(to)
	}
}

func (d *Deliverer) record(receiver string, e outbox.Entry, err error) {
	if err != nil {
		d.Log.Error("record the delivery in the outbox", "receiver", receiver, "id", e.ID, "error", err)
	}
}
