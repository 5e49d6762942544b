package dataset

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a problem with the input file, with its position.
//
// Error() renders "path:line:col: message" when Line is set (CSV, JSON),
// "path: row N, column \"x\": message" when Row is set (Parquet) and
// "path: message" otherwise; a `column "x": ` prefix names the column when
// Column is set. The rendering is always one line: offending values are
// quoted and truncated.
type Error struct {
	Path string
	// Line and Col are 1-based; Col counts bytes (after a UTF-8 BOM).
	Line, Col int
	// Row is the 1-based data row, for formats without lines (Parquet).
	Row    int64
	Column string
	Msg    string
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(oneLine(e.Path))
	switch {
	case e.Line > 0:
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Col))
		b.WriteString(": ")
		if e.Column != "" {
			b.WriteString("column ")
			b.WriteString(quoteValue([]byte(e.Column)))
			b.WriteString(": ")
		}
	case e.Row > 0:
		b.WriteString(": row ")
		b.WriteString(strconv.FormatInt(e.Row, 10))
		if e.Column != "" {
			b.WriteString(", column ")
			b.WriteString(quoteValue([]byte(e.Column)))
		}
		b.WriteString(": ")
	default:
		b.WriteString(": ")
		if e.Column != "" {
			b.WriteString("column ")
			b.WriteString(quoteValue([]byte(e.Column)))
			b.WriteString(": ")
		}
	}
	b.WriteString(oneLine(e.Msg))
	return b.String()
}

// oneLine escapes line breaks, so that messages built from foreign errors
// stay on one line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
}

// maxQuoted is the number of bytes of a value shown in an error.
const maxQuoted = 40

// quoteValue quotes a value for an error message, escaping control and invalid
// bytes and truncating it to maxQuoted bytes (at a rune boundary).
func quoteValue(v []byte) string {
	if len(v) <= maxQuoted {
		return strconv.Quote(string(v))
	}
	n := maxQuoted
	for n > maxQuoted-utf8.UTFMax && !utf8.RuneStart(v[n]) {
		n--
	}
	return strconv.Quote(string(v[:n])) + "..."
}
