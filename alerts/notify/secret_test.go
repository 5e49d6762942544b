package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const secretValue = "xoxb-s3cr3t-VALUE"

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(secretValue)
	type wrapper struct {
		URL Secret `json:"url"`
	}
	var logBuf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&logBuf, nil), slog.NewJSONHandler(&logBuf, nil)} {
		slog.New(h).Info("msg", "url", s, "w", wrapper{s})
	}
	j, err := json.Marshal(wrapper{s})
	if err != nil {
		t.Fatal(err)
	}
	txt, _ := s.MarshalText()
	outputs := map[string]string{
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", wrapper{s}),
		"%#v":    fmt.Sprintf("%#v", wrapper{s}),
		"%s":     fmt.Sprintf("%s", s),
		"%q":     fmt.Sprintf("%q", s),
		"%x":     fmt.Sprintf("%x", s),
		"Sprint": fmt.Sprint(s),
		"json":   jsonURL(t, j),
		"text":   string(txt),
		"slog":   logBuf.String(),
		"error":  fmt.Errorf("bad: %v", s).Error(),
	}
	for name, out := range outputs {
		if strings.Contains(out, secretValue) || strings.Contains(out, "s3cr3t") {
			t.Errorf("%s prints the secret: %s", name, out)
		}
		if !strings.Contains(out, "<secret>") {
			t.Errorf("%s = %q, want <secret> in it", name, out)
		}
	}
	if s.Reveal() != secretValue {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestLoadSecret(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "url")
	if err := os.WriteFile(file, []byte("  "+secretValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DW_TEST_SECRET", secretValue)
	t.Setenv("DW_TEST_EMPTY", " ")
	tests := []struct {
		name, ref, want, err string
	}{
		{name: "env", ref: "env:DW_TEST_SECRET", want: secretValue},
		{name: "env unset", ref: "env:DW_TEST_UNSET", err: "secret: environment variable DW_TEST_UNSET is not set"},
		{name: "env empty", ref: "env:DW_TEST_EMPTY", err: "secret: environment variable DW_TEST_EMPTY is empty"},
		{name: "env no name", ref: "env:", err: "secret: empty variable name in env: reference"},
		{name: "file", ref: "file:" + file, want: secretValue},
		{name: "file missing", ref: "file:" + filepath.Join(dir, "nope"), err: "secret: open " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{name: "file empty", ref: "file:" + empty, err: "secret: file " + empty + " is empty"},
		{name: "literal", ref: "https://hooks.example.com/" + secretValue, want: "https://hooks.example.com/" + secretValue},
		{name: "literal empty", ref: " ", err: "secret: empty value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadSecret(tt.ref)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("LoadSecret(%q) error = %v, want %q", tt.ref, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Reveal() != tt.want {
				t.Errorf("LoadSecret = %q, want %q", got.Reveal(), tt.want)
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "slack", in: "https://hooks.slack.com/services/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",
			want: "https://hooks.slack.com/services/<redacted>/<redacted>/<redacted>"},
		{name: "userinfo and query", in: "http://user:pa55@h:8080/api/v1/hook?token=abc&x=1",
			want: "http://<redacted>@h:8080/api/v1/hook?token=<redacted>&x=<redacted>"},
		{name: "plain words kept", in: "https://example.com/api/v2/alerts/12345",
			want: "https://example.com/api/v2/alerts/12345"},
		{name: "uuid", in: "https://example.com/hooks/123e4567-e89b-12d3-a456-426614174000",
			want: "https://example.com/hooks/<redacted>"},
		{name: "long lowercase token", in: "https://example.com/abcdefghijklmnopqrstuvwxyz",
			want: "https://example.com/<redacted>"},
		{name: "hex key", in: "https://example.com/k/deadbeef12345678",
			want: "https://example.com/k/<redacted>"},
		{name: "base64 token", in: "https://example.com/t/aGVsbG8=",
			want: "https://example.com/t/<redacted>"},
		{name: "trailing slash", in: "https://example.com/webhook/",
			want: "https://example.com/webhook/"},
		{name: "fragment dropped", in: "https://example.com/x#SECRET",
			want: "https://example.com/x"},
		{name: "odd query key", in: "https://example.com/?X-Api-Key=abc",
			want: "https://example.com/?<redacted>=<redacted>"},
		{name: "no scheme", in: "hooks.slack.com/services/T0/B0/x", want: "<redacted>"},
		{name: "unparsable", in: "http://a b\x7f/%zz", want: "<redacted>"},
		{name: "empty", in: "", want: "<redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactURL(tt.in); got != tt.want {
				t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func jsonURL(t *testing.T, b []byte) string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return string(b) + " " + m["url"]
}
