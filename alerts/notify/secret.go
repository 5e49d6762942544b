package notify

import (
	"errors"
	"net/url"
	"strings"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Redacted replaces a secret, or a secret part of a URL, wherever one
// would be printed.
const Redacted = "<redacted>"

// Secret is a credential (a webhook URL, an API key, a DSN); see
// obs.Secret.
type Secret = obs.Secret

// LoadSecret resolves a secret reference; see obs.LoadSecret.
func LoadSecret(ref string) (Secret, error) { return obs.LoadSecret(ref) }

// RedactURL returns u with its secret parts replaced by "<redacted>", for
// errors and logs. It keeps the scheme and the host (with port) and
//
//   - replaces user information (user:password@) as a whole;
//   - keeps a path segment only when it looks like a word: at most 24
//     bytes of lowercase ASCII letters, digits, '-', '_' and '.', with at
//     most 4 digits ("api", "v1", "services", "hooks"), or a number of at
//     most 10 digits (an id such as "12345"); every other segment is
//     replaced (Slack's T…/B…/xxxx, UUIDs, hex keys,
//     base64 tokens);
//   - keeps query keys and replaces every query value;
//   - drops the fragment.
//
// A URL that does not parse, or has no scheme and host, becomes
// "<redacted>" as a whole. For example
//
//	https://hooks.slack.com/services/T0AB12CD3/B0EF45GH6/aBcD1234 → https://hooks.slack.com/services/<redacted>/<redacted>/<redacted>
//	http://u:p@h:8080/api/v1/hook?token=abc&x=1                → http://<redacted>@h:8080/api/v1/hook?token=<redacted>&x=<redacted>
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return Redacted
	}
	var b strings.Builder
	b.WriteString(p.Scheme)
	b.WriteString("://")
	if p.User != nil {
		b.WriteString(Redacted)
		b.WriteByte('@')
	}
	b.WriteString(p.Host)
	if path := p.EscapedPath(); path != "" {
		segs := strings.Split(path, "/")
		for i, s := range segs {
			if s != "" && !wordLike(s) {
				segs[i] = Redacted
			}
		}
		b.WriteString(strings.Join(segs, "/"))
	}
	if p.RawQuery != "" {
		b.WriteByte('?')
		for i, kv := range strings.Split(p.RawQuery, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			k, _, _ := strings.Cut(kv, "=")
			if !wordLike(k) {
				k = Redacted
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(Redacted)
		}
	}
	return b.String()
}

// wordLike reports whether a path segment or query key looks like a word
// rather than a token; see RedactURL.
func wordLike(s string) bool {
	if len(s) > 24 {
		return false
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c == '-', c == '_', c == '.':
		case c >= '0' && c <= '9':
			digits++
		default:
			return false
		}
	}
	return digits <= 4 || (digits == len(s) && digits <= 10)
}

// secretParts returns the pieces of u that RedactURL hides and that are
// long enough to search for in error text: the whole URL, the user
// information, and the replaced path segments and query values.
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
		if pw, ok := p.User.Password(); ok {
			add(pw)
		}
	}
	for _, s := range strings.Split(p.EscapedPath(), "/") {
		if s != "" && !wordLike(s) {
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

// scrubString replaces every secret part of u in s.
func scrubString(s, u string) string {
	for _, p := range secretParts(u) {
		s = strings.ReplaceAll(s, p, Redacted)
	}
	return s
}

// CheckURLRef checks a secret that holds an http(s) URL, or a reference to
// one ("env:NAME", "file:/path", resolved later by LoadSecret): a literal
// must be an absolute http or https URL with a host. Its messages name no
// part of the value and read after the field's name: "is required", "is
// not a valid URL", "scheme is not http or https", "has no host".
func CheckURLRef(s Secret) error {
	ref := string(s)
	switch {
	case strings.TrimSpace(ref) == "":
		return errors.New("is required")
	case strings.HasPrefix(ref, "env:") || strings.HasPrefix(ref, "file:"):
		return nil
	}
	return CheckURL(ref)
}

// CheckURL checks that u is an absolute http or https URL with a host; its
// messages are CheckURLRef's and never contain u.
func CheckURL(u string) error {
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return errors.New("is not a valid URL")
	case p.Scheme != "http" && p.Scheme != "https":
		return errors.New("scheme is not http or https")
	case p.Host == "":
		return errors.New("has no host")
	}
	return nil
}
