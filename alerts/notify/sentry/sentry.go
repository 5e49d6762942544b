// Package sentry sends notifications to Sentry: one event per
// notification of a firing alert group, so that each group is one Sentry
// issue.
//
// The event of a group:
//
//   - fingerprint ["driftwatch", <group key>]: every notification of the
//     group lands in the same issue, whichever receiver sends it, and
//     Sentry's own grouping heuristics never merge or split groups. The
//     group key names the route and the group's labels, not the
//     receiver;
//   - level from the firing alerts, the most severe one deciding:
//     critical → "error", warning → "warning", info → "info". An alert's
//     "severity" label decides when it is one of these three words (in
//     any case), else the alert's computed Severity does. "fatal" is left
//     to what Sentry means by it, a crashed process: an issue alert rule
//     "level is equal to or greater than error" then catches the critical
//     alerts and nothing less;
//   - message: a first line that Sentry shows as the title (the
//     group's name and the summary of its most severe firing alert), then
//     per alert, firing ones first, its state, severity, rule, summary,
//     description, labels, evidence in the detector's order, samples,
//     times and a link back to driftwatch; at most MaxMessage characters,
//     the alerts that do not fit are counted in a last line;
//   - tags: the group labels, then the labels that every firing alert
//     shares, each set in name order, made to fit Sentry's rules on tags:
//     keys of at most MaxTagKey ASCII letters, digits, '_', '.', ':' and
//     '-' (any other character becomes '_', and a key Sentry reserves,
//     such as "environment" or "release", becomes "label.environment");
//     values of one line and at most MaxTagValue characters, cut with
//     "…". A tag whose value is empty is left out; of two labels whose
//     keys become the same, the first one wins;
//   - contexts: "driftwatch" (receiver, group key and labels, counts, dedup
//     key, link) and "alert_1" … "alert_N", N ≤ MaxAlertContexts, with
//     each alert's rule, state, severity, labels, annotations, evidence,
//     value, samples, times and fingerprint;
//   - environment, release and server_name from the Config, platform
//     "other", logger "driftwatch".
//
// Only what an alert carries is sent: its labels, annotations and
// evidence (model, version, top features, test, statistic, p-value,
// effect size, sample sizes, reference window, …), never raw feature
// values.
//
// # Resolved groups
//
// A message whose alerts are all resolved sends nothing, and Notify
// returns nil: it is delivered, as far as Sentry can be told. Sentry
// cannot resolve an issue through a DSN, and an event sent for the
// recovery would do harm: in a resolved issue it counts as a regression,
// reopens the issue and fires the "issue changes state" alert rules (a
// page because the model recovered); in an open issue it refreshes "last
// seen", so that Sentry's auto-resolve never closes the issue. Resolve
// the issue in Sentry, or let auto-resolve do it. The resolved alerts of
// a group that still fires are listed in its event.
//
// # Delivery
//
// sentry-go's transports queue events and send them from a goroutine,
// dropping those that fail. This package uses sentry-go for the event
// model, DSN parsing and the envelope format, and sends the envelope
// itself, synchronously, through the options' *http.Client, to the DSN's
// envelope endpoint (/api/<project id>/envelope/) with an X-Sentry-Auth
// header: the key is never in the URL or the body. Notify tries once and
// returns the outcome as a *notify.Error:
//
//   - 2xx: delivered;
//   - 429: retryable, after the wait that X-Sentry-Rate-Limits gives for
//     events (categories "error", "default" or all), else the
//     Retry-After, else DefaultRateLimit; capped at notify.MaxRetryAfter;
//   - 408, 5xx and transport errors (refused, reset, timeout): retryable;
//     a cancelled context returns context.Canceled, not retryable;
//   - 400, 401, 403, 413 and any other status: permanent, with Sentry's
//     "detail" (and "causes") as the reason.
//
// A rate limit that Sentry announces, by a 429 or by X-Sentry-Rate-Limits
// on any answer, is kept: until it ends, Notify fails at once, retryable
// after the time left, without a request, as Sentry asks of its clients.
//
// The event ID is derived from the message's DedupKey and the time its
// alerts were last evaluated: a retry of the same notification (say after
// a timeout whose request Sentry did get) has the same ID, and Sentry
// drops the duplicate, while a repeat notification of a group that still
// fires is a new event. A message without a DedupKey, or whose alerts
// have no evaluation time, gets a random ID.
package sentry

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	sentrygo "github.com/getsentry/sentry-go"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// Sentry's limits on an event: tag keys of at most 32 characters, tag
// values of at most 200 characters and without newlines
// (https://docs.sentry.io/platforms/go/enriching-events/tags/); a message
// of at most 8192 characters, beyond which Relay cuts it.
const (
	MaxTagKey   = 32
	MaxTagValue = 200
	MaxMessage  = 8192
)

