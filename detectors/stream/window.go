package stream

import (
	"math/rand/v2"
	"time"
)

// Window decides which records belong to a window and when the window is
// complete. It does not hold the records: it hands out slots, integers in
// [0, Cap()), and the caller keeps record i's data at slot i in storage it
// sizes once to Cap(). That keeps a window free of allocations per record
// and lets a caller store only what it needs (for drift, one row of column
// values).
//
// The layout depends on the configuration:
//
//   - tumbling: one reservoir of Size slots (MaxRecords without a Size). A
//     window with a Size is complete at Size records, so it is sampled only
//     when more records arrive before the caller evaluates it; a window with
//     only a Duration keeps a uniform random sample (reservoir sampling,
//     algorithm R) of its records once it has seen more than MaxRecords.
//   - sliding with a Size: a ring of the last Size records in arrival
//     order; with a Duration too, records older than Duration leave the
//     ring. Nothing is sampled.
//   - sliding without a Size: the time since the first record is cut into
//     panes of StepDuration; the window is the last Duration/StepDuration
//     complete panes (the pane in progress is not evaluated). Each pane keeps
//     a reservoir of MaxRecords/(panes+1) slots, and Slots takes from each
//     pane a share proportional to the records it saw, so the evaluated
//     records are a uniform sample of the window even when traffic varies
//     between panes.
//
// Records left out by sampling are counted by Sampled. Time never runs
// backwards: a now earlier than one already seen is taken as the latest
// seen. Window is not safe for concurrent use; it starts no goroutines.
type Window struct {
	cfg  WindowConfig // with defaults
	rng  *rand.Rand
	last time.Time // latest now seen

	// ring: sliding with a Size.
	ring    bool
	times   []int64 // arrival time (Unix ns) per slot
	head, n int

	// panes: tumbling (one pane), or sliding without a Size.
	panes   []pane
	paneCap int
	npanes  int // panes evaluated (sliding); 1 for tumbling

	started   bool
	start     time.Time // first record of the window (tumbling, ring) or origin of the panes
	evaluated bool      // sliding: evaluated at least once
	lastDone  time.Time // sliding: time of the last evaluation
	sinceDone int       // sliding: records admitted since the last evaluation
	doneIdx   int64     // sliding panes: index of the pane at the last evaluation
	sampled   uint64
}

type pane struct {
	idx        int64 // pane number since start; -1 when empty
	seen, kept int
}

// windowSeed seeds every window's sampling, so that runs are reproducible.
const windowSeed = 0x77696e646f77

// NewWindow returns an empty window, or the error of cfg.Validate.
func NewWindow(cfg WindowConfig) (*Window, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	w := &Window{cfg: c, rng: rand.New(rand.NewPCG(windowSeed, 1)), doneIdx: -1}
	switch {
	case c.Mode == Sliding && c.Size > 0:
		w.ring = true
		w.times = make([]int64, c.Size)
	case c.Mode == Sliding:
		w.npanes = c.panes()
		w.paneCap = c.MaxRecords / (w.npanes + 1)
		w.panes = make([]pane, w.npanes+1)
	default:
		w.npanes = 1
		w.paneCap = c.Size
		if w.paneCap == 0 {
			w.paneCap = c.MaxRecords
		}
		w.panes = make([]pane, 1)
	}
	for i := range w.panes {
		w.panes[i].idx = -1
	}
	return w, nil
}

// Config returns the window's configuration with its defaults set.
func (w *Window) Config() WindowConfig { return w.cfg }

// Cap returns the number of slots: the most records the window holds.
func (w *Window) Cap() int {
	if w.ring {
		return len(w.times)
	}
	return w.paneCap * len(w.panes)
}

// Sampled returns the number of records left out by sampling since the
// window was made.
func (w *Window) Sampled() uint64 { return w.sampled }

func (w *Window) clock(now time.Time) time.Time {
	if now.Before(w.last) {
		return w.last
	}
	w.last = now
	return now
}

// Admit adds a record seen at now and returns the slot where the caller
// must store it, or ok false when sampling leaves the record out. The slot
// may be one that held an older record, which the new one replaces.
func (w *Window) Admit(now time.Time) (slot int, ok bool) {
	now = w.clock(now)
	if !w.started {
		w.started, w.start = true, now
	}
	if w.ring {
		w.evict(now)
		slot = w.head
		w.times[slot] = now.UnixNano()
		w.head = (w.head + 1) % len(w.times)
		w.n = min(w.n+1, len(w.times))
		w.sinceDone++
		return slot, true
	}
	k := w.paneIndex(now)
	pos := int(k % int64(len(w.panes)))
	p := &w.panes[pos]
	if p.idx != k {
		*p = pane{idx: k}
	}
	p.seen++
	base := pos * w.paneCap
	if p.kept < w.paneCap {
		p.kept++
		return base + p.kept - 1, true
	}
	// Past the cap one record is left out: the new one or the one it
	// replaces.
	w.sampled++
	if j := w.rng.IntN(p.seen); j < w.paneCap {
		return base + j, true
	}
	return -1, false
}

