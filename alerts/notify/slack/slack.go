// Package slack sends notifications to a Slack incoming webhook as Block
// Kit messages.
//
// A message has a header (status and group), one section per alert (its
// summary annotation, severity, the model, version and feature labels, and
// its evidence as fields in the detector's order), a context block saying
// how many alerts were left out, and a context block linking to
// driftwatch when the message has an ExternalURL. Its "text" is a plain
// fallback that Slack shows in notifications. Slack's limits are kept: a
// header of at most 150 characters, section text of at most 3000, at most
// 10 fields of at most 2000 each, at most 50 blocks; longer text is cut
// and ends with "…". Only labels, annotations and evidence are sent, never
// raw feature values.
//
// Sends are paced: at most one message per MinInterval per webhook URL,
// shared by every Notifier of the process with the same URL.
//
// Slack answers 200 "ok"; anything else is an error. 429 (with its
// Retry-After) and 5xx are retryable; other statuses, and a 200 with a
// body other than "ok", are permanent, with Slack's error string
// ("invalid_blocks", "channel_not_found", …) as the Reason.
package slack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Slack's limits on a message.
const (
	maxBlocks      = 50
	maxHeaderText  = 150
	maxSectionText = 3000
	maxFields      = 10
	maxFieldText   = 2000
	maxContextText = 3000
	// maxText bounds the fallback text; Slack cuts text at 40,000
	// characters, but a notification shows far less.
	maxText   = 3000
	maxReason = 256
)

// Payload is the JSON body of one message.
type Payload struct {
	Channel   string  `json:"channel,omitempty"`
	Username  string  `json:"username,omitempty"`
	IconEmoji string  `json:"icon_emoji,omitempty"`
	Text      string  `json:"text"`
	Blocks    []Block `json:"blocks"`
}

// Block is a Block Kit layout block: "header" (Text), "section" (Text and
// Fields), "context" (Elements) or "divider".
type Block struct {
	Type     string `json:"type"`
	Text     *Text  `json:"text,omitempty"`
	Fields   []Text `json:"fields,omitempty"`
	Elements []Text `json:"elements,omitempty"`
}

// Text is a Block Kit text object, "plain_text" or "mrkdwn".
type Text struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

// Notifier posts Block Kit messages to one Slack incoming webhook.
type Notifier struct {
	url    notify.Secret
	client *http.Client
	cfg    Config
	pacer  *pacer
}

// New validates cfg, resolves its URL and returns a Notifier that sends
// through the options' HTTP client. Slack's notifier logs nothing of its
// own (the deliverer logs each attempt), so l may be nil.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("slack: %w", err)
	}
	u, err := notify.LoadSecret(cfg.URL.Reveal())
	if err != nil {
		return nil, fmt.Errorf("slack: url: %w", err)
	}
	if err := notify.CheckURL(u.Reveal()); err != nil {
		return nil, fmt.Errorf("slack: url %w", err)
	}
	return &Notifier{url: u, client: notify.NewOptions(opts...).Client, cfg: cfg.withDefaults(), pacer: pacerFor(u.Reveal())}, nil
}

// Notify implements the notify.Notifier interface. It waits for its turn
// at the webhook (see Config.MinInterval), then tries once.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewPayload(m, n.cfg)); err != nil {
		return fmt.Errorf("slack: marshal payload: %w", err)
	}
	if err := n.pacer.wait(ctx, n.cfg.MinInterval); err != nil {
		return fmt.Errorf("slack: wait for the webhook's pace: %w", notify.ClassifyTransport(err))
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Timeout)
	defer cancel()
	if err := n.post(ctx, b.Bytes()); err != nil {
		return fmt.Errorf("slack: %w", err)
	}
	return nil
}

