// Package pagerduty sends notifications to PagerDuty as alert events of
// the Events API v2 (POST https://events.pagerduty.com/v2/enqueue).
//
// # One PagerDuty alert per alert group
//
// Every event of an alert group carries the same dedup_key, DedupKey:
// "driftwatch-" and 32 hex digits (128 bits) of the SHA-256 of the
// message's group key. It depends on nothing else: not on
// Message.DedupKey, which the outbox sets per notification and which
// changes whenever an alert of the group changes state or severity, nor
// on the receiver or the routing key. PagerDuty correlates events by
// dedup_key (within one routing key), so
//
//   - the first notification of a group opens a PagerDuty alert (and an
//     incident);
//   - later notifications while the group fires (repeats, more alerts
//     firing, some resolved) are trigger events with the same key: they
//     are added to the open alert's log instead of opening new alerts and
//     paging again;
//   - the notification that finds every alert of the group resolved is a
//     resolve event with the same key, which resolves the alert that the
//     first trigger opened;
//   - a trigger after that opens a new alert, as it should: the group
//     fires again.
//
// At-least-once delivery is harmless: a duplicate trigger lands in the
// open alert's log, and PagerDuty drops a resolve for an alert that is
// already resolved. The group key names the route by its position in
// the route tree, so reordering routes changes the keys: a PagerDuty
// alert open at that moment is then not resolved by driftwatch.
//
// # The events
//
// A message whose alerts are all resolved becomes a resolve event, which
// has only routing_key, event_action and dedup_key (all that PagerDuty
// reads from one). Any other message becomes a trigger event:
//
//   - payload.summary: the firing alerts' alertnames, then the model and
//     version they share, how many features drifted, the top drifted
//     features, and the strongest alert's test and p-value, as in
//     "FeatureDrift: search-rerank v42; top drifted: price; ks p=3.2e-12"
//     (the test's statistic when it has no p-value). The features are a
//     dataset drift alert's "top_features" evidence, or feature drift
//     alerts' "feature" labels, most severe and largest effect size
//     first; when no firing alert names one, the most important alert's
//     summary annotation takes their place. It is cut to MaxSummary bytes
//     (hence at most MaxSummary characters), ending with "…";
//   - payload.severity: the highest severity among the firing alerts,
//     each taken from its "severity" label when that is critical, error,
//     warning or info (in any case), else Config.DefaultSeverity;
//   - payload.source, component, group and class: from the Config, with
//     the defaults given there;
//   - payload.timestamp: the latest time a firing alert began firing;
//   - payload.custom_details: the model, version and top drifted
//     features, the counts of firing and resolved alerts, the receiver,
//     the group key and labels, and per alert (firing ones first, most
//     severe first) its rule, state, severity, labels, annotations,
//     evidence in the detector's order (test, statistic, p-value, effect
//     size, sample sizes, reference window, …), samples, times,
//     fingerprint and link. Only what an alert carries is sent, never raw
//     feature values;
//   - client "driftwatch"; client_url and one link to the message's
//     ExternalURL when it has one.
//
// PagerDuty takes events of at most 512 KB: custom_details lists at most
// MaxDetailAlerts alerts, cuts every value to 1024 bytes, and leaves out
// further alerts until the event fits; alerts_not_shown counts those left
// out.
//
// # Errors
//
// PagerDuty answers 202 to an event it accepted. 400 (an invalid event)
// is permanent; the error's Reason is PagerDuty's message and its list of
// errors. 429 is retryable after the answer's Retry-After, or
// RateLimitWait when it has none (PagerDuty advises waiting before
// retrying a throttled event). 5xx and transport errors are retryable.
// Classification is notify's (notify.PostJSON). The routing key is never
// in an error, and the notifier logs nothing of its own.
package pagerduty

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// Limits of the Events API v2
// (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
// "The maximum permitted length of this property is 1024 characters" for
// payload.summary, 255 for dedup_key; "Events API payloads are limited to
// 512 KB" (https://developer.pagerduty.com/docs/events-api-v2/overview/).
const (
	MaxSummary    = 1024
	MaxDedupKey   = 255
	MaxEventBytes = 512 << 10
)

