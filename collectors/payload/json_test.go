package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
)

// toAny converts a parsed node to the value encoding/json would give.
func toAny(d *doc, n node) any {
	switch n.kind {
	case jNull:
		return nil
	case jTrue:
		return true
	case jFalse:
		return false
	case jNum:
		return d.float(n)
	case jStr:
		return string(d.bytes(n))
	case jArr:
		out := []any{}
		for _, k := range d.kids(n) {
			out = append(out, toAny(d, k))
		}
		return out
	}
	out := map[string]any{}
	kv := d.kids(n)
	for i := 0; i < len(kv); i += 2 {
		out[string(d.bytes(kv[i]))] = toAny(d, kv[i+1])
	}
	return out
}

// checkParse compares the parser with encoding/json on src.
func checkParse(t *testing.T, src []byte) {
	t.Helper()
	var d doc
	err := d.parse(src)
	var want any
	werr := json.Unmarshal(src, &want)
	extended := bytes.Contains(src, []byte("NaN")) || bytes.Contains(src, []byte("Infinity"))
	switch {
	case werr == nil && err != nil:
		if bytes.Count(src, []byte("["))+bytes.Count(src, []byte("{")) < maxDepth {
			t.Fatalf("parse(%q): %v; encoding/json accepts it", src, err)
		}
		return
	case werr != nil && err == nil && errors.As(werr, new(*json.UnmarshalTypeError)):
		return // a number out of float64's range: ±Inf here, on purpose
	case werr != nil && err == nil && !extended:
		t.Fatalf("parse(%q) accepts what encoding/json rejects: %v", src, werr)
	}
	if err != nil || werr != nil {
		return
	}
	// Marshal the parse through encoding/json once more, so that invalid
	// UTF-8 is replaced the same way on both sides.
	got, _ := json.Marshal(toAny(&d, d.root))
	var again any
	if err := json.Unmarshal(got, &again); err != nil {
		t.Fatal(err)
	}
	got, _ = json.Marshal(again)
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Fatalf("parse(%q) = %s, encoding/json %s", src, got, exp)
	}
}

func TestParse(t *testing.T) {
	for _, src := range []string{
		`{}`, `[]`, ` [1, -0, 0.5e-3, 1E+2, 123456789012345678901234567890, 1.7976931348623157e308, 5e-324, 2.2250738585072014e-308]`,
		`{"a":"b\"c\\d\/e\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"}`, `"\u0000"`, `[true,false,null]`, `{"a":{"b":[[]]}}`,
		`[1,]`, `{"a"}`, `{"a":1,}`, `01`, `1.`, `.5`, `-`, `1e`, `"abc`, "\"\x01\"", `[1 2]`, `{"a":1 "b":2}`,
		`tru`, `nul`, `"\x"`, `"\u12"`, `[`, `{"a":`, "", "  ", `1 2`, "\"\xaa\"",
	} {
		checkParse(t, []byte(src))
	}
}

func TestParseExtended(t *testing.T) {
	var d doc
	if err := d.parse([]byte(`[NaN, Infinity, -Infinity, 1e400, -1e400]`)); err != nil {
		t.Fatal(err)
	}
	var got []float64
	for _, n := range d.kids(d.root) {
		got = append(got, d.float(n))
	}
	if !math.IsNaN(got[0]) || !math.IsInf(got[1], 1) || !math.IsInf(got[2], -1) || !math.IsInf(got[3], 1) || !math.IsInf(got[4], -1) {
		t.Errorf("got %v", got)
	}
	deep := bytes.Repeat([]byte("["), maxDepth+1)
	if err := d.parse(deep); err == nil {
		t.Error("parsed nesting deeper than maxDepth")
	}
}

// TestFloatFastPath compares the fast path with strconv on numbers near its
// limits.
func TestFloatFastPath(t *testing.T) {
	for _, s := range []string{"0", "-0", "1", "0.1", "0.3", "123456789012345", "1234567890123456", "9007199254740993",
		"1e22", "1e23", "1.5e-22", "3.14159265358979", "0.000001", "-2.5e10", "4.35", "1e-400", "100000000000000000000000"} {
		var d doc
		if err := d.parse([]byte(s)); err != nil {
			t.Fatal(err)
		}
		want, _ := strconv.ParseFloat(s, 64)
		if got := d.float(d.root); got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("float(%s) = %v, want %v", s, got, want)
		}
	}
}

func FuzzParser(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5e3,"x\u00e9"],"b":null}`, `[true,false]`, `"\ud83d\ude00"`, `-0.0e-0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkParse(t, src)
	})
}