// post sends body and reads Slack's answer.
func (n *Notifier) post(ctx context.Context, body []byte) error {
	raw := n.url.Reveal()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, raw, bytes.NewReader(body))
	if err != nil {
		return &notify.Error{Reason: "invalid url " + notify.RedactURL(raw)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", notify.UserAgent)
	resp, err := n.client.Do(req)
	if err != nil {
		return scrub(notify.ClassifyTransport(err), raw)
	}
	defer notify.Drain(resp)
	ans, rerr := io.ReadAll(io.LimitReader(resp.Body, notify.MaxResponseBytes))
	if err := notify.Classify(resp, ans); err != nil {
		return scrub(err, raw)
	}
	if rerr != nil || strings.TrimSpace(string(ans)) == "ok" {
		// A 200 whose body broke off: Slack most likely has the message.
		return nil
	}
	return scrub(&notify.Error{Status: resp.StatusCode, Reason: snippet(ans)}, raw)
}

// NewPayload builds the message for m with cfg's channel, username, icon
// and MaxAlerts (DefaultMaxAlerts when zero, capped at MaxAlertsLimit).
// Alerts are listed in m's order.
func NewPayload(m *notify.Message, cfg Config) *Payload {
	maxAlerts := cfg.MaxAlerts
	if maxAlerts <= 0 {
		maxAlerts = DefaultMaxAlerts
	}
	maxAlerts = min(maxAlerts, MaxAlertsLimit)
	status := m.Status
	if status == "" {
		status = notify.StatusOf(m.Alerts)
	}
	nFiring := len(m.Firing())
	nOther := len(m.Alerts) - nFiring
	title := fmt.Sprintf("%s: %s", strings.ToUpper(status), groupName(m))
	counts := fmt.Sprintf("%d firing, %d resolved", nFiring, nOther)

	shown := m.Alerts[:min(len(m.Alerts), maxAlerts)]
	hidden := m.Alerts[len(shown):]

	blocks := make([]Block, 0, len(shown)+3)
	blocks = append(blocks, Block{Type: "header",
		Text: &Text{Type: "plain_text", Text: cut(statusEmoji(status)+" "+title+" ("+counts+")", maxHeaderText), Emoji: true}})
	var text strings.Builder
	text.WriteString(escape(title + " (" + counts + ")"))
	spare := maxBlocks - 3 - len(shown) // header, "and N more", link
	for _, a := range shown {
		secs := section(a, spare > 0)
		spare -= len(secs) - 1
		blocks = append(blocks, secs...)
		text.WriteString("\n• " + escape(stateWord(a.State)+" "+a.Severity.String()+": "+summary(a)))
	}
	if len(hidden) > 0 {
		f := 0
		for _, a := range hidden {
			if a.State == alert.Firing {
				f++
			}
		}
		more := fmt.Sprintf("and %d more (%d firing, %d resolved)", len(hidden), f, len(hidden)-f)
		blocks = append(blocks, Block{Type: "context", Elements: []Text{{Type: "mrkdwn", Text: cut(escape(more), maxContextText)}}})
		text.WriteString("\n" + more)
	}
	if m.ExternalURL != "" {
		link := "<" + escape(m.ExternalURL) + "|Open in driftwatch>"
		if m.Receiver != "" {
			link += " · receiver " + escape(m.Receiver)
		}
		blocks = append(blocks, Block{Type: "context", Elements: []Text{{Type: "mrkdwn", Text: cutMrkdwn(link, maxContextText)}}})
	}
	return &Payload{
		Channel:   cfg.Channel,
		Username:  cfg.Username,
		IconEmoji: cfg.IconEmoji,
		Text:      cutMrkdwn(text.String(), maxText),
		Blocks:    blocks,
	}
}

// labelsShown are the labels an alert's section names, in this order.
var labelsShown = []string{"model", "version", "feature"}

// section renders one alert: a line with its state, severity and rule,
// its summary, a line with the labels that matter and when it fired or
// resolved, and its evidence as fields, in the detector's order. Slack
// takes 10 fields per section: with extra, evidence beyond them goes to a
// second section of fields (20 in all); what is left is counted in the
// last field.
func section(a *alert.Alert, extra bool) []Block {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s %s* · *%s* · %s\n%s", stateEmoji(a.State), stateWord(a.State),
		a.Severity, escape(a.Rule), escape(summary(a)))
	var meta []string
	for _, k := range labelsShown {
		if v, ok := a.Labels[k]; ok && v != "" {
			meta = append(meta, k+" `"+escape(strings.ReplaceAll(v, "`", "'"))+"`")
		}
	}
	switch {
	case a.State == alert.Resolved && !a.ResolvedAt.IsZero():
		meta = append(meta, "resolved "+stamp(a.ResolvedAt))
	case a.State == alert.Firing && !a.FiredAt.IsZero():
		meta = append(meta, "since "+stamp(a.FiredAt))
	}
	if len(meta) > 0 {
		b.WriteString("\n" + strings.Join(meta, " · "))
	}
	room := maxFields
	if extra {
		room = 2 * maxFields
	}
	ev := a.Evidence
	if len(ev) > room {
		ev = ev[:room-1]
	}
	fields := make([]Text, 0, len(ev)+1)
	for _, f := range ev {
		fields = append(fields, Text{Type: "mrkdwn", Text: field(f.Key, f.Value)})
	}
	if len(a.Evidence) > len(ev) {
		fields = append(fields, Text{Type: "mrkdwn", Text: fmt.Sprintf("*…*\n%d more", len(a.Evidence)-len(ev))})
	}
	secs := []Block{{Type: "section", Text: &Text{Type: "mrkdwn", Text: cutMrkdwn(b.String(), maxSectionText)}}}
	secs[0].Fields = fields[:min(len(fields), maxFields)]
	if len(fields) > maxFields {
		secs = append(secs, Block{Type: "section", Fields: fields[maxFields:]})
	}
	return secs
}

