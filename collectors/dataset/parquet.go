package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet files must have a flat schema: every top-level field a leaf that is
// required or optional (not repeated). Physical types map to columns as
// follows:
//
//	INT32, INT64, FLOAT, DOUBLE          numeric (unsigned and DECIMAL logical types honoured;
//	                                     DATE and TIMESTAMP read as their raw integer)
//	FIXED_LEN_BYTE_ARRAY, BYTE_ARRAY     numeric with the DECIMAL logical type, else categorical
//	BOOLEAN                              categorical ("true", "false")
//	INT96                                an error (deprecated timestamps)
//
// Nulls are missing values. Options.Types and Options.Categorical may change a
// column's type: numbers are then formatted with strconv, and strings parsed as
// numbers like CSV fields.
//
// parquet-go panics on some corrupt inputs (for example on page headers whose
// sizes do not match the data). A dataset file is untrusted input that must
// give an error, never a crash, so readParquet recovers such a panic and
// returns it as "not a readable Parquet file".

// parquetBatch is the number of values read at a time.
const parquetBatch = 1024

func readParquet(path string, data []byte, opt *Options) (t *Table, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, unreadable(path, fmt.Errorf("%v", r))
		}
	}()
	if err := checkFooter(data); err != nil {
		return nil, unreadable(path, err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, unreadable(path, err)
	}
	if err := checkPages(data, f.Metadata()); err != nil {
		return nil, unreadable(path, err)
	}
	top := f.Root().Columns()
	names := make([]string, len(top))
	seen := make(map[string]bool, len(top))
	for i, c := range top {
		names[i] = c.Name()
		if seen[names[i]] {
			return nil, &Error{Path: path, Column: names[i], Msg: "duplicate column name"}
		}
		seen[names[i]] = true
	}
	if len(top) == 0 {
		return nil, &Error{Path: path, Msg: "no columns"}
	}
	p, err := makePlan(path, names, opt)
	if err != nil {
		return nil, err
	}
	rows := f.NumRows()
	if rows <= 0 {
		return nil, &Error{Path: path, Msg: "no data rows"}
	}
	t = &Table{Path: path, Rows: int(rows), Skipped: opt.skipped(names)}
	// One value buffer serves every column.
	buf := make([]parquet.Value, min(rows, parquetBatch))
	for i, c := range top {
		if !p.keep[i] {
			continue
		}
		col, err := readParquetColumn(path, c, p.fixed[i], p.typ[i], rows, buf)
		if err != nil {
			return nil, err
		}
		t.Columns = append(t.Columns, col)
	}
	return t, nil
}

func unreadable(path string, err error) *Error {
	return &Error{Path: path, Msg: "not a readable Parquet file: " + err.Error()}
}

// pqKind is how the values of a Parquet column are converted.
type pqKind uint8

const (
	pqBool pqKind = iota
	pqInt32
	pqUint32
	pqInt64
	pqUint64
	pqFloat
	pqBytes      // strings and other byte arrays
	pqDecimalInt // INT32 or INT64 decimal
	pqDecimalBig // byte-array decimal
)

// parquetKind classifies a leaf column, or returns an error for unsupported
// ones. natural is the column type the physical type suggests.
func parquetKind(path string, c *parquet.Column) (k pqKind, natural Type, scale int, err error) {
	if !c.Leaf() {
		return 0, 0, 0, &Error{Path: path, Column: c.Name(), Msg: "nested columns are not supported (the schema must be flat: one value per row and column)"}
	}
	if c.Repeated() {
		return 0, 0, 0, &Error{Path: path, Column: c.Name(), Msg: "repeated columns are not supported (the schema must be flat: one value per row and column)"}
	}
	typ := c.Type()
	var lt format.LogicalTypeValue
	if l := typ.LogicalType(); l != nil {
		lt = l.Value
	}
	if d, ok := lt.(*format.DecimalType); ok {
		switch typ.Kind() {
		case parquet.Int32, parquet.Int64:
			return pqDecimalInt, Numeric, int(d.Scale), nil
		case parquet.ByteArray, parquet.FixedLenByteArray:
			return pqDecimalBig, Numeric, int(d.Scale), nil
		}
	}
	unsigned := false
	if it, ok := lt.(*format.IntType); ok && !it.IsSigned {
		unsigned = true
	}
	switch typ.Kind() {
	case parquet.Boolean:
		return pqBool, Categorical, 0, nil
	case parquet.Int32:
		if unsigned {
			return pqUint32, Numeric, 0, nil
		}
		return pqInt32, Numeric, 0, nil
	case parquet.Int64:
		if unsigned {
			return pqUint64, Numeric, 0, nil
		}
		return pqInt64, Numeric, 0, nil
	case parquet.Float, parquet.Double:
		return pqFloat, Numeric, 0, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return pqBytes, Categorical, 0, nil
	}
	return 0, 0, 0, &Error{Path: path, Column: c.Name(), Msg: fmt.Sprintf("unsupported Parquet type %s", typ)}
}

