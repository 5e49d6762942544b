package dataset

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sameResult fails unless both reads gave the same table or the same error.
func sameResult(t testing.TB, what string, t1 *Table, err1 error, t2 *Table, err2 error) {
	t.Helper()
	if (err1 == nil) != (err2 == nil) || err1 != nil && err1.Error() != err2.Error() {
		t.Fatalf("%s: errors differ:\n%v\n%v", what, err1, err2)
	}
	if err1 != nil {
		return
	}
	if t1.Rows != t2.Rows || len(t1.Columns) != len(t2.Columns) {
		t.Fatalf("%s: got %d rows × %d columns and %d rows × %d columns", what, t1.Rows, len(t1.Columns), t2.Rows, len(t2.Columns))
	}
	for i, a := range t1.Columns {
		b := t2.Columns[i]
		if a.Name != b.Name || a.Type != b.Type || a.Missing != b.Missing || !equalNums(a.Num, b.Num) || !equalStrs(a.Str, b.Str) {
			t.Fatalf("%s: column %d differs:\n%+v\n%+v", what, i, *a, *b)
		}
	}
}

func equalStrs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkPaths reads data with encoding/csv and with the fast path at several
// chunk sizes and worker counts, and fails unless all agree.
func checkPaths(t testing.TB, data []byte, opt Options) (*Table, error) {
	t.Helper()
	slow, errSlow := readCSVWith("x.csv", data, &opt, csvConfig{noFast: true})
	if bytes.IndexByte(data, '"') >= 0 {
		return slow, errSlow
	}
	for _, cfg := range []csvConfig{
		{workers: 1, chunkSize: 1 << 20},
		{workers: 1, chunkSize: 1},
		{workers: 3, chunkSize: 2},
		{workers: 2, chunkSize: 7},
		{workers: 4, chunkSize: 16},
	} {
		fast, errFast := readCSVWith("x.csv", data, &opt, cfg)
		sameResult(t, "encoding/csv vs fast path "+strconv.Itoa(cfg.chunkSize), slow, errSlow, fast, errFast)
	}
	return slow, errSlow
}