func field(key, value string) string {
	k := cut(strings.ReplaceAll(key, "_", " "), 100)
	return cutMrkdwn("*"+escape(k)+"*\n"+escape(value), maxFieldText)
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

// groupName renders the group labels as "k=v, k=v" sorted by name; with
// none, the alerts' common rule name, else "all alerts".
func groupName(m *notify.Message) string {
	keys := make([]string, 0, len(m.GroupLabels))
	for k := range m.GroupLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + m.GroupLabels[k]
	}
	if len(parts) > 0 {
		return strings.Join(parts, ", ")
	}
	if len(m.Alerts) > 0 {
		r := m.Alerts[0].Rule
		for _, a := range m.Alerts[1:] {
			if a.Rule != r {
				r = ""
				break
			}
		}
		if r != "" {
			return r
		}
	}
	return "all alerts"
}

func stateWord(s alert.State) string { return strings.ToUpper(s.String()) }

func stateEmoji(s alert.State) string {
	switch s {
	case alert.Firing:
		return ":red_circle:"
	case alert.Resolved:
		return ":large_green_circle:"
	}
	return ":white_circle:"
}

func statusEmoji(status string) string {
	if status == notify.StatusFiring {
		return ":red_circle:"
	}
	return ":large_green_circle:"
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// escape escapes the three characters that mrkdwn gives a meaning to.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// cut returns s cut to at most n characters, ending with "…" when cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, r := 0, 0
	for i < len(s) && r < n-1 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		r++
	}
	return s[:i] + "…"
}

// cutMrkdwn is cut for escaped mrkdwn: it does not split an entity such
// as "&amp;".
func cutMrkdwn(s string, n int) string {
	c := cut(s, n)
	if c == s {
		return c
	}
	c = strings.TrimSuffix(c, "…")
	if i := strings.LastIndexByte(c, '&'); i >= 0 && !strings.Contains(c[i:], ";") {
		c = c[:i]
	}
	return c + "…"
}

// snippet folds white space and control characters in an answer body and
// cuts it to maxReason bytes, for notify.Error.Reason.
func snippet(body []byte) string {
	s := strings.Join(strings.FieldsFunc(strings.ToValidUTF8(string(body), "?"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if len(s) <= maxReason {
		return s
	}
	i := maxReason
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// scrub removes the secret parts of u (those RedactURL hides) from an
// *notify.Error's Reason; the rest of its text is already free of them.
func scrub(err error, u string) error {
	var e *notify.Error
	if !errors.As(err, &e) || e.Reason == "" {
		return err
	}
	c := *e
	for _, p := range secretParts(u) {
		c.Reason = strings.ReplaceAll(c.Reason, p, notify.Redacted)
	}
	return &c
}

// secretParts returns the whole URL, its user information, and the path
// segments and query values that notify.RedactURL hides.
func secretParts(u string) []string {
	parts := []string{u}
	p, err := url.Parse(u)
	if err != nil {
		return parts
	}
	add := func(s string) {
		if len(s) >= 4 {
			parts = append(parts, s)
			if un, err := url.PathUnescape(s); err == nil && un != s {
				parts = append(parts, un)
			}
		}
	}
	if p.User != nil {
		add(p.User.String())
	}
	for _, s := range strings.Split(p.EscapedPath(), "/") {
		if probe := "http://h/" + s; s != "" && notify.RedactURL(probe) != probe {
			add(s)
		}
	}
	for _, kv := range strings.Split(p.RawQuery, "&") {
		if _, v, ok := strings.Cut(kv, "="); ok {
			add(v)
		}
	}
	return parts
}

// pacer hands out send times at least an interval apart.
type pacer struct {
	mu   sync.Mutex
	next time.Time // the earliest time the next send may start
}

// pacers holds one pacer per webhook URL, keyed by the URL's SHA-256 so
// that the map holds no secret. It grows with the number of distinct URLs
// in the configuration, which is small.
var pacers = struct {
	sync.Mutex
	m map[[sha256.Size]byte]*pacer
}{m: map[[sha256.Size]byte]*pacer{}}

func pacerFor(u string) *pacer {
	k := sha256.Sum256([]byte(u))
	pacers.Lock()
	defer pacers.Unlock()
	p := pacers.m[k]
	if p == nil {
		p = &pacer{}
		pacers.m[k] = p
	}
	return p
}

// wait reserves the next send slot, interval after the previous one, and
// waits for it. When ctx ends first it gives the slot back (if no later
// one was reserved) and returns ctx.Err().
func (p *pacer) wait(ctx context.Context, interval time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	now := time.Now()
	at := now
	if p.next.After(now) {
		at = p.next
	}
	p.next = at.Add(interval)
	p.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		if p.next.Equal(at.Add(interval)) {
			p.next = at
		}
		p.mu.Unlock()
		return ctx.Err()
	}
}

// String names the notifier without its secrets, so that printing one
// with %v never shows them.
func (n *Notifier) String() string { return "slack notifier" }
