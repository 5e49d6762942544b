package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxNodes bounds the nodes visited while checking a file, aliases
// expanded, so that an alias bomb costs an error instead of memory.
const maxNodes = 100_000

// Load reads and parses the configuration file at path. It returns the
// configuration only when there is no error, and otherwise every problem
// found, each an *Error.
func Load(path string) (*Config, []error) {
	return LoadWith(path, Overrides{})
}

// Overrides are settings given on the command line, which replace the
// file's. An error in one of them names the flag instead of a position.
type Overrides struct {
	Upstream, Listen, AdminListen string
}

// flags maps the YAML path of each override to its flag.
var flags = map[string]string{"upstream": "--upstream", "listen": "--listen", "admin_listen": "--admin-listen"}

func (o Overrides) apply(cfg *Config, set map[string]bool) {
	for path, v := range map[string]string{"upstream": o.Upstream, "listen": o.Listen, "admin_listen": o.AdminListen} {
		if v == "" {
			continue
		}
		set[path] = true
		switch path {
		case "upstream":
			cfg.Upstream = v
		case "listen":
			cfg.Listen = v
		case "admin_listen":
			cfg.AdminListen = v
		}
	}
}

// LoadWith is Load with command-line overrides. An empty path means no
// file: the defaults, with the overrides, which must then give upstream.
func LoadWith(path string, o Overrides) (*Config, []error) {
	if path == "" {
		return ParseWith("", nil, o)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is in File already
		}
		return nil, []error{&Error{File: path, Msg: fmt.Sprintf("read config: %v", err)}}
	}
	return ParseWith(path, data, o)
}

// Parse parses and validates a configuration read from file (used in
// messages and to resolve relative paths). It returns the configuration
// only when there is no error, and otherwise every problem found, each an
// *Error, sorted by position.
func Parse(file string, data []byte) (*Config, []error) {
	return ParseWith(file, data, Overrides{})
}

// ParseWith is Parse with command-line overrides. With file "" and no
// data it parses no YAML and starts from Default().
func ParseWith(file string, data []byte, o Overrides) (*Config, []error) {
	p := &parser{file: file, nodes: map[string]*yaml.Node{}, dirty: map[string]bool{}, overridden: map[string]bool{}}
	var cfg *Config
	if file == "" && len(data) == 0 {
		p.file = "command line"
		cfg = Default()
		cfg.Models = []ModelConfig{DefaultModel()}
		o.apply(cfg, p.overridden)
		p.validating = true
		p.validate(cfg)
	} else {
		cfg = p.parse(data, o)
	}
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return nil, p.errs
	}
	return cfg, nil
}

// parser holds the state of one Parse.
type parser struct {
	file       string
	errs       []error
	root       *yaml.Node
	nodes      map[string]*yaml.Node // YAML path → value node
	keys       map[string]*yaml.Node // YAML path → key node, for duplicates
	dirty      map[string]bool       // paths whose subtree has a structural error
	validating bool                  // errors no longer mark paths dirty
	seen       int                   // nodes visited
	stack      []*yaml.Node          // aliases being expanded
	overridden map[string]bool       // paths set by Overrides
}

func (p *parser) parse(data []byte, o Overrides) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) || err == nil && len(doc.Content) == 0 {
		p.errs = append(p.errs, &Error{File: p.file, Msg: "empty config: want at least upstream"})
		return nil
	}
	if err != nil {
		line, msg := cleanYAMLError(err.Error())
		p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: msg})
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			line, msg := cleanYAMLError(err.Error())
			p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: msg})
		} else {
			p.errs = append(p.errs, &Error{File: p.file, Line: extra.Line, Col: extra.Column,
				Msg: "more than one YAML document: want one"})
		}
		return nil
	}
	p.root = doc.Content[0]
	if p.root.Kind != yaml.MappingNode {
		p.errorf(p.root, "", "want a mapping of settings, got a %s", kindName(p.root))
		return nil
	}
	p.keys = map[string]*yaml.Node{}
	cfg := Default()
	cfg.file = p.file
	p.check(p.root, "", reflect.TypeFor[Config]())
	p.decodeTop(cfg)
	o.apply(cfg, p.overridden)
	p.validating = true
	p.validate(cfg)
	return cfg
}

// errorf records an error at node n (nil: the document) and path.
func (p *parser) errorf(n *yaml.Node, path, format string, a ...any) {
	e := &Error{File: p.file, Path: path, Msg: fmt.Sprintf(format, a...)}
	if p.overridden[path] {
		e.File, e.Path, n = "command line", flags[path], nil
	}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
	if !p.validating {
		p.markDirty(path)
	}
}

// markDirty marks path and its ancestors as holding an error.
func (p *parser) markDirty(path string) {
	for {
		p.dirty[path] = true
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			if path != "" {
				p.dirty[""] = true
			}
			return
		}
		path = path[:i]
	}
}

