// Package datadog sends notifications to Datadog: one event per alert
// group through the Events API v1 (POST /api/v1/events), and, when a
// DogStatsD agent is configured, a service check and a count metric per
// notification.
//
// The event of a group:
//
//   - title "[FIRING] <group>" or "[RESOLVED] <group>", at most 100
//     characters;
//   - text in Datadog's markdown (between "%%%" lines), at most 4000
//     characters: per alert its summary, description, the labels that the
//     title does not already show, its evidence (test, statistic, p-value,
//     effect size, sample sizes, …) and a link back to driftwatch; alerts
//     that do not fit are counted at the end;
//   - alert_type "error" when a critical alert fires, "warning" when only
//     warning alerts fire, "info" when only info alerts fire, "success"
//     when the group resolved; priority "normal", or "low" when resolved;
//   - aggregation_key "driftwatch-" and 16 hex digits of SHA-256 of the
//     group key, so that the resolve event lands in the same aggregate as
//     the firing one;
//   - tags: the configured tags, then the group labels as key:value,
//     sanitised by Tag and bounded by MaxTags;
//   - source_type_name "driftwatch".
//
// DogStatsD, when Config.StatsdAddr is set, gets after each event that
// Datadog accepted:
//
//   - the service check "driftwatch.alert": critical when a critical alert
//     fires, warning when any other alert fires, ok when the group
//     resolved; tagged like the event, with the title as its message;
//   - the count "driftwatch.alerts.notified", once per status present, with
//     the number of firing or resolved alerts and a "status" tag.
//
// DogStatsD is fire-and-forget UDP: a failure to send is not a delivery
// failure; it is counted (see Notifier.StatsdErrors) and never logged.
package datadog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// Limits of an event, as documented for the Events API v1
// (https://docs.datadoghq.com/api/latest/events/#post-an-event): title
// "Limited to 100 characters", text "Limited to 4000 characters",
// aggregation_key "Limited to 100 characters". Tags "can be up to 200
// characters long"
// (https://docs.datadoghq.com/getting_started/tagging/#define-tags).
const (
	MaxTitle  = 100
	MaxText   = 4000
	MaxTagLen = 200
	// MaxTags bounds the tags of one event, service check or metric.
	MaxTags = 32
)

// maxValue bounds one label or evidence value in the text, in bytes.
const maxValue = 200

// Names on the Datadog side.
const (
	SourceTypeName = "driftwatch"
	ServiceCheck   = "driftwatch.alert"
	NotifiedMetric = "driftwatch.alerts.notified"
)

// Event is the JSON body of POST /api/v1/events.
type Event struct {
	Title          string   `json:"title"`
	Text           string   `json:"text"`
	AlertType      string   `json:"alert_type"`
	AggregationKey string   `json:"aggregation_key"`
	Tags           []string `json:"tags"`
	Priority       string   `json:"priority"`
	SourceTypeName string   `json:"source_type_name"`
}

// Notifier posts one Datadog event per notification and, optionally,
// sends DogStatsD service checks and metrics.
type Notifier struct {
	url     notify.Secret
	key     notify.Secret
	client  *http.Client
	tags    []string
	timeout time.Duration

	statsd       *statsd.Client // nil: no metrics
	statsdErrors atomic.Uint64
}

// New validates cfg, resolves its API key and returns a Notifier that
// sends through the options' HTTP client. When cfg.StatsdAddr is set it
// also opens a DogStatsD client (call Close to release it), and logs its
// first failure to l (slog.Default() when nil); later ones are counted.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("datadog: %w", err)
	}
	key, err := notify.LoadSecret(cfg.APIKey.Reveal())
	if err != nil {
		return nil, fmt.Errorf("datadog: api_key: %w", err)
	}
	if l == nil {
		l = slog.Default()
	}
	n := &Notifier{
		url:     notify.Secret(cfg.endpoint()),
		key:     key,
		client:  notify.NewOptions(opts...).Client,
		tags:    appendTags(nil, cfg.Tags...),
		timeout: cfg.Timeout,
	}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	if cfg.StatsdAddr != "" {
		c, err := statsd.New(cfg.StatsdAddr,
			statsd.WithoutTelemetry(),
			statsd.WithErrorHandler(func(err error) {
				if n.statsdErrors.Add(1) == 1 {
					l.Warn("datadog: DogStatsD send failed; later failures are only counted", "addr", cfg.StatsdAddr, "error", err)
				}
			}),
		)
		if err != nil {
			return nil, fmt.Errorf("datadog: statsd_addr: %w", err)
		}
		n.statsd = c
	}
	return n, nil
}

// Close flushes and closes the DogStatsD client, if any.
func (n *Notifier) Close() error {
	if n.statsd == nil {
		return nil
	}
	return n.statsd.Close()
}

// StatsdErrors returns how many DogStatsD sends failed (a closed client,
// a full queue, a refused datagram). Such failures never fail Notify.
func (n *Notifier) StatsdErrors() uint64 { return n.statsdErrors.Load() }