// MaxAlertContexts bounds the alerts that get a context of their own in
// an event; the message lists more, as room allows.
const MaxAlertContexts = 10

// DefaultRateLimit is the wait after a 429 that says neither how long
// (X-Sentry-Rate-Limits) nor when (Retry-After), as Sentry's SDKs assume.
const DefaultRateLimit = time.Minute

// Bounds on one value in the message and in the contexts, in characters.
const (
	maxValue = 200  // a label, an evidence value, a summary
	maxLong  = 1000 // a description or another annotation
	maxTitle = 200  // the first line of the message
)

// Names on the Sentry side.
const (
	platform      = "other"
	loggerName    = "driftwatch"
	fingerprint0  = "driftwatch"
	sentryVersion = "7" // of the Sentry protocol, in X-Sentry-Auth
)

// sdk describes the sender, in the event and the envelope header:
// sentry-go's event model and envelope format, sent by driftwatch.
var sdk = sentrygo.SdkInfo{
	Name:         "sentry.go",
	Version:      sentrygo.SDKVersion,
	Integrations: []string{"driftwatch"},
	Packages:     []sentrygo.SdkPackage{{Name: "sentry-go", Version: sentrygo.SDKVersion}},
}

// Notifier sends one Sentry event per notification of a firing group.
type Notifier struct {
	endpoint string        // the envelope endpoint; it holds no key
	auth     notify.Secret // the X-Sentry-Auth header, which holds the keys
	keys     []string      // the DSN's public and secret keys, never shown
	client   *http.Client
	log      *slog.Logger

	environment, release, serverName string
	timeout                          time.Duration

	// now and newID are the clock and the source of random event IDs;
	// tests replace them.
	now   func() time.Time
	newID func() sentrygo.EventID

	// limitedUntil is when the last rate limit Sentry announced ends, in
	// Unix nanoseconds; zero when there is none.
	limitedUntil atomic.Int64
}

// New validates cfg, resolves and parses its DSN and returns a Notifier
// that sends through the options' HTTP client. It logs to l
// (slog.Default() when nil) the notifications it does not send (resolved
// groups, at debug level) and the rate limits Sentry announces on an
// accepted event; never the DSN or its keys.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sentry: %w", err)
	}
	raw, err := notify.LoadSecret(cfg.DSN.Reveal())
	if err != nil {
		return nil, fmt.Errorf("sentry: dsn: %w", err)
	}
	dsn, err := parseDSN(raw.Reveal())
	if err != nil {
		return nil, fmt.Errorf("sentry: dsn %w", err)
	}
	if l == nil {
		l = slog.Default()
	}
	n := &Notifier{
		endpoint:    dsn.GetAPIURL().String(),
		client:      notify.NewOptions(opts...).Client,
		log:         l,
		environment: cfg.Environment,
		release:     cfg.Release,
		serverName:  cfg.ServerName,
		timeout:     cfg.Timeout,
		now:         time.Now,
		newID:       randomID,
	}
	auth := "Sentry sentry_version=" + sentryVersion + ", sentry_client=" + sdk.Name + "/" + sdk.Version +
		", sentry_key=" + dsn.GetPublicKey()
	n.keys = append(n.keys, dsn.GetPublicKey())
	if s := dsn.GetSecretKey(); s != "" {
		// Deprecated by Sentry, still required by old self-hosted ones.
		auth += ", sentry_secret=" + s
		n.keys = append(n.keys, s)
	}
	n.auth = notify.Secret(auth)
	if n.serverName == "" {
		n.serverName, _ = os.Hostname()
	}
	if n.timeout == 0 {
		n.timeout = DefaultTimeout
	}
	return n, nil
}

