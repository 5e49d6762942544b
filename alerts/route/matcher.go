package route

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// MatchType is the comparison of a Matcher.
type MatchType uint8

// The comparisons, as written between the label name and the value.
const (
	Equal     MatchType = iota // =
	NotEqual                   // !=
	Regexp                     // =~
	NotRegexp                  // !~
)

var matchOps = [...]string{"=", "!=", "=~", "!~"}

// String returns the operator as written.
func (t MatchType) String() string {
	if int(t) < len(matchOps) {
		return matchOps[t]
	}
	return fmt.Sprintf("match(%d)", t)
}

// Matcher tests one label of a label set. A label that is absent counts as
// the empty string, as in Alertmanager: team!="ml" matches a set without
// team, and team=~".*" matches every set.
type Matcher struct {
	Name  string
	Type  MatchType
	Value string
	re    *regexp.Regexp // for Regexp and NotRegexp: ^(?:Value)$
}

// NewMatcher returns a matcher; a regular expression is anchored at both
// ends (^(?:value)$) and must compile.
func NewMatcher(name string, t MatchType, value string) (*Matcher, error) {
	if !validName(name) {
		return nil, fmt.Errorf("label name %q: want letters, digits and underscores, not starting with a digit", name)
	}
	m := &Matcher{Name: name, Type: t, Value: value}
	if t == Regexp || t == NotRegexp {
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("regular expression %q: %v", value, err)
		}
		m.re = re
	}
	return m, nil
}

// ParseMatcher parses `name=value`, `name!=value`, `name=~regexp` or
// `name!~regexp`; the value may be double-quoted (Go syntax), and must be
// when it holds spaces, commas or quotes.
func ParseMatcher(s string) (*Matcher, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, "=!")
	if i <= 0 {
		return nil, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	name, rest := strings.TrimSpace(s[:i]), s[i:]
	var t MatchType
	switch {
	case strings.HasPrefix(rest, "=~"):
		t, rest = Regexp, rest[2:]
	case strings.HasPrefix(rest, "!~"):
		t, rest = NotRegexp, rest[2:]
	case strings.HasPrefix(rest, "!="):
		t, rest = NotEqual, rest[2:]
	case strings.HasPrefix(rest, "="):
		t, rest = Equal, rest[1:]
	default:
		return nil, fmt.Errorf("matcher %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	value := strings.TrimSpace(rest)
	if strings.HasPrefix(value, `"`) {
		v, err := strconv.Unquote(value)
		if err != nil {
			return nil, fmt.Errorf("matcher %q: bad quoted value %s", s, value)
		}
		value = v
	} else if strings.ContainsAny(value, "\", ") {
		return nil, fmt.Errorf("matcher %q: quote a value with spaces, commas or quotes", s)
	}
	m, err := NewMatcher(name, t, value)
	if err != nil {
		return nil, fmt.Errorf("matcher %q: %w", s, err)
	}
	return m, nil
}

// Matches reports whether the label set l satisfies m.
func (m *Matcher) Matches(l obs.Labels) bool {
	v := l[m.Name]
	switch m.Type {
	case Equal:
		return v == m.Value
	case NotEqual:
		return v != m.Value
	case Regexp:
		return m.re.MatchString(v)
	case NotRegexp:
		return !m.re.MatchString(v)
	}
	return false
}

// String renders m as it is parsed, with the value quoted.
func (m *Matcher) String() string {
	return m.Name + m.Type.String() + strconv.Quote(m.Value)
}

// Matchers is a conjunction: all must match.
type Matchers []*Matcher

// Matches reports whether every matcher matches l; no matcher matches all.
func (ms Matchers) Matches(l obs.Labels) bool {
	for _, m := range ms {
		if !m.Matches(l) {
			return false
		}
	}
	return true
}

// ParseMatchers parses each string with ParseMatcher.
func ParseMatchers(ss []string) (Matchers, error) {
	ms := make(Matchers, 0, len(ss))
	for _, s := range ss {
		m, err := ParseMatcher(s)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	return ms, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
