// Package dataset reads a dataset file (CSV, JSON lines or Parquet) into typed
// columns, so that two datasets can be compared column by column.
//
// # Formats
//
// The format is chosen by the file's extension: .csv; .jsonl, .ndjson or .json
// (JSON lines); .parquet. Any of them may be gzip-compressed with a further .gz
// extension (data.csv.gz).
//
// # Missing values
//
// A value is missing when it is absent (a JSON key not present on a line, a
// Parquet null, a JSON null) or when, after trimming surrounding spaces and
// tabs, it is one of the missing tokens:
//
//	""  NA  N/A  null  NULL  NaN  nan
//
// The same tokens apply to CSV fields, JSON strings and Parquet strings, so a
// file converted from one format to another reads the same. In a numeric
// column, any value that strconv.ParseFloat reads as NaN ("NAN", "+nan") is
// missing too. Missing values are NaN in Column.Num and "" in Column.Str, and
// are counted in Column.Missing.
//
// # Column types
//
// A column's type is, in order of precedence:
//
//  1. Options.Types[name], when given (the current file is read with the types
//     of the reference);
//  2. Categorical, when the column is listed in Options.Categorical;
//  3. for CSV, Numeric if the column's first non-missing value parses with
//     strconv.ParseFloat (after trimming spaces and tabs), else Categorical;
//     for JSON, Numeric if its first non-missing value is a JSON number, else
//     Categorical; for Parquet, the physical and logical type of the column.
//
// A column whose values are all missing is Numeric (all NaN).
//
// Once a column is numeric, a later value that is not a number is an error
// with its position, and so is an infinite value ("inf", "1e999"): infinities
// cannot take part in any test statistic, and silently dropping them would
// hide a data problem. In a categorical column, CSV values are kept verbatim
// (not trimmed), JSON numbers keep their literal text, booleans read as
// "true" and "false", and Parquet numbers are formatted with strconv.
//
// # Errors
//
// Every problem with the input is returned as an *Error, whose message is one
// line that names the file and the position: "path:line:col: message" for
// text formats and "path: row N, column \"x\": message" for Parquet. Reading
// never panics, whatever the bytes.
package dataset

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Type is the type of a column: Numeric or Categorical.
type Type uint8

const (
	// Numeric columns hold float64 values in Column.Num.
	Numeric Type = iota
	// Categorical columns hold string values in Column.Str.
	Categorical
)

// String returns "numeric" or "categorical".
func (t Type) String() string {
	switch t {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Column is one column of a Table.
type Column struct {
	Name string
	Type Type
	// Num holds one value per row when Type is Numeric, NaN where missing.
	Num []float64
	// Str holds one value per row when Type is Categorical, "" where missing.
	Str []string
	// Missing is the number of rows where the value is missing.
	Missing int
}

// Table is a dataset read by ReadFile.
type Table struct {
	Path string
	Rows int
	// Columns are in file order (for JSON lines, in order of first appearance).
	Columns []*Column
	// Skipped names the columns of the file that Options.Columns left out,
	// in file order.
	Skipped []string
}

// Column returns the column with the given name, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Types returns the type of every column, as Options.Types wants it for reading
// a second file with the types of this one.
func (t *Table) Types() map[string]Type {
	m := make(map[string]Type, len(t.Columns))
	for _, c := range t.Columns {
		m[c.Name] = c.Type
	}
	return m
}

// Options control ReadFile. The zero value reads every column and infers types.
type Options struct {
	// Columns keeps only these columns; a name absent from the file is an
	// error. Nil keeps all columns.
	Columns []string
	// Categorical lists columns to treat as categorical even if their values
	// are numbers.
	Categorical []string
	// Types, when set, fixes the type of each column it names (it is used to
	// read the current file with the types of the reference). A column of
	// Types that the file lacks is an error, unless Columns is set and does not
	// list it. Columns of the file that Types does not name are typed as usual.
	Types map[string]Type
	// Progress, when set, is called from time to time with the bytes of the
	// file read so far and the file size, from the goroutine that called
	// ReadFile. For gzip files both count compressed bytes. The last call has
	// done == total.
	Progress func(done, total int64)
}

// reader reads the (decompressed) bytes of a file of one format.
type reader func(path string, data []byte, opt *Options) (*Table, error)

// readers maps a file extension to its reader.
var readers = map[string]reader{
	".csv":     readCSV,
	".jsonl":   readJSONL,
	".ndjson":  readJSONL,
	".json":    readJSONL,
	".parquet": readParquet,
}

// Extensions returns the file extensions ReadFile knows, sorted, without .gz.
func Extensions() []string {
	exts := make([]string, 0, len(readers))
	for e := range readers {
		exts = append(exts, e)
	}
	slices.Sort(exts)
	return exts
}

// ReadFile reads the dataset at path. The format is chosen by the extension
// (see the package documentation). Input problems are returned as *Error.
func ReadFile(path string, opt Options) (*Table, error) {
	name := strings.ToLower(path)
	gz := strings.HasSuffix(name, ".gz")
	if gz {
		name = strings.TrimSuffix(name, ".gz")
	}
	ext := filepath.Ext(name)
	read, ok := readers[ext]
	if !ok {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("unknown file format %q (want one of %s, optionally with .gz)", ext, strings.Join(Extensions(), ", "))}
	}
	data, err := readAll(path, opt.Progress)
	if err != nil {
		return nil, err
	}
	if gz {
		if data, err = gunzip(data); err != nil {
			return nil, &Error{Path: path, Msg: "not a readable gzip file: " + err.Error()}
		}
	}
	return read(path, data, &opt)
}

// readAll reads the whole file, reporting progress.
func readAll(path string, progress func(done, total int64)) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &Error{Path: path, Msg: "is a directory"}
	}
	size := fi.Size()
	const block = 8 << 20
	buf := make([]byte, 0, size+1)
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, block)
		}
		end := min(cap(buf), len(buf)+block)
		n, err := f.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if progress != nil && n > 0 {
			progress(min(int64(len(buf)), size), size)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if progress != nil && int64(len(buf)) < size {
		progress(size, size) // the file shrank while we read it
	}
	return buf, nil
}

