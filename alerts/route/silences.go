package route

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/internal/store"
)

// Silence states, as Silences.List reports them.
const (
	SilencePending = "pending" // starts in the future
	SilenceActive  = "active"
	SilenceExpired = "expired"
)

// ErrNoSilence is returned by Expire for an unknown id.
var ErrNoSilence = errors.New("no such silence")

// silenceBucket holds the silences by ID, as JSON.
var silenceBucket = []byte("silences")

// Silences is the persisted set of silences. It is safe for concurrent use.
type Silences struct {
	st   *store.Store
	mu   sync.RWMutex
	byID map[string]*Silence
}

// OpenSilences loads the silences kept in st.
func OpenSilences(st *store.Store) (*Silences, error) {
	s := &Silences{st: st, byID: map[string]*Silence{}}
	err := st.View(func(tx *store.Tx) error {
		return tx.Scan(silenceBucket, nil, func(k, v []byte) error {
			var sil Silence
			if err := json.Unmarshal(v, &sil); err != nil {
				return fmt.Errorf("silence %s: %w", k, err)
			}
			if err := sil.Validate(); err != nil {
				return fmt.Errorf("silence %s: %w", k, err)
			}
			s.byID[sil.ID] = &sil
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load silences from %s: %w", st.Path(), err)
	}
	return s, nil
}

// Add validates sil, gives it an ID and keeps it. A zero StartsAt means
// now. It returns the silence as kept.
func (s *Silences) Add(sil Silence, now time.Time) (*Silence, error) {
	if sil.StartsAt.IsZero() {
		sil.StartsAt = now
	}
	sil.StartsAt, sil.EndsAt = sil.StartsAt.UTC(), sil.EndsAt.UTC()
	if err := sil.Validate(); err != nil {
		return nil, err
	}
	if !sil.EndsAt.After(now) {
		return nil, fmt.Errorf("ends_at %s is already past", sil.EndsAt.Format(time.RFC3339))
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, err
	}
	sil.ID = hex.EncodeToString(id[:])
	if err := s.put(&sil); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.byID[sil.ID] = &sil
	s.mu.Unlock()
	return &sil, nil
}

// Expire ends the silence id at now; an expired one is left as it is.
func (s *Silences) Expire(id string, now time.Time) (*Silence, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byID[id]
	if old == nil {
		return nil, fmt.Errorf("%w %q", ErrNoSilence, id)
	}
	if !old.EndsAt.After(now) {
		return old, nil
	}
	sil := *old
	sil.EndsAt = now.UTC()
	if sil.StartsAt.After(sil.EndsAt) {
		sil.StartsAt = sil.EndsAt // a pending silence ends before it began
	}
	if err := s.put(&sil); err != nil {
		return nil, err
	}
	s.byID[id] = &sil
	return &sil, nil
}

func (s *Silences) put(sil *Silence) error {
	b, err := json.Marshal(sil)
	if err != nil {
		return err
	}
	return s.st.Update(func(tx *store.Tx) error { return tx.Put(silenceBucket, []byte(sil.ID), b) })
}

// Active returns the silences that mute alerts at now.
func (s *Silences) Active(now time.Time) []*Silence {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*Silence
	for _, sil := range s.byID {
		if sil.Active(now) {
			out = append(out, sil)
		}
	}
	return out
}

// List returns every silence, the latest ending first, with its state at
// now.
func (s *Silences) List(now time.Time) (silences []*Silence, states []string) {
	s.mu.RLock()
	for _, sil := range s.byID {
		silences = append(silences, sil)
	}
	s.mu.RUnlock()
	slices.SortFunc(silences, func(a, b *Silence) int { return b.EndsAt.Compare(a.EndsAt) })
	for _, sil := range silences {
		switch {
		case now.Before(sil.StartsAt):
			states = append(states, SilencePending)
		case sil.Active(now):
			states = append(states, SilenceActive)
		default:
			states = append(states, SilenceExpired)
		}
	}
	return silences, states
}

// Prune forgets the silences that expired before now − keep.
func (s *Silences) Prune(now time.Time, keep time.Duration) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []string
	for id, sil := range s.byID {
		if sil.EndsAt.Before(now.Add(-keep)) {
			gone = append(gone, id)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	err := s.st.Update(func(tx *store.Tx) error {
		for _, id := range gone {
			if err := tx.Delete(silenceBucket, []byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, id := range gone {
		delete(s.byID, id)
	}
	return len(gone), nil
}
