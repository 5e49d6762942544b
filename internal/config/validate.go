package config

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/driftwatch/driftwatch/alerts/notify/receivers"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors/drift"
)

// validate runs the semantic checks of every section that decoded, each
// error at the node of the field it is about.
//
// The checks of this package point at their field. A component's
// Validate error points at the field of its section whose key is the one
// the message names (e.g. "alpha 2 is not between 0 and 1" at
// options.alpha); when the message names no key of the section present in
// the file, or several, it points at the section itself.
func (p *parser) validate(cfg *Config) {
	p.checkAddr(cfg.Listen, "listen")
	p.checkAddr(cfg.AdminListen, "admin_listen")
	if !p.dirty["listen"] && !p.dirty["admin_listen"] && cfg.Listen == cfg.AdminListen && !strings.HasSuffix(cfg.Listen, ":0") {
		p.errorAt("admin_listen", "same address as listen, %q", cfg.Listen)
	}

	switch {
	case p.dirty["upstream"]:
	case cfg.Upstream == "" && len(cfg.Synthetics) == 0:
		p.errorAt("upstream", "required: the URL of the model server, e.g. http://127.0.0.1:8081")
	case cfg.Upstream == "": // synthetics only, for driftwatch synth run
	default:
		pc := proxy.Config{Upstream: cfg.Upstream}
		p.component("upstream", pc.Validate())
	}

	pc := cfg.proxyConfig()
	pc.Upstream = "http://upstream" // checked above
	p.component("proxy", pc.Validate())
	if q := cfg.Proxy.QueueSize; !p.dirty["proxy.queue_size"] && (q < 1 || q > MaxQueueSize) {
		p.errorAt("proxy.queue_size", "%d is not between 1 and %d", q, MaxQueueSize)
	}

	if cfg.Feedback != nil {
		p.component("feedback", cfg.Feedback.Validate())
	}
	names := map[string]int{}
	for i := range cfg.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		r := &cfg.Rules[i]
		p.component(path, r.Validate())
		if j, ok := names[r.Name]; ok && r.Name != "" && !p.dirty[path+".name"] {
			p.errorAt(path+".name", "rule %q is also rules[%d] (line %d): names must be unique",
				r.Name, j, p.node(fmt.Sprintf("rules[%d]", j)).Line)
		} else if !ok {
			names[r.Name] = i
		}
	}

	known := map[string]int{}
	for i := range cfg.Receivers {
		path := fmt.Sprintf("receivers[%d]", i)
		r := &cfg.Receivers[i]
		p.component(path, r.Validate())
		if j, ok := known[r.Name]; ok && r.Name != "" {
			p.errorAt(path+".name", "receiver %q is also receivers[%d]: names must be unique", r.Name, j)
		} else {
			known[r.Name] = i
		}
	}
	p.component("gpu", cfg.GPU.Validate())
	checks := map[string]int{}
	for i := range cfg.Synthetics {
		path := fmt.Sprintf("synthetics[%d]", i)
		c := &cfg.Synthetics[i]
		p.component(path, c.Validate())
		if j, ok := checks[c.Name]; ok && c.Name != "" && !p.dirty[path+".name"] {
			p.errorAt(path+".name", "check %q is also synthetics[%d]: names must be unique", c.Name, j)
		} else if !ok {
			checks[c.Name] = i
		}
	}
	for i, r := range cfg.Receivers {
		path := fmt.Sprintf("receivers[%d].fallback", i)
		if _, ok := known[r.Fallback]; r.Fallback == "" || p.dirty[path] || r.Fallback == r.Name {
			continue
		} else if !ok {
			p.errorAt(path, "fallback %q is not one of the receivers section's names", r.Fallback)
		} else if fallbackCycle(cfg.Receivers, known, i) {
			p.errorAt(path, "fallback %q leads back to %q: fallbacks must not form a cycle", r.Fallback, r.Name)
		}
	}
	if cfg.Route != nil && !p.dirty["route"] {
		_, err := route.Compile(*cfg.Route)
		p.prefixed("route", err)
		p.routeReceivers("route", cfg.Route, known)
	}
	if !p.dirty["inhibit_rules"] {
		_, err := route.NewInhibitor(cfg.InhibitRules)
		p.prefixed("", err)
	}

	first := map[MatchConfig]int{}
	for i := range cfg.Models {
		path := fmt.Sprintf("models[%d]", i)
		m := &cfg.Models[i]
		if !p.dirty[path+".match"] {
			p.validateMatch(path+".match", i, m.Match, first)
		}
		p.component(path+".payload", m.Payload.Validate())
		p.validateDrift(path+".drift", &m.Drift)
		if m.Adversarial != nil && m.Drift.Reference.File == "" {
			p.errorAt(path+".adversarial", "needs drift.reference.file: the signals are standardised and calibrated on the reference rows")
		}
		if o := m.Outliers; o != nil {
			if m.Drift.Reference.File == "" {
				p.errorAt(path+".outliers", "needs drift.reference.file: the scorer is fitted on the reference rows")
			}
			// The rows are checked when the reference is read.
			p.component(path+".outliers", o.Options().Validate(math.MaxInt))
			if o.Recent < 1 {
				p.errorAt(path+".outliers.recent", "%d: must be at least 1", o.Recent)
			}
		}
		if q := m.FeatureSqueezing; q != nil {
			if !(q.Sample > 0 && q.Sample <= 1) {
				p.errorAt(path+".feature_squeezing.sample", "%g: must be in (0, 1]", q.Sample)
			}
			if q.Digits < 1 || q.Digits > 15 {
				p.errorAt(path+".feature_squeezing.digits", "%d: must be 1 to 15", q.Digits)
			}
			if q.Timeout <= 0 {
				p.errorAt(path+".feature_squeezing.timeout", "%v: must be positive", q.Timeout)
			}
		}
	}
}