// MaxDetailAlerts bounds the alerts listed in custom_details.
const MaxDetailAlerts = 20

// RateLimitWait is the wait asked for after a 429 that has no
// Retry-After. PagerDuty suggests retrying a throttled event "30 seconds
// apart" (https://developer.pagerduty.com/docs/events-api-v2/rate-limits/).
const RateLimitWait = 30 * time.Second

// Event actions.
const (
	ActionTrigger = "trigger"
	ActionResolve = "resolve"
)

// Client names driftwatch in trigger events.
const Client = "driftwatch"

const (
	// maxValue bounds one label, annotation or evidence value in
	// custom_details, in bytes.
	maxValue = 1024
	// eventBudget is what an event may take before its routing key is
	// added: below 512 KB whether PagerDuty counts 1000 or 1024 bytes to
	// the KB.
	eventBudget = 500_000
	// maxTopFeatures bounds the features the summary names.
	maxTopFeatures = 5
)

// Event is an Events API v2 alert event without its routing_key, which
// Notify adds only when it sends the event, so that an Event can be
// printed and logged.
type Event struct {
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload is the payload of a trigger event.
type Payload struct {
	Summary       string   `json:"summary"`
	Source        string   `json:"source"`
	Severity      string   `json:"severity"`
	Timestamp     string   `json:"timestamp,omitempty"`
	Component     string   `json:"component,omitempty"`
	Group         string   `json:"group,omitempty"`
	Class         string   `json:"class,omitempty"`
	CustomDetails *Details `json:"custom_details,omitempty"`
}

// Link is a link shown on the PagerDuty alert and incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Details is the custom_details of a trigger event.
type Details struct {
	Model          string            `json:"model,omitempty"`   // shared by every firing alert
	Version        string            `json:"version,omitempty"` // shared by every firing alert
	TopFeatures    string            `json:"top_features,omitempty"`
	Firing         int               `json:"firing"`
	Resolved       int               `json:"resolved"`
	Receiver       string            `json:"receiver,omitempty"`
	GroupKey       string            `json:"group_key,omitempty"`
	GroupLabels    map[string]string `json:"group_labels"`
	Alerts         []AlertDetails    `json:"alerts"`
	AlertsNotShown int               `json:"alerts_not_shown,omitempty"`
}

// AlertDetails describes one alert in Details.
type AlertDetails struct {
	Rule        string            `json:"rule"`
	State       string            `json:"state"`
	Severity    string            `json:"severity"` // driftwatch's severity of the alert
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Evidence    Evidence          `json:"evidence,omitempty"`
	Samples     int               `json:"samples,omitempty"`
	FiredAt     string            `json:"fired_at,omitempty"`
	ResolvedAt  string            `json:"resolved_at,omitempty"`
	Fingerprint string            `json:"fingerprint"`
	URL         string            `json:"url,omitempty"`
}

// Evidence is an alert's evidence in the detector's order, most important
// first. It encodes as a JSON object whose keys keep that order; of two
// fields with the same key, the first wins.
type Evidence []obs.Field

// MarshalJSON implements json.Marshaler.
func (e Evidence) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	seen := make(map[string]bool, len(e))
	for _, f := range e {
		if seen[f.Key] {
			continue
		}
		seen[f.Key] = true
		if len(b) > 1 {
			b = append(b, ',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

// Notifier sends alert events to one PagerDuty routing key.
type Notifier struct {
	url     notify.Secret // not secret at PagerDuty, but a proxy's may be
	key     notify.Secret
	client  *http.Client
	cfg     Config
	timeout time.Duration
}

// New validates cfg, resolves its routing key, checks that the key has
// the form of one, and returns a Notifier that sends through the options'
// HTTP client. The notifier logs nothing of its own (the deliverer logs
// each attempt), so l may be nil.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pagerduty: %w", err)
	}
	ref := cfg.RoutingKey.Reveal()
	key, err := notify.LoadSecret(ref)
	if err != nil {
		return nil, fmt.Errorf("pagerduty: routing_key: %w", err)
	}
	if err := CheckRoutingKey(key.Reveal()); err != nil {
		// ref is an env: or file: reference here (Validate checked a
		// literal), which names where the key came from, not the key.
		return nil, fmt.Errorf("pagerduty: routing_key from %s %w", ref, err)
	}
	c := *cfg
	if c.DefaultSeverity == "" {
		c.DefaultSeverity = DefaultSeverity
	}
	timeout := cmp.Or(c.Timeout, DefaultTimeout)
	return &Notifier{url: notify.Secret(c.endpoint()), key: key, client: notify.NewOptions(opts...).Client, cfg: c, timeout: timeout}, nil
}

// Format implements fmt.Formatter, so that printing a Notifier, with any
// verb, shows its endpoint (redacted) and never its routing key.
func (n Notifier) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "pagerduty.Notifier{url: %s}", notify.RedactURL(n.url.Reveal()))
}

