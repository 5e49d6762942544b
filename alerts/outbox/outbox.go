// Package outbox is the durable, at-least-once delivery queue in front of
// the notifiers. Every notification is written to the embedded store
// before any attempt to send it, and stays pending until a send succeeds
// (Ack) or is given up after Options.MaxAttempts (Fail); a crash or a
// restart loses nothing that Enqueue returned. A notification may be sent
// twice (a crash between a successful send and its Ack): the dedup key
// identifies the duplicates, and receivers that take an idempotency key
// (the webhook's Idempotency-Key, Sentry's event ID) drop them.
//
// Like Alertmanager's notification log, the outbox remembers the last
// notification it delivered for each alert group and receiver: an Item
// with a Group and RepeatAfter is not queued when that last notification
// has the same dedup key (the same alerts in the same states) and was
// enqueued less than RepeatAfter ago, so an engine that restarts and
// rebuilds its groups does not notify everyone a second time.
//
// Entries of one receiver are delivered in order: Due returns them oldest
// first and stops at the first one still waiting for its retry time, so a
// group's firing and resolved notifications never overtake each other.
// The price is head-of-line blocking: an entry that keeps failing holds
// back that receiver's later entries until it is delivered or given up;
// other receivers are not affected.
//
// Every method is one store transaction (see layout.go for the buckets),
// so the outbox is safe for concurrent use and survives SIGKILL at any
// point. Each write transaction costs an fsync, so EnqueueBatch should be
// used to write many notifications at once.
package outbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/internal/store"
)

// The states of an Entry.
const (
	StatePending   = "pending"   // waiting for a send, or for a retry
	StateDelivered = "delivered" // a send succeeded (Ack)
	StateFailed    = "failed"    // given up after MaxAttempts (Fail)
)

// maxErrLen bounds Entry.LastError so a chatty receiver cannot fill the
// store.
const maxErrLen = 1024

// Errors returned (wrapped) by the outbox.
var (
	// ErrFull means the receiver already has Options.MaxPending pending
	// entries: the caller should count it and alert rather than wait.
	ErrFull = errors.New("queue is full")
	// ErrNotFound means no entry has the ID (it may have been pruned).
	ErrNotFound = errors.New("no such entry")
	// ErrNotPending means the entry was already delivered or given up.
	ErrNotPending = errors.New("entry is not pending")
)

// Entry is one notification for one receiver.
type Entry struct {
	ID          uint64    // unique, increasing in the order of Enqueue
	Receiver    string    // name of the receiver it goes to
	DedupKey    string    // identifies the notification, and its duplicates
	Payload     []byte    // what to send, opaque to the outbox
	Attempts    int       // sends tried so far, failed or not
	NextAttempt time.Time // when it is due (pending entries)
	LastError   string    // error of the last failed attempt, at most 1 KiB
	Created     time.Time // when it was enqueued
	Finished    time.Time // when it was delivered or given up; zero while pending
	State       string    // StatePending, StateDelivered or StateFailed
	// Group is the alert group the notification is about, if given.
	Group string `json:",omitempty"`
	// Fallback is the receiver a copy of the entry was diverted to
	// (Divert), if any.
	Fallback string `json:",omitempty"`
}

// Item is one notification to enqueue with EnqueueBatch.
type Item struct {
	Receiver string
	DedupKey string
	Payload  []byte
	// Group is the alert group the notification is about; with
	// RepeatAfter > 0 it suppresses the item when the group's last
	// delivered notification to the receiver has the same dedup key and
	// was enqueued less than RepeatAfter before now. RepeatAfter is the
	// route's repeat_interval.
	Group       string
	RepeatAfter time.Duration
}

// Queued says what EnqueueBatch did with one Item.
type Queued struct {
	// ID is the entry that carries the item: a new one, the pending one
	// with the same dedup key, or, when Suppressed, the delivered one.
	ID uint64
	// Suppressed means the item was delivered less than RepeatAfter ago
	// and nothing was written.
	Suppressed bool
}

// Counts are the numbers of entries of one receiver in each state.
type Counts struct {
	Pending, Delivered, Failed int
}

// Outbox is the delivery queue, stored in a store.Store.
type Outbox struct {
	st   *store.Store
	opts Options
}

