package route

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Silence mutes the notifications of the alerts its matchers match, from
// StartsAt until EndsAt. Alerts keep their state while silenced; they are
// only not notified.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`

	matchers Matchers
}

// MaxSilenceDuration bounds how long a silence may last, so that a typo in
// a duration does not mute an alert for years.
const MaxSilenceDuration = 90 * 24 * time.Hour

// Validate checks s and compiles its matchers. It needs at least one
// matcher that does not match the empty value, so that a silence cannot
// mute everything by accident (team=~".*" alone is refused).
func (s *Silence) Validate() error {
	var errs []error
	ms, err := ParseMatchers(s.Matchers)
	if err != nil {
		errs = append(errs, fmt.Errorf("matchers: %v", err))
	}
	narrowing := false
	for _, m := range ms {
		if !m.Matches(obs.Labels{}) {
			narrowing = true
		}
	}
	if err == nil && !narrowing {
		errs = append(errs, errors.New("matchers: give at least one matcher that an alert without labels would fail, e.g. alertname=model_drift"))
	}
	switch {
	case s.StartsAt.IsZero() || s.EndsAt.IsZero():
		errs = append(errs, errors.New("starts_at and ends_at are required"))
	case !s.EndsAt.After(s.StartsAt):
		errs = append(errs, fmt.Errorf("ends_at %s is not after starts_at %s", s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339)))
	case s.EndsAt.Sub(s.StartsAt) > MaxSilenceDuration:
		errs = append(errs, fmt.Errorf("lasts %v, more than the %v allowed", s.EndsAt.Sub(s.StartsAt), MaxSilenceDuration))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		errs = append(errs, errors.New("created_by is required: who to ask about it"))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	s.matchers = ms
	return nil
}

// Active reports whether s mutes alerts at now.
func (s *Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Mutes reports whether s is active at now and matches labels l. It is
// false for a silence that was not validated.
func (s *Silence) Mutes(l obs.Labels, now time.Time) bool {
	return s.matchers != nil && s.Active(now) && s.matchers.Matches(l)
}

// Silenced returns the IDs of the silences that mute labels l at now.
func Silenced(silences []*Silence, l obs.Labels, now time.Time) []string {
	var ids []string
	for _, s := range silences {
		if s.Mutes(l, now) {
			ids = append(ids, s.ID)
		}
	}
	return ids
}
