package dataset

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
)

// CSV files are read by one of two paths that give identical results and
// identical errors (csv_test.go and FuzzReadCSV check this):
//
//   - the fast path (csvfast.go), for data without any '"': the lines are
//     split into chunks parsed in parallel;
//   - the general path, over encoding/csv, for data with quoted fields.
//
// Both follow encoding/csv's rules: a leading UTF-8 BOM is dropped, a "\r"
// before a "\n" (or before the end of the file) is dropped, and empty lines
// are skipped (but counted in line numbers). The first record is the header.

// bom is the UTF-8 byte order mark.
var bom = []byte{0xEF, 0xBB, 0xBF}

// csvConfig holds the knobs the tests turn.
type csvConfig struct {
	workers   int  // parallel workers for the fast path
	chunkSize int  // target chunk size of the fast path, in bytes
	noFast    bool // always use encoding/csv
}

func defaultCSVConfig() csvConfig {
	return csvConfig{workers: runtime.GOMAXPROCS(0), chunkSize: 4 << 20}
}

func readCSV(path string, data []byte, opt *Options) (*Table, error) {
	return readCSVWith(path, data, opt, defaultCSVConfig())
}

func readCSVWith(path string, data []byte, opt *Options, cfg csvConfig) (*Table, error) {
	data = bytes.TrimPrefix(data, bom)
	if !cfg.noFast && bytes.IndexByte(data, '"') < 0 {
		return readCSVFast(path, data, opt, cfg)
	}
	return readCSVGeneral(path, data, opt)
}

// raggedMsg is the message for a row with the wrong number of fields.
func raggedMsg(n, want int) string {
	return fmt.Sprintf("row has %d fields, the header has %d", n, want)
}

// checkHeader checks the header names; col returns the column of field i.
func checkHeader(path string, line int, names []string, col func(i int) int) error {
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			return &Error{Path: path, Line: line, Col: col(i), Msg: fmt.Sprintf("empty column name in the header (column %d)", i+1)}
		}
		if j, dup := seen[n]; dup {
			return &Error{Path: path, Line: line, Col: col(i), Msg: fmt.Sprintf("duplicate column name %s in the header (columns %d and %d)", quoteValue([]byte(n)), j+1, i+1)}
		}
		seen[n] = i
	}
	return nil
}

// posOf returns the 1-based line and byte column of offset off in data.
func posOf(data []byte, off int) (line, col int) {
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	return line, off - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
}

// readCSVGeneral reads CSV with encoding/csv, sequentially.
func readCSVGeneral(path string, data []byte, opt *Options) (*Table, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return &Error{Path: path, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error()}
		}
		return &Error{Path: path, Msg: err.Error()}
	}
	header, err := r.Read()
	if err == io.EOF {
		return nil, &Error{Path: path, Msg: "empty file"}
	}
	if err != nil {
		return nil, csvErr(err)
	}
	names := append([]string(nil), header...)
	hline, _ := r.FieldPos(0)
	if err := checkHeader(path, hline, names, func(i int) int { _, c := r.FieldPos(i); return c }); err != nil {
		return nil, err
	}
	p, err := makePlan(path, names, opt)
	if err != nil {
		return nil, err
	}
	bs := make([]*builder, len(names))
	for i, n := range names {
		if p.keep[i] {
			bs[i] = newBuilder(n, p.fixed[i], p.typ[i])
		}
	}
	rows := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		for i, f := range rec {
			if i >= len(names) {
				line, col := r.FieldPos(i)
				return nil, &Error{Path: path, Line: line, Col: col, Msg: raggedMsg(len(rec), len(names))}
			}
			if b := bs[i]; b != nil {
				if msg := b.addField([]byte(f)); msg != "" {
					line, col := r.FieldPos(i)
					return nil, &Error{Path: path, Line: line, Col: col, Column: b.name, Msg: msg}
				}
			}
		}
		if len(rec) < len(names) {
			end := int(r.InputOffset())
			if end > 0 && data[end-1] == '\n' {
				end--
			}
			if end > 0 && data[end-1] == '\r' {
				end--
			}
			line, col := posOf(data, end)
			return nil, &Error{Path: path, Line: line, Col: col, Msg: raggedMsg(len(rec), len(names))}
		}
		rows++
	}
	if rows == 0 {
		return nil, &Error{Path: path, Msg: "no data rows (the file has only a header)"}
	}
	t := &Table{Path: path, Rows: rows, Skipped: opt.skipped(names)}
	for _, b := range bs {
		if b != nil {
			t.Columns = append(t.Columns, b.column())
		}
	}
	return t, nil
}