func (p *parser) validateMatch(path string, i int, m MatchConfig, first map[MatchConfig]int) {
	if j, ok := first[m]; ok {
		p.errorAt(path, "same match as models[%d] (line %d): this entry is never used",
			j, p.node(fmt.Sprintf("models[%d]", j)).Line)
	} else {
		first[m] = i
	}
	if m.PathPrefix != "" && !strings.HasPrefix(m.PathPrefix, "/") {
		p.errorAt(path+".path_prefix", "%q does not start with /", m.PathPrefix)
	}
	if strings.ContainsAny(m.Model, "/:") {
		p.errorAt(path+".model", "%q: a model name has no / or :", m.Model)
	}
}

func (p *parser) validateDrift(path string, d *DriftConfig) {
	p.component(path+".window", d.Window.Validate())
	p.component(path+".options", d.Options.Validate())
	r := d.Reference
	switch {
	case p.dirty[path+".reference"]:
	case r.File != "" && r.First != 0:
		p.errorAt(path+".reference", "file and first are mutually exclusive")
	case r.File == "" && len(r.Ignore) > 0:
		p.errorAt(path+".reference.ignore", "ignore applies to the columns of a reference file; give file")
	case r.File == "" && r.First == 0:
		p.errorAt(path+".reference", "one of file or first is required")
	case r.First < 0 || r.First > drift.MaxReferenceFirst:
		p.errorAt(path+".reference.first", "%d is not between 1 and %d", r.First, drift.MaxReferenceFirst)
	}
	switch {
	case p.dirty[path+".min_records"]:
	case d.MinRecords < 0:
		p.errorAt(path+".min_records", "%d is negative", d.MinRecords)
	case !p.dirty[path+".window"] && d.Window.Size > 0 && d.MinRecords > d.Window.Size:
		p.errorAt(path+".min_records", "%d is larger than the window size %d", d.MinRecords, d.Window.Size)
	}
	if !p.dirty[path+".max_columns"] && d.MaxColumns < 0 {
		p.errorAt(path+".max_columns", "%d is negative", d.MaxColumns)
	}
}

