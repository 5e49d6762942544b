package config

import (
	"cmp"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem in a configuration file, at a position and a YAML
// path such as models[2].drift.window.size.
type Error struct {
	File string
	// Line and Col are 1-based; 0 means unknown (Col is unknown for YAML
	// syntax errors, both for a file that is empty).
	Line, Col int
	// Path is the YAML path of the offending value, "" for the document.
	Path string
	Msg  string
}

// Error renders e as "file:line:col: path: msg", leaving out the parts that
// are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Col > 0 {
			b.WriteString(":" + strconv.Itoa(e.Col))
		}
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// sortErrors orders errs by position, keeping the order of equal positions.
func sortErrors(errs []error) {
	slices.SortStableFunc(errs, func(a, b error) int {
		var ea, eb *Error
		if !errors.As(a, &ea) || !errors.As(b, &eb) {
			return 0
		}
		return cmp.Or(cmp.Compare(ea.Line, eb.Line), cmp.Compare(ea.Col, eb.Col))
	})
}

// splitErrors flattens errors joined with errors.Join.
func splitErrors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// yamlLine matches the position prefixes of the YAML library's messages,
// "yaml: line 3: " and "line 3: ".
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

// cleanYAMLError splits a message of the YAML library into its line (0 if
// none) and the message without prefixes.
func cleanYAMLError(msg string) (line int, rest string) {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return line, strings.TrimPrefix(msg, "yaml: ")
}
