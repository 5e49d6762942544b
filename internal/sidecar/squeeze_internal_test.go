package sidecar

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestSqueezeNumber(t *testing.T) {
	for _, c := range []struct {
		x    float64
		d    int
		want float64
	}{
		{0.123456, 2, 0.12},
		{1234.5, 2, 1200},
		{-0.004567, 2, -0.0046},
		{15.04, 2, 15},
		{15.04, 3, 15},
		{15.06, 3, 15.1},
		{0, 2, 0},
		{9.96, 2, 10},
	} {
		if got := squeezeNumber(c.x, c.d); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("squeezeNumber(%g, %d) = %g, want %g", c.x, c.d, got, c.want)
		}
	}
}

func TestSqueezeJSON(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		// OIP v2: the data rounded, the shape and integers kept.
		{`{"inputs":[{"name":"x","datatype":"FP64","shape":[2,3],"data":[17.99,10.38,122.8,1001,0.1184,0.2776]}]}`,
			`{"inputs":[{"data":[18,10,120,1001,0.12,0.28],"datatype":"FP64","name":"x","shape":[2,3]}]}`},
		// TF Serving rows and columns.
		{`{"instances":[[1.234,5],[6.789e-3,-2.5]]}`, `{"instances":[[1.2,5],[0.0068,-2.5]]}`},
		{`{"inputs":{"a":[0.555],"b":[3]}}`, `{"inputs":{"a":[0.56],"b":[3]}}`},
		// A number outside an array is not an input.
		{`{"threshold":0.555,"instances":[[0.555]]}`, `{"instances":[[0.56]],"threshold":0.555}`},
	} {
		got, err := squeezeJSON([]byte(c.in), 2)
		if err != nil || string(got) != c.want {
			t.Errorf("squeezeJSON(%s) = %s, %v; want %s", c.in, got, err, c.want)
		}
	}
	if _, err := squeezeJSON([]byte(`{"instances": [1,`), 2); err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Errorf("squeezeJSON of a cut body: %v, want an error", err)
	}
}

// FuzzSqueezeJSON: any body either fails cleanly or squeezes to valid
// JSON that squeezes to itself (rounding is idempotent).
func FuzzSqueezeJSON(f *testing.F) {
	for _, s := range []string{
		`{"inputs":[{"name":"x","datatype":"FP64","shape":[1],"data":[15.04]}]}`,
		`{"instances":[[1.234,5],[6.789e-3,-2.5]]}`, `[1e308, -1e-308, 0.5]`, `"x"`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out, err := squeezeJSON(body, 2)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("squeezeJSON(%q) = %q: not JSON", body, out)
		}
		again, err := squeezeJSON(out, 2)
		if err != nil || string(again) != string(out) {
			t.Fatalf("squeezing %q again gave %q, %v", out, again, err)
		}
	})
}
