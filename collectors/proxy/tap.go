package proxy

import "sync/atomic"

// Tap receives exchanges from the proxy. Offer is called on the request
// goroutine after the response has been sent, so it must never block: it
// either keeps e (returning true, and then owns one reference to it, see
// Exchange.Release) or drops it (returning false; the proxy counts the drop
// and reuses e).
type Tap interface {
	Offer(e *Exchange) bool
}

// TapFunc adapts a function to the Tap interface.
type TapFunc func(e *Exchange) bool

// Offer implements Tap by calling f.
func (f TapFunc) Offer(e *Exchange) bool { return f(e) }

// Queue is a bounded Tap: a buffered channel that a consumer drains. Offer
// never blocks; when the channel is full it drops the exchange and counts it.
type Queue struct {
	ch      chan *Exchange
	dropped atomic.Uint64
}

// NewQueue returns a Queue holding up to n exchanges. It panics if n < 1.
func NewQueue(n int) *Queue {
	if n < 1 {
		panic("proxy: queue size must be positive")
	}
	return &Queue{ch: make(chan *Exchange, n)}
}

// Offer implements Tap. It returns false, and counts a drop, when the queue is
// full.
func (q *Queue) Offer(e *Exchange) bool {
	select {
	case q.ch <- e:
		return true
	default:
		q.dropped.Add(1)
		return false
	}
}

// C returns the channel the consumer receives exchanges from. It is never
// closed: the consumer stops on its own signal (a context). The consumer owns
// each received Exchange and may Release it when done.
func (q *Queue) C() <-chan *Exchange { return q.ch }

// Len returns the number of exchanges waiting in the queue.
func (q *Queue) Len() int { return len(q.ch) }

// Cap returns the queue's capacity.
func (q *Queue) Cap() int { return cap(q.ch) }

// Dropped returns how many exchanges Offer dropped because the queue was
// full.
func (q *Queue) Dropped() uint64 { return q.dropped.Load() }

// Tee returns a Tap that offers every exchange to each of taps in order, like
// loki's distributor tee. Nil taps are skipped and nested tees are flattened;
// with no taps left Tee returns nil (no tap), with one it returns that tap.
// Its Offer returns true when at least one tap accepted the exchange; each
// accepting tap then owns its own reference, so each may Release it.
//
// To add a tap to an existing one, use Tee(existing, next).
func Tee(taps ...Tap) Tap {
	var flat tee
	for _, t := range taps {
		switch t := t.(type) {
		case nil:
		case tee:
			flat = append(flat, t...)
		default:
			flat = append(flat, t)
		}
	}
	switch len(flat) {
	case 0:
		return nil
	case 1:
		return flat[0]
	}
	return flat
}

type tee []Tap

// Offer implements Tap.
func (t tee) Offer(e *Exchange) bool {
	accepted := false
	for _, tap := range t {
		e.retain()
		if tap.Offer(e) {
			accepted = true
		} else {
			e.refs.Add(-1) // the caller still holds its own reference
		}
	}
	if accepted {
		e.Release() // the caller's reference passes to the accepting taps
	}
	return accepted
}
