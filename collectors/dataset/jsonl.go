package dataset

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// JSON lines are read by a small hand-written parser rather than
// encoding/json, so that every error has an exact line and column and a flat
// object costs no map. The input is a sequence of JSON objects separated by
// white space (normally one per line; blank lines are skipped), or one JSON
// array of objects. Each key is a column, in order of first appearance; a key
// absent from an object is a missing value. Values must be null, booleans,
// numbers or strings; nested objects and arrays are errors. Strings with
// escapes are decoded by encoding/json, so the accepted JSON is exactly
// standard JSON (FuzzReadJSONL checks this against json.Valid).

// jsonEntry is a key seen in the input.
type jsonEntry struct {
	b       *builder // nil when the column is not kept
	lastRow int
}

type jsonReader struct {
	path  string
	data  []byte
	pos   int
	opt   *Options
	keys  map[string]*jsonEntry
	names []string   // every key, in order of first appearance
	order []*builder // the kept columns, in order of first appearance
	rows  int
}

func readJSONL(path string, data []byte, opt *Options) (*Table, error) {
	r := &jsonReader{path: path, data: bytes.TrimPrefix(data, bom), opt: opt, keys: make(map[string]*jsonEntry)}
	if err := r.read(); err != nil {
		return nil, err
	}
	if len(r.names) == 0 {
		return nil, &Error{Path: path, Msg: "no columns (every object is empty)"}
	}
	// Writers often drop null fields, so a key that no line has is a
	// column whose values are all missing, not an absent column.
	var absent []string
	for n := range opt.Types {
		if _, ok := r.keys[n]; !ok && opt.keeps(n) {
			absent = append(absent, n)
		}
	}
	slices.Sort(absent)
	if err := checkColumns(path, append(slices.Clip(r.names), absent...), opt); err != nil {
		return nil, err
	}
	t := &Table{Path: path, Rows: r.rows, Skipped: opt.skipped(r.names)}
	for _, b := range r.order {
		t.Columns = append(t.Columns, b.column())
	}
	for _, n := range absent {
		c := &Column{Name: n, Type: opt.Types[n], Missing: r.rows}
		if c.Type == Numeric {
			c.Num = make([]float64, r.rows)
			for i := range c.Num {
				c.Num[i] = math.NaN()
			}
		} else {
			c.Str = make([]string, r.rows)
		}
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

func (r *jsonReader) read() error {
	r.ws()
	if r.pos == len(r.data) {
		return &Error{Path: r.path, Msg: "empty file"}
	}
	if r.data[r.pos] == '[' {
		r.pos++
		r.ws()
		if r.peek() == ']' {
			r.pos++
		} else {
			for {
				if r.peek() != '{' {
					return r.unexpected("'{' (a JSON object)")
				}
				if err := r.object(); err != nil {
					return err
				}
				r.ws()
				c := r.peek()
				if c == ']' {
					r.pos++
					break
				}
				if c != ',' {
					return r.unexpected("',' or ']'")
				}
				r.pos++
				r.ws()
			}
		}
		r.ws()
		if r.pos < len(r.data) {
			return r.unexpected("end of input after the array")
		}
	} else {
		for r.pos < len(r.data) {
			if r.peek() != '{' {
				return r.unexpected("'{' (a JSON object)")
			}
			if err := r.object(); err != nil {
				return err
			}
			r.ws()
		}
	}
	if r.rows == 0 {
		return &Error{Path: r.path, Msg: "no data rows"}
	}
	return nil
}

// peek returns the next byte, or 0 at the end of the input.
func (r *jsonReader) peek() byte {
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

func (r *jsonReader) ws() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// errAt returns an error at byte offset off.
func (r *jsonReader) errAt(off int, column, msg string) *Error {
	line, col := posOf(r.data, off)
	return &Error{Path: r.path, Line: line, Col: col, Column: column, Msg: msg}
}

// unexpected reports the byte at r.pos.
func (r *jsonReader) unexpected(want string) *Error {
	return r.errAt(r.pos, "", fmt.Sprintf("invalid JSON: found %s, want %s", describe(r.data[r.pos:]), want))
}

// describe names the first character of b for an error message.
func describe(b []byte) string {
	if len(b) == 0 {
		return "end of input"
	}
	c, size := utf8.DecodeRune(b)
	if c == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x", b[0])
	}
	return strconv.QuoteRune(c)
}

// object reads one object, the next byte being '{'.
func (r *jsonReader) object() error {
	row := r.rows
	r.pos++
	r.ws()
	if r.peek() == '}' {
		r.pos++
	} else {
		for {
			if r.peek() != '"' {
				return r.unexpected("'\"' (a string key)")
			}
			keyAt := r.pos
			key, err := r.str()
			if err != nil {
				return err
			}
			r.ws()
			if r.peek() != ':' {
				return r.unexpected("':' after an object key")
			}
			r.pos++
			r.ws()
			if err := r.value(keyAt, key, row); err != nil {
				return err
			}
			r.ws()
			c := r.peek()
			if c == '}' {
				r.pos++
				break
			}
			if c != ',' {
				return r.unexpected("',' or '}'")
			}
			r.pos++
			r.ws()
		}
	}
	for _, b := range r.order {
		if b.lastRow != row {
			b.addMissing()
		}
	}
	r.rows++
	return nil
}

// entry returns the column of a key, adding it if new.
func (r *jsonReader) entry(keyAt int, key []byte, row int) (*jsonEntry, error) {
	e := r.keys[string(key)]
	if e == nil {
		name := string(key)
		if name == "" {
			return nil, r.errAt(keyAt, "", "empty key")
		}
		e = &jsonEntry{lastRow: -1}
		r.keys[name] = e
		r.names = append(r.names, name)
		if r.opt.keeps(name) {
			t, fixed := r.opt.fixedType(name)
			e.b = newBuilder(name, fixed, t)
			for range row {
				e.b.addMissing()
			}
			r.order = append(r.order, e.b)
		}
	}
	if e.lastRow == row {
		return nil, r.errAt(keyAt, "", "duplicate key "+quoteValue(key))
	}
	e.lastRow = row
	if e.b != nil {
		e.b.lastRow = row
	}
	return e, nil
}

// value reads the value of key and adds it to its column.
func (r *jsonReader) value(keyAt int, key []byte, row int) error {
	e, err := r.entry(keyAt, key, row)
	if err != nil {
		return err
	}
	at := r.pos
	var msg string
	switch c := r.peek(); {
	case c == '"':
		s, err := r.str()
		if err != nil {
			return err
		}
		if e.b != nil {
			msg = e.b.addJSONString(s)
		}
	case c == '-' || '0' <= c && c <= '9':
		lit, err := r.number()
		if err != nil {
			return err
		}
		if e.b != nil {
			msg = e.b.addJSONNumber(lit)
		}
	case c == '{' || c == '[':
		what := "an object"
		if c == '[' {
			what = "an array"
		}
		return r.errAt(at, string(key), "nested JSON values are not supported (found "+what+"; flatten the data to one value per key)")
	default:
		switch {
		case bytes.HasPrefix(r.data[r.pos:], []byte("null")):
			r.pos += 4
			if e.b != nil {
				e.b.addMissing()
			}
		case bytes.HasPrefix(r.data[r.pos:], []byte("true")):
			r.pos += 4
			if e.b != nil {
				msg = e.b.addJSONBool("true")
			}
		case bytes.HasPrefix(r.data[r.pos:], []byte("false")):
			r.pos += 5
			if e.b != nil {
				msg = e.b.addJSONBool("false")
			}
		default:
			return r.unexpected("a value")
		}
	}
	if msg != "" {
		return r.errAt(at, string(key), msg)
	}
	return nil
}

// str reads a string, the next byte being '"', and returns its decoded bytes.
func (r *jsonReader) str() ([]byte, error) {
	start := r.pos
	r.pos++
	esc := false
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			raw := r.data[start:r.pos]
			if !esc {
				return raw[1 : len(raw)-1], nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, r.errAt(start, "", "invalid JSON string: "+err.Error())
			}
			return []byte(s), nil
		case c == '\\':
			esc = true
			r.pos += 2
		case c < 0x20:
			return nil, r.errAt(r.pos, "", fmt.Sprintf("invalid JSON: control character 0x%02x in a string", c))
		default:
			r.pos++
		}
	}
	return nil, r.errAt(start, "", "invalid JSON: unterminated string")
}

