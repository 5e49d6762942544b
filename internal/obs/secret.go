package obs

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

const secretText = "<secret>"

// Secret is a credential (a webhook URL, an API key, a DSN). It prints as
// "<secret>" with every fmt verb, in JSON, as text and in slog; only
// Reveal returns the value.
type Secret string

// Reveal returns the value of s. Call it only where the value is used.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string { return secretText }

// GoString implements fmt.GoStringer.
func (s Secret) GoString() string { return secretText }

// Format implements fmt.Formatter, so that no verb (%x, %q, …) prints
// the value.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(secretText)) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + secretText + `"`), nil }

// MarshalText implements encoding.TextMarshaler.
func (s Secret) MarshalText() ([]byte, error) { return []byte(secretText), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(secretText) }

// LoadSecret resolves a secret reference:
//
//	env:NAME     the value of the environment variable NAME
//	file:/path   the contents of the file, white space trimmed
//	anything     the text itself
//
// An unset variable, an unreadable file and an empty value are errors.
// Errors name the variable or the file, never the value.
func LoadSecret(ref string) (Secret, error) {
	var v string
	switch {
	case strings.HasPrefix(ref, "env:"):
		name := strings.TrimPrefix(ref, "env:")
		if name == "" {
			return "", errors.New("secret: empty variable name in env: reference")
		}
		var ok bool
		if v, ok = os.LookupEnv(name); !ok {
			return "", fmt.Errorf("secret: environment variable %s is not set", name)
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return "", fmt.Errorf("secret: environment variable %s is empty", name)
		}
	case strings.HasPrefix(ref, "file:"):
		path := strings.TrimPrefix(ref, "file:")
		b, err := os.ReadFile(path)
		if err != nil {
			// *fs.PathError names the path and the cause, not the contents.
			return "", fmt.Errorf("secret: %w", err)
		}
		v = strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("secret: file %s is empty", path)
		}
	default:
		if v = ref; strings.TrimSpace(v) == "" {
			return "", errors.New("secret: empty value")
		}
	}
	return Secret(v), nil
}
