package obs

import (
	"fmt"
	"testing"
)

func TestSeverityText(t *testing.T) {
	for _, s := range []Severity{OK, Info, Warning, Critical} {
		b, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var got Severity
		if err := got.UnmarshalText(b); err != nil {
			t.Fatalf("UnmarshalText(%q): %v", b, err)
		}
		if got != s {
			t.Errorf("round trip of %v gave %v", s, got)
		}
	}
	var s Severity
	if err := s.UnmarshalText([]byte("fatal")); err == nil {
		t.Error("UnmarshalText(fatal) succeeded, want error")
	}
}

func TestLabelsString(t *testing.T) {
	got := Labels{"model": "m", "feature": "price"}.String()
	if want := `{feature="price", model="m"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestProbabilities(t *testing.T) {
	num := func(name string, v float64) Value { return Value{Name: name, Kind: Number, Num: v} }
	for _, c := range []struct {
		name string
		pred []Value
		want []float64
	}{
		{"two classes", []Value{num("label", 1), num("probabilities[0]", 0.2), num("probabilities[1]", 0.8)}, []float64{0.2, 0.8}},
		{"three classes", []Value{num("p[0]", 0.2), num("p[1]", 0.3), num("p[2]", 0.5)}, []float64{0.2, 0.3, 0.5}},
		{"scores not summing to 1", []Value{num("logits[0]", 0.2), num("logits[1]", 0.3)}, nil},
		{"a regression", []Value{num("y", 0.5)}, nil},
		{"out of [0, 1]", []Value{num("z[0]", -1), num("z[1]", 2)}, nil},
		{"scores then probabilities", []Value{num("s[0]", 3), num("s[1]", 4), num("q[0]", 0.5), num("q[1]", 0.5)}, []float64{0.5, 0.5}},
	} {
		got := (&Record{Prediction: c.pred}).Probabilities(nil)
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: Probabilities = %v, want %v", c.name, got, c.want)
		}
	}
}
