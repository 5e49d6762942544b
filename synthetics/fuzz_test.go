package synthetics

import "testing"

// FuzzGolden feeds arbitrary golden-file lines and model answers: errors,
// never a panic.
func FuzzGolden(f *testing.F) {
	f.Add([]byte(`{"inputs": [3, 1], "class": 1, "probabilities": [0.25, 0.75]}`), []byte(modelAnswer), true)
	f.Add([]byte(`{"inputs": {"a": 1}, "class": 0}`), []byte(`{"predictions": [[0.1, 0.9]]}`), false)
	f.Add([]byte(`{"inputs": [1], "class": 0}`), []byte(`{"predictions": [1, "x"]}`), false)
	f.Fuzz(func(t *testing.T, line, answer []byte, oip bool) {
		cfg := Golden{Protocol: ProtocolTFServing, Tolerance: 0.01, TopK: 2, MinAgreement: 1}
		if oip {
			cfg.Protocol = ProtocolOIPv2
		}
		g := &goldenSet{cfg: cfg}
		if err := g.add(line); err != nil {
			return
		}
		if _, err := g.request(); err != nil {
			t.Fatalf("request of an accepted row: %v", err)
		}
		g.compare(answer)
	})
}