// Notify implements the notify.Notifier interface. It tries once.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	ev := NewEvent(m, n.tags)
	h := http.Header{"Dd-Api-Key": {n.key.Reveal()}}
	if err := notify.PostJSON(ctx, n.client, n.url, h, ev); err != nil {
		return fmt.Errorf("datadog: %w", n.explain(err))
	}
	n.sendStatsd(m, ev)
	return nil
}

// explain replaces the Reason of a refused event, a body such as
// {"errors":["Forbidden"]}, by the errors it lists, and makes sure the
// API key is nowhere in it.
func (n *Notifier) explain(err error) error {
	var e *notify.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	var body struct {
		Errors []string `json:"errors"`
	}
	if json.Unmarshal([]byte(c.Reason), &body) == nil && len(body.Errors) > 0 {
		c.Reason = strings.Join(body.Errors, "; ")
	}
	if k := n.key.Reveal(); k != "" {
		c.Reason = strings.ReplaceAll(c.Reason, k, notify.Redacted)
	}
	return &c
}

// sendStatsd sends the service check and the counts of m.
func (n *Notifier) sendStatsd(m *notify.Message, ev *Event) {
	if n.statsd == nil {
		return
	}
	if n.statsd.IsClosed() {
		// Flush on a closed client blocks forever.
		n.statsdErrors.Add(1)
		return
	}
	status := statsd.Ok
	switch ev.AlertType {
	case "error":
		status = statsd.Critical
	case "warning", "info":
		status = statsd.Warn
	}
	count := func(err error) {
		if err != nil {
			n.statsdErrors.Add(1)
		}
	}
	count(n.statsd.ServiceCheck(&statsd.ServiceCheck{
		Name: ServiceCheck, Status: status, Tags: ev.Tags,
		// The library escapes newlines and "m:" but not '|', which ends
		// the field in the datagram.
		Message: strings.ReplaceAll(ev.Title, "|", "/"),
	}))
	for _, s := range []struct {
		status string
		alerts []*alert.Alert
	}{{notify.StatusFiring, m.Firing()}, {notify.StatusResolved, m.Resolved()}} {
		if len(s.alerts) > 0 {
			tags := appendTags(slices.Clip(ev.Tags), "status:"+s.status)
			count(n.statsd.Count(NotifiedMetric, int64(len(s.alerts)), tags, 1))
		}
	}
	count(n.statsd.Flush())
}

// NewEvent builds the event for m; tags come first in its tags, before
// the group labels.
func NewEvent(m *notify.Message, tags []string) *Event {
	status := m.Status
	if status == "" {
		status = notify.StatusOf(m.Alerts)
	}
	ev := &Event{
		Title:          truncate("["+strings.ToUpper(status)+"] "+groupName(m), MaxTitle),
		Text:           text(m),
		AlertType:      "success",
		AggregationKey: AggregationKey(m.GroupKey),
		Priority:       "low",
		SourceTypeName: SourceTypeName,
	}
	if status == notify.StatusFiring {
		ev.AlertType, ev.Priority = "info", "normal"
		switch worst(m.Firing()) {
		case obs.Critical:
			ev.AlertType = "error"
		case obs.Warning:
			ev.AlertType = "warning"
		}
	}
	ev.Tags = appendTags(nil, tags...)
	for _, k := range sortedKeys(m.GroupLabels) {
		ev.Tags = appendTags(ev.Tags, k+":"+m.GroupLabels[k])
	}
	if ev.Tags == nil {
		ev.Tags = []string{}
	}
	return ev
}

// AggregationKey returns "driftwatch-" and the first 16 hex digits of the
// SHA-256 of groupKey: short, stable across restarts, and the same for
// the firing and the resolved event of a group.
func AggregationKey(groupKey string) string {
	sum := sha256.Sum256([]byte(groupKey))
	return "driftwatch-" + hex.EncodeToString(sum[:8])
}

func worst(alerts []*alert.Alert) obs.Severity {
	var s obs.Severity
	for _, a := range alerts {
		s = max(s, a.Severity)
	}
	return s
}

// groupName names the group for the title: the common alert name, then
// the group labels as k=v; the group key when there is neither.
func groupName(m *notify.Message) string {
	var parts []string
	if name := commonName(m.Alerts); name != "" && m.GroupLabels[alert.NameLabel] == "" {
		parts = append(parts, name)
	}
	for _, k := range sortedKeys(m.GroupLabels) {
		parts = append(parts, k+"="+oneLine(m.GroupLabels[k]))
	}
	if len(parts) == 0 {
		return oneLine(m.GroupKey)
	}
	return strings.Join(parts, " ")
}

// commonName returns the alert name that all alerts share, or "".
func commonName(alerts []*alert.Alert) string {
	if len(alerts) == 0 {
		return ""
	}
	name := alerts[0].Labels[alert.NameLabel]
	for _, a := range alerts[1:] {
		if a.Labels[alert.NameLabel] != name {
			return ""
		}
	}
	return oneLine(name)
}

