package payload

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// This file holds a small JSON parser into a flat, reusable node arena. It
// exists because decoding runs at thousands of exchanges per second and
// encoding/json into interface values costs several allocations per value
// (see BenchmarkEncodingJSONAny): here a whole body is parsed with no
// allocation once the arena has grown, numbers are converted only when read,
// and strings are sliced from the body unless they hold escapes.
//
// It accepts RFC 8259 JSON plus the tokens NaN, Infinity and -Infinity, which
// Python's json module and TensorFlow Serving emit.

// maxDepth bounds the nesting of arrays and objects, so that a body of
// "[[[[…" cannot exhaust the stack.
const maxDepth = 256

type jkind uint8

const (
	jNull jkind = iota
	jFalse
	jTrue
	jNum
	jStr
	jArr
	jObj
)

// node is one JSON value. For jNum, src[a:b] is its text. For jStr, its
// unescaped bytes are src[a:b], or buf[a:b] when esc is set. For jArr, its
// elements are nodes[a:a+b]; for jObj, nodes[a:a+2b] alternate keys and values.
type node struct {
	a, b int32
	kind jkind
	esc  bool
}

// doc is a parsed body. Its slices are reused from one parse to the next.
type doc struct {
	src   []byte
	buf   []byte
	nodes []node
	stack []node
	root  node
}

func (d *doc) reset() {
	d.src = nil
	d.buf = d.buf[:0]
	d.nodes = d.nodes[:0]
	d.stack = d.stack[:0]
	d.root = node{}
}

var errEOF = errors.New("unexpected end of input")

func syntaxError(src []byte, i int) error {
	if i >= len(src) {
		return errEOF
	}
	return fmt.Errorf("invalid character %q at offset %d", src[i], i)
}

// parse parses src, which must stay unchanged while d is in use.
func (d *doc) parse(src []byte) error {
	d.reset()
	d.src = src
	n, i, err := d.value(skipSpace(src, 0), 0)
	if err != nil {
		return err
	}
	if i = skipSpace(src, i); i != len(src) {
		return syntaxError(src, i)
	}
	d.root = n
	return nil
}