// TestCSVPathsAgree checks that the fast path and encoding/csv give the same
// tables and the same errors, with exact positions.
func TestCSVPathsAgree(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		opt  Options
		want string // the error, or "" for success
	}{
		{name: "simple", data: "a,b\n1,x\n2,y\n"},
		{name: "no final newline", data: "a,b\n1,x\n2,y"},
		{name: "crlf", data: "a,b\r\n1,x\r\n2,y\r\n"},
		{name: "cr at eof", data: "a,b\n1,x\n2,y\r"},
		{name: "lone cr is data", data: "a,b\n1,x\ry\n"},
		{name: "double cr", data: "a,b\n1,x\r\r\n"},
		{name: "empty lines", data: "\n\na,b\n\n1,x\n\r\n\n2,y\n\n"},
		{name: "bom", data: "\xef\xbb\xbfa,b\n1,2\n"},
		{name: "late type numeric", data: "a,b\n,x\n,x\n,x\n,x\nNA,x\n3,x\n4,x\n"},
		{name: "late type categorical", data: "a,b\n,x\n,x\n,x\n,x\nNA,x\nz,x\n4,x\n"},
		{name: "all missing", data: "a,b\n,x\nNA,y\n"},
		{name: "spaces", data: "a,b\n 1 ,\t2\n"},
		{name: "columns option", data: "a,b,c\n1,x,zz\n2,y,3\n", opt: Options{Columns: []string{"a", "b"}}},
		{name: "error late", data: "a,b\n1,x\n2,y\n3,z\n4,w\n5,v\nq,u\n", want: `x.csv:7:1: column "a": "q" is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{name: "first error wins", data: "a,b\n1,x\n2,y\n3\n4,w\n5,v\nq,u\n", want: `x.csv:4:2: row has 1 fields, the header has 2`},
		{name: "error after empty lines", data: "a,b\n\n\n1,x\n\r\n2\n", want: `x.csv:6:2: row has 1 fields, the header has 2`},
		{name: "value error before ragged", data: "a,b\n1,x\nq,y,z\n", want: `x.csv:3:1: column "a": "q" is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{name: "type from ragged row", data: "a,b\n,x\nq,y,z\n", want: `x.csv:3:5: row has 3 fields, the header has 2`},
		{name: "too many", data: "a,b\n1,2,3,4\n", want: `x.csv:2:5: row has 4 fields, the header has 2`},
		{name: "too few crlf", data: "a,b,c\r\n1,2\r\n", want: `x.csv:2:4: row has 2 fields, the header has 3`},
		{name: "empty row is a field", data: "a,b\n,\n1\n", want: `x.csv:3:2: row has 1 fields, the header has 2`},
		{name: "infinite", data: "a\n1\n-Inf\n", want: `x.csv:3:1: column "a": "-Inf" is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)`},
		{name: "overflow", data: "a\n1\n1e400\n", want: `x.csv:3:1: column "a": "1e400" is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)`},
		{name: "first value infinite", data: "a\ninf\n", want: `x.csv:2:1: column "a": "inf" is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)`},
		{name: "header only crlf", data: "a,b\r\n\r\n", want: `x.csv: no data rows (the file has only a header)`},
		{name: "long value", data: "a\n1\n" + strings.Repeat("x\x00", 30) + "\n", want: `x.csv:3:1: column "a": "x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00x\x00"... is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{name: "quotes", data: "a,b\n1,\"x,y\"\n2,\"\"\n", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkPaths(t, []byte(tc.data), tc.opt)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("got error\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestCSVPathsAgreeRandom compares both paths on random small files.
func TestCSVPathsAgreeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	atoms := []string{"", "NA", "1", "-2.5", "x", "inf", "1e5", " 3", "nan", "\r", ",", "\n", "\r\n"}
	for i := range 2000 {
		var b strings.Builder
		b.WriteString("a,b,c\n")
		for range rng.IntN(30) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		checkPaths(t, []byte(b.String()), Options{})
		if t.Failed() {
			t.Fatalf("input %d: %q", i, b.String())
		}
	}
}

// writeBig writes rows × cols random numbers and returns the file's path.
func writeBig(tb testing.TB, rows, cols int) string {
	tb.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	var b bytes.Buffer
	for j := range cols {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString("f" + strconv.Itoa(j))
	}
	b.WriteByte('\n')
	for range rows {
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(strconv.AppendFloat(b.AvailableBuffer(), rng.NormFloat64()*1000, 'g', -1, 64))
		}
		b.WriteByte('\n')
	}
	path := filepath.Join(tb.TempDir(), "big.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestReadBig(t *testing.T) {
	path := writeBig(t, 20000, 8)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	slow, errSlow := readCSVWith(path, data, &Options{}, csvConfig{noFast: true})
	sameResult(t, "big", fast, err, slow, errSlow)
	if fast.Rows != 20000 || len(fast.Columns) != 8 {
		t.Fatalf("got %d rows × %d columns", fast.Rows, len(fast.Columns))
	}
}

func benchmarkRead(b *testing.B, path string, read func() error) {
	b.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if err := read(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCSV1Mx8 reads a file of 1,000,000 rows × 8 numeric columns.
func BenchmarkReadCSV1Mx8(b *testing.B) {
	path := writeBig(b, 1_000_000, 8)
	benchmarkRead(b, path, func() error {
		_, err := ReadFile(path, Options{})
		return err
	})
}

// BenchmarkReadCSV1Mx8General reads the same file with encoding/csv, for comparison.
func BenchmarkReadCSV1Mx8General(b *testing.B) {
	path := writeBig(b, 1_000_000, 8)
	benchmarkRead(b, path, func() error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = readCSVWith(path, data, &Options{}, csvConfig{noFast: true})
		return err
	})
}

// BenchmarkNumValue checks that parsing a field does not allocate.
func BenchmarkNumValue(b *testing.B) {
	f := []byte("-1234.5678901234")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, msg := numValue(f, false); msg != "" {
			b.Fatal(msg)
		}
	}
}
