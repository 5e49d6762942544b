package dataset

import (
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate the Parquet files under testdata")

// nan marks a missing numeric value in expected columns.
var nan = math.NaN()

func num(name string, missing int, v ...float64) *Column {
	return &Column{Name: name, Type: Numeric, Num: v, Missing: missing}
}

func cat(name string, missing int, v ...string) *Column {
	return &Column{Name: name, Type: Categorical, Str: v, Missing: missing}
}

// equalTables compares tables, NaN equal to NaN.
func equalTables(t *testing.T, got, want *Table) {
	t.Helper()
	if got.Path != want.Path || got.Rows != want.Rows || len(got.Columns) != len(want.Columns) {
		t.Fatalf("got table %s with %d rows and %d columns, want %s with %d rows and %d columns",
			got.Path, got.Rows, len(got.Columns), want.Path, want.Rows, len(want.Columns))
	}
	for i, g := range got.Columns {
		w := want.Columns[i]
		if g.Name != w.Name || g.Type != w.Type || g.Missing != w.Missing || !reflect.DeepEqual(g.Str, w.Str) || !equalNums(g.Num, w.Num) {
			t.Errorf("column %d:\n got %+v\nwant %+v", i, *g, *w)
		}
	}
}

func equalNums(a, b []float64) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}

func TestReadFileGood(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		opt  Options
		want []*Column
		rows int
	}{
		{
			name: "bom and crlf",
			file: "good/bom_crlf.csv",
			rows: 4,
			want: []*Column{
				num("id", 0, 1, 2, 3, 4),
				num("price", 1, 9.5, nan, 7, 1000),
				cat("color", 1, "red", "blue", "", "red"),
			},
		},
		{
			name: "quoted fields",
			file: "good/quoted.csv",
			rows: 4,
			want: []*Column{
				num("id", 0, 1, 2, 3, 4),
				cat("comment", 1, "hello, world", "line one\nline two", `say "hi"`, ""),
				num("price", 2, 1.5, 2.5, nan, nan),
			},
		},
		{
			name: "missing tokens",
			file: "good/missing.csv",
			rows: 2,
			want: []*Column{
				num("a", 2, nan, nan),
				num("b", 0, 1, 2),
				num("c", 2, nan, nan),
				cat("d", 0, "x", "y"),
				num("e", 2, nan, nan),
				num("f", 1, 1, nan),
				num("g", 1, nan, 3),
				num("h", 0, 2, 0),
			},
		},
		{
			name: "categorical option",
			file: "good/categorical.csv",
			opt:  Options{Categorical: []string{"zip"}},
			rows: 2,
			want: []*Column{cat("zip", 0, "02139", "10001"), num("amount", 0, 10, 20)},
		},
		{
			name: "types option",
			file: "good/categorical.csv",
			opt:  Options{Types: map[string]Type{"zip": Categorical, "amount": Categorical}},
			rows: 2,
			want: []*Column{cat("zip", 0, "02139", "10001"), cat("amount", 0, "10", "20")},
		},
		{
			name: "columns option",
			file: "good/bom_crlf.csv",
			opt:  Options{Columns: []string{"color", "id"}},
			rows: 4,
			want: []*Column{num("id", 0, 1, 2, 3, 4), cat("color", 1, "red", "blue", "", "red")},
		},
		{
			name: "jsonl",
			file: "good/basic.jsonl",
			rows: 3,
			want: []*Column{
				num("id", 0, 1, 2, 3),
				num("price", 2, 9.5, nan, nan),
				cat("color", 0, "red", "blue", "red\u00e9"),
				cat("ok", 1, "true", "false", ""),
				cat("extra", 2, "", "x", ""),
			},
		},
		{
			name: "jsonl numbers as categories",
			file: "good/basic.jsonl",
			opt:  Options{Columns: []string{"id"}, Categorical: []string{"id"}},
			rows: 3,
			want: []*Column{cat("id", 0, "1", "2", "3")},
		},
		{
			name: "json array",
			file: "good/array.json",
			rows: 2,
			want: []*Column{num("a", 0, 1, 25), cat("b", 1, "x", "")},
		},
		{
			name: "parquet",
			file: "good/basic.parquet",
			rows: 3,
			want: []*Column{
				num("id", 0, 1, 2, 3),
				num("price", 1, 9.5, nan, 7),
				cat("color", 1, "red", "", "blue"),
				cat("ok", 0, "true", "false", "true"),
			},
		},
		{
			name: "parquet with types",
			file: "good/basic.parquet",
			opt:  Options{Types: map[string]Type{"id": Categorical, "color": Categorical}},
			rows: 3,
			want: []*Column{
				cat("id", 0, "1", "2", "3"),
				num("price", 1, 9.5, nan, 7),
				cat("color", 1, "red", "", "blue"),
				cat("ok", 0, "true", "false", "true"),
			},
		},
		{
			name: "gzip",
			file: "good/quoted.csv.gz",
			rows: 4,
			want: []*Column{
				num("id", 0, 1, 2, 3, 4),
				cat("comment", 1, "hello, world", "line one\nline two", `say "hi"`, ""),
				num("price", 2, 1.5, 2.5, nan, nan),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			got, err := ReadFile(path, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			equalTables(t, got, &Table{Path: path, Rows: tc.rows, Columns: tc.want})
		})
	}
}