// gunzip decompresses data, which may hold several gzip members.
func gunzip(data []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(4 * len(data))
	if _, err := io.Copy(&out, zr); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// plan decides, from the header (the file's column names in file order),
// which columns to keep and which types are fixed in advance.
type plan struct {
	keep  []bool // by file column index
	fixed []bool // type fixed by Options
	typ   []Type // the fixed type, when fixed
}

// makePlan checks the options against the file's columns. The names are
// known to be unique.
func makePlan(path string, names []string, opt *Options) (*plan, error) {
	if err := checkColumns(path, names, opt); err != nil {
		return nil, err
	}
	p := &plan{keep: make([]bool, len(names)), fixed: make([]bool, len(names)), typ: make([]Type, len(names))}
	for i, n := range names {
		p.keep[i] = opt.keeps(n)
		p.typ[i], p.fixed[i] = opt.fixedType(n)
	}
	return p, nil
}

// skipped returns the names that o does not keep, in order.
func (o *Options) skipped(names []string) []string {
	var out []string
	for _, n := range names {
		if !o.keeps(n) {
			out = append(out, n)
		}
	}
	return out
}

// keeps reports whether the column is to be read.
func (o *Options) keeps(name string) bool {
	return o.Columns == nil || slices.Contains(o.Columns, name)
}

// fixedType returns the type that Options fix for the column, if any.
func (o *Options) fixedType(name string) (Type, bool) {
	if t, ok := o.Types[name]; ok {
		return t, true
	}
	if slices.Contains(o.Categorical, name) {
		return Categorical, true
	}
	return Numeric, false
}

// checkColumns reports the columns that Options require and the file lacks.
func checkColumns(path string, names []string, opt *Options) error {
	has := make(map[string]bool, len(names))
	for _, n := range names {
		has[n] = true
	}
	var absent []string
	for n := range opt.Types {
		if !has[n] && opt.keeps(n) {
			absent = append(absent, n)
		}
	}
	if len(absent) > 0 {
		slices.Sort(absent)
		return &Error{Path: path, Msg: fmt.Sprintf("%s in the reference but not in %s", columnList(absent), filepath.Base(path))}
	}
	for _, n := range opt.Columns {
		if !has[n] {
			absent = append(absent, n)
		}
	}
	if len(absent) > 0 {
		return &Error{Path: path, Msg: fmt.Sprintf("%s not in the file (its columns are %s)", columnList(absent), nameList(names))}
	}
	return nil
}

// columnList renders `column "a" is` or `columns "a", "b" are`.
func columnList(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf("column %q is", names[0])
	}
	return "columns " + nameList(names) + " are"
}

// nameList renders at most 10 quoted names.
func nameList(names []string) string {
	const max = 10
	var b strings.Builder
	for i, n := range names {
		if i == max {
			fmt.Fprintf(&b, " and %d more", len(names)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteValue([]byte(n)))
	}
	return b.String()
}
