package alert

import (
	"hash/fnv"
	"testing"

	"github.com/driftwatch/driftwatch/internal/obs"
)

func TestFingerprint(t *testing.T) {
	// want computes the signature with the standard library's FNV-1a, the
	// byte layout of Prometheus' model.LabelsToSignature written out by
	// hand for sorted labels.
	want := func(kv ...string) uint64 {
		h := fnv.New64a()
		for _, s := range kv {
			h.Write([]byte(s))
			h.Write([]byte{0xff})
		}
		return h.Sum64()
	}
	tests := []struct {
		name   string
		labels obs.Labels
		want   uint64
	}{
		{"empty", obs.Labels{}, want()},
		{"nil", nil, want()},
		{"one", obs.Labels{"model": "iris"}, want("model", "iris")},
		{"sorted by name", obs.Labels{"version": "3", "model": "iris", "feature": "x"},
			want("feature", "x", "model", "iris", "version", "3")},
		{"empty value counts", obs.Labels{"a": "b", "c": ""}, want("a", "b", "c", "")},
		{"unicode", obs.Labels{"feature": "größe"}, want("feature", "größe")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fingerprint(tt.labels); got != tt.want {
				t.Errorf("Fingerprint(%v) = %#x, want %#x", tt.labels, got, tt.want)
			}
		})
	}
}

func TestFingerprintDistinguishes(t *testing.T) {
	tests := []struct {
		name string
		a, b obs.Labels
	}{
		{"separator", obs.Labels{"a": "b", "c": ""}, obs.Labels{"a": "bc"}},
		{"empty label is not absent", obs.Labels{"a": "b", "c": ""}, obs.Labels{"a": "b"}},
		{"name and value swap", obs.Labels{"a": "b"}, obs.Labels{"b": "a"}},
		{"split between labels", obs.Labels{"a": "b", "c": "d"}, obs.Labels{"a": "b\xffc", "": "d"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if Fingerprint(tt.a) == Fingerprint(tt.b) {
				t.Errorf("Fingerprint(%v) == Fingerprint(%v)", tt.a, tt.b)
			}
		})
	}
}

func TestFingerprintOrderOfInsertion(t *testing.T) {
	keys := []string{"model", "version", "feature", "test", "alertname", "team", "a", "z"}
	first := obs.Labels{}
	for _, k := range keys {
		first[k] = k + "-v"
	}
	for i := range 50 {
		l := obs.Labels{}
		for j := range keys {
			k := keys[(i+j*3)%len(keys)] // a different order each time
			l[k] = k + "-v"
		}
		if len(l) != len(first) {
			t.Fatalf("bad permutation %d", i)
		}
		if Fingerprint(l) != Fingerprint(first) {
			t.Fatalf("insertion order %d changed the fingerprint", i)
		}
	}
	a := &Alert{Labels: first}
	if a.Fingerprint() != Fingerprint(first) {
		t.Error("Alert.Fingerprint differs from Fingerprint of its labels")
	}
}

func TestFingerprintAllocs(t *testing.T) {
	l := obs.Labels{"model": "iris", "version": "3", "feature": "petal_width", "test": "ks", "alertname": "drift"}
	if n := testing.AllocsPerRun(100, func() { Fingerprint(l) }); n != 0 {
		t.Errorf("Fingerprint allocates %v times, want 0", n)
	}
}

func TestState(t *testing.T) {
	tests := []struct {
		state State
		text  string
	}{
		{Inactive, "inactive"},
		{Pending, "pending"},
		{Firing, "firing"},
		{Resolved, "resolved"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := tt.state.String(); got != tt.text {
				t.Errorf("String() = %q, want %q", got, tt.text)
			}
			b, err := tt.state.MarshalText()
			if err != nil || string(b) != tt.text {
				t.Errorf("MarshalText() = %q, %v, want %q", b, err, tt.text)
			}
			var s State
			if err := s.UnmarshalText([]byte(tt.text)); err != nil || s != tt.state {
				t.Errorf("UnmarshalText(%q) = %v, %v, want %v", tt.text, s, err, tt.state)
			}
		})
	}
}

func TestStateBad(t *testing.T) {
	var s State
	if err := s.UnmarshalText([]byte("FIRING")); err != nil || s != Firing {
		t.Errorf("UnmarshalText(FIRING) = %v, %v: case should not matter", s, err)
	}
	const want = `unknown alert state "on" (want inactive, pending, firing or resolved)`
	if err := s.UnmarshalText([]byte("on")); err == nil || err.Error() != want {
		t.Errorf("UnmarshalText(on) error = %v, want %q", err, want)
	}
	if got := State(9).String(); got != "state(9)" {
		t.Errorf("State(9).String() = %q", got)
	}
	if _, err := State(9).MarshalText(); err == nil {
		t.Error("State(9).MarshalText() succeeded")
	}
}
