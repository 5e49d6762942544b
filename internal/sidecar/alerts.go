package sidecar

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/outbox"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/alerts/rules"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// keepResolved is how many resolved alerts /api/v1/alerts shows.
const keepResolved = 100

// alerting evaluates the rules over the detectors' results, logs each
// change of an alert's state, and keeps what /api/v1/alerts and /metrics
// read. evaluate runs on the pipeline goroutine; Alerts and collect from
// any.
type alerting struct {
	engine   *rules.Engine
	names    []string // rule names, for metrics
	log      *slog.Logger
	states   map[uint64]alert.State // pipeline goroutine only
	silences *route.Silences        // for the API's silenced_by and the dispatcher; may be nil

	// Notification, when a route is configured: the dispatcher groups
	// the alerts and times the notifications (pipeline goroutine only),
	// the outbox keeps them, the deliverer sends them.
	dispatch   *route.Dispatcher
	due        *time.Timer // fires when the dispatcher's next group is due
	outbox     *outbox.Outbox
	deliverer  *notify.Deliverer
	enqueued   atomic.Uint64
	suppressed atomic.Uint64 // delivered already within repeat_interval (after a restart)
	lost       atomic.Uint64 // refused by the outbox (full, or a store error)

	mu       sync.Mutex
	live     []*alert.Alert // pending and firing, at the last evaluation
	resolved []*alert.Alert // the last keepResolved, oldest first
	// notified holds, per alert fingerprint and receiver, the last
	// notification about the alert, for its delivery status.
	notified map[uint64]map[string]sentRef
}

// sentRef is a notification in the outbox, as an alert's status shows it.
type sentRef struct {
	dedupKey, status string
}

func newAlerting(rs []rules.Rule, log *slog.Logger) (*alerting, error) {
	e, err := rules.New(rs)
	if err != nil {
		return nil, err
	}
	a := &alerting{engine: e, log: log, states: map[uint64]alert.State{}, notified: map[uint64]map[string]sentRef{}}
	for _, r := range rs {
		a.names = append(a.names, r.Name)
	}
	return a, nil
}

// evaluate feeds res (nil on a tick) to the rules at now.
func (a *alerting) evaluate(now time.Time, res []obs.Result) {
	out := a.engine.Evaluate(now, res)
	states := make(map[uint64]alert.State, len(out))
	var live, resolved []*alert.Alert
	for _, al := range out {
		fp := al.Fingerprint()
		if al.State != a.states[fp] {
			a.logChange(al)
		}
		if al.State == alert.Resolved {
			resolved = append(resolved, al)
			continue
		}
		states[fp] = al.State
		live = append(live, al)
	}
	a.states = states // pending alerts that cleared are not in out: forgotten
	if a.dispatch != nil {
		a.dispatch.Add(now, out)
		a.arm(now)
	}
	a.mu.Lock()
	a.live = live
	a.resolved = append(a.resolved, resolved...)
	if n := len(a.resolved) - keepResolved; n > 0 {
		a.resolved = slices.Delete(a.resolved, 0, n)
	}
	if len(a.notified) > 0 {
		shown := make(map[uint64]bool, len(a.live)+len(a.resolved))
		for _, al := range slices.Concat(a.live, a.resolved) {
			shown[al.Fingerprint()] = true
		}
		for fp := range a.notified {
			if !shown[fp] {
				delete(a.notified, fp)
			}
		}
	}
	a.mu.Unlock()
}

// tick moves the alerts with time (for, keep_firing_for, no-data), feeds
// the results of the collectors polled on their own (GPU), and sends what
// is due; the pipeline calls it every evaluateEvery.
func (a *alerting) tick(now time.Time, res []obs.Result) {
	a.evaluate(now, res)
	a.flush(now)
}

// dueC fires when a group of the dispatcher is due: the pipeline then
// calls flush, so that a notification leaves on time rather than at the
// next tick. Nil (never fires) without a route.
func (a *alerting) dueC() <-chan time.Time {
	if a.due == nil {
		return nil
	}
	return a.due.C
}

// arm sets the due timer to the dispatcher's next due group.
func (a *alerting) arm(now time.Time) {
	if a.due == nil {
		a.due = time.NewTimer(time.Hour)
	}
	a.due.Stop()
	if t := a.dispatch.NextDue(); !t.IsZero() {
		a.due.Reset(max(t.Sub(now), 0))
	}
}