// readParquetColumn reads every value of a top-level leaf column, buf at a
// time.
func readParquetColumn(path string, c *parquet.Column, fixed bool, typ Type, rows int64, buf []parquet.Value) (*Column, error) {
	kind, natural, scale, err := parquetKind(path, c)
	if err != nil {
		return nil, err
	}
	if !fixed {
		typ = natural
	}
	b := newBuilder(c.Name(), fixed, typ)
	b.known = true
	// Grow the slices as values come rather than by the row count, which a
	// corrupt file may overstate.
	pages := c.Pages()
	defer pages.Close()
	var row int64
	for {
		page, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, unreadable(path, fmt.Errorf("column %q: %w", c.Name(), err))
		}
		vr := page.Values()
		for {
			n, err := vr.ReadValues(buf)
			for _, v := range buf[:n] {
				row++
				if row > rows {
					parquet.Release(page)
					return nil, unreadable(path, fmt.Errorf("column %q has more values than the %d rows", c.Name(), rows))
				}
				if msg := b.addParquet(v, kind, scale); msg != "" {
					parquet.Release(page)
					return nil, &Error{Path: path, Row: row, Column: c.Name(), Msg: msg}
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(page)
				return nil, unreadable(path, fmt.Errorf("column %q: %w", c.Name(), err))
			}
			if n == 0 {
				parquet.Release(page)
				return nil, unreadable(path, fmt.Errorf("column %q: page reader made no progress", c.Name()))
			}
		}
		parquet.Release(page)
	}
	if row != rows {
		return nil, unreadable(path, fmt.Errorf("column %q has %d values, want %d", c.Name(), row, rows))
	}
	return b.column(), nil
}

// addParquet adds one Parquet value and returns a message if it does not fit
// the column's type.
func (b *builder) addParquet(v parquet.Value, kind pqKind, scale int) string {
	if v.IsNull() {
		b.addMissing()
		return ""
	}
	var x float64
	switch kind {
	case pqBool:
		s := strconv.FormatBool(v.Boolean())
		if b.typ == Numeric {
			return notNumber(s, b.fixed)
		}
		b.str = append(b.str, s)
		return ""
	case pqBytes:
		if b.typ == Categorical {
			if isMissing(trim(v.ByteArray())) {
				b.addMissing()
			} else {
				b.str = append(b.str, b.in.str(v.ByteArray()))
			}
			return ""
		}
		return b.addField(v.ByteArray())
	case pqInt32:
		if b.typ == Categorical {
			return b.addText(strconv.FormatInt(int64(v.Int32()), 10))
		}
		x = float64(v.Int32())
	case pqUint32:
		if b.typ == Categorical {
			return b.addText(strconv.FormatUint(uint64(v.Uint32()), 10))
		}
		x = float64(v.Uint32())
	case pqInt64:
		if b.typ == Categorical {
			return b.addText(strconv.FormatInt(v.Int64(), 10))
		}
		x = float64(v.Int64())
	case pqUint64:
		if b.typ == Categorical {
			return b.addText(strconv.FormatUint(v.Uint64(), 10))
		}
		x = float64(v.Uint64())
	case pqFloat:
		if v.Kind() == parquet.Float {
			x = float64(v.Float())
		} else {
			x = v.Double()
		}
	case pqDecimalInt:
		var n int64
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		} else {
			n = v.Int64()
		}
		x = float64(n) / math.Pow10(scale)
	case pqDecimalBig:
		x = decimalBytes(v.ByteArray(), scale)
	}
	if b.typ == Categorical {
		if math.IsNaN(x) {
			b.addMissing()
			return ""
		}
		return b.addText(strconv.FormatFloat(x, 'g', -1, 64))
	}
	switch {
	case math.IsNaN(x):
		b.addMissing()
	case math.IsInf(x, 0):
		return notFinite(strconv.FormatFloat(x, 'g', -1, 64))
	default:
		b.num = append(b.num, x)
	}
	return ""
}

// addText adds a non-missing categorical value made from a number.
func (b *builder) addText(s string) string {
	b.str = append(b.str, b.in.str([]byte(s)))
	return ""
}

// decimalBytes converts a big-endian two's complement unscaled decimal.
func decimalBytes(be []byte, scale int) float64 {
	n := new(big.Int).SetBytes(be)
	if len(be) > 0 && be[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(be))))
	}
	f, _ := new(big.Float).SetInt(n).Float64()
	return f / math.Pow10(scale)
}