// Notify implements the notify.Notifier interface. It tries once; a
// message without firing alerts sends nothing and returns nil.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	if len(m.Firing()) == 0 {
		n.log.Debug("sentry: nothing sent for a resolved group", "receiver", m.Receiver, "group", m.GroupKey)
		return nil
	}
	now := n.now()
	if until := n.limitedUntil.Load(); until > now.UnixNano() {
		// Whole seconds, rounded up: retrying early would only be refused.
		wait := min((time.Duration(until-now.UnixNano()) + time.Second - 1).Truncate(time.Second), notify.MaxRetryAfter)
		return fmt.Errorf("sentry: %w", &notify.Error{Retryable: true, RetryAfter: wait,
			Reason: "not sent: a rate limit Sentry announced is in force for another " + wait.String()})
	}
	body, err := envelope(n.event(m, now), now)
	if err != nil {
		return fmt.Errorf("sentry: %w", &notify.Error{Reason: "encode envelope: " + err.Error()})
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if err := n.send(ctx, body); err != nil {
		return fmt.Errorf("sentry: %w", err)
	}
	return nil
}

// envelope serialises ev with sentry-go: an envelope header (event_id,
// sent_at, sdk; no DSN, so that the key stays out of the body), then one
// item of type "event" with its length, then the event's JSON.
func envelope(ev *sentrygo.Event, sentAt time.Time) ([]byte, error) {
	env, err := ev.ToEnvelope(nil)
	if err != nil {
		return nil, err
	}
	// ToEnvelope's header is of a type that sentry-go declares in an
	// internal package, which cannot be named here; newLike makes one.
	h := newLike(env.Header)
	h.EventID = string(ev.EventID)
	h.SentAt = sentAt.UTC()
	h.Sdk = &sentrygo.SdkInfo{Name: ev.Sdk.Name, Version: ev.Sdk.Version}
	env.Header = h
	return env.Serialize()
}

// newLike returns a new zero T.
func newLike[T any](*T) *T { return new(T) }

// send POSTs an envelope and classifies Sentry's answer; it keeps the
// rate limit the answer announces.
func (n *Notifier) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.endpoint, bytes.NewReader(body))
	if err != nil {
		return &notify.Error{Reason: "invalid url " + notify.RedactURL(n.endpoint)}
	}
	req.Header.Set("Content-Type", "application/x-sentry-envelope")
	req.Header.Set("User-Agent", notify.UserAgent+" "+sdk.Name+"/"+sdk.Version)
	req.Header.Set("X-Sentry-Auth", n.auth.Reveal())
	resp, err := n.client.Do(req)
	if err != nil {
		return n.scrub(notify.ClassifyTransport(err))
	}
	defer notify.Drain(resp)
	ans, _ := io.ReadAll(io.LimitReader(resp.Body, notify.MaxResponseBytes))
	limit, why := rateLimit(resp.Header)
	now := n.now()
	cerr := notify.Classify(resp, ans)
	if cerr == nil {
		// A 2xx, even one whose body broke off: Sentry has the event.
		if limit > 0 {
			n.limit(now, limit)
			n.log.Warn("sentry: rate limited; later events wait", "retry_in", limit, "limit", why)
		}
		return nil
	}
	var e *notify.Error
	if !errors.As(cerr, &e) {
		return n.scrub(cerr)
	}
	c := *e
	if d := detail(ans); d != "" {
		c.Reason = d
	}
	if c.Status == http.StatusTooManyRequests {
		switch {
		case limit > 0:
			c.RetryAfter = limit
		case c.RetryAfter == 0:
			c.RetryAfter = DefaultRateLimit
		}
		if why != "" {
			c.Reason = strings.TrimPrefix(c.Reason+"; rate limit "+why, "; ")
		}
		n.limit(now, c.RetryAfter)
	} else if limit > 0 {
		n.limit(now, limit)
	}
	return n.scrub(&c)
}