// paneIndex returns the number of the pane now falls in; always 0 for a
// tumbling window.
func (w *Window) paneIndex(now time.Time) int64 {
	if w.npanes == 1 && w.cfg.Mode != Sliding {
		return 0
	}
	return int64(now.Sub(w.start) / w.cfg.StepDuration)
}

// evict drops from the ring the records older than Duration.
func (w *Window) evict(now time.Time) {
	if w.cfg.Duration <= 0 {
		return
	}
	cutoff := now.Add(-w.cfg.Duration).UnixNano()
	for w.n > 0 && w.times[w.oldest()] <= cutoff {
		w.n--
	}
}

func (w *Window) oldest() int {
	i := w.head - w.n
	if i < 0 {
		i += len(w.times)
	}
	return i
}

// Due reports whether the window is complete at now and should be
// evaluated: take its records with Slots, then call Done. A window without
// records is never due. A step with no call to Due between its start and
// the next step is not evaluated on its own.
func (w *Window) Due(now time.Time) bool {
	now = w.clock(now)
	if !w.started {
		return false
	}
	c := &w.cfg
	switch {
	case w.ring:
		w.evict(now)
		if w.n == 0 {
			return false
		}
		if !w.evaluated {
			return w.n == len(w.times) || c.Duration > 0 && now.Sub(w.start) >= c.Duration
		}
		return c.Step > 0 && w.sinceDone >= c.Step || c.StepDuration > 0 && now.Sub(w.lastDone) >= c.StepDuration
	case c.Mode == Sliding:
		k := w.paneIndex(now)
		return k >= int64(w.npanes) && k > w.doneIdx && w.Len() > 0
	default:
		p := &w.panes[0]
		return p.kept > 0 && (c.Size > 0 && p.seen >= c.Size || c.Duration > 0 && now.Sub(w.start) >= c.Duration)
	}
}

// inWindow reports whether sliding pane p is part of the window evaluated
// at the latest time seen.
func (w *Window) inWindow(p *pane) bool {
	k := w.paneIndex(w.last)
	return p.idx >= 0 && p.idx < k && p.idx >= k-int64(w.npanes)
}

// Len returns the number of records the window holds at the latest time
// seen (for a sliding window without a Size, in its complete panes). Slots
// may return fewer: see Window.
func (w *Window) Len() int {
	switch {
	case w.ring:
		return w.n
	case w.cfg.Mode == Sliding:
		n := 0
		for i := range w.panes {
			if w.inWindow(&w.panes[i]) {
				n += w.panes[i].kept
			}
		}
		return n
	default:
		return w.panes[0].kept
	}
}

// Seen returns the number of records that arrived in the window, including
// those left out by sampling.
func (w *Window) Seen() int {
	switch {
	case w.ring:
		return w.n
	case w.cfg.Mode == Sliding:
		n := 0
		for i := range w.panes {
			if w.inWindow(&w.panes[i]) {
				n += w.panes[i].seen
			}
		}
		return n
	default:
		return w.panes[0].seen
	}
}

// Slots appends to dst the slots of the records to evaluate, oldest first
// where the window keeps an order, and returns the extended slice.
func (w *Window) Slots(dst []int) []int {
	switch {
	case w.ring:
		for i, j := 0, w.oldest(); i < w.n; i++ {
			dst = append(dst, j)
			if j++; j == len(w.times) {
				j = 0
			}
		}
		return dst
	case w.cfg.Mode == Sliding:
		// Equalize the sampling rate of the panes: take from each the
		// share of its records kept by the most sampled pane.
		rate := 1.0
		for i := range w.panes {
			if p := &w.panes[i]; w.inWindow(p) && p.seen > 0 {
				rate = min(rate, float64(p.kept)/float64(p.seen))
			}
		}
		k := w.paneIndex(w.last)
		for idx := k - int64(w.npanes); idx < k; idx++ {
			if idx < 0 {
				continue
			}
			i := int(idx % int64(len(w.panes)))
			p := &w.panes[i]
			if p.idx != idx || p.kept == 0 {
				continue
			}
			m := min(p.kept, int(float64(p.seen)*rate+0.5))
			start := len(dst)
			for s := range p.kept {
				dst = append(dst, i*w.paneCap+s)
			}
			if m < p.kept {
				// A partial Fisher–Yates shuffle picks m slots at random:
				// a prefix of a reservoir is not a uniform sample.
				sub := dst[start:]
				for a := range m {
					b := a + w.rng.IntN(len(sub)-a)
					sub[a], sub[b] = sub[b], sub[a]
				}
				dst = dst[:start+m]
			}
		}
		return dst
	default:
		for s := range w.panes[0].kept {
			dst = append(dst, s)
		}
		return dst
	}
}

// Done marks the window evaluated at now: a tumbling window empties and the
// next record starts a new one; a sliding window keeps its records and
// becomes due again after its step.
func (w *Window) Done(now time.Time) {
	now = w.clock(now)
	switch {
	case w.cfg.Mode != Sliding:
		w.panes[0] = pane{idx: -1}
		w.started = false
	case w.ring:
		w.evaluated, w.lastDone, w.sinceDone = true, now, 0
	default:
		w.doneIdx = w.paneIndex(now)
	}
}
