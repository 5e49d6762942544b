package outlier

import (
	"math"
	"testing"
)

// fuzzPalette holds the values fuzzed numbers are drawn from: ordinary,
// tiny, huge and extreme finite values.
var fuzzPalette = []float64{0, 1, -1, 0.5, 3, 7, 1e6, -1e6, 1e-6, 1e-300, -1e-300, 1e300, -1e300,
	math.MaxFloat64, -math.MaxFloat64, 5e-324}

// fuzzRows turns fuzz bytes into rows of d columns: each byte picks a
// palette value (low 4 bits), or (bit 4) repeats the previous column's
// value, or (bit 5) doubles it, making collinear columns, or (bit 6) is
// the constant 5.
func fuzzRows(data []byte, d int) [][]float64 {
	var rows [][]float64
	for i := 0; i+d <= len(data); i += d {
		r := make([]float64, d)
		for j, b := range data[i : i+d] {
			r[j] = fuzzPalette[int(b&15)]
			switch {
			case b&0x40 != 0:
				r[j] = 5
			case b&0x10 != 0 && j > 0:
				r[j] = r[j-1]
			case b&0x20 != 0 && j > 0:
				r[j] = 2 * r[j-1]
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// FuzzFit: any finite reference, constant, collinear, extreme or tiny,
// fits or returns an error, never panics; a fitted model's threshold is
// not NaN and it never scores a finite row NaN.
func FuzzFit(f *testing.F) {
	f.Add(byte(3), byte(0), []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2})
	f.Add(byte(2), byte(1), []byte{0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40})
	f.Add(byte(4), byte(2), []byte{3, 0x13, 0x23, 0x40, 4, 0x14, 0x24, 0x40, 5, 0x15, 0x25, 0x40, 6, 0x16, 0x26, 0x40, 7, 0x17, 0x27, 0x40, 8, 0x18, 0x28, 0x40, 9, 0x19, 0x29, 0x40, 10, 0x1a, 0x2a, 0x40, 11, 0x1b, 0x2b, 0x40, 12, 0x1c, 0x2c, 0x40})
	f.Add(byte(1), byte(3), []byte{13, 14, 12, 11, 13, 14, 0, 1, 2, 3, 4})
	f.Add(byte(2), byte(2), []byte{15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15})
	f.Fuzz(func(t *testing.T, db, mb byte, data []byte) {
		d := int(db%6) + 1
		rows := fuzzRows(data[:min(len(data), 600)], d)
		o := Options{Method: Methods[int(mb)%len(Methods)], K: 2, IForest: IForestConfig{Trees: 10}}
		m, err := Fit(rows, o)
		if err != nil {
			return
		}
		if math.IsNaN(m.Threshold) {
			t.Fatalf("%s: NaN threshold for %v", o.Method, rows)
		}
		probe := make([]float64, d)
		check := func(x []float64) {
			if _, s := m.Outlier(x); math.IsNaN(s) {
				t.Fatalf("%s: NaN score for %v (reference %v)", o.Method, x, rows)
			}
		}
		for _, r := range rows {
			check(r)
		}
		for _, v := range fuzzPalette {
			for j := range probe {
				probe[j] = v
			}
			check(probe)
		}
	})
}
