package rules

import (
	"bytes"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// series is the state of one rule applied to one result label set.
type series struct {
	fp    uint64      // of the result labels: the key in rule.index
	alert alert.Alert // the alert as returned

	lastSeen time.Time    // evaluation time of the last result
	lastTrue time.Time    // last evaluation at which the condition held
	truth    bool         // whether the last result met the condition
	level    obs.Severity // severity the last result met, OK if none
	noData   bool         // firing because of no_data: alerting

	// times of the last condition-true results, a ring of at most
	// occurrences.count entries; ring[head] is the oldest when full.
	ring []time.Time
	head int
}

func newSeries(r *rule, fp uint64, resultLabels obs.Labels) series {
	l := make(obs.Labels, len(resultLabels)+len(r.labels)+1)
	for k, v := range resultLabels {
		l[k] = v
	}
	for k, v := range r.labels {
		l[k] = v
	}
	l[alert.NameLabel] = r.name
	return series{fp: fp, alert: alert.Alert{Rule: r.name, Labels: l}}
}

// push records a condition-true result at t.
func (s *series) push(t time.Time, count int) {
	if len(s.ring) < count {
		s.ring = append(s.ring, t)
		return
	}
	s.ring[s.head] = t
	s.head = (s.head + 1) % count
}

// occurred reports whether count condition-true results fall within
// (now-within, now]: the ring is full and its oldest entry is recent.
func (s *series) occurred(now time.Time, count int, within time.Duration) bool {
	return len(s.ring) == count && now.Sub(s.ring[s.head]) < within
}

// advance moves s to its state at now and reports whether its alert is
// to be returned (pending, firing, or resolved at now).
func (e *Engine) advance(r *rule, s *series, now time.Time) bool {
	a := &s.alert
	if a.State == alert.Resolved {
		a.State, a.Severity = alert.Inactive, obs.OK // resolved is returned once
	}
	prevState, prevSev, prevNoData := a.State, a.Severity, s.noData
	a.LastEvaluated = now

	cond := s.truth
	if r.occCount > 0 {
		cond = s.occurred(now, r.occCount, r.occWithin)
	}
	stale := r.noData.State != "" && now.Sub(s.lastSeen) >= r.noData.After
	switch {
	case stale && r.noData.State == NoDataOK:
		switch a.State {
		case alert.Pending:
			s.deactivate()
		case alert.Firing:
			s.resolve(now)
		}
	case stale && r.noData.State == NoDataAlerting:
		if a.State != alert.Firing {
			if a.State == alert.Inactive {
				a.ActiveAt = now
			}
			s.fire(now)
		}
		s.noData = true
		a.Severity = obs.Warning
	default:
		s.noData = false
		s.step(r, cond, now)
		if prevNoData && !cond && a.State == alert.Firing {
			s.resolve(now) // data came back, and it is fine
		}
	}

	if a.State == alert.Inactive {
		return false
	}
	if a.State != prevState || a.Severity != prevSev || s.noData != prevNoData {
		e.render(r, s, prevNoData)
	}
	return true
}

// step is the state machine of a series with data (or keeping its last
// state without): cond is whether its condition holds at now.
func (s *series) step(r *rule, cond bool, now time.Time) {
	a := &s.alert
	if cond {
		s.lastTrue = now
		if s.level > obs.OK {
			a.Severity = s.level
		} // else held by recover or by earlier occurrences: keep the severity
	}
	switch a.State {
	case alert.Inactive:
		if !cond {
			return
		}
		a.ActiveAt, a.FiredAt, a.ResolvedAt = now, time.Time{}, time.Time{}
		if a.Severity == obs.OK {
			a.Severity = r.th.lowestLevel()
		}
		a.State = alert.Pending
		if r.forDur == 0 {
			s.fire(now)
		}
	case alert.Pending:
		switch {
		case !cond:
			s.deactivate()
		case now.Sub(a.ActiveAt) >= r.forDur:
			s.fire(now)
		}
	case alert.Firing:
		if !cond && now.Sub(s.lastTrue) >= r.keep {
			s.resolve(now)
		}
	}
}

func (s *series) fire(now time.Time) {
	s.alert.State, s.alert.FiredAt, s.alert.ResolvedAt = alert.Firing, now, time.Time{}
}

func (s *series) resolve(now time.Time) {
	s.alert.State, s.alert.ResolvedAt = alert.Resolved, now
	s.noData = false
}

// deactivate returns a pending series to inactive, without notification.
func (s *series) deactivate() {
	s.alert.State, s.alert.ActiveAt, s.alert.Severity = alert.Inactive, time.Time{}, obs.OK
}

// TemplateData is what annotation templates see:
//
//	{{.Labels.model}} {{.Value}} {{.Severity}} {{.State}} {{.Samples}}
//	{{index .Evidence "top_features"}} {{.Rule}}
//
// A missing label or evidence key renders as "".
type TemplateData struct {
	Rule     string
	Labels   map[string]string // the alert's labels
	Value    float64
	Severity obs.Severity // renders as "warning", "critical"
	State    alert.State  // renders as "pending", "firing", "resolved"
	Samples  int
	Evidence map[string]string // the result's evidence by key
}

// NoDataAnnotation is the annotation, and NoDataEvidence the evidence
// key, that a no_data: alerting alert carries: "no data since <RFC 3339
// time of the last result>".
const (
	NoDataAnnotation = "no_data"
	NoDataEvidence   = "no_data_since"
)

// render sets the alert's annotations, and its evidence as it enters
// no_data: alerting, for its new state. A
// template that fails renders as "template error: ..." and is counted.
func (e *Engine) render(r *rule, s *series, prevNoData bool) {
	a := &s.alert
	if s.noData && !prevNoData {
		since := s.lastSeen.UTC().Format(time.RFC3339)
		a.Evidence = append([]obs.Field{{Key: NoDataEvidence, Value: since}}, a.Evidence...)
	}
	n := len(r.templates)
	if s.noData {
		n++
	}
	if n == 0 {
		a.Annotations = nil
		return
	}
	// The scratch data is safe to reuse: templates run here, synchronously,
	// under the engine's lock.
	sc := &e.scratch
	if sc.ev == nil {
		sc.ev = make(map[string]string)
	}
	clear(sc.ev)
	for _, f := range a.Evidence {
		if _, ok := sc.ev[f.Key]; !ok { // the first, most important, wins
			sc.ev[f.Key] = f.Value
		}
	}
	sc.data = TemplateData{
		Rule:     r.name,
		Labels:   a.Labels,
		Value:    a.Value,
		Severity: a.Severity,
		State:    a.State,
		Samples:  a.Samples,
		Evidence: sc.ev,
	}
	ann := make(map[string]string, n)
	for _, t := range r.templates {
		sc.buf.Reset()
		if err := t.Execute(&sc.buf, &sc.data); err != nil {
			e.templateErrors.Add(1)
			ann[t.Name()] = "template error: " + err.Error()
			continue
		}
		ann[t.Name()] = sc.buf.String()
	}
	if s.noData {
		ann[NoDataAnnotation] = "no data since " + sc.ev[NoDataEvidence]
	}
	a.Annotations = ann
}

// renderScratch is reused by every render of an Engine.
type renderScratch struct {
	data TemplateData
	ev   map[string]string
	buf  bytes.Buffer
}
