// Package notify is the core of alert delivery: the Message a receiver is
// sent, the Notifier interface every integration implements, the shared
// classification of failures into retryable and permanent ones, the
// capped exponential Backoff with Retry, and the HTTP helpers (PostJSON,
// Drain, RedactURL, Secret) that keep webhook URLs and tokens out of errors
// and logs.
//
// Integrations live in sub-packages (alerts/notify/webhook, …) and never
// import each other; all of them pass the conformance kit in
// alerts/notify/notifytest.
package notify

import (
	"context"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// Statuses of a Message, as in Alertmanager's webhook payload.
const (
	StatusFiring   = "firing"
	StatusResolved = "resolved"
)

// Message is what one notification carries: one group of alerts for one
// receiver.
type Message struct {
	Receiver    string     // name of the receiver in the config
	GroupKey    string     // stable identifier of the alert group
	GroupLabels obs.Labels // the labels the group is grouped by
	// Status is StatusFiring when any alert fires, else StatusResolved;
	// StatusOf computes it.
	Status string
	Alerts []*alert.Alert
	// DedupKey identifies this notification's content (its group, and the
	// alerts in it with their states) across retries and restarts. The
	// outbox sets it; receivers that support idempotency use it (the
	// webhook's Idempotency-Key header, Sentry's event ID). It is not a
	// group's identity: PagerDuty's dedup_key and Datadog's aggregation
	// key come from GroupKey, so that a resolve closes what the trigger
	// opened.
	DedupKey    string
	ExternalURL string // link back to driftwatch, without a trailing slash
}

// Firing returns the alerts of m that are firing, in order.
func (m *Message) Firing() []*alert.Alert { return m.withState(alert.Firing) }

// Resolved returns the alerts of m that are resolved, in order.
func (m *Message) Resolved() []*alert.Alert { return m.withState(alert.Resolved) }

func (m *Message) withState(s alert.State) []*alert.Alert {
	var out []*alert.Alert
	for _, a := range m.Alerts {
		if a.State == s {
			out = append(out, a)
		}
	}
	return out
}

// StatusOf returns StatusFiring when any of alerts is firing, else
// StatusResolved.
func StatusOf(alerts []*alert.Alert) string {
	for _, a := range alerts {
		if a.State == alert.Firing {
			return StatusFiring
		}
	}
	return StatusResolved
}

// Notifier sends a Message to one receiver. It tries once: retries and
// backoff belong to the caller (Retry, the outbox). A failure should be an
// *Error (see Classify and ClassifyTransport) so the caller knows whether
// and when to try again, and its text must not contain secrets.
type Notifier interface {
	Notify(ctx context.Context, m *Message) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, m *Message) error

// Notify implements the Notifier interface by calling f.
func (f NotifierFunc) Notify(ctx context.Context, m *Message) error { return f(ctx, m) }