// limit keeps a rate limit of d from now, unless a longer one is kept.
func (n *Notifier) limit(now time.Time, d time.Duration) {
	until := now.Add(d).UnixNano()
	for {
		old := n.limitedUntil.Load()
		if old >= until || n.limitedUntil.CompareAndSwap(old, until) {
			return
		}
	}
}

// scrub replaces the DSN's keys in err's text. It keeps an *notify.Error's
// classification.
func (n *Notifier) scrub(err error) error {
	if err == nil || !n.hasKey(err.Error()) {
		return err
	}
	var e *notify.Error
	if !errors.As(err, &e) {
		return &redacted{msg: n.redact(err.Error()), err: err}
	}
	c := *e
	c.Reason = n.redact(c.Reason)
	if c.Err != nil && n.hasKey(c.Err.Error()) {
		c.Err = &redacted{msg: n.redact(c.Err.Error()), err: c.Err}
	}
	return &c
}

func (n *Notifier) hasKey(s string) bool {
	return slices.ContainsFunc(n.keys, func(k string) bool { return k != "" && strings.Contains(s, k) })
}

func (n *Notifier) redact(s string) string {
	for _, k := range n.keys {
		if k != "" {
			s = strings.ReplaceAll(s, k, notify.Redacted)
		}
	}
	return s
}

// redacted is an error whose text had the keys removed. It unwraps to the
// original, whose text it never shows.
type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }

