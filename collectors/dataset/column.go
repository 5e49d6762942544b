package dataset

import (
	"math"
	"strconv"
)

// isMissing reports whether a trimmed value is one of the missing tokens.
func isMissing(t []byte) bool {
	switch len(t) {
	case 0:
		return true
	case 2:
		return t[0] == 'N' && t[1] == 'A'
	case 3:
		s := string(t) // no allocation: compared at once
		return s == "N/A" || s == "NaN" || s == "nan"
	case 4:
		s := string(t)
		return s == "null" || s == "NULL"
	}
	return false
}

// trim removes surrounding spaces and tabs.
func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// parseNum parses a trimmed value as strconv.ParseFloat does. ok is false when
// the value is not a number; an out-of-range value is a number (±Inf).
func parseNum(t []byte) (v float64, ok bool) {
	if len(t) <= 17 { // longer values have more than 15 digits
		if v, ok := parseSimple(t); ok {
			return v, true
		}
	}
	v, err := strconv.ParseFloat(string(t), 64)
	if err == nil {
		return v, true
	}
	if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
		return v, true
	}
	return 0, false
}

// looksNumeric reports whether a non-missing trimmed value makes its column
// numeric when it is the column's first value.
func looksNumeric(t []byte) bool {
	_, ok := parseNum(t)
	return ok
}

// numValue converts a raw field of a numeric column. It returns missing for
// the missing tokens and NaN, and a non-empty message for a value that is not
// a finite number.
func numValue(f []byte, fixed bool) (v float64, missing bool, msg string) {
	t := trim(f)
	if isMissing(t) {
		return math.NaN(), true, ""
	}
	v, ok := parseNum(t)
	switch {
	case !ok:
		return 0, false, notNumber(quoteValue(f), fixed)
	case math.IsNaN(v):
		return v, true, ""
	case math.IsInf(v, 0):
		return 0, false, notFinite(quoteValue(f))
	}
	return v, false, ""
}

// notNumber is the message for a value that is not a number in a numeric
// column; v is the value as it should be shown.
func notNumber(v string, fixed bool) string {
	if fixed {
		return v + " is not a number (the column is numeric in the reference; list it in --categorical to compare it as categories)"
	}
	return v + " is not a number (the column is numeric; list it in --categorical to compare it as categories)"
}

// notFinite is the message for an infinite value.
func notFinite(v string) string {
	return v + " is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)"
}

// maxIntern bounds the distinct values an interner keeps per column.
const maxIntern = 1 << 12

// interner shares the strings of a categorical column with few distinct
// values, so that a million rows of "red" hold one string.
type interner map[string]string

func (in *interner) str(b []byte) string {
	if *in == nil {
		*in = make(interner)
	}
	if s, ok := (*in)[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(*in) < maxIntern {
		(*in)[s] = s
	}
	return s
}

// builder accumulates one column row by row, deciding the type from the first
// non-missing value when it is not fixed. It is used by the sequential readers.
type builder struct {
	name    string
	typ     Type
	known   bool // typ is decided
	fixed   bool // typ was fixed by Options
	num     []float64
	str     []string
	missing int
	pending int // missing values seen before the type was decided
	in      interner
	lastRow int // the last row that set a value (JSON lines), -1 if none
}

func newBuilder(name string, fixed bool, typ Type) *builder {
	return &builder{name: name, fixed: fixed, known: fixed, typ: typ, lastRow: -1}
}

// decide fixes the type and fills in the missing values seen so far.
func (b *builder) decide(t Type) {
	b.typ, b.known = t, true
	for range b.pending {
		b.appendMissing()
	}
	b.pending = 0
}

func (b *builder) appendMissing() {
	if b.typ == Numeric {
		b.num = append(b.num, math.NaN())
	} else {
		b.str = append(b.str, "")
	}
}

func (b *builder) addMissing() {
	b.missing++
	if !b.known {
		b.pending++
		return
	}
	b.appendMissing()
}

// addField adds a CSV field and returns a message if it is not valid.
func (b *builder) addField(f []byte) string {
	t := trim(f)
	if isMissing(t) {
		b.addMissing()
		return ""
	}
	if !b.known {
		if looksNumeric(t) {
			b.decide(Numeric)
		} else {
			b.decide(Categorical)
		}
	}
	if b.typ == Categorical {
		b.str = append(b.str, b.in.str(f))
		return ""
	}
	v, missing, msg := numValue(f, b.fixed)
	if msg != "" {
		return msg
	}
	if missing {
		b.addMissing()
		return ""
	}
	b.num = append(b.num, v)
	return ""
}

// column returns the finished column; a column never decided is numeric.
func (b *builder) column() *Column {
	if !b.known {
		b.decide(Numeric)
	}
	return &Column{Name: b.name, Type: b.typ, Num: b.num, Str: b.str, Missing: b.missing}
}

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseSimple parses the common decimal numbers ([+-]digits[.digits], at most
// 15 digits, no exponent) that one multiplication or division by an exact
// power of ten converts exactly rounded (Clinger's fast path, as strconv's
// atof64exact). ok is false for anything else, which strconv.ParseFloat then
// handles; the result is always the one ParseFloat gives (checked by
// FuzzParseSimple).
func parseSimple(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case '0' <= c && c <= '9':
			m = m*10 + uint64(c-'0')
			if digits++; digits > 15 { // 10^15 < 2^53: m is exact
				return 0, false
			}
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return f, true
}