// checkAddr checks a host:port listen address at path.
func (p *parser) checkAddr(addr, path string) {
	if p.dirty[path] {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		p.errorAt(path, "%q is not host:port", addr)
		return
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		p.errorAt(path, "%q: port %q is not a number from 0 to 65535", addr, port)
	}
}

// fallbackCycle reports whether following fallbacks from receivers[i]
// comes back to it.
func fallbackCycle(rs []receivers.Config, index map[string]int, i int) bool {
	j := i
	for range rs {
		k, ok := index[rs[j].Fallback]
		if !ok {
			return false
		}
		if k == i {
			return true
		}
		j = k
	}
	return false
}

// routeReceivers reports each receiver a route names that is not one of
// receivers.
func (p *parser) routeReceivers(path string, r *route.Config, receivers map[string]int) {
	if _, ok := receivers[r.Receiver]; r.Receiver != "" && !ok && !p.dirty[path+".receiver"] {
		p.errorAt(path+".receiver", "receiver %q is not one of the receivers section's names", r.Receiver)
	}
	for i := range r.Routes {
		p.routeReceivers(fmt.Sprintf("%s.routes[%d]", path, i), &r.Routes[i], receivers)
	}
}

// prefixed records the errors of a component whose messages start with
// the path of what they are about, relative to base ("routes[1].routes[0]:
// group_wait -1s is negative" in route), each at the field it names.
func (p *parser) prefixed(base string, err error) {
	for _, e := range splitErrors(err) {
		msg, path := e.Error(), base
		if pre, rest, ok := strings.Cut(msg, ": "); ok && strings.HasSuffix(pre, "]") {
			path, msg = join(base, pre), rest
		}
		p.errorAt(p.fieldNamed(path, msg), "%s", msg)
	}
}

// component records the errors of a component's Validate for the section
// at path, each at the field it names if that can be told (see validate).
func (p *parser) component(path string, err error) {
	if p.dirty[path] {
		return // its values are defaults standing in for errors
	}
	for _, e := range splitErrors(err) {
		msg := e.Error()
		at := p.fieldNamed(path, msg)
		// A message that starts with a dotted field ("request.url …",
		// "expect.headers[0].matches: …") points at that field when the
		// file has it.
		if f, _, ok := strings.Cut(msg, " "); ok && strings.Contains(f, ".") {
			if n := p.nodes[join(path, strings.TrimSuffix(f, ":"))]; n != nil {
				at = join(path, strings.TrimSuffix(f, ":"))
			}
		}
		p.errorAt(at, "%s", msg)
	}
}

// fieldNamed returns the path of the one key of the section at path,
// present in the file, that msg names; else path.
func (p *parser) fieldNamed(path, msg string) string {
	n := p.nodes[path]
	if n == nil || n.Kind != yaml.MappingNode {
		return path
	}
	found := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if names(msg, k) {
			if found != "" {
				return path
			}
			found = k
		}
	}
	if found == "" {
		return path
	}
	return join(path, found)
}

// names reports whether msg names key as a word, written as is, with
// spaces for underscores, or in the singular.
func names(msg, key string) bool {
	for _, w := range []string{key, strings.ReplaceAll(key, "_", " "), strings.TrimSuffix(key, "s")} {
		if w == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(msg[i:], w)
			if j < 0 {
				break
			}
			j += i
			end := j + len(w)
			if (j == 0 || !isWordByte(msg[j-1])) && (end == len(msg) || !isWordByte(msg[end])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// errorAt records an error at the node of path, or of its nearest
// ancestor in the file when the value is a default.
func (p *parser) errorAt(path, format string, a ...any) {
	p.errorf(p.node(path), path, format, a...)
}

// node returns the node of path or of its nearest ancestor in the file.
func (p *parser) node(path string) *yaml.Node {
	for {
		if n, ok := p.nodes[path]; ok {
			return n
		}
		if path == "" {
			return p.root
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			path = ""
		} else {
			path = path[:i]
		}
	}
}