// flush writes the notifications due at now to the outbox and wakes their
// receivers' delivery.
func (a *alerting) flush(now time.Time) {
	if a.dispatch == nil {
		return
	}
	defer a.arm(now)
	var active []*route.Silence
	if a.silences != nil {
		active = a.silences.Active(now)
	}
	ns := a.dispatch.Flush(now, active)
	if len(ns) == 0 {
		return
	}
	items := make([]outbox.Item, 0, len(ns))
	kept := make([]route.Notification, 0, len(ns))
	for _, n := range ns {
		m := notify.Message{Receiver: n.Receiver, GroupKey: n.GroupKey, GroupLabels: n.GroupLabels,
			Status: n.Status, Alerts: n.Alerts, DedupKey: n.DedupKey}
		b, err := json.Marshal(&m)
		if err != nil {
			a.lost.Add(1)
			a.log.Error("notification not queued", "receiver", n.Receiver, "group", n.GroupKey, "error", err)
			continue
		}
		items = append(items, outbox.Item{Receiver: n.Receiver, DedupKey: n.DedupKey, Payload: b,
			Group: n.GroupKey, RepeatAfter: n.RepeatInterval})
		kept = append(kept, n)
	}
	// One transaction (one fsync) for the lot; when it fails, one per
	// notification, so that one full receiver does not lose the others'.
	q, err := a.outbox.EnqueueBatch(items, now)
	if err != nil {
		q = make([]outbox.Queued, len(items))
		for i, it := range items {
			one, err := a.outbox.EnqueueBatch(items[i:i+1], now)
			if err != nil {
				a.lost.Add(1)
				a.log.Error("notification not queued", "receiver", it.Receiver, "group", it.Group, "error", err)
				continue
			}
			q[i] = one[0]
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, n := range kept {
		switch {
		case q[i].ID == 0:
			continue
		case q[i].Suppressed:
			a.suppressed.Add(1)
			a.log.Debug("notification already delivered within repeat_interval", "receiver", n.Receiver, "group", n.GroupKey)
		default:
			a.enqueued.Add(1)
			a.deliverer.Kick(n.Receiver)
		}
		for _, al := range n.Alerts {
			fp := al.Fingerprint()
			if a.notified[fp] == nil {
				a.notified[fp] = map[string]sentRef{}
			}
			a.notified[fp][n.Receiver] = sentRef{dedupKey: n.DedupKey, status: n.Status}
		}
	}
}

func (a *alerting) logChange(al *alert.Alert) {
	attrs := []any{"rule", al.Rule, "severity", al.Severity.String(), "labels", al.Labels.String(),
		"value", al.Value}
	if s := al.Annotations["summary"]; s != "" {
		attrs = append(attrs, "summary", s)
	}
	for _, f := range al.Evidence {
		attrs = append(attrs, f.Key, f.Value)
	}
	switch al.State {
	case alert.Firing:
		a.log.Warn("alert firing", attrs...)
	case alert.Resolved:
		a.log.Info("alert resolved", attrs...)
	default:
		a.log.Debug("alert "+al.State.String(), attrs...)
	}
}

// Alerts implements api.Alerts: firing before pending before resolved,
// the most severe first, then the oldest first.
func (a *alerting) Alerts() []api.Alert {
	a.mu.Lock()
	all := slices.Concat(a.live, a.resolved)
	refs := make(map[uint64][]sentRef, len(all))
	for _, al := range all {
		for _, r := range a.notified[al.Fingerprint()] {
			refs[al.Fingerprint()] = append(refs[al.Fingerprint()], r)
		}
	}
	a.mu.Unlock()
	slices.SortStableFunc(all, func(x, y *alert.Alert) int {
		return cmp.Or(cmp.Compare(stateRank(x.State), stateRank(y.State)),
			cmp.Compare(y.Severity, x.Severity), x.ActiveAt.Compare(y.ActiveAt))
	})
	var active []*route.Silence
	if a.silences != nil {
		active = a.silences.Active(time.Now())
	}
	out := make([]api.Alert, 0, len(all))
	for _, al := range all {
		w := api.Alert{
			Rule: al.Rule, State: al.State.String(), Severity: al.Severity.String(),
			Labels: al.Labels, Annotations: al.Annotations, Value: al.Value, Samples: al.Samples,
			ActiveAt: al.ActiveAt.UTC(), Fingerprint: fmt.Sprintf("%016x", al.Fingerprint()),
			SilencedBy:    route.Silenced(active, al.Labels, time.Now()),
			Notifications: a.deliveries(refs[al.Fingerprint()]),
		}
		for _, f := range al.Evidence {
			w.Evidence = append(w.Evidence, api.Field{Key: f.Key, Value: f.Value})
		}
		if !al.FiredAt.IsZero() {
			t := al.FiredAt.UTC()
			w.FiredAt = &t
		}
		if !al.ResolvedAt.IsZero() {
			t := al.ResolvedAt.UTC()
			w.ResolvedAt = &t
		}
		out = append(out, w)
	}
	return out
}

// deliveries returns the state in the outbox of the notifications refs,
// and of their copies to fallback receivers: the latest entry per
// receiver, by receiver name.
func (a *alerting) deliveries(refs []sentRef) []api.Delivery {
	var out []api.Delivery
	for _, r := range refs {
		entries, err := a.outbox.Status(r.dedupKey)
		if err != nil {
			a.log.Warn("read the outbox", "error", err)
			continue
		}
		latest := map[string]outbox.Entry{}
		for _, e := range entries { // by ID: the last one wins
			if e.DedupKey == r.dedupKey {
				latest[e.Receiver] = e
			}
		}
		for _, e := range latest {
			d := api.Delivery{Receiver: e.Receiver, State: e.State, Attempts: e.Attempts, LastError: e.LastError,
				Status: r.status, DedupKey: e.DedupKey, QueuedAt: e.Created.UTC(), FallbackTo: e.Fallback}
			if e.State == outbox.StatePending {
				t := e.NextAttempt.UTC()
				d.NextTry = &t
			} else {
				t := e.Finished.UTC()
				d.DoneAt = &t
			}
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(x, y api.Delivery) int { return cmp.Compare(x.Receiver, y.Receiver) })
	return out
}

// stateRank orders firing, pending, resolved.
func stateRank(s alert.State) int {
	switch s {
	case alert.Firing:
		return 0
	case alert.Pending:
		return 1
	}
	return 2
}

const (
	MetricAlerts          = "driftwatch_alerts"
	MetricRuleSeries      = "driftwatch_rule_series"
	MetricRuleDropped     = "driftwatch_rule_results_dropped_total"
	MetricRuleTemplateErr = "driftwatch_rule_template_errors_total"
	MetricNotifications   = "driftwatch_notifications_total"
	MetricOutbox          = "driftwatch_outbox_notifications"
	MetricCircuitOpen     = "driftwatch_receiver_circuit_open"
)

var (
	descAlerts      = prometheus.NewDesc(MetricAlerts, "Alerts by rule, state (pending, firing) and severity, at the last evaluation.", []string{"rule", "state", "severity"}, nil)
	descRuleSeries  = prometheus.NewDesc(MetricRuleSeries, "Series (label sets) the rules keep, all rules together.", nil, nil)
	descRuleDropped = prometheus.NewDesc(MetricRuleDropped, "Results the rules did not use, by reason: max_series (the rule had its maximum of series), min_samples (fewer samples than the rule asks).", []string{"reason"}, nil)
	descRuleTmplErr = prometheus.NewDesc(MetricRuleTemplateErr, "Annotations whose template failed to render (the annotation says why).", nil, nil)
	descNotif       = prometheus.NewDesc(MetricNotifications, "Notifications the routes made, by result: queued (written to the outbox), suppressed (the same was delivered within repeat_interval, before a restart) or lost (the outbox refused them: full, or a store error).", []string{"result"}, nil)
	descCircuit     = prometheus.NewDesc(MetricCircuitOpen, "1 while the receiver's circuit breaker is open: it kept failing, is tried again only after a cool-down, and its notifications go to its fallback.", []string{"receiver"}, nil)
	descOutbox      = prometheus.NewDesc(MetricOutbox, "Notifications in the outbox by receiver and state: pending (to send or retrying), delivered, failed (given up; kept for the retention).", []string{"receiver", "state"}, nil)
)

// collect reports the alert counts, zeros included, and the engine's
// counters.
func (a *alerting) collect(ch chan<- prometheus.Metric) {
	type key struct {
		rule  string
		state alert.State
		sev   obs.Severity
	}
	counts := map[key]int{}
	a.mu.Lock()
	for _, al := range a.live {
		counts[key{al.Rule, al.State, al.Severity}]++
	}
	a.mu.Unlock()
	for _, r := range a.names {
		for _, st := range []alert.State{alert.Pending, alert.Firing} {
			for _, sev := range []obs.Severity{obs.Warning, obs.Critical} {
				ch <- prometheus.MustNewConstMetric(descAlerts, prometheus.GaugeValue,
					float64(counts[key{r, st, sev}]), r, st.String(), sev.String())
			}
		}
	}
	st := a.engine.Stats()
	ch <- prometheus.MustNewConstMetric(descRuleSeries, prometheus.GaugeValue, float64(st.Series))
	ch <- prometheus.MustNewConstMetric(descRuleDropped, prometheus.CounterValue, float64(st.Overflow), "max_series")
	ch <- prometheus.MustNewConstMetric(descRuleDropped, prometheus.CounterValue, float64(st.BelowMinSamples), "min_samples")
	ch <- prometheus.MustNewConstMetric(descRuleTmplErr, prometheus.CounterValue, float64(st.TemplateErrors))
	if a.outbox == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descNotif, prometheus.CounterValue, float64(a.enqueued.Load()), "queued")
	ch <- prometheus.MustNewConstMetric(descNotif, prometheus.CounterValue, float64(a.suppressed.Load()), "suppressed")
	ch <- prometheus.MustNewConstMetric(descNotif, prometheus.CounterValue, float64(a.lost.Load()), "lost")
	for recv, c := range a.deliverer.Circuits() {
		open := 0.0
		if c.Open {
			open = 1
		}
		ch <- prometheus.MustNewConstMetric(descCircuit, prometheus.GaugeValue, open, recv)
	}
	stats, err := a.outbox.Stats()
	if err != nil {
		return
	}
	for recv, c := range stats {
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(c.Pending), recv, outbox.StatePending)
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(c.Delivered), recv, outbox.StateDelivered)
		ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(c.Failed), recv, outbox.StateFailed)
	}
}
