package payload

import (
	"fmt"
	"strconv"
	"strings"
)

// generic decodes any JSON body: Config.FeaturesPath selects the instances
// in the request and Config.PredictionsPath the predictions in the response
// (the whole body when empty); both are read by anyTable. A path is
//
//	$.a.b[0].c    keys after dots, list indexes in brackets; "$" and the first dot are optional
//	$['a.b']      a key with dots or brackets, in quotes
//	$.rows[*].x   [*] at most once: x of every element of rows, one instance each
//
// A path that selects nothing is a missing_field error.
type generic struct {
	features, predictions path
}

func newGeneric(c *Config) (codec, error) {
	f, err := parsePath(c.FeaturesPath)
	if err != nil {
		return nil, fmt.Errorf("features_path: %w", err)
	}
	p, err := parsePath(c.PredictionsPath)
	if err != nil {
		return nil, fmt.Errorf("predictions_path: %w", err)
	}
	return generic{features: f, predictions: p}, nil
}

func (g generic) request(st *state) *Error {
	return st.selectTable(&st.req, g.features, "features_path")
}

func (g generic) response(st *state) *Error {
	return st.selectTable(&st.resp, g.predictions, "predictions_path")
}

func (st *state) selectTable(s *side, p path, what string) *Error {
	n, ok := p.find(&s.d, s.d.root)
	if !ok {
		return errf(ReasonMissingField, "%s %s selects nothing", what, p.text)
	}
	return st.anyTable(s, n)
}

// step is one step of a path: a key, an index, or every element.
type step struct {
	key   string
	index int // -1 for a key, -2 for [*]
}

// path is a compiled FeaturesPath or PredictionsPath.
type path struct {
	text  string
	steps []step
}

func parsePath(s string) (path, error) {
	p := path{text: s}
	rest := strings.TrimPrefix(s, "$")
	first, wild := true, false
	for rest != "" {
		var st step
		switch {
		case strings.HasPrefix(rest, "['") || strings.HasPrefix(rest, `["`):
			q := rest[1]
			end := strings.IndexByte(rest[2:], q)
			if end < 0 || !strings.HasPrefix(rest[2+end+1:], "]") {
				return path{}, fmt.Errorf("%q: unterminated quoted key", s)
			}
			st = step{key: rest[2 : 2+end], index: -1}
			rest = rest[2+end+2:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return path{}, fmt.Errorf("%q: unterminated index", s)
			}
			in := rest[1:end]
			if in == "*" {
				if wild {
					return path{}, fmt.Errorf("%q: more than one [*]", s)
				}
				wild = true
				st = step{index: -2}
			} else {
				i, err := strconv.Atoi(in)
				if err != nil || i < 0 {
					return path{}, fmt.Errorf("%q: index %q is not a non-negative integer", s, in)
				}
				st = step{index: i}
			}
			rest = rest[end+1:]
		default:
			if rest[0] == '.' {
				rest = rest[1:]
			} else if !first {
				return path{}, fmt.Errorf("%q: want . or [ before %q", s, rest)
			}
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return path{}, fmt.Errorf("%q: empty key", s)
			}
			st = step{key: rest[:end], index: -1}
			rest = rest[end:]
		}
		p.steps = append(p.steps, st)
		first = false
	}
	return p, nil
}

// find returns the value p selects in n. For [*] it returns a list, built in
// d's arena, of what the rest of the path selects in each element (null
// where it selects nothing).
func (p path) find(d *doc, n node) (node, bool) {
	for i, st := range p.steps {
		switch {
		case st.index == -2:
			if n.kind != jArr {
				return node{}, false
			}
			rest := path{steps: p.steps[i+1:]}
			mark := len(d.stack)
			for _, e := range d.kids(n) {
				v, ok := rest.find(d, e)
				if !ok {
					v = node{}
				}
				d.stack = append(d.stack, v)
			}
			return d.close(mark, false), true
		case st.index >= 0:
			if n.kind != jArr || st.index >= int(n.b) {
				return node{}, false
			}
			n = d.kids(n)[st.index]
		default:
			v, ok := d.field(n, st.key)
			if !ok {
				return node{}, false
			}
			n = v
		}
	}
	return n, true
}