// number reads a number as the JSON grammar defines it and returns its text.
func (r *jsonReader) number() ([]byte, error) {
	start := r.pos
	digits := func() bool {
		n := r.pos
		for r.pos < len(r.data) && '0' <= r.data[r.pos] && r.data[r.pos] <= '9' {
			r.pos++
		}
		return r.pos > n
	}
	if r.peek() == '-' {
		r.pos++
	}
	if r.peek() == '0' {
		r.pos++
	} else if !digits() {
		return nil, r.unexpected("a digit")
	}
	if r.peek() == '.' {
		r.pos++
		if !digits() {
			return nil, r.unexpected("a digit")
		}
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.pos++
		if c := r.peek(); c == '+' || c == '-' {
			r.pos++
		}
		if !digits() {
			return nil, r.unexpected("a digit")
		}
	}
	return r.data[start:r.pos], nil
}

// addJSONNumber adds a JSON number, given by its text.
func (b *builder) addJSONNumber(lit []byte) string {
	if !b.known {
		b.decide(Numeric)
	}
	if b.typ == Categorical {
		b.str = append(b.str, b.in.str(lit))
		return ""
	}
	v, _ := parseNum(lit)
	if v-v != 0 { // ±Inf: the number overflows float64
		return notFinite(string(lit))
	}
	b.num = append(b.num, v)
	return ""
}

// addJSONString adds a JSON string, given decoded.
func (b *builder) addJSONString(s []byte) string {
	if isMissing(trim(s)) {
		b.addMissing()
		return ""
	}
	if !b.known {
		b.decide(Categorical)
	}
	return b.addField(s)
}

// addJSONBool adds "true" or "false".
func (b *builder) addJSONBool(v string) string {
	if !b.known {
		b.decide(Categorical)
	}
	if b.typ == Numeric {
		return notNumber(v, b.fixed)
	}
	b.str = append(b.str, v)
	return ""
}
