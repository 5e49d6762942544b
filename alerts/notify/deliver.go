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
type Deliverer struct {
	Outbox    *outbox.Outbox
	Notifiers map[string]Notifier
	Backoff   Backoff       // zero: DefaultBackoff
	Poll      time.Duration // how often each queue is looked at; zero: DefaultPoll
	Timeout   time.Duration // bounds one attempt; zero: DefaultTimeout
	Log       *slog.Logger  // nil: slog.Default()

	once sync.Once
	kick map[string]chan struct{}
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

// drain sends the receiver's due entries until none is left or one fails.
func (d *Deliverer) drain(ctx context.Context, receiver string, n Notifier, rng *rand.Rand) {
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
	if err == nil {
		d.record(receiver, e, d.Outbox.Ack(e.ID, now))
		d.Log.Info("notification sent", "receiver", receiver, "group", m.GroupKey, "status", m.Status, "alerts", len(m.Alerts), "attempt", e.Attempts+1)
		return true
	}
	if ctx.Err() != nil {
		return false // shutting down: the entry stays pending for the next start
	}
	retry, after := Retryable(err)
	if !retry {
		d.record(receiver, e, d.Outbox.GiveUp(e.ID, now, err.Error()))
		d.Log.Error("notification given up: the receiver refused it", "receiver", receiver, "group", m.GroupKey, "error", err)
		return true
	}
	wait := max(d.Backoff.Delay(e.Attempts, rng), after)
	d.record(receiver, e, d.Outbox.Fail(e.ID, now, now.Add(wait), err.Error()))
	d.Log.Warn("notification failed; will retry", "receiver", receiver, "group", m.GroupKey, "attempt", e.Attempts+1, "retry_in", wait, "error", err)
	return false
}

func (d *Deliverer) record(receiver string, e outbox.Entry, err error) {
	if err != nil {
		d.Log.Error("record the delivery in the outbox", "receiver", receiver, "id", e.ID, "error", err)
	}
}
