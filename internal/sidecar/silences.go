package sidecar

import (
	"errors"
	"fmt"
	"time"

	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/internal/api"
)

// keepExpiredSilences is how long expired silences stay listed.
const keepExpiredSilences = 7 * 24 * time.Hour

// silenceAPI serves /api/v1/silences from the persisted silences.
type silenceAPI struct{ s *route.Silences }

// ListSilences implements api.Silences.
func (a silenceAPI) ListSilences(now time.Time) []api.Silence {
	list, states := a.s.List(now)
	out := make([]api.Silence, len(list))
	for i, s := range list {
		out[i] = wireSilence(s, states[i])
	}
	return out
}

// AddSilence implements api.Silences.
func (a silenceAPI) AddSilence(req api.SilenceRequest, now time.Time) (api.Silence, error) {
	s := route.Silence{Matchers: req.Matchers, CreatedBy: req.CreatedBy, Comment: req.Comment}
	if req.StartsAt != nil {
		s.StartsAt = *req.StartsAt
	}
	start := s.StartsAt
	if start.IsZero() {
		start = now
	}
	switch {
	case req.EndsAt != nil && req.Duration != "":
		return api.Silence{}, errors.New("give ends_at or duration, not both")
	case req.EndsAt != nil:
		s.EndsAt = *req.EndsAt
	case req.Duration != "":
		d, err := time.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			return api.Silence{}, fmt.Errorf("duration %q: want a positive Go duration such as 2h or 90m", req.Duration)
		}
		s.EndsAt = start.Add(d)
	default:
		return api.Silence{}, errors.New("give ends_at or duration")
	}
	added, err := a.s.Add(s, now)
	if err != nil {
		return api.Silence{}, err
	}
	state := route.SilenceActive
	if now.Before(added.StartsAt) {
		state = route.SilencePending
	}
	return wireSilence(added, state), nil
}

// ExpireSilence implements api.Silences.
func (a silenceAPI) ExpireSilence(id string, now time.Time) (api.Silence, error) {
	s, err := a.s.Expire(id, now)
	if errors.Is(err, route.ErrNoSilence) {
		return api.Silence{}, api.ErrNotFound
	}
	if err != nil {
		return api.Silence{}, err
	}
	return wireSilence(s, route.SilenceExpired), nil
}

func wireSilence(s *route.Silence, state string) api.Silence {
	return api.Silence{ID: s.ID, State: state, Matchers: s.Matchers, StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(),
		CreatedBy: s.CreatedBy, Comment: s.Comment}
}
