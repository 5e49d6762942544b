package synthetics

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/theory/jsonpath"
)

// compiledExpect is an Expect with its regular expressions and paths
// compiled.
type compiledExpect struct {
	Expect
	headerRE []*regexp.Regexp
	paths    []*jsonpath.Path
	jsonRE   []*regexp.Regexp
}

func parsePath(p string) (*jsonpath.Path, error) {
	if p == "" {
		return nil, fmt.Errorf("empty path: want a JSONPath such as $.outputs[0].data[0]")
	}
	return jsonpath.Parse(p)
}

func compileExpect(e *Expect) (*compiledExpect, error) {
	c := &compiledExpect{Expect: *e}
	for i, h := range e.Headers {
		var re *regexp.Regexp
		if h.Matches != "" {
			var err error
			if re, err = regexp.Compile(h.Matches); err != nil {
				return nil, fmt.Errorf("expect.headers[%d].matches: %w", i, err)
			}
		}
		c.headerRE = append(c.headerRE, re)
	}
	for i, j := range e.JSON {
		p, err := parsePath(j.Path)
		if err != nil {
			return nil, fmt.Errorf("expect.json[%d].path: %w", i, err)
		}
		c.paths = append(c.paths, p)
		var re *regexp.Regexp
		if j.Matches != "" {
			if re, err = regexp.Compile(j.Matches); err != nil {
				return nil, fmt.Errorf("expect.json[%d].matches: %w", i, err)
			}
		}
		c.jsonRE = append(c.jsonRE, re)
	}
	return c, nil
}

// check returns every assertion that does not hold for the answer, each
// saying what was expected and what was seen.
func (c *compiledExpect) check(resp *http.Response, body []byte, total time.Duration, now time.Time) []string {
	var out []string
	fail := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	switch {
	case len(c.Status) == 0 && resp.StatusCode/100 != 2:
		fail("status %d, want 2xx: %s", resp.StatusCode, snippet(body))
	case len(c.Status) > 0 && !slices.Contains(c.Status, resp.StatusCode):
		fail("status %d, want %s: %s", resp.StatusCode, statusList(c.Status), snippet(body))
	}
	if c.MaxLatency > 0 && total > c.MaxLatency {
		fail("latency %v, want at most %v", total.Round(time.Millisecond), c.MaxLatency)
	}
	for i, h := range c.Headers {
		vals, ok := resp.Header[http.CanonicalHeaderKey(h.Name)]
		v := strings.Join(vals, ", ")
		switch {
		case h.Present != nil && ok != *h.Present:
			fail("header %s %s, want it %s", h.Name, presence(ok), presence(*h.Present))
		case h.Equals != "" && v != h.Equals:
			fail("header %s is %q, want %q", h.Name, v, h.Equals)
		case c.headerRE[i] != nil && !c.headerRE[i].MatchString(v):
			fail("header %s is %q, want it to match %q", h.Name, v, h.Matches)
		}
	}
	if len(c.JSON) > 0 {
		var doc any
		if err := json.Unmarshal(body, &doc); err != nil {
			fail("body is not JSON (%v), want JSON for %d assertions: %s", err, len(c.JSON), snippet(body))
		} else {
			for i := range c.JSON {
				if msg := c.checkJSON(i, doc); msg != "" {
					out = append(out, msg)
				}
			}
		}
	}
	if c.CertValidFor > 0 {
		switch {
		case resp.TLS == nil || len(resp.TLS.PeerCertificates) == 0:
			fail("no TLS certificate (plain HTTP), want one valid for %v more", c.CertValidFor)
		default:
			cert := resp.TLS.PeerCertificates[0]
			if left := cert.NotAfter.Sub(now); left < c.CertValidFor {
				fail("certificate of %s expires %s (in %v), want at least %v", cert.Subject.CommonName,
					cert.NotAfter.UTC().Format(time.RFC3339), left.Round(time.Minute), c.CertValidFor)
			}
		}
	}
	return out
}

// checkJSON checks JSON assertion i on doc; "" when it holds.
func (c *compiledExpect) checkJSON(i int, doc any) string {
	j := c.JSON[i]
	nodes := c.paths[i].Select(doc)
	if j.Present != nil {
		if (len(nodes) > 0) != *j.Present {
			return fmt.Sprintf("%s selects %d values, want it %s", j.Path, len(nodes), presence(*j.Present))
		}
		return ""
	}
	if len(nodes) == 0 {
		return fmt.Sprintf("%s selects nothing in the body", j.Path)
	}
	for _, v := range nodes {
		switch {
		case j.Equals != nil:
			if !jsonEqual(v, j.Equals) {
				return fmt.Sprintf("%s is %s, want %s", j.Path, show(v), show(j.Equals))
			}
		case c.jsonRE[i] != nil:
			s, ok := v.(string)
			if !ok {
				s = show(v)
			}
			if !c.jsonRE[i].MatchString(s) {
				return fmt.Sprintf("%s is %s, want it to match %q", j.Path, show(v), j.Matches)
			}
		default:
			f, ok := v.(float64)
			if !ok {
				return fmt.Sprintf("%s is %s, want a number", j.Path, show(v))
			}
			if (j.Min != nil && f < *j.Min) || (j.Max != nil && f > *j.Max) {
				return fmt.Sprintf("%s is %s, want %s", j.Path, show(v), rangeText(j.Min, j.Max))
			}
		}
	}
	return ""
}

// jsonEqual compares a value decoded from JSON with one from YAML by
// their JSON forms, so that 1 (YAML int) equals 1.0 (JSON number).
func jsonEqual(got, want any) bool {
	b, err := json.Marshal(want)
	if err != nil {
		return false
	}
	var w any
	if err := json.Unmarshal(b, &w); err != nil {
		return false
	}
	return reflect.DeepEqual(got, w)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 100 {
		return string(b[:100]) + "…"
	}
	return string(b)
}

func rangeText(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("between %g and %g", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("at least %g", *lo)
	}
	return fmt.Sprintf("at most %g", *hi)
}

func presence(present bool) string {
	if present {
		return "present"
	}
	return "absent"
}

func statusList(s []int) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(v)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "one of " + strings.Join(parts, ", ")
}
