package gpu

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// readTestdata returns the bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleDiff returns the fields in which got and want differ, NaN being
// equal to NaN, or "" when they are the same.
func sampleDiff(got, want Sample) string {
	var diffs []string
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range g.NumField() {
		gf, wf := g.Field(i), w.Field(i)
		same := false
		if gf.Kind() == reflect.Float64 {
			a, b := gf.Float(), wf.Float()
			same = a == b || math.IsNaN(a) && math.IsNaN(b)
		} else {
			same = reflect.DeepEqual(gf.Interface(), wf.Interface())
		}
		if !same {
			diffs = append(diffs, fmt.Sprintf("%s: got %v, want %v", g.Type().Field(i).Name, gf.Interface(), wf.Interface()))
		}
	}
	return strings.Join(diffs, "; ")
}

// checkSamples fails unless got and want are the same samples in order.
func checkSamples(t *testing.T, got, want []Sample) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d samples, want %d: %+v", len(got), len(want), got)
	}
	for i := range got {
		if d := sampleDiff(got[i], want[i]); d != "" {
			t.Errorf("sample %d (%s): %s", i, want[i].UUID, d)
		}
	}
}

// TestTestdataChecksums checks that the real captures are the bytes
// testdata/README.md describes.
func TestTestdataChecksums(t *testing.T) {
	for _, c := range []struct {
		name   string
		size   int
		sha256 string
	}{
		{"dcgm-exporter-metrics.txt", 8871, "5fcbb23d5e26239fc134dd96fd2032c6307a91aacee27c959fbb451cce3f174c"},
		{"nvidia-smi-query.csv", 8377, "b18a8ad0533d53ccb6032772529e2b7f47a23105549f35eefdfa179d80489e60"},
	} {
		b := readTestdata(t, c.name)
		sum := sha256.Sum256(b)
		if len(b) != c.size || hex.EncodeToString(sum[:]) != c.sha256 {
			t.Errorf("%s: %d bytes, sha256 %x; want %d bytes, %s", c.name, len(b), sum, c.size, c.sha256)
		}
	}
}
