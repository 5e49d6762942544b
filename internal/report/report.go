// Package report renders a drift.Report for people and programs: an aligned
// text table for terminals, a GitHub-flavoured markdown summary for CI jobs
// and pull requests, one self-contained HTML page with a picture per feature,
// and the report's stable JSON encoding.
//
// Every renderer writes the features in order of severity (see bySeverity)
// and builds its whole output in memory first, so that a failing renderer
// never leaves half a report behind.
package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// Formats lists the accepted --format values.
var Formats = []string{"text", "json", "markdown", "html"}

// renderers maps each format in Formats to the function that renders it.
var renderers = map[string]func(*bytes.Buffer, *drift.Report, Meta) error{
	"text":     writeText,
	"json":     writeJSON,
	"markdown": writeMarkdown,
	"html":     writeHTML,
}

// Meta describes where a report comes from. It is shown in the headers of
// the text, markdown and HTML formats and is never part of the JSON.
type Meta struct {
	// Reference and Current name the two datasets, usually file paths.
	// Empty names are omitted.
	Reference, Current string
	// Generated is when the report was made; the zero time is omitted,
	// which keeps golden files stable.
	Generated time.Time
	// Version is the driftwatch version that made the report; empty is
	// omitted.
	Version string
}

// Write renders r in the given format (one of Formats) to w. The output is
// built in memory and written with a single call, so on error nothing has
// been written.
func Write(w io.Writer, format string, r *drift.Report, m Meta) error {
	render, ok := renderers[format]
	if !ok {
		return fmt.Errorf("unknown report format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if r == nil {
		return errors.New("render report: nil report")
	}
	var buf bytes.Buffer
	if err := render(&buf, r, m); err != nil {
		return fmt.Errorf("render %s report: %w", format, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}