// text renders the markdown body of m's event, within MaxText characters:
// alerts that do not fit are left out and counted in a last line.
func text(m *notify.Message) string {
	const open, closing = "%%% \n", "\n %%%"
	firing, resolved := m.Firing(), m.Resolved()
	var b strings.Builder
	b.WriteString(open)
	fmt.Fprintf(&b, "**%d firing, %d resolved**", len(firing), len(resolved))
	if m.Receiver != "" {
		fmt.Fprintf(&b, " · receiver %s", escape(m.Receiver))
	}
	b.WriteString("\n")
	used := utf8.RuneCountInString(b.String())
	budget := MaxText - utf8.RuneCountInString(closing)
	note := func(n int) string { return fmt.Sprintf("\n_…and %d more alerts, not shown._\n", n) }
	left := len(firing) + len(resolved)
	for _, sec := range []struct {
		head   string
		alerts []*alert.Alert
	}{{"Firing", firing}, {"Resolved", resolved}} {
		for i, a := range sec.alerts {
			part := alertText(a, m)
			if i == 0 {
				part = "\n#### " + sec.head + "\n" + part
			}
			need := utf8.RuneCountInString(part)
			if left > 1 {
				// Keep room for the note on the alerts after this one.
				need += utf8.RuneCountInString(note(left - 1))
			}
			if used+need > budget {
				b.WriteString(truncate(note(left), budget-used))
				b.WriteString(closing)
				return b.String()
			}
			b.WriteString(part)
			used += utf8.RuneCountInString(part)
			left--
		}
	}
	b.WriteString(closing)
	return b.String()
}

// alertText renders one alert: summary, description, the labels that the
// title does not show, evidence, samples and a link.
func alertText(a *alert.Alert, m *notify.Message) string {
	var b strings.Builder
	summary := a.Annotations["summary"]
	if summary == "" {
		summary = a.Rule
	}
	fmt.Fprintf(&b, "\n**%s** (%s)\n", escape(summary), a.Severity)
	if d := a.Annotations["description"]; d != "" {
		b.WriteString(escape(d))
		b.WriteString("\n")
	}
	var labels []string
	for _, k := range sortedKeys(a.Labels) {
		if k == alert.NameLabel || k == "severity" {
			continue
		}
		if v, ok := m.GroupLabels[k]; ok && v == a.Labels[k] {
			continue
		}
		labels = append(labels, escape(k)+"="+escape(a.Labels[k]))
	}
	if len(labels) > 0 {
		fmt.Fprintf(&b, "- labels: %s\n", strings.Join(labels, ", "))
	}
	if len(a.Evidence) > 0 {
		ev := make([]string, len(a.Evidence))
		for i, f := range a.Evidence {
			ev[i] = escape(f.Key) + "=" + escape(f.Value)
		}
		fmt.Fprintf(&b, "- evidence: %s\n", strings.Join(ev, ", "))
	}
	if a.Samples > 0 {
		fmt.Fprintf(&b, "- samples: %d\n", a.Samples)
	}
	if since := a.FiredAt; !since.IsZero() {
		fmt.Fprintf(&b, "- firing since %s", since.UTC().Format(time.RFC3339))
		if !a.ResolvedAt.IsZero() {
			fmt.Fprintf(&b, ", resolved at %s", a.ResolvedAt.UTC().Format(time.RFC3339))
		}
		b.WriteString("\n")
	}
	if m.ExternalURL != "" {
		fmt.Fprintf(&b, "- [open in driftwatch](%s/api/v1/alerts?fingerprint=%016x)\n", m.ExternalURL, a.Fingerprint())
	}
	return b.String()
}

// escape makes s safe inside the markdown text: one line, at most
// maxValue bytes, with markdown punctuation (and '%', so that no "%%%"
// ends the block) backslash-escaped.
func escape(s string) string {
	s = truncate(oneLine(s), maxValue)
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("\\`*_[]<>|#~%", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// oneLine folds control characters and runs of white space into single
// spaces.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\n' }) {
		return s
	}
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// truncate cuts s to at most n characters (runes), ending with "…" when
// it was cut.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func sortedKeys(l obs.Labels) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendTags appends the sanitised tags to dst, dropping empty ones and
// duplicates, up to MaxTags in all.
func appendTags(dst []string, tags ...string) []string {
	for _, t := range tags {
		if len(dst) >= MaxTags {
			break
		}
		if t = Tag(t); t != "" && !slices.Contains(dst, t) {
			dst = append(dst, t)
		}
	}
	return dst
}

// Tag sanitises t by Datadog's tag rules
// (https://docs.datadoghq.com/getting_started/tagging/#define-tags): it
// is lowercased; characters other than letters, digits, '_', '-', ':',
// '.' and '/' become '_'; runs of '_' become one; anything before the
// first letter and a trailing '_' are dropped; it is cut to MaxTagLen
// characters. It returns "" when t has no letter.
func Tag(t string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToLower(t) {
		if n == 0 && !unicode.IsLetter(r) {
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-:./", r) {
			r = '_'
		}
		if r == '_' && strings.HasSuffix(b.String(), "_") {
			continue
		}
		if n == MaxTagLen {
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimRight(b.String(), "_")
}

// String names the notifier without its secrets, so that printing one
// with %v never shows them.
func (n *Notifier) String() string { return "datadog notifier" }