func skipSpace(src []byte, i int) int {
	for i < len(src) {
		switch src[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func (d *doc) value(i, depth int) (node, int, error) {
	src := d.src
	if i >= len(src) {
		return node{}, i, errEOF
	}
	switch c := src[i]; c {
	case '{', '[':
		if depth >= maxDepth {
			return node{}, i, fmt.Errorf("nesting deeper than %d at offset %d", maxDepth, i)
		}
		return d.composite(i, depth+1)
	case '"':
		return d.str(i)
	case 't':
		return d.literal(i, "true", node{kind: jTrue})
	case 'f':
		return d.literal(i, "false", node{kind: jFalse})
	case 'n':
		return d.literal(i, "null", node{kind: jNull})
	case 'N':
		return d.literal(i, "NaN", node{kind: jNum, a: int32(i), b: int32(i + 3)})
	case 'I':
		return d.literal(i, "Infinity", node{kind: jNum, a: int32(i), b: int32(i + 8)})
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return d.num(i)
		}
		return node{}, i, syntaxError(src, i)
	}
}

func (d *doc) literal(i int, lit string, n node) (node, int, error) {
	if len(d.src)-i < len(lit) {
		return node{}, i, errEOF
	}
	if string(d.src[i:i+len(lit)]) != lit {
		for k := range len(lit) {
			if d.src[i+k] != lit[k] {
				return node{}, i, syntaxError(d.src, i+k)
			}
		}
	}
	return n, i + len(lit), nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (d *doc) num(i int) (node, int, error) {
	src := d.src
	start := i
	if src[i] == '-' {
		i++
		if i < len(src) && src[i] == 'I' {
			return d.literal(i, "Infinity", node{kind: jNum, a: int32(start), b: int32(i + 8)})
		}
	}
	switch {
	case i >= len(src):
		return node{}, i, errEOF
	case src[i] == '0':
		i++
	case isDigit(src[i]):
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	default:
		return node{}, i, syntaxError(src, i)
	}
	if i < len(src) && src[i] == '.' {
		i++
		if i >= len(src) || !isDigit(src[i]) {
			return node{}, i, syntaxError(src, i)
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return node{}, i, syntaxError(src, i)
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	return node{kind: jNum, a: int32(start), b: int32(i)}, i, nil
}

func (d *doc) str(i int) (node, int, error) {
	src := d.src
	start := i + 1
	for j := start; j < len(src); j++ {
		switch c := src[j]; {
		case c == '"':
			return node{kind: jStr, a: int32(start), b: int32(j)}, j + 1, nil
		case c == '\\':
			return d.strEscaped(start, j)
		case c < 0x20:
			return node{}, j, syntaxError(src, j)
		}
	}
	return node{}, len(src), errEOF
}

// strEscaped unescapes the string that starts at src[start] into d.buf; j is
// the offset of its first backslash.
func (d *doc) strEscaped(start, j int) (node, int, error) {
	src := d.src
	b0 := len(d.buf)
	d.buf = append(d.buf, src[start:j]...)
	for j < len(src) {
		c := src[j]
		switch {
		case c == '"':
			return node{kind: jStr, esc: true, a: int32(b0), b: int32(len(d.buf))}, j + 1, nil
		case c < 0x20:
			return node{}, j, syntaxError(src, j)
		case c != '\\':
			d.buf = append(d.buf, c)
			j++
			continue
		}
		if j+1 >= len(src) {
			return node{}, j, errEOF
		}
		switch e := src[j+1]; e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, ok := hex4(src, j+2)
			if !ok {
				return node{}, j, syntaxError(src, min(j+2, len(src)))
			}
			j += 6
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(src, j+2); ok && src[j] == '\\' && src[j+1] == 'u' {
					if dr := utf16.DecodeRune(r, r2); dr != utf8.RuneError {
						r = dr
						j += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			d.buf = utf8.AppendRune(d.buf, r)
			continue
		default:
			return node{}, j + 1, syntaxError(src, j+1)
		}
		j += 2
	}
	return node{}, j, errEOF
}

// hex4 reads four hex digits at src[i:]; ok is false if there are not four.
func hex4(src []byte, i int) (rune, bool) {
	if i < 0 || len(src)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range src[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// composite parses an array or object at src[i]. Children collect on
// d.stack and move to d.nodes in one piece when the value closes.
func (d *doc) composite(i, depth int) (node, int, error) {
	src := d.src
	obj := src[i] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	mark := len(d.stack)
	i = skipSpace(src, i+1)
	if i < len(src) && src[i] == closer {
		return d.close(mark, obj), i + 1, nil
	}
	for {
		if obj {
			if i >= len(src) {
				return node{}, i, errEOF
			}
			if src[i] != '"' {
				return node{}, i, syntaxError(src, i)
			}
			k, j, err := d.str(i)
			if err != nil {
				return node{}, j, err
			}
			d.stack = append(d.stack, k)
			i = skipSpace(src, j)
			if i >= len(src) {
				return node{}, i, errEOF
			}
			if src[i] != ':' {
				return node{}, i, syntaxError(src, i)
			}
			i = skipSpace(src, i+1)
		}
		v, j, err := d.value(i, depth)
		if err != nil {
			return node{}, j, err
		}
		d.stack = append(d.stack, v)
		i = skipSpace(src, j)
		if i >= len(src) {
			return node{}, i, errEOF
		}
		switch src[i] {
		case ',':
			i = skipSpace(src, i+1)
		case closer:
			return d.close(mark, obj), i + 1, nil
		default:
			return node{}, i, syntaxError(src, i)
		}
	}
}

func (d *doc) close(mark int, obj bool) node {
	first := len(d.nodes)
	d.nodes = append(d.nodes, d.stack[mark:]...)
	n := len(d.stack) - mark
	d.stack = d.stack[:mark]
	if obj {
		return node{kind: jObj, a: int32(first), b: int32(n / 2)}
	}
	return node{kind: jArr, a: int32(first), b: int32(n)}
}

// kids returns the elements of an array, the alternating keys and values of
// an object, or nil.
func (d *doc) kids(n node) []node {
	switch n.kind {
	case jArr:
		return d.nodes[n.a : n.a+n.b]
	case jObj:
		return d.nodes[n.a : n.a+2*n.b]
	}
	return nil
}

// bytes returns the text of a string (unescaped) or a number.
func (d *doc) bytes(n node) []byte {
	switch {
	case n.kind == jStr && n.esc:
		return d.buf[n.a:n.b]
	case n.kind == jStr || n.kind == jNum:
		return d.src[n.a:n.b]
	}
	return nil
}

// get returns the value of key in object obj. hint is the position at which
// the key is expected (rows of a batch usually list keys in the same order);
// pass -1 when there is none.
func (d *doc) get(obj node, key []byte, hint int) (node, bool) {
	if obj.kind != jObj {
		return node{}, false
	}
	kv := d.kids(obj)
	if hint >= 0 && 2*hint+1 < len(kv) && string(d.bytes(kv[2*hint])) == string(key) {
		return kv[2*hint+1], true
	}
	for k := 0; k < len(kv); k += 2 {
		if string(d.bytes(kv[k])) == string(key) {
			return kv[k+1], true
		}
	}
	return node{}, false
}

// field is get with a constant key.
func (d *doc) field(obj node, key string) (node, bool) {
	if obj.kind != jObj {
		return node{}, false
	}
	kv := d.kids(obj)
	for k := 0; k < len(kv); k += 2 {
		if string(d.bytes(kv[k])) == key {
			return kv[k+1], true
		}
	}
	return node{}, false
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// float returns the value of number n. Numbers with at most 15 significant
// digits and a small exponent take Clinger's exact fast path (one correctly
// rounded multiplication or division of exact operands, as strconv does);
// the others go through strconv.ParseFloat. Out-of-range numbers are ±Inf.
func (d *doc) float(n node) float64 {
	b := d.src[n.a:n.b]
	i, neg := 0, false
	if len(b) > 0 && b[0] == '-' {
		neg, i = true, 1
	}
	var mant uint64
	digits, exp := 0, 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		if mant != 0 || b[i] != '0' {
			digits++
		}
		mant = mant*10 + uint64(b[i]-'0')
	}
	if i < len(b) && b[i] == '.' {
		for i++; i < len(b) && isDigit(b[i]); i++ {
			if mant != 0 || b[i] != '0' {
				digits++
			}
			mant = mant*10 + uint64(b[i]-'0')
			exp--
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		e := 0
		for ; i < len(b) && isDigit(b[i]); i++ {
			if e < 10000 {
				e = e*10 + int(b[i]-'0')
			}
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i == len(b) && digits <= 15 && exp >= -22 && exp <= 22 && len(b) <= 40 {
		f := float64(mant)
		if exp > 0 {
			f *= pow10[exp]
		} else if exp < 0 {
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return math.NaN()
	}
	return f
}