// detail returns the reason in a Sentry error body, such as Relay's
// {"detail":"invalid event envelope","causes":["…"]}: the detail, then
// the causes, joined by ": ", as one line of at most maxValue characters.
// It returns "" when the body is not such an object.
func detail(body []byte) string {
	var b struct {
		Detail string   `json:"detail"`
		Error  string   `json:"error"`
		Causes []string `json:"causes"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	parts := make([]string, 0, 1+len(b.Causes))
	for _, s := range append([]string{cmp.Or(b.Detail, b.Error)}, b.Causes...) {
		if s = strings.TrimSpace(oneLine(s)); s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	return cut(strings.Join(parts, ": "), maxValue)
}

// rateLimit reads X-Sentry-Rate-Limits
// (https://develop.sentry.dev/sdk/expected-features/rate-limiting/):
// comma-separated limits "seconds:categories:scope:reason_code:…", where
// categories are separated by ';' and none means all. It returns the
// longest wait among the limits that apply to events ("error", "default"
// or all categories), capped at notify.MaxRetryAfter, and the scope and
// reason of that limit, such as "organization: usage_exceeded". It
// returns 0 when no limit applies.
func rateLimit(h http.Header) (time.Duration, string) {
	var (
		longest time.Duration
		why     string
	)
	for _, v := range h.Values("X-Sentry-Rate-Limits") {
		for limit := range strings.SplitSeq(v, ",") {
			f := strings.Split(strings.TrimSpace(limit), ":")
			secs, err := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
			if err != nil || math.IsNaN(secs) || len(f) > 1 && !appliesToEvents(f[1]) {
				continue
			}
			d := notify.MaxRetryAfter
			if secs < notify.MaxRetryAfter.Seconds() {
				d = time.Duration(math.Ceil(max(secs, 0))) * time.Second
			}
			if d > longest {
				longest = d
				var parts []string
				for _, p := range f[min(2, len(f)):min(4, len(f))] {
					if p = strings.TrimSpace(p); p != "" {
						parts = append(parts, p)
					}
				}
				why = line(strings.Join(parts, ": "), maxValue)
			}
		}
	}
	return longest, why
}

// appliesToEvents reports whether a limit's categories cover the events
// this package sends.
func appliesToEvents(categories string) bool {
	if strings.TrimSpace(categories) == "" {
		return true
	}
	for c := range strings.SplitSeq(categories, ";") {
		switch strings.ToLower(strings.TrimSpace(c)) {
		case "error", "default":
			return true
		}
	}
	return false
}

// event builds the Sentry event of m, which has firing alerts.
func (n *Notifier) event(m *notify.Message, now time.Time) *sentrygo.Event {
	firing, resolved := m.Firing(), m.Resolved()
	id, ok := eventID(m)
	if !ok {
		id = n.newID()
	}
	return &sentrygo.Event{
		EventID:     id,
		Timestamp:   now.UTC(),
		Level:       level(firing),
		Fingerprint: []string{fingerprint0, cmp.Or(m.GroupKey, m.GroupLabels.String())},
		Message:     text(m, firing, resolved),
		Tags:        tags(m, firing),
		Contexts:    contexts(m, firing, resolved),
		Environment: n.environment,
		Release:     n.release,
		ServerName:  n.serverName,
		Platform:    platform,
		Logger:      loggerName,
		Sdk:         sdk,
	}
}

// eventID returns the event ID of m's event when m has a DedupKey and its
// alerts a time of evaluation: the first 16 bytes of the SHA-256 of both,
// as a version 8 (custom) UUID in 32 lowercase hex digits. Retries of one
// notification share it; a repeat notification, evaluated later, does
// not. It returns false when m lacks either.
func eventID(m *notify.Message) (sentrygo.EventID, bool) {
	var last time.Time
	for _, a := range m.Alerts {
		if a.LastEvaluated.After(last) {
			last = a.LastEvaluated
		}
	}
	if m.DedupKey == "" || last.IsZero() {
		return "", false
	}
	sum := sha256.Sum256([]byte("driftwatch/sentry\x00" + m.DedupKey + "\x00" + last.UTC().Format(time.RFC3339Nano)))
	return uuid(sum[:16], 8), true
}

// randomID returns a random version 4 UUID in 32 lowercase hex digits.
func randomID() sentrygo.EventID {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return uuid(b[:], 4)
}

// uuid sets the version and the RFC 9562 variant bits of b (16 bytes) and
// returns it in hex, the form Sentry takes for event IDs.
func uuid(b []byte, version byte) sentrygo.EventID {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return sentrygo.EventID(hex.EncodeToString(b))
}

// level returns the Sentry level of the most severe alert of firing,
// which must not be empty.
func level(firing []*alert.Alert) sentrygo.Level { return alertLevel(worst(firing)) }

// worst returns the first of the most severe alerts of firing, which must
// not be empty.
func worst(firing []*alert.Alert) *alert.Alert {
	w := firing[0]
	for _, a := range firing[1:] {
		if rank(alertLevel(a)) > rank(alertLevel(w)) {
			w = a
		}
	}
	return w
}

func rank(l sentrygo.Level) int {
	switch l {
	case sentrygo.LevelError:
		return 2
	case sentrygo.LevelWarning:
		return 1
	}
	return 0
}

// alertLevel maps an alert to a Sentry level: its "severity" label when it
// is critical, warning or info, else its Severity.
func alertLevel(a *alert.Alert) sentrygo.Level {
	switch strings.ToLower(strings.TrimSpace(a.Labels["severity"])) {
	case "critical":
		return sentrygo.LevelError
	case "warning":
		return sentrygo.LevelWarning
	case "info":
		return sentrygo.LevelInfo
	}
	switch a.Severity {
	case obs.Critical:
		return sentrygo.LevelError
	case obs.Warning:
		return sentrygo.LevelWarning
	}
	return sentrygo.LevelInfo
}

// reservedTags are the tag keys that Sentry sets or reads itself; a label
// with one of these names is sent as "label.<name>", as is one starting
// with "sentry:".
var reservedTags = []string{
	"dist", "environment", "event.type", "handled", "level", "logger", "mechanism",
	"platform", "release", "server_name", "transaction", "url", "user",
}

// tagKey makes a label name a Sentry tag key: every character other than
// an ASCII letter or digit, '_', '.', ':' and '-' becomes '_'; a reserved
// key gets the prefix "label."; the result is cut to MaxTagKey
// characters. It returns "" for "".
func tagKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		switch {
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.:-", r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if slices.Contains(reservedTags, strings.ToLower(s)) || strings.HasPrefix(strings.ToLower(s), "sentry:") {
		s = "label." + s
	}
	return s[:min(len(s), MaxTagKey)] // ASCII only: bytes are characters
}

// tagValue makes a label value a Sentry tag value: control characters and
// runs of white space become one space, the ends are trimmed, and it is
// cut to MaxTagValue characters, ending with "…" when cut.
func tagValue(v string) string {
	return cut(strings.TrimSpace(oneLine(v)), MaxTagValue)
}

// tags returns the group labels and the labels every firing alert shares,
// as tags.
func tags(m *notify.Message, firing []*alert.Alert) map[string]string {
	out := map[string]string{}
	add := func(l obs.Labels) {
		for _, k := range sortedKeys(l) {
			tk, tv := tagKey(k), tagValue(l[k])
			if _, dup := out[tk]; tk != "" && tv != "" && !dup {
				out[tk] = tv
			}
		}
	}
	add(m.GroupLabels)
	common := obs.Labels{}
	for k, v := range firing[0].Labels {
		shared := true
		for _, a := range firing[1:] {
			if w, ok := a.Labels[k]; !ok || w != v {
				shared = false
				break
			}
		}
		if shared {
			common[k] = v
		}
	}
	add(common)
	return out
}

// groupName names the group: the alerts' common rule name, unless a group
// label shows it, then the group labels as k=v; the group key when there
// is neither.
func groupName(m *notify.Message) string {
	var parts []string
	if name := commonName(m.Alerts); name != "" && m.GroupLabels[alert.NameLabel] == "" {
		parts = append(parts, name)
	}
	for _, k := range sortedKeys(m.GroupLabels) {
		parts = append(parts, k+"="+m.GroupLabels[k])
	}
	if len(parts) == 0 {
		return m.GroupKey
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
	return name
}

// summary is the alert's summary annotation, else its description, else
// its rule.
func summary(a *alert.Alert) string {
	for _, k := range []string{"summary", "description"} {
		if s := strings.TrimSpace(a.Annotations[k]); s != "" {
			return s
		}
	}
	return a.Rule
}

// text renders the message of m's event, within MaxMessage characters:
// a title line, a line on the group, then the firing alerts and the
// resolved ones; those that do not fit are counted in a last line.
func text(m *notify.Message, firing, resolved []*alert.Alert) string {
	w := worst(firing)
	title := groupName(m) + ": " + summary(w)
	if len(firing) > 1 {
		title += fmt.Sprintf(" (+%d more firing)", len(firing)-1)
	}
	var b strings.Builder
	b.WriteString(cut(oneLine(title), maxTitle))
	fmt.Fprintf(&b, "\n\n%d firing, %d resolved · group %s", len(firing), len(resolved), line(m.GroupLabels.String(), maxLong))
	if m.Receiver != "" {
		b.WriteString(" · receiver " + line(m.Receiver, maxValue))
	}
	b.WriteString("\n")
	used := utf8.RuneCountInString(b.String())
	note := func(n int) string { return fmt.Sprintf("\n…and %d more alerts, not shown.\n", n) }
	all := append(slices.Clip(firing), resolved...)
	for i, a := range all {
		part := "\n" + alertText(a, m.ExternalURL)
		need := utf8.RuneCountInString(part)
		if left := len(all) - i - 1; left > 0 {
			need += utf8.RuneCountInString(note(left)) // room to count the rest
		}
		if used+need > MaxMessage {
			b.WriteString(cut(note(len(all)-i), MaxMessage-used))
			break
		}
		b.WriteString(part)
		used += utf8.RuneCountInString(part)
	}
	return strings.TrimRight(b.String(), "\n")
}

// alertText renders one alert for the message.
func alertText(a *alert.Alert, externalURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s · %s\n", strings.ToUpper(a.State.String()), a.Severity, line(a.Rule, maxValue))
	fmt.Fprintf(&b, "%s\n", line(summary(a), maxLong))
	if d := strings.TrimSpace(a.Annotations["description"]); d != "" && d != summary(a) {
		fmt.Fprintf(&b, "%s\n", line(d, maxLong))
	}
	var labels []string
	for _, k := range sortedKeys(a.Labels) {
		if k != alert.NameLabel && k != "severity" {
			labels = append(labels, line(k, maxValue)+"="+line(a.Labels[k], maxValue))
		}
	}
	if len(labels) > 0 {
		fmt.Fprintf(&b, "labels: %s\n", strings.Join(labels, ", "))
	}
	if len(a.Evidence) > 0 {
		ev := make([]string, len(a.Evidence))
		for i, f := range a.Evidence {
			ev[i] = line(f.Key, maxValue) + "=" + line(f.Value, maxValue)
		}
		fmt.Fprintf(&b, "evidence: %s\n", strings.Join(ev, ", "))
	}
	var meta []string
	if a.Samples > 0 {
		meta = append(meta, fmt.Sprintf("samples: %d", a.Samples))
	}
	if !a.FiredAt.IsZero() {
		meta = append(meta, "firing since "+stamp(a.FiredAt))
	}
	if !a.ResolvedAt.IsZero() {
		meta = append(meta, "resolved at "+stamp(a.ResolvedAt))
	}
	if len(meta) > 0 {
		fmt.Fprintf(&b, "%s\n", strings.Join(meta, " · "))
	}
	if externalURL != "" {
		fmt.Fprintf(&b, "%s\n", alertURL(externalURL, a))
	}
	return b.String()
}

func alertURL(externalURL string, a *alert.Alert) string {
	return fmt.Sprintf("%s/api/v1/alerts?fingerprint=%016x", externalURL, a.Fingerprint())
}

// contexts returns the "driftwatch" context of m and one per alert, up to
// MaxAlertContexts, firing alerts first.
func contexts(m *notify.Message, firing, resolved []*alert.Alert) map[string]sentrygo.Context {
	all := append(slices.Clip(firing), resolved...)
	shown := all[:min(len(all), MaxAlertContexts)]
	dw := sentrygo.Context{
		"receiver":        m.Receiver,
		"group_key":       m.GroupKey,
		"group_labels":    values(m.GroupLabels, maxValue),
		"alerts_firing":   len(firing),
		"alerts_resolved": len(resolved),
	}
	if m.DedupKey != "" {
		dw["dedup_key"] = m.DedupKey
	}
	if m.ExternalURL != "" {
		dw["external_url"] = m.ExternalURL
	}
	if n := len(all) - len(shown); n > 0 {
		dw["alerts_without_context"] = n
	}
	out := map[string]sentrygo.Context{"driftwatch": dw}
	for i, a := range shown {
		c := sentrygo.Context{
			"rule":        a.Rule,
			"state":       a.State.String(),
			"severity":    a.Severity.String(),
			"labels":      values(a.Labels, maxValue),
			"fingerprint": fmt.Sprintf("%016x", a.Fingerprint()),
			// A string, so that NaN or ±Inf cannot break the JSON.
			"value": strconv.FormatFloat(a.Value, 'g', -1, 64),
		}
		if len(a.Annotations) > 0 {
			c["annotations"] = values(a.Annotations, maxLong)
		}
		if len(a.Evidence) > 0 {
			ev := make(map[string]string, len(a.Evidence))
			for _, f := range a.Evidence {
				if _, dup := ev[f.Key]; !dup {
					ev[f.Key] = line(f.Value, maxLong)
				}
			}
			c["evidence"] = ev
		}
		if a.Samples > 0 {
			c["samples"] = a.Samples
		}
		for k, t := range map[string]time.Time{"active_at": a.ActiveAt, "fired_at": a.FiredAt, "resolved_at": a.ResolvedAt} {
			if !t.IsZero() {
				c[k] = stamp(t)
			}
		}
		if m.ExternalURL != "" {
			c["url"] = alertURL(m.ExternalURL, a)
		}
		out["alert_"+strconv.Itoa(i+1)] = c
	}
	return out
}

// values copies a label or annotation map with each value made one line
// of at most n characters.
func values[M ~map[string]string](in M, n int) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = line(v, n)
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// line makes s one line of at most n characters.
func line(s string, n int) string { return cut(oneLine(s), n) }

// oneLine folds control characters and runs of white space into single
// spaces, and trims them at both ends.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// cut cuts s to at most n characters, ending with "…" when it was cut.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func sortedKeys[M ~map[string]string](l M) []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// String names the notifier without its secrets, so that printing one
// with %v never shows them.
func (n *Notifier) String() string { return "sentry notifier" }
