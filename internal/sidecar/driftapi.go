package sidecar

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/report"
)

// Statuses of api.DriftState.
const (
	statusCollecting = "collecting_reference"
	statusWaiting    = "waiting_for_window"
	statusNoDrift    = "no_drift"
	statusDrift      = "drift"
)

// DriftStates implements api.Drift.
func (p *pipeline) DriftStates() []api.DriftState {
	out := []api.DriftState{}
	p.eachMonitor(func(w *watched, model, version string, mon *drift.Monitor) bool {
		st := mon.Stats()
		s := api.DriftState{
			Model: model, Version: version,
			ReferenceRows: st.ReferenceRows, Observed: st.Observed, Windows: st.Windows,
			LastError: st.LastError,
		}
		rep, at := mon.Last()
		switch {
		case rep != nil:
			s.Status = statusNoDrift
			if rep.Drift {
				s.Status = statusDrift
			}
			at := at.UTC()
			s.LastWindow, s.Drift = &at, &rep.Drift
			s.DriftedFeatures, s.Features, s.CurrentRows = rep.DriftedFeatures, len(rep.Features), rep.CurrentRows
			for _, f := range rep.TopDrifted(5) {
				s.TopFeatures = append(s.TopFeatures, f.Name)
			}
			s.Report = "/api/v1/drift?" + url.Values{"model": {model}, "version": {version}}.Encode()
		case st.ReferenceRows == 0:
			s.Status = statusCollecting
		default:
			s.Status = statusWaiting
		}
		out = append(out, s)
		return true
	})
	return out
}

var contentTypes = map[string]string{
	"json":     "application/json",
	"html":     "text/html; charset=utf-8",
	"markdown": "text/markdown; charset=utf-8",
	"text":     "text/plain; charset=utf-8",
}

// DriftReport implements api.Drift.
func (p *pipeline) DriftReport(model, version, format string) ([]byte, string, error) {
	ctype, ok := contentTypes[format]
	if !ok || !slices.Contains(report.Formats, format) {
		return nil, "", fmt.Errorf("%w %q: want one of json, html, markdown, text", api.ErrBadFormat, format)
	}
	var (
		mon *drift.Monitor
		w   *watched
	)
	p.eachMonitor(func(ww *watched, m, v string, mm *drift.Monitor) bool {
		if m == model && v == version {
			mon, w = mm, ww
			return false
		}
		return true
	})
	if mon == nil {
		return nil, "", api.ErrNotFound
	}
	rep, at := mon.Last()
	if rep == nil {
		st := mon.Stats()
		if st.ReferenceRows == 0 {
			return nil, "", fmt.Errorf("%w: collecting the reference (%d records observed of %d)",
				api.ErrNoReport, st.Observed, w.cfg.Drift.ReferenceFirst)
		}
		return nil, "", fmt.Errorf("%w: the first window is not complete", api.ErrNoReport)
	}
	var buf bytes.Buffer
	meta := report.Meta{
		Reference: fmt.Sprintf("%s %s: %s", model, version, w.ref),
		Current:   fmt.Sprintf("%s %s: window of %d records ending %s", model, version, rep.CurrentRows, at.UTC().Format(time.RFC3339)),
		Generated: at,
		Version:   p.version,
	}
	if err := report.Write(&buf, format, rep, meta); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), ctype, nil
}

// eachMonitor calls fn for every model version's drift monitor, in config
// order then in the order versions were first seen, until fn returns
// false. A model version seen by two model entries is reported once.
func (p *pipeline) eachMonitor(fn func(w *watched, model, version string, mon *drift.Monitor) bool) {
	seen := map[[2]string]bool{}
	for _, w := range p.models {
		for _, k := range w.drift.Keys() {
			mon, ok := w.drift.Get(k.Model, k.Version)
			if !ok || seen[[2]string{k.Model, k.Version}] {
				continue
			}
			seen[[2]string{k.Model, k.Version}] = true
			if !fn(w, k.Model, k.Version, mon) {
				return
			}
		}
	}
}
