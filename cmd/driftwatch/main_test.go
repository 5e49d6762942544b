package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func contextWithTimeout(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(t.Context(), d)
}

func TestRunCommands(t *testing.T) {
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no args", nil, exitUsage, "", "Usage:"},
		{"help", []string{"help"}, exitOK, "detect", ""},
		{"--help", []string{"--help"}, exitOK, "Commands:", ""},
		{"help detect", []string{"help", "detect"}, exitOK, "--reference", ""},
		{"detect --help", []string{"detect", "--help"}, exitOK, "Exit status", ""},
		{"version", []string{"version"}, exitOK, "driftwatch ", ""},
		{"unknown", []string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
		{"stray argument", []string{"detect", "extra"}, exitUsage, "", `unexpected argument "extra"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o, e bytes.Buffer
			if code := run(c.args, &o, &e); code != c.code {
				t.Errorf("exit %d, want %d", code, c.code)
			}
			if !strings.Contains(o.String(), c.stdout) {
				t.Errorf("stdout %q lacks %q", o.String(), c.stdout)
			}
			if !strings.Contains(e.String(), c.stderr) {
				t.Errorf("stderr %q lacks %q", e.String(), c.stderr)
			}
		})
	}
}
