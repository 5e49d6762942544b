// Package webhook sends notifications as Alertmanager's webhook payload,
// version 4, so receivers written for Alertmanager work unchanged.
//
// The payload keeps Alertmanager's shape exactly; driftwatch's extras go
// where receivers already expect free-form text:
//
//   - each alert's evidence is added to its annotations as
//     "evidence_<key>" (an annotation of the rule with the same name wins);
//     receivers ignore annotations they do not know;
//   - startsAt is when the alert began firing (when it became pending if
//     it never fired); endsAt is when it resolved, and the zero time
//     "0001-01-01T00:00:00Z" while it fires;
//   - fingerprint is alert.Fingerprint in 16 lowercase hex digits;
//   - generatorURL links to the alert in driftwatch's API;
//   - the message's dedup key goes in an Idempotency-Key header.
package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Version is the payload version Alertmanager's webhook sends.
const Version = "4"

// EvidencePrefix starts the annotation names that carry evidence.
const EvidencePrefix = "evidence_"

// Payload is the JSON body of one notification, field for field
// Alertmanager's webhook.Message.
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert of a Payload, as in Alertmanager's template.Alert.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Notifier posts Alertmanager-format payloads to one URL.
type Notifier struct {
	url       notify.Secret
	client    *http.Client
	maxAlerts int
	timeout   time.Duration
}

// New validates cfg, resolves its URL and returns a Notifier that sends
// through the options' HTTP client. The webhook logs nothing of its own
// (the deliverer logs each attempt), so l may be nil.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	u, err := notify.LoadSecret(cfg.URL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("webhook: url: %w", err)
	}
	if err := notify.CheckURL(u.Reveal()); err != nil {
		return nil, fmt.Errorf("webhook: url %w", err)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &Notifier{url: u, client: notify.NewOptions(opts...).Client, maxAlerts: cfg.MaxAlerts, timeout: timeout}, nil
}

// Notify implements the notify.Notifier interface. It tries once.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	var h http.Header
	if m.DedupKey != "" {
		h = http.Header{"Idempotency-Key": {m.DedupKey}}
	}
	if err := notify.PostJSON(ctx, n.client, n.url, h, NewPayload(m, n.maxAlerts)); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// NewPayload builds the payload for m with at most maxAlerts alerts (all
// when maxAlerts ≤ 0); the others are counted in TruncatedAlerts. The
// common labels and annotations are computed over all alerts.
func NewPayload(m *notify.Message, maxAlerts int) *Payload {
	alerts := make([]Alert, len(m.Alerts))
	for i, a := range m.Alerts {
		alerts[i] = newAlert(a, m.ExternalURL)
	}
	status := m.Status
	if status == "" {
		status = notify.StatusOf(m.Alerts)
	}
	p := &Payload{
		Version:           Version,
		GroupKey:          m.GroupKey,
		Status:            status,
		Receiver:          m.Receiver,
		GroupLabels:       nonNil(maps.Clone(m.GroupLabels)),
		CommonLabels:      common(alerts, func(a *Alert) map[string]string { return a.Labels }),
		CommonAnnotations: common(alerts, func(a *Alert) map[string]string { return a.Annotations }),
		ExternalURL:       m.ExternalURL,
		Alerts:            alerts,
	}
	if maxAlerts > 0 && len(alerts) > maxAlerts {
		p.TruncatedAlerts = len(alerts) - maxAlerts
		p.Alerts = alerts[:maxAlerts]
	}
	return p
}

func newAlert(a *alert.Alert, externalURL string) Alert {
	ann := make(map[string]string, len(a.Annotations)+len(a.Evidence))
	for _, f := range a.Evidence {
		ann[EvidencePrefix+f.Key] = f.Value
	}
	maps.Copy(ann, a.Annotations)
	out := Alert{
		Status:      notify.StatusResolved,
		Labels:      nonNil(maps.Clone(a.Labels)),
		Annotations: ann,
		StartsAt:    a.FiredAt,
		Fingerprint: fmt.Sprintf("%016x", a.Fingerprint()),
	}
	if out.StartsAt.IsZero() {
		out.StartsAt = a.ActiveAt
	}
	if a.State == alert.Firing {
		out.Status = notify.StatusFiring
	} else {
		out.EndsAt = a.ResolvedAt
	}
	if externalURL != "" {
		out.GeneratorURL = externalURL + "/api/v1/alerts?fingerprint=" + out.Fingerprint
	}
	return out
}

// common returns the pairs that every alert has, with the same value.
func common(alerts []Alert, get func(*Alert) map[string]string) map[string]string {
	out := map[string]string{}
	if len(alerts) == 0 {
		return out
	}
	maps.Copy(out, get(&alerts[0]))
	for i := 1; i < len(alerts); i++ {
		m := get(&alerts[i])
		for k, v := range out {
			if w, ok := m[k]; !ok || w != v {
				delete(out, k)
			}
		}
	}
	return out
}

// nonNil makes a nil map encode as {} rather than null, as Alertmanager's
// does.
func nonNil[M ~map[string]string](m M) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// String names the notifier without its secrets, so that printing one
// with %v never shows them.
func (n *Notifier) String() string { return "webhook notifier" }