// wire is the JSON body of a request: the event and its routing key.
type wire struct {
	RoutingKey string `json:"routing_key"`
	*Event
}

// Notify implements the notify.Notifier interface. It sends one event
// and tries once.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	body := wire{RoutingKey: n.key.Reveal(), Event: NewEvent(m, n.cfg)}
	if err := notify.PostJSON(ctx, n.client, n.url, nil, body); err != nil {
		return fmt.Errorf("pagerduty: %w", n.explain(err))
	}
	return nil
}

// explain makes a refused event's error say what PagerDuty said: the
// Reason of an answer such as
//
//	{"status":"invalid event","message":"Event object is invalid","errors":["Length of 'routing_key' is incorrect (should be 32 characters)"]}
//
// becomes its message and errors, "Event object is invalid: Length of …".
// A 429 without Retry-After gets RateLimitWait. The routing key is
// removed from the Reason, should a proxy echo it.
func (n *Notifier) explain(err error) error {
	var e *notify.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	if c.Status == http.StatusTooManyRequests && c.RetryAfter == 0 {
		c.RetryAfter = RateLimitWait
	}
	var ans struct {
		Status  string   `json:"status"`
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal([]byte(c.Reason), &ans) == nil {
		reason := cmp.Or(ans.Message, ans.Status)
		if len(ans.Errors) > 0 {
			reason = strings.TrimPrefix(reason+": "+strings.Join(ans.Errors, "; "), ": ")
		}
		if reason != "" {
			c.Reason = reason
		}
	}
	if k := n.key.Reveal(); k != "" {
		c.Reason = strings.ReplaceAll(c.Reason, k, notify.Redacted)
	}
	return &c
}

// DedupKey returns the dedup_key of every event of m's alert group:
// "driftwatch-" and the first 32 hex digits of the SHA-256 of m.GroupKey
// (of the group labels' rendering when m has no group key). It does not
// depend on m.DedupKey, the receiver or the alerts' states, so a group's
// triggers and its resolve share it. It is 43 characters long, well
// within MaxDedupKey.
func DedupKey(m *notify.Message) string {
	k := m.GroupKey
	if k == "" {
		k = m.GroupLabels.String()
	}
	sum := sha256.Sum256([]byte(k))
	return "driftwatch-" + hex.EncodeToString(sum[:16])
}

// NewEvent builds the event for m with cfg's source, component, group,
// class and default severity (DefaultSeverity when empty): a resolve
// event when no alert of m fires, else a trigger event.
func NewEvent(m *notify.Message, cfg Config) *Event {
	ev := &Event{EventAction: ActionResolve, DedupKey: DedupKey(m)}
	firing := m.Firing()
	if len(firing) == 0 {
		return ev
	}
	def := cfg.DefaultSeverity
	if !slices.Contains(severities, def) {
		def = DefaultSeverity
	}
	firing = byImportance(firing, def)
	model, version := common(firing, "model"), common(firing, "version")
	top := topFeatures(firing)
	p := &Payload{
		Summary:   summary(firing, model, version, top),
		Source:    cmp.Or(strings.TrimSpace(cfg.Source), strings.TrimSpace(oneLine(model)), Client),
		Severity:  severity(firing[0], def),
		Component: cfg.Component,
		Group:     cfg.Group,
		Class:     oneLine(cmp.Or(cfg.Class, common(firing, alert.NameLabel))),
	}
	var last time.Time
	for _, a := range firing {
		if a.FiredAt.After(last) {
			last = a.FiredAt
		}
	}
	p.Timestamp = stamp(last)

	resolved := m.Resolved()
	d := &Details{
		Model:       cut(model, maxValue),
		Version:     cut(version, maxValue),
		TopFeatures: cut(top, maxValue),
		Firing:      len(firing),
		Resolved:    len(resolved),
		Receiver:    m.Receiver,
		GroupKey:    cut(m.GroupKey, maxValue),
		GroupLabels: cutValues(m.GroupLabels),
	}
	shown := append(slices.Clip(firing), resolved...)
	d.AlertsNotShown = max(len(shown)-MaxDetailAlerts, 0)
	shown = shown[:len(shown)-d.AlertsNotShown]
	d.Alerts = make([]AlertDetails, len(shown))
	for i, a := range shown {
		d.Alerts[i] = alertDetails(a, m.ExternalURL)
	}
	p.CustomDetails = d

	ev.EventAction, ev.Payload, ev.Client = ActionTrigger, p, Client
	if m.ExternalURL != "" {
		ev.ClientURL = m.ExternalURL
		ev.Links = []Link{{Href: m.ExternalURL, Text: "Open in driftwatch"}}
	}
	fit(ev)
	return ev
}

// fit leaves alerts out of ev's custom_details, last first, until ev
// encodes in eventBudget bytes; if it still does not, only the counts
// remain.
func fit(ev *Event) {
	d := ev.Payload.CustomDetails
	for {
		b, err := json.Marshal(ev)
		if err == nil && len(b) <= eventBudget {
			return
		}
		if len(d.Alerts) == 0 {
			ev.Payload.CustomDetails = &Details{Firing: d.Firing, Resolved: d.Resolved,
				GroupLabels: map[string]string{}, Alerts: []AlertDetails{}, AlertsNotShown: d.AlertsNotShown}
			return
		}
		d.Alerts = d.Alerts[:len(d.Alerts)-1]
		d.AlertsNotShown++
	}
}

func alertDetails(a *alert.Alert, externalURL string) AlertDetails {
	out := AlertDetails{
		Rule:        a.Rule,
		State:       a.State.String(),
		Severity:    a.Severity.String(),
		Labels:      cutValues(a.Labels),
		Samples:     a.Samples,
		FiredAt:     stamp(a.FiredAt),
		Fingerprint: fmt.Sprintf("%016x", a.Fingerprint()),
	}
	if len(a.Annotations) > 0 {
		out.Annotations = cutValues(a.Annotations)
	}
	if a.State == alert.Resolved {
		out.ResolvedAt = stamp(a.ResolvedAt)
	}
	if len(a.Evidence) > 0 {
		out.Evidence = make(Evidence, len(a.Evidence))
		for i, f := range a.Evidence {
			out.Evidence[i] = obs.Field{Key: cut(f.Key, maxValue), Value: cut(f.Value, maxValue)}
		}
	}
	if externalURL != "" {
		out.URL = externalURL + "/api/v1/alerts?fingerprint=" + out.Fingerprint
	}
	return out
}

// severity returns a's PagerDuty severity: its "severity" label when that
// is one of severities (in any case), else def.
func severity(a *alert.Alert, def string) string {
	s := strings.ToLower(strings.TrimSpace(a.Labels["severity"]))
	if slices.Contains(severities, s) {
		return s
	}
	return def
}

// byImportance returns the firing alerts ordered by PagerDuty severity,
// then by effect size (alerts with one first), highest first, else in
// their order.
func byImportance(firing []*alert.Alert, def string) []*alert.Alert {
	type ranked struct {
		a      *alert.Alert
		sev    int
		effect float64
		has    bool
	}
	rs := make([]ranked, len(firing))
	for i, a := range firing {
		rs[i] = ranked{a: a, sev: slices.Index(severities, severity(a, def))}
		if v, err := strconv.ParseFloat(evidence(a, "effect_size"), 64); err == nil && !math.IsNaN(v) {
			rs[i].effect, rs[i].has = v, true
		}
	}
	slices.SortStableFunc(rs, func(x, y ranked) int {
		if c := cmp.Compare(y.sev, x.sev); c != 0 {
			return c
		}
		if x.has != y.has {
			if x.has {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.effect, x.effect)
	})
	out := make([]*alert.Alert, len(rs))
	for i, r := range rs {
		out[i] = r.a
	}
	return out
}

// summary builds payload.summary from the firing alerts, most important
// first; see the package documentation.
func summary(firing []*alert.Alert, model, version, top string) string {
	var names []string
	for _, a := range firing {
		if n := cmp.Or(a.Labels[alert.NameLabel], a.Rule); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	head := firing[0]
	var parts []string
	if model != "" {
		subject := model
		if version != "" {
			subject += " v" + version
		}
		parts = append(parts, subject)
	}
	if d, n := evidence(head, "drifted_features"), evidence(head, "features"); d != "" && n != "" {
		parts = append(parts, d+" of "+n+" features drifted")
	}
	if top != "" {
		parts = append(parts, "top drifted: "+top)
		test := cmp.Or(evidence(head, "test"), head.Labels["test"])
		switch p, st := evidence(head, "p_value"), evidence(head, "statistic"); {
		case test != "" && p != "":
			parts = append(parts, test+" p="+p)
		case test != "" && st != "":
			parts = append(parts, test+" statistic="+st)
		}
	} else if s := cmp.Or(strings.TrimSpace(head.Annotations["summary"]), strings.TrimSpace(head.Annotations["description"])); s != "" {
		parts = append(parts, s)
	}
	if len(firing) > 1 {
		parts = append(parts, fmt.Sprintf("%d alerts firing", len(firing)))
	}
	s := strings.Join(names, ", ")
	if len(parts) > 0 {
		s = cmp.Or(s, "driftwatch") + ": " + strings.Join(parts, "; ")
	}
	return cut(oneLine(cmp.Or(s, "driftwatch alert")), MaxSummary)
}

// topFeatures names the drifted features of the firing alerts, most
// important first: an alert's "top_features" evidence (a dataset drift
// result's), else its "feature" label (a feature's drift result), at most
// maxTopFeatures of them, then "+N more".
func topFeatures(firing []*alert.Alert) string {
	var fs []string
	for _, a := range firing {
		f := cmp.Or(evidence(a, "top_features"), a.Labels["feature"])
		if f != "" && !slices.Contains(fs, f) {
			fs = append(fs, f)
		}
	}
	if len(fs) > maxTopFeatures {
		fs = append(fs[:maxTopFeatures], fmt.Sprintf("+%d more", len(fs)-maxTopFeatures))
	}
	return strings.Join(fs, ", ")
}

// evidence returns the value of a's first evidence field named key.
func evidence(a *alert.Alert, key string) string {
	for _, f := range a.Evidence {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// common returns the value of label that every alert has, or "".
func common(alerts []*alert.Alert, label string) string {
	v := alerts[0].Labels[label]
	for _, a := range alerts[1:] {
		if a.Labels[label] != v {
			return ""
		}
	}
	return v
}

// stamp renders t for PagerDuty, RFC 3339 in UTC; "" for the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// oneLine replaces control characters, line breaks among them, with
// spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

// cut returns s cut to at most n bytes at a character boundary, ending
// with "…" when it was cut. A string of at most n bytes has at most n
// characters however they are counted.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const ellipsis = "…"
	i := max(n-len(ellipsis), 0)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + ellipsis
}

// cutValues copies l with every value cut to maxValue bytes; nil becomes
// an empty map.
func cutValues[M ~map[string]string](l M) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = cut(v, maxValue)
	}
	return out
}
