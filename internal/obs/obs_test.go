package obs

import "testing"

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