// Open returns the outbox kept in st, which stays owned by the caller
// (close it after the last use of the outbox). Entries left pending by a
// previous process are due again at once, with their attempts kept.
func Open(st *store.Store, opts Options) (*Outbox, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	err := st.Update(func(tx *store.Tx) error {
		switch v := tx.Get(bucketMeta, keyVersion); {
		case v == nil:
			return tx.Put(bucketMeta, keyVersion, layoutVersion)
		case string(v) != string(layoutVersion):
			return fmt.Errorf("outbox: store %s has layout version %q, want %q", st.Path(), v, layoutVersion)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Outbox{st: st, opts: opts.withDefaults()}, nil
}

// Enqueue writes a pending notification for receiver, due at now, and
// returns its ID once it is on disk. It is idempotent: while an entry with
// the same receiver and dedupKey is pending, Enqueue returns that entry's
// ID and writes nothing (the first payload is kept). It fails with ErrFull
// when the receiver has Options.MaxPending pending entries.
//
// receiver and dedupKey must be non-empty and free of NUL bytes.
func (o *Outbox) Enqueue(receiver, dedupKey string, payload []byte, now time.Time) (id uint64, err error) {
	q, err := o.EnqueueBatch([]Item{{Receiver: receiver, DedupKey: dedupKey, Payload: payload}}, now)
	if err != nil {
		return 0, err
	}
	return q[0].ID, nil
}

// EnqueueBatch enqueues the items as Enqueue does, honouring their
// RepeatAfter, all in one transaction (one fsync): either all are
// written, or none and an error says which item failed. q[i] says what
// became of items[i]; duplicates within the batch get the same ID.
func (o *Outbox) EnqueueBatch(items []Item, now time.Time) (q []Queued, err error) {
	for i, it := range items {
		if strings.IndexByte(it.Group, 0) >= 0 {
			return nil, fmt.Errorf("outbox: item %d: group %q contains a NUL byte", i, it.Group)
		}
		if err := checkName("receiver", it.Receiver); err != nil {
			return nil, fmt.Errorf("outbox: item %d: %w", i, err)
		}
		if err := checkName("dedup key", it.DedupKey); err != nil {
			return nil, fmt.Errorf("outbox: item %d: %w", i, err)
		}
	}
	q = make([]Queued, len(items))
	err = o.st.Update(func(tx *store.Tx) error {
		for i, it := range items {
			if q[i], err = o.enqueue(tx, it, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (o *Outbox) enqueue(tx *store.Tx, it Item, now time.Time) (Queued, error) {
	dk := dedupKey(it.Receiver, it.DedupKey)
	if v := tx.Get(bucketDedup, dk); v != nil {
		return Queued{ID: lastID(v)}, nil
	}
	if it.Group != "" && it.RepeatAfter > 0 {
		if v := tx.Get(bucketSent, join(it.Receiver, it.Group)); v != nil {
			e, err := getEntry(tx, lastID(v))
			if err == nil && e.DedupKey == it.DedupKey && now.Sub(e.Created) < it.RepeatAfter {
				return Queued{ID: e.ID, Suppressed: true}, nil
			}
		}
	}
	id, err := o.insert(tx, it.Receiver, it.DedupKey, it.Group, it.Payload, now)
	return Queued{ID: id}, err
}

// insert writes a new pending entry and its index keys.
func (o *Outbox) insert(tx *store.Tx, receiver, key, group string, payload []byte, now time.Time) (uint64, error) {
	if n := getCount(tx, receiver, StatePending); n >= o.opts.MaxPending {
		return 0, fmt.Errorf("outbox: enqueue %q for %q: %d pending entries: %w", key, receiver, n, ErrFull)
	}
	id, err := tx.NextSeq(bucketEntries)
	if err != nil {
		return 0, err
	}
	e := Entry{
		ID:          id,
		Receiver:    receiver,
		DedupKey:    key,
		Group:       group,
		Payload:     payload,
		NextAttempt: now,
		Created:     now,
		State:       StatePending,
	}
	if err := putEntry(tx, &e); err != nil {
		return 0, err
	}
	for _, kv := range [][3][]byte{
		{bucketPending, pendingKey(receiver, id), nil},
		{bucketDedup, dedupKey(receiver, key), idKey(id)},
		{bucketByKey, byKeyKey(key, receiver, id), nil},
	} {
		if err := tx.Put(kv[0], kv[1], kv[2]); err != nil {
			return 0, err
		}
	}
	return id, addCount(tx, receiver, StatePending, 1)
}

// Divert enqueues, at now, for the receiver to (a fallback) a copy of
// each entry in ids that was not diverted before, with the same dedup key,
// group and payload, and records to in the entry's Fallback; all in one
// transaction. It returns how many copies it made. The entries themselves
// keep their state: a pending one is still delivered when its receiver
// comes back.
func (o *Outbox) Divert(ids []uint64, to string, now time.Time) (n int, err error) {
	if err := checkName("receiver", to); err != nil {
		return 0, fmt.Errorf("outbox: divert: %w", err)
	}
	err = o.st.Update(func(tx *store.Tx) error {
		n = 0
		for _, id := range ids {
			e, err := getEntry(tx, id)
			if err != nil {
				return err
			}
			if e.Fallback != "" {
				continue
			}
			if tx.Get(bucketDedup, dedupKey(to, e.DedupKey)) == nil {
				if _, err := o.insert(tx, to, e.DedupKey, e.Group, e.Payload, now); err != nil {
					return err
				}
				n++
			}
			e.Fallback = to
			if err := putEntry(tx, &e); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// Pending returns every pending entry of receiver, due or not, oldest
// first.
func (o *Outbox) Pending(receiver string) ([]Entry, error) {
	return o.Due(receiver, time.Unix(1<<40, 0), 0)
}

// Due returns up to max (all if max ≤ 0) pending entries of receiver that
// are due at now, oldest first. It stops at the oldest entry that is not
// yet due, so that entries are delivered in order (see the package
// comment). The entries stay pending until Ack or Fail.
func (o *Outbox) Due(receiver string, now time.Time, max int) ([]Entry, error) {
	var out []Entry
	err := o.st.View(func(tx *store.Tx) error {
		return tx.Scan(bucketPending, join(receiver, ""), func(k, _ []byte) error {
			e, err := getEntry(tx, lastID(k))
			if err != nil {
				return err
			}
			if e.NextAttempt.After(now) {
				return store.StopScan
			}
			out = append(out, e)
			if len(out) == max {
				return store.StopScan
			}
			return nil
		})
	})
	return out, err
}

// Ack records that entry id was delivered at now. Acknowledging an entry
// that is already delivered does nothing (at-least-once senders may ack
// twice); one that was given up returns ErrNotPending.
func (o *Outbox) Ack(id uint64, now time.Time) error {
	return o.st.Update(func(tx *store.Tx) error {
		e, err := getEntry(tx, id)
		if err != nil {
			return err
		}
		switch e.State {
		case StateDelivered:
			return nil
		case StateFailed:
			return fmt.Errorf("outbox: ack entry %d: %w (%s)", id, ErrNotPending, e.State)
		}
		e.Attempts++
		return o.finish(tx, &e, StateDelivered, now)
	})
}

// Fail records a failed attempt to send entry id at now, with the error
// message errMsg: the entry is due again at retryAt, or, when its
// attempts reach Options.MaxAttempts, it is given up (StateFailed). The
// caller owns the backoff that chooses retryAt. Fail on an entry that is
// no longer pending returns ErrNotPending.
func (o *Outbox) Fail(id uint64, now, retryAt time.Time, errMsg string) error {
	return o.fail(id, now, retryAt, errMsg, false)
}

// GiveUp records a failed attempt of a pending entry that will not succeed
// if tried again (the receiver refused the payload): the entry is failed
// at once, whatever its attempts, so that it does not hold back the
// receiver's later entries.
func (o *Outbox) GiveUp(id uint64, now time.Time, errMsg string) error {
	return o.fail(id, now, now, errMsg, true)
}

func (o *Outbox) fail(id uint64, now, retryAt time.Time, errMsg string, giveUp bool) error {
	return o.st.Update(func(tx *store.Tx) error {
		e, err := getEntry(tx, id)
		if err != nil {
			return err
		}
		if e.State != StatePending {
			return fmt.Errorf("outbox: fail entry %d: %w (%s)", id, ErrNotPending, e.State)
		}
		e.Attempts++
		e.LastError = truncate(errMsg, maxErrLen)
		if giveUp || e.Attempts >= o.opts.MaxAttempts {
			return o.finish(tx, &e, StateFailed, now)
		}
		e.NextAttempt = retryAt
		return putEntry(tx, &e)
	})
}

// finish moves a pending entry to state (delivered or failed).
func (o *Outbox) finish(tx *store.Tx, e *Entry, state string, now time.Time) error {
	e.State, e.Finished = state, now
	if err := putEntry(tx, e); err != nil {
		return err
	}
	if err := tx.Delete(bucketPending, pendingKey(e.Receiver, e.ID)); err != nil {
		return err
	}
	if err := tx.Delete(bucketDedup, dedupKey(e.Receiver, e.DedupKey)); err != nil {
		return err
	}
	if state == StateDelivered && e.Group != "" {
		if err := tx.Put(bucketSent, join(e.Receiver, e.Group), idKey(e.ID)); err != nil {
			return err
		}
	}
	if err := tx.Put(bucketFinished, finishedKey(now, e.ID), nil); err != nil {
		return err
	}
	if err := addCount(tx, e.Receiver, StatePending, -1); err != nil {
		return err
	}
	return addCount(tx, e.Receiver, state, 1)
}

// Prune removes the delivered and failed entries that finished more than
// Options.Retention before now, and returns how many it removed.
func (o *Outbox) Prune(now time.Time) (int, error) {
	cutoff := unixNano(now.Add(-o.opts.Retention))
	n := 0
	err := o.st.Update(func(tx *store.Tx) error {
		var keys [][]byte
		err := tx.Scan(bucketFinished, nil, func(k, _ []byte) error {
			if binary.BigEndian.Uint64(k[:8]) >= cutoff {
				return store.StopScan
			}
			keys = append(keys, slices.Clone(k))
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range keys {
			id := lastID(k)
			e, err := getEntry(tx, id)
			if err != nil {
				return err
			}
			sk := join(e.Receiver, e.Group)
			if v := tx.Get(bucketSent, sk); e.Group != "" && v != nil && lastID(v) == id {
				if err := tx.Delete(bucketSent, sk); err != nil {
					return err
				}
			}
			for _, bk := range [][2][]byte{
				{bucketFinished, k},
				{bucketEntries, idKey(id)},
				{bucketByKey, byKeyKey(e.DedupKey, e.Receiver, id)},
			} {
				if err := tx.Delete(bk[0], bk[1]); err != nil {
					return err
				}
			}
			if err := addCount(tx, e.Receiver, e.State, -1); err != nil {
				return err
			}
		}
		n = len(keys)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Receivers returns, sorted, the receivers that have pending entries: the
// ones a delivery loop must serve after a restart.
func (o *Outbox) Receivers() ([]string, error) {
	stats, err := o.Stats()
	if err != nil {
		return nil, err
	}
	var out []string
	for r, c := range stats {
		if c.Pending > 0 {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Stats returns the number of entries of each receiver in each state,
// for every receiver that has entries.
func (o *Outbox) Stats() (map[string]Counts, error) {
	out := make(map[string]Counts)
	err := o.st.View(func(tx *store.Tx) error {
		return tx.Scan(bucketCounts, nil, func(k, v []byte) error {
			receiver, state, ok := strings.Cut(string(k), "\x00")
			if !ok || len(v) != 8 {
				return fmt.Errorf("outbox: store %s: bad count key %q", o.st.Path(), k)
			}
			n := int(binary.BigEndian.Uint64(v))
			if n == 0 {
				return nil
			}
			c := out[receiver]
			switch state {
			case StatePending:
				c.Pending = n
			case StateDelivered:
				c.Delivered = n
			case StateFailed:
				c.Failed = n
			}
			out[receiver] = c
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Status returns every entry, in any state, whose dedup key starts with
// dedupKeyPrefix (for example the key of an alert group), ordered by ID.
// Delivered and failed entries are there until Prune removes them.
func (o *Outbox) Status(dedupKeyPrefix string) ([]Entry, error) {
	var out []Entry
	err := o.st.View(func(tx *store.Tx) error {
		return tx.Scan(bucketByKey, []byte(dedupKeyPrefix), func(k, _ []byte) error {
			e, err := getEntry(tx, lastID(k))
			if err != nil {
				return err
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Entry) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out, nil
}

// Get returns the entry with the ID, or ErrNotFound.
func (o *Outbox) Get(id uint64) (Entry, error) {
	var e Entry
	err := o.st.View(func(tx *store.Tx) (err error) {
		e, err = getEntry(tx, id)
		return err
	})
	return e, err
}

func getEntry(tx *store.Tx, id uint64) (Entry, error) {
	var e Entry
	v := tx.Get(bucketEntries, idKey(id))
	if v == nil {
		return e, fmt.Errorf("outbox: entry %d: %w", id, ErrNotFound)
	}
	if err := json.Unmarshal(v, &e); err != nil {
		return e, fmt.Errorf("outbox: decode entry %d: %w", id, err)
	}
	return e, nil
}

func putEntry(tx *store.Tx, e *Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("outbox: encode entry %d: %w", e.ID, err)
	}
	return tx.Put(bucketEntries, idKey(e.ID), v)
}

func getCount(tx *store.Tx, receiver, state string) int {
	v := tx.Get(bucketCounts, countKey(receiver, state))
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

func addCount(tx *store.Tx, receiver, state string, delta int) error {
	n := getCount(tx, receiver, state) + delta
	if n < 0 {
		return fmt.Errorf("outbox: count of %s entries of %q would be negative", state, receiver)
	}
	return tx.Put(bucketCounts, countKey(receiver, state), idKey(uint64(n)))
}

func checkName(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("empty %s", what)
	case strings.IndexByte(s, 0) >= 0:
		return fmt.Errorf("%s %q contains a NUL byte", what, s)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
