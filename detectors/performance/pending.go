package performance

import (
	"github.com/driftwatch/driftwatch/internal/obs"
)

// slot is one stored prediction: one instance of a request.
type slot struct {
	id       string // request id, shared with the key of pending.byID
	str      string // the prediction when kind is Category
	num      float64
	time     int64 // Unix ns
	index    int32 // instance index within the request
	model    int32 // index in Tracker.models
	kind     obs.Kind
	labelled bool
}

// span locates the slots of one request: sequence numbers [seq, seq+n),
// with increasing instance indexes. Some may have been dropped already:
// those below pending.tail, and before seq when lost is set (all the slots
// stored so far were dropped while the request was still coming in).
type span struct {
	seq  uint64
	n    int32
	lost bool
}

// pending holds the predictions waiting for labels in arrival order, in a
// ring of at most max slots that grows on demand, and indexes them by
// request id. Slot sequence numbers grow forever; slot seq lives at
// ring[seq % len(ring)].
type pending struct {
	ring       []slot
	max        int
	head, tail uint64 // next sequence number, oldest held
	byID       map[string]span
}

// initialRing is the ring's first size, so that an idle tracker does not
// hold MaxPending slots.
const initialRing = 1024

func newPending(maxSlots int) pending {
	return pending{ring: make([]slot, min(maxSlots, initialRing)), max: maxSlots, byID: map[string]span{}}
}

func (p *pending) len() int { return int(p.head - p.tail) }

func (p *pending) at(seq uint64) *slot { return &p.ring[seq%uint64(len(p.ring))] }

// oldest returns the oldest slot, or nil.
func (p *pending) oldest() *slot {
	if p.head == p.tail {
		return nil
	}
	return p.at(p.tail)
}

// add stores s, as the first stored instance of a request when first (a
// span under an id already stored is replaced: its slots can no longer be
// labelled), else after the previous slot of the same request. The caller
// drops the oldest slot first when the ring is full.
func (p *pending) add(s slot, first bool) {
	if p.len() == len(p.ring) {
		p.grow()
	}
	seq := p.head
	p.head++
	*p.at(seq) = s
	sp, ok := p.byID[s.id]
	if first || !ok {
		sp = span{seq: seq, lost: !first}
	}
	sp.n++
	p.byID[s.id] = sp
}

// grow doubles the ring, up to max.
func (p *pending) grow() {
	ring := make([]slot, min(2*len(p.ring), p.max))
	for seq := p.tail; seq != p.head; seq++ {
		ring[seq%uint64(len(ring))] = *p.at(seq)
	}
	p.ring = ring
}

// pop drops the oldest slot and returns whether it was labelled.
func (p *pending) pop() (labelled bool) {
	s := p.at(p.tail)
	if sp, ok := p.byID[s.id]; ok && p.tail == sp.seq+uint64(sp.n)-1 {
		delete(p.byID, s.id) // its last slot: the request is gone
	}
	labelled = s.labelled
	*s = slot{}
	p.tail++
	return labelled
}

// find returns the slot of instance index of request id, or the error
// that says why there is none (ErrUnknownRequest, ErrIndexOutOfRange or
// ErrNoPrediction, unwrapped).
func (p *pending) find(id string, index int) (*slot, int, error) {
	sp, ok := p.byID[id]
	if !ok {
		return nil, 0, ErrUnknownRequest
	}
	lo, hi := max(sp.seq, p.tail), sp.seq+uint64(sp.n)
	if lo >= hi {
		return nil, 0, ErrUnknownRequest
	}
	instances := int(p.at(hi-1).index) + 1
	if index < 0 || index >= instances {
		return nil, instances, ErrIndexOutOfRange
	}
	// Instance i is at seq+i unless instances before it had no
	// prediction: then it is earlier. Search the indexes, increasing.
	for lo < hi {
		mid := lo + (hi-lo)/2
		if int(p.at(mid).index) < index {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if s := p.at(lo); int(s.index) == index {
		return s, instances, nil
	}
	if (sp.seq < p.tail || sp.lost) && index < int(p.at(max(sp.seq, p.tail)).index) {
		return nil, instances, ErrUnknownRequest // dropped
	}
	return nil, instances, ErrNoPrediction
}
