// Package console writes each notification as a human-readable block of
// text, for the demo and for local use. A block looks like
//
//	[FIRING] team-ml {model="search-rerank"}: 1 firing, 1 resolved
//	  firing    critical FeatureDrift since 2026-11-22T06:55:00Z
//	    search-rerank v42: feature price drifted (KS p<1e-9)
//	    labels:   {alertname="FeatureDrift", feature="price", …}
//	    evidence: test=ks statistic=0.41 p_value=3.2e-12 …
//	  …
//	  group: {}:{model="search-rerank"}  dedup: team-ml/…/1
//	  link: http://driftwatch.example:9090
//
// followed by an empty line. Evidence keeps the detector's order (most
// important first).
package console

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/alerts/alert"
	"github.com/driftwatch/driftwatch/alerts/notify"
)

// Notifier writes messages to an io.Writer, one block per message.
// It is safe for concurrent use: blocks never interleave.
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
}

// New validates cfg and returns a Notifier that writes to the output cfg
// names, or to the options' Output when set. The console logs nothing of
// its own, so l may be nil.
func New(cfg *Config, l *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	w := notify.NewOptions(opts...).Output
	if w == nil {
		w = os.Stdout
		if cfg.Output == "stderr" {
			w = os.Stderr
		}
	}
	return &Notifier{w: w}, nil
}

// Notify implements the notify.Notifier interface. A failed write is a
// permanent *notify.Error: the console is best effort.
func (n *Notifier) Notify(ctx context.Context, m *notify.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var b bytes.Buffer
	Format(&b, m)
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("console: %w", &notify.Error{Err: err})
	}
	return nil
}

// Format writes the block for m to b.
func Format(b *bytes.Buffer, m *notify.Message) {
	status := m.Status
	if status == "" {
		status = notify.StatusOf(m.Alerts)
	}
	fmt.Fprintf(b, "[%s] %s %s: %d firing, %d resolved\n",
		strings.ToUpper(status), m.Receiver, m.GroupLabels, len(m.Firing()), len(m.Resolved()))
	for _, a := range m.Alerts {
		formatAlert(b, a)
	}
	fmt.Fprintf(b, "  group: %s", m.GroupKey)
	if m.DedupKey != "" {
		fmt.Fprintf(b, "  dedup: %s", m.DedupKey)
	}
	b.WriteByte('\n')
	if m.ExternalURL != "" {
		fmt.Fprintf(b, "  link: %s\n", m.ExternalURL)
	}
	b.WriteByte('\n')
}

func formatAlert(b *bytes.Buffer, a *alert.Alert) {
	since, at := "since", a.FiredAt
	switch {
	case a.State == alert.Resolved:
		since, at = "at", a.ResolvedAt
	case at.IsZero():
		at = a.ActiveAt
	}
	fmt.Fprintf(b, "  %-9s %-8s %s %s %s\n", a.State, a.Severity, a.Rule, since, at.UTC().Format(time.RFC3339))
	if s := a.Annotations["summary"]; s != "" {
		writeIndented(b, "    ", s)
	}
	fmt.Fprintf(b, "    labels:   %s\n", a.Labels)
	if len(a.Evidence) > 0 {
		b.WriteString("    evidence:")
		for _, f := range a.Evidence {
			fmt.Fprintf(b, " %s=%s", f.Key, quoteIfNeeded(f.Value))
		}
		b.WriteByte('\n')
	}
}

// writeIndented writes s with every line indented, so that a multi-line
// annotation cannot break the block's layout.
func writeIndented(b *bytes.Buffer, indent, s string) {
	for line := range strings.Lines(strings.TrimSpace(s)) {
		b.WriteString(indent)
		b.WriteString(strings.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
	}
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == '=' || r == 0x7f }) {
		return fmt.Sprintf("%q", s)
	}
	return s
}