// check walks node n, which is to decode into a value of type t at path,
// and records an error for each unknown or repeated key, each node of the
// wrong kind and each scalar that does not decode into its type. Struct
// types are walked field by field whatever their UnmarshalYAML does, so
// the strictness reaches every level.
func (p *parser) check(n *yaml.Node, path string, t reflect.Type) {
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			p.errorf(n, path, "unknown alias")
			return
		}
		for _, a := range p.stack {
			if a == n.Alias {
				p.errorf(n, path, "alias %q refers to itself", n.Value)
				return
			}
		}
		p.stack = append(p.stack, n.Alias)
		defer func() { p.stack = p.stack[:len(p.stack)-1] }()
		n = n.Alias
	}
	if p.seen++; p.seen > maxNodes {
		if p.seen == maxNodes+1 {
			p.errorf(n, path, "more than %d values, aliases expanded: the file is too complex", maxNodes)
		}
		return
	}
	if _, ok := p.nodes[path]; !ok {
		p.nodes[path] = n
	}
	if n.ShortTag() == "!!null" {
		return // the zero value, or the default
	}
	switch {
	case t.Kind() == reflect.Pointer:
		p.check(n, path, t.Elem())
	case t.Kind() == reflect.Struct:
		p.checkStruct(n, path, t)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			p.errorf(n, path, "want a list, got a %s", kindName(n))
			return
		}
		for i, e := range n.Content {
			p.check(e, fmt.Sprintf("%s[%d]", path, i), t.Elem())
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			p.errorf(n, path, "want a mapping, got a %s", kindName(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			kp := join(path, k.Value)
			p.checkScalar(k, kp, t.Key())
			p.check(v, kp, t.Elem())
		}
	default:
		p.checkScalar(n, path, t)
	}
}

func (p *parser) checkStruct(n *yaml.Node, path string, t reflect.Type) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping, got a %s", kindName(n))
		return
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "want a field name, got a %s", kindName(k))
			continue
		}
		kp := join(path, k.Value)
		if k.Value == "<<" && k.ShortTag() == "!!merge" {
			p.errorf(k, path, "merge keys (<<) are not supported")
			continue
		}
		f, ok := fields[k.Value]
		if !ok {
			p.errorf(k, kp, "unknown field %q", k.Value)
			continue
		}
		if prev, ok := p.keys[kp]; ok {
			p.errorf(k, kp, "field %q already set at line %d", k.Value, prev.Line)
			continue
		}
		p.keys[kp] = k
		p.check(v, kp, f.Type)
	}
}

var durationType = reflect.TypeFor[time.Duration]()

// checkScalar checks that n is a scalar that decodes into a value of type t.
func (p *parser) checkScalar(n *yaml.Node, path string, t reflect.Type) {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "want %s, got a %s", typeName(t), kindName(n))
		return
	}
	v := reflect.New(t)
	err := n.Decode(v.Interface())
	if err == nil {
		return
	}
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		// An UnmarshalYAML's own error, such as Size's.
		_, msg := cleanYAMLError(err.Error())
		p.errorf(n, path, "%s", msg)
		return
	}
	p.errorf(n, path, "want %s, got %q", typeName(t), n.Value)
}

// typeName names the values of t for messages.
func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration such as 30s or 1m30s"
	case t == reflect.TypeFor[Size]():
		return "a size such as 1048576 or 1MiB"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return "a " + t.String()
}

// kindName names the kind of n for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	}
	switch n.ShortTag() {
	case "!!str":
		return "string"
	case "!!int", "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	}
	return "scalar"
}

// yamlFields maps the YAML keys of struct type t to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		m[name] = f
	}
	return m
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeTop decodes the file into cfg: whole when the check found no
// error, else every part without an error (see decodePartial), so that the
// semantic checks still run on the sections that are well formed.
func (p *parser) decodeTop(cfg *Config) {
	p.decodePartial(p.root, "", reflect.ValueOf(cfg).Elem())
	if len(cfg.Models) == 0 && !p.dirty["models"] {
		cfg.Models = []ModelConfig{DefaultModel()}
	}
}

// decodePartial decodes n into the addressable v: whole if the subtree at
// path has no error; else, for a struct, the keys without error together
// (so that UnmarshalYAML fills in defaults), then the structs and lists
// with errors recursively; for a list, each element so. Values with
// errors keep their defaults, and the semantic checks skip them.
func (p *parser) decodePartial(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if !p.dirty[path] {
		p.decode(n, path, v.Addr().Interface())
		return
	}
	switch {
	case v.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(v.Type())
		clean := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		var later []int
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			kp := join(path, k.Value)
			if _, ok := fields[k.Value]; !ok || p.keys[kp] != k {
				continue // unknown or repeated
			}
			if !p.dirty[kp] {
				clean.Content = append(clean.Content, k, n.Content[i+1])
			} else {
				later = append(later, i)
			}
		}
		p.decode(clean, path, v.Addr().Interface())
		for _, i := range later {
			k := n.Content[i].Value
			p.decodePartial(n.Content[i+1], join(path, k), v.FieldByIndex(fields[k].Index))
		}
	case v.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		empty := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for i, e := range n.Content {
			ep := fmt.Sprintf("%s[%d]", path, i)
			if p.dirty[ep] && s.Index(i).Kind() == reflect.Struct {
				p.decode(empty, ep, s.Index(i).Addr().Interface()) // defaults
			}
			p.decodePartial(e, ep, s.Index(i))
		}
		v.Set(s)
	}
}

// decode decodes a node that check passed. The YAML library could still
// refuse it (a limit of its own, say); its error is then placed at n.
func (p *parser) decode(n *yaml.Node, path string, out any) {
	if err := n.Decode(out); err != nil {
		for _, msg := range typeErrors(err) {
			_, msg = cleanYAMLError(msg)
			p.errorf(n, path, "%s", msg)
		}
	}
}

func typeErrors(err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return te.Errors
	}
	return []string{err.Error()}
}
