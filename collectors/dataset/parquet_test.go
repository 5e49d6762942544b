package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type basicRow struct {
	ID    int64    `parquet:"id"`
	Price *float64 `parquet:"price,optional"`
	Color *string  `parquet:"color,optional,dict"`
	OK    bool     `parquet:"ok"`
}

type point struct {
	X, Y float64
}

type nestedRow struct {
	ID    int64 `parquet:"id"`
	Point point `parquet:"point"`
}

type repeatedRow struct {
	ID   int64    `parquet:"id"`
	Tags []string `parquet:"tags"`
}

type stringRow struct {
	S string `parquet:"s"`
}

func ptr[T any](v T) *T { return &v }

func basicRows() []basicRow {
	return []basicRow{
		{ID: 1, Price: ptr(9.5), Color: ptr("red"), OK: true},
		{ID: 2, OK: false},
		{ID: 3, Price: ptr(7.0), Color: ptr("blue"), OK: true},
	}
}

func writeParquet[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows, opts...); err != nil {
		t.Fatal(err)
	}
	if path != "" {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// TestGenerateTestdata regenerates the binary files under testdata with
// go test -run TestGenerateTestdata -update.
func TestGenerateTestdata(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate")
	}
	good := writeParquet(t, "testdata/good/basic.parquet", basicRows())
	if err := os.WriteFile("testdata/bad/truncated.parquet", good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	writeParquet(t, "testdata/bad/nested.parquet", []nestedRow{{ID: 1, Point: point{1, 2}}})
	writeParquet(t, "testdata/bad/repeated.parquet", []repeatedRow{{ID: 1, Tags: []string{"a", "b"}}})
	writeParquet(t, "testdata/bad/strings.parquet", []stringRow{{"1.5"}, {"abc"}})
	src, err := os.ReadFile("testdata/good/quoted.csv")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(src)
	zw.Close()
	if err := os.WriteFile("testdata/good/quoted.csv.gz", gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

type typesRow struct {
	I32  int32    `parquet:"i32"`
	U32  uint32   `parquet:"u32"`
	U64  uint64   `parquet:"u64"`
	F32  float32  `parquet:"f32"`
	Dec  int64    `parquet:"dec,decimal(2:18)"`
	Dec4 int32    `parquet:"dec4,decimal(1:9)"`
	Opt  *int64   `parquet:"opt,optional"`
	Enum string   `parquet:"enum,enum"`
	NA   *float64 `parquet:"na,optional"`
	Str  string   `parquet:"str,delta"`
}

func TestReadParquetTypes(t *testing.T) {
	rows := []typesRow{
		{I32: -1, U32: 4000000000, U64: 1 << 63, F32: 0.5, Dec: 12345, Dec4: -15, Opt: ptr[int64](7), Enum: "a", Str: "NA"},
		{I32: 2, U32: 1, U64: 2, F32: -1.25, Dec: -5, Dec4: 3, Enum: "b", NA: ptr(nan), Str: "x"},
	}
	path := filepath.Join(t.TempDir(), "types.parquet")
	// Small row groups: the columns span several of them.
	big := make([]typesRow, 0, 3000)
	for range 1500 {
		big = append(big, rows...)
	}
	writeParquet(t, path, big, parquet.MaxRowsPerRowGroup(1000), parquet.PageBufferSize(512))
	got, err := ReadFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 3000 {
		t.Fatalf("got %d rows, want 3000", got.Rows)
	}
	want := []*Column{
		num("i32", 0, -1, 2),
		num("u32", 0, 4000000000, 1),
		num("u64", 0, 1<<63, 2),
		num("f32", 0, 0.5, -1.25),
		num("dec", 0, 123.45, -0.05),
		num("dec4", 0, -1.5, 0.3),
		num("opt", 1500, 7, nan),
		cat("enum", 0, "a", "b"),
		num("na", 3000, nan, nan),
		cat("str", 1500, "", "x"),
	}
	for i, c := range got.Columns {
		w := want[i]
		if c.Name != w.Name || c.Type != w.Type || c.Missing != w.Missing {
			t.Errorf("column %d: got %s %s missing %d, want %s %s missing %d", i, c.Name, c.Type, c.Missing, w.Name, w.Type, w.Missing)
			continue
		}
		for r := range 2 {
			if w.Type == Numeric && !equalNums(c.Num[2998+r:2999+r], w.Num[r:r+1]) {
				t.Errorf("column %s row %d: got %v, want %v", c.Name, 2998+r, c.Num[2998+r], w.Num[r])
			}
			if w.Type == Categorical && c.Str[2998+r] != w.Str[r] {
				t.Errorf("column %s row %d: got %q, want %q", c.Name, 2998+r, c.Str[2998+r], w.Str[r])
			}
		}
	}
}