// TestReadFileBad reads one small file per failure, as blackbox_exporter's
// TestLoadBadConfigs does.
func TestReadFileBad(t *testing.T) {
	for _, tc := range []struct {
		file string
		opt  Options
		want string
	}{
		{file: "ragged_short.csv", want: `testdata/bad/ragged_short.csv:3:4: row has 2 fields, the header has 3`},
		{file: "ragged_long.csv", want: `testdata/bad/ragged_long.csv:3:7: row has 4 fields, the header has 3`},
		{file: "ragged_long_quoted.csv", want: `testdata/bad/ragged_long_quoted.csv:3:7: row has 4 fields, the header has 3`},
		{file: "not_a_number.csv", want: `testdata/bad/not_a_number.csv:3:3: column "price": "abc" is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{file: "not_a_number.csv", opt: Options{Types: map[string]Type{"price": Numeric}}, want: `testdata/bad/not_a_number.csv:3:3: column "price": "abc" is not a number (the column is numeric in the reference; list it in --categorical to compare it as categories)`},
		{file: "infinite.csv", want: `testdata/bad/infinite.csv:3:3: column "price": "inf" is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)`},
		{file: "empty.csv", want: `testdata/bad/empty.csv: empty file`},
		{file: "blank.csv", want: `testdata/bad/blank.csv: empty file`},
		{file: "header_only.csv", want: `testdata/bad/header_only.csv: no data rows (the file has only a header)`},
		{file: "duplicate_header.csv", want: `testdata/bad/duplicate_header.csv:1:5: duplicate column name "a" in the header (columns 1 and 3)`},
		{file: "empty_header.csv", want: `testdata/bad/empty_header.csv:1:3: empty column name in the header (column 2)`},
		{file: "bare_quote.csv", want: `testdata/bad/bare_quote.csv:2:4: bare " in non-quoted-field`},
		{file: "unterminated_quote.csv", want: `testdata/bad/unterminated_quote.csv:2:7: extraneous or missing " in quoted-field`},
		{file: "missing_column.csv", opt: Options{Types: map[string]Type{"id": Numeric, "price": Numeric, "color": Categorical}}, want: `testdata/bad/missing_column.csv: column "color" is in the reference but not in missing_column.csv`},
		{file: "missing_column.csv", opt: Options{Types: map[string]Type{"x": Numeric, "color": Categorical}}, want: `testdata/bad/missing_column.csv: columns "color", "x" are in the reference but not in missing_column.csv`},
		{file: "missing_column.csv", opt: Options{Columns: []string{"id", "size"}}, want: `testdata/bad/missing_column.csv: column "size" is not in the file (its columns are "id", "price")`},
		{file: "invalid.jsonl", want: `testdata/bad/invalid.jsonl:2:9: invalid JSON: found '}', want '"' (a string key)`},
		{file: "nested.jsonl", want: `testdata/bad/nested.jsonl:2:7: column "a": nested JSON values are not supported (found an object; flatten the data to one value per key)`},
		{file: "array_value.jsonl", want: `testdata/bad/array_value.jsonl:2:7: column "a": nested JSON values are not supported (found an array; flatten the data to one value per key)`},
		{file: "type_conflict.jsonl", want: `testdata/bad/type_conflict.jsonl:2:7: column "a": "x" is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{file: "bool_in_numeric.jsonl", want: `testdata/bad/bool_in_numeric.jsonl:2:7: column "a": true is not a number (the column is numeric; list it in --categorical to compare it as categories)`},
		{file: "duplicate_key.jsonl", want: `testdata/bad/duplicate_key.jsonl:1:10: duplicate key "a"`},
		{file: "overflow.jsonl", want: `testdata/bad/overflow.jsonl:1:7: column "a": 1e999 is not a finite number (infinite values cannot be compared; leave the value empty to mark it missing)`},
		{file: "not_object.jsonl", want: `testdata/bad/not_object.jsonl:2:1: invalid JSON: found '[', want '{' (a JSON object)`},
		{file: "control_char.jsonl", want: `testdata/bad/control_char.jsonl:1:9: invalid JSON: control character 0x01 in a string`},
		{file: "unterminated.jsonl", want: `testdata/bad/unterminated.jsonl:2:20: invalid JSON: control character 0x0a in a string`},
		{file: "empty.jsonl", want: `testdata/bad/empty.jsonl: empty file`},
		{file: "no_columns.jsonl", want: `testdata/bad/no_columns.jsonl: no columns (every object is empty)`},
		{file: "not_parquet.parquet", want: `testdata/bad/not_parquet.parquet: not a readable Parquet file: `},
		{file: "truncated.parquet", want: `testdata/bad/truncated.parquet: not a readable Parquet file: `},
		{file: "nested.parquet", want: `testdata/bad/nested.parquet: column "point": nested columns are not supported (the schema must be flat: one value per row and column)`},
		{file: "repeated.parquet", want: `testdata/bad/repeated.parquet: column "tags": repeated columns are not supported (the schema must be flat: one value per row and column)`},
		{file: "strings.parquet", opt: Options{Types: map[string]Type{"s": Numeric}}, want: `testdata/bad/strings.parquet: row 2, column "s": "abc" is not a number (the column is numeric in the reference; list it in --categorical to compare it as categories)`},
		{file: "unknown.txt", want: `testdata/bad/unknown.txt: unknown file format ".txt" (want one of .csv, .json, .jsonl, .ndjson, .parquet, optionally with .gz)`},
		{file: "absent.csv", want: `open testdata/bad/absent.csv: no such file or directory`},
	} {
		t.Run(tc.file, func(t *testing.T) {
			_, err := ReadFile(filepath.Join("testdata", "bad", tc.file), tc.opt)
			if err == nil {
				t.Fatalf("got no error, want %q", tc.want)
			}
			got := err.Error()
			if strings.HasSuffix(tc.want, ": ") { // the library's own words follow
				if !strings.HasPrefix(got, tc.want) {
					t.Fatalf("got error\n%s\nwant prefix\n%s", got, tc.want)
				}
			} else if got != tc.want {
				t.Fatalf("got error\n%s\nwant\n%s", got, tc.want)
			}
			if strings.ContainsAny(got, "\n\r") {
				t.Errorf("error is not one line: %q", got)
			}
			var e *Error
			if tc.file != "absent.csv" && !errors.As(err, &e) {
				t.Errorf("error is %T, want *Error", err)
			}
		})
	}
}

func TestErrorOneLine(t *testing.T) {
	e := &Error{Path: "a\nb.csv", Line: 1, Col: 2, Column: "x\ny", Msg: "bad\r\nthing"}
	if got, want := e.Error(), `a\nb.csv:1:2: column "x\ny": bad\r\nthing`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	long := strings.Repeat("é", 30)
	if got := quoteValue([]byte(long)); got != `"`+strings.Repeat("é", 20)+`"...` {
		t.Errorf("got %s", got)
	}
}

func TestProgress(t *testing.T) {
	path := filepath.Join("testdata", "good", "quoted.csv")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var calls [][2]int64
	if _, err := ReadFile(path, Options{Progress: func(done, total int64) { calls = append(calls, [2]int64{done, total}) }}); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int64{fi.Size(), fi.Size()} {
		t.Errorf("got progress calls %v, want the last to be done == total == %d", calls, fi.Size())
	}
}

func TestTypeString(t *testing.T) {
	if Numeric.String() != "numeric" || Categorical.String() != "categorical" {
		t.Errorf("got %s and %s", Numeric, Categorical)
	}
}

// TestSkippedColumns: columns left out by Options.Columns are named in
// Table.Skipped, and are not parsed (so a bad value in one is no error).
func TestSkippedColumns(t *testing.T) {
	for _, tc := range []struct {
		file    string
		columns []string
		skipped []string
	}{
		{"good/bom_crlf.csv", []string{"price"}, []string{"id", "color"}},
		{"good/quoted.csv", []string{"id"}, []string{"comment", "price"}},
		{"good/basic.jsonl", []string{"id", "ok"}, []string{"price", "color", "extra"}},
		{"good/basic.parquet", nil, nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ReadFile(filepath.Join("testdata", tc.file), Options{Columns: tc.columns})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Skipped, tc.skipped) {
				t.Errorf("Skipped = %q, want %q", got.Skipped, tc.skipped)
			}
			if tc.columns != nil && len(got.Columns) != len(tc.columns) {
				t.Errorf("%d columns read, want %d", len(got.Columns), len(tc.columns))
			}
		})
	}
	// "abc" in a numeric-looking column that is not kept is never parsed.
	path := filepath.Join(t.TempDir(), "x.csv")
	if err := os.WriteFile(path, []byte("a,b\n1,2\n2,abc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path, Options{Columns: []string{"a"}}); err != nil {
		t.Errorf("a bad value in a skipped column failed the read: %v", err)
	}
}

// TestJSONLAbsentKey: a reference column that no line of a JSON lines file
// has is read as all missing, since writers drop null fields.
func TestJSONLAbsentKey(t *testing.T) {
	path := filepath.Join("testdata", "good", "basic.jsonl")
	got, err := ReadFile(path, Options{Types: map[string]Type{"id": Numeric, "ghost": Numeric, "label": Categorical}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ghost", "label"} {
		c := got.Column(name)
		if c == nil || c.Missing != got.Rows || len(c.Num)+len(c.Str) != got.Rows {
			t.Errorf("column %q = %+v, want %d missing values", name, c, got.Rows)
		}
	}
	if !math.IsNaN(got.Column("ghost").Num[0]) {
		t.Error("ghost values are not NaN")
	}
}
