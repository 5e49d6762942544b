package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// addSeeds adds the files of testdata matching the patterns to the corpus.
func addSeeds(f *testing.F, patterns ...string) {
	f.Helper()
	for _, p := range patterns {
		files, err := filepath.Glob(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
}

// fuzzRead reads data as ReadFile reads a file with the given name (the
// reader is chosen by the extension), and fails on an error that is not one
// line or not an *Error. It reads from memory: writing each input to a new
// t.TempDir cost ten times more than the read (a mkdir, and a rmdir at
// cleanup, on every execution; on ext4 most of it in the inode allocator
// skipping recently deleted inodes), and ReadFile's own file handling is
// covered by the unit tests. The reader gets a copy, so that it cannot change the engine's
// input.
func fuzzRead(t *testing.T, name string, data []byte, opt Options) (*Table, error) {
	t.Helper()
	read, ok := readers[filepath.Ext(name)]
	if !ok {
		t.Fatalf("no reader for %s", name)
	}
	tab, err := read(name, bytes.Clone(data), &opt)
	if err != nil {
		if strings.ContainsAny(err.Error(), "\n\r") {
			t.Fatalf("error is not one line: %q", err)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %q is %T, want *Error", err, err)
		}
		return nil, err
	}
	checkTable(t, tab)
	return tab, nil
}

// checkTable checks the invariants of a table.
func checkTable(t *testing.T, tab *Table) {
	t.Helper()
	if tab.Rows <= 0 {
		t.Fatalf("table has %d rows", tab.Rows)
	}
	for _, c := range tab.Columns {
		n, missing := len(c.Num), 0
		if c.Type == Categorical {
			n = len(c.Str)
			for _, s := range c.Str {
				if s == "" {
					missing++
				}
			}
		} else {
			for _, v := range c.Num {
				if v != v {
					missing++
				} else if v-v != 0 {
					t.Fatalf("column %q holds an infinite value", c.Name)
				}
			}
		}
		if n != tab.Rows || missing != c.Missing {
			t.Fatalf("column %q: %d values with %d missing, want %d values with %d missing", c.Name, n, missing, tab.Rows, c.Missing)
		}
	}
}

func FuzzReadCSV(f *testing.F) {
	addSeeds(f, "good/*.csv", "bad/*.csv")
	f.Add([]byte("a,b\n1,x\n\n2,y\r\n3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := fuzzRead(t, "f.csv", data, Options{}); err != nil {
			return
		}
		// Both CSV paths agree, whatever the chunking.
		checkPaths(t, data, Options{})
		checkPaths(t, data, Options{Categorical: []string{"a"}, Types: map[string]Type{"b": Numeric}})
	})
}

func FuzzReadJSONL(f *testing.F) {
	addSeeds(f, "good/*.json*", "bad/*.json*")
	f.Add([]byte(`{"a": "\ud83d\ude00", "b": -0.5e-3, "c": [1]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := fuzzRead(t, "f.jsonl", data, Options{}); err != nil {
			return
		}
		// What we accept is standard JSON: an array or a stream of objects.
		data = bytes.TrimPrefix(data, bom)
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
			var v []map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				panic("accepted invalid JSON: " + err.Error())
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var v map[string]any
			err := dec.Decode(&v)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("accepted invalid JSON: %v", err)
			}
		}
	})
}

// limitMinimize sets -test.fuzzminimizetime to limit unless the command line
// sets it. The coordinator reads the flag when f.Fuzz starts, after this.
//
// The fuzzing engine minimizes every input that expands coverage, not only
// crashers, in a worker and by default for up to 60 s, with a search that is
// quadratic in the input's length; the executions are reported only when it
// ends. Parquet inputs are 1-8 KB (the seeds, and mutants that grow), so one
// minimization could take a whole -fuzztime 60s run: the worker looked stuck
// at full CPU after its first hundred executions.
//
// The limit is a count of executions ("500x"), not a time: when a time limit
// expires the coordinator kills and restarts the worker and drops the
// executions it made. 500 tries is the cheap part (cutting the tail, removing
// single bytes); in single 60 s runs it reached about as much coverage as no
// minimization, and 2000x or 10000x about a third less. A crasher is then
// minimized only as far; pass -fuzzminimizetime to minimize it further.
func limitMinimize(f *testing.F, limit string) {
	f.Helper()
	set := false
	flag.Visit(func(fl *flag.Flag) { set = set || fl.Name == "test.fuzzminimizetime" })
	if set {
		return
	}
	if err := flag.Set("test.fuzzminimizetime", limit); err != nil {
		f.Fatal(err)
	}
}

func FuzzReadParquet(f *testing.F) {
	limitMinimize(f, "500x")
	addSeeds(f, "good/*.parquet", "bad/*.parquet")
	f.Add(writeParquet(f, "", []typesRow{{I32: 1, Dec: 5, Enum: "a", Str: "x"}, {U64: 3, Opt: ptr[int64](2)}}))
	f.Add(writeParquet(f, "", basicRows(), parquet.Compression(&parquet.Snappy)))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, "f.parquet", data, Options{})
		fuzzRead(t, "f.parquet", data, Options{Types: map[string]Type{"id": Categorical, "color": Numeric}})
	})
}

func FuzzParseSimple(f *testing.F) {
	for _, s := range []string{"0", "-0", "1.5", "+.5", "5.", "123456789012345", "0.000000000000001", "-99.99", "1e5", "."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseSimple([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("parseSimple(%q) = %v, strconv.ParseFloat gives %v, %v", s, got, want, err)
		}
	})
}
