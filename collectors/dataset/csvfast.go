package dataset

import (
	"bytes"
	"math"
	"sync"
	"sync/atomic"
)

// The fast path reads CSV data that holds no '"', so every record is one line
// and every field is the bytes between commas. It works in passes over
// line-aligned chunks, each pass parallel over the chunks:
//
//  1. count the lines of each chunk (this gives every chunk its first line
//     number and an upper bound of its rows, hence where its rows go in the
//     final columns) and, for columns whose type is not fixed, find the first
//     non-missing value in the chunk;
//  2. decide those types from the first chunk that has a value;
//  3. parse every chunk straight into the final column slices;
//  4. report the first error in file order, or close the gaps that empty lines
//     left between chunks.
//
// The first error in file order is the one the sequential reader reports: up
// to it, both read the same rows, and a column whose type the sequential
// reader would not have decided by then has only missing values before it.

// nextLine splits the first line off data and drops a trailing "\r".
func nextLine(data []byte) (line, rest []byte) {
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		line, rest = data[:i], data[i+1:]
	} else {
		line = data
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, rest
}

// splitFields splits a line at commas, appending to dst, and returns the
// start offset of each field in offs.
func splitFields(dst [][]byte, offs []int, line []byte) ([][]byte, []int) {
	start := 0
	for {
		i := bytes.IndexByte(line[start:], ',')
		if i < 0 {
			return append(dst, line[start:]), append(offs, start)
		}
		dst, offs = append(dst, line[start:start+i]), append(offs, start)
		start += i + 1
	}
}

// chunk is a line-aligned piece of the data after the header.
type chunk struct {
	data  []byte
	lines int // number of '\n' in data
	bound int // upper bound of the rows before the first error
	slot  int // index of the chunk's first row in the final columns
	base  int // line number of the line before the chunk's first line

	// pass 1: per column, 0 = no value seen, 1 = numeric, 2 = categorical
	first []uint8

	// pass 3
	rows    int
	missing []int
	err     *Error // with a line number relative to base
}

// fastCol is a kept column of the fast path.
type fastCol struct {
	idx   int // field index in the file
	name  string
	typ   Type
	known bool
	fixed bool
	num   []float64
	str   []string
}

func readCSVFast(path string, data []byte, opt *Options, cfg csvConfig) (*Table, error) {
	// The header is the first non-empty line.
	hline := 0
	var header []byte
	for len(data) > 0 && len(header) == 0 {
		header, data = nextLine(data)
		hline++
	}
	if len(header) == 0 {
		return nil, &Error{Path: path, Msg: "empty file"}
	}
	fields, offs := splitFields(nil, nil, header)
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = string(f)
	}
	if err := checkHeader(path, hline, names, func(i int) int { return offs[i] + 1 }); err != nil {
		return nil, err
	}
	p, err := makePlan(path, names, opt)
	if err != nil {
		return nil, err
	}
	var cols []*fastCol
	byIdx := make([]*fastCol, len(names)) // nil for columns not kept
	unknown := false
	for i, n := range names {
		if !p.keep[i] {
			continue
		}
		c := &fastCol{idx: i, name: n, typ: p.typ[i], known: p.fixed[i], fixed: p.fixed[i]}
		cols = append(cols, c)
		byIdx[i] = c
		unknown = unknown || !c.known
	}

	chunks := splitChunks(data, cfg.chunkSize)
	// Pass 1.
	parallel(cfg.workers, len(chunks), func(k int) {
		c := chunks[k]
		c.lines = bytes.Count(c.data, []byte{'\n'})
		c.bound = c.lines
		if len(c.data) > 0 && c.data[len(c.data)-1] != '\n' {
			c.bound++
		}
		// A row before the first error has len(names)-1 commas and a '\n',
		// except the last one: this bounds the memory that empty lines
		// would otherwise claim.
		c.bound = min(c.bound, len(c.data)/len(names)+1)
		if unknown {
			c.first = make([]uint8, len(cols))
			scanTypes(c, names, cols, byIdx)
		}
	})
	// Pass 2.
	total, base := 0, hline
	for _, c := range chunks {
		c.slot, c.base = total, base
		total += c.bound
		base += c.lines
	}
	for k, c := range cols {
		if !c.known {
			c.typ, c.known = Numeric, true // all missing
			for _, ch := range chunks {
				if f := ch.first[k]; f != 0 {
					c.typ = Type(f - 1)
					break
				}
			}
		}
		if c.typ == Numeric {
			c.num = make([]float64, total)
		} else {
			c.str = make([]string, total)
		}
	}
	// Pass 3.
	parallel(cfg.workers, len(chunks), func(k int) {
		parseChunk(path, chunks[k], len(names), cols)
	})
	// Pass 4.
	rows := 0
	for _, c := range chunks {
		if c.err != nil {
			c.err.Line += c.base
			return nil, c.err
		}
		rows += c.rows
	}
	if rows == 0 {
		return nil, &Error{Path: path, Msg: "no data rows (the file has only a header)"}
	}
	t := &Table{Path: path, Rows: rows, Columns: make([]*Column, len(cols)), Skipped: opt.skipped(names)}
	for k, c := range cols {
		col := &Column{Name: c.name, Type: c.typ}
		at := 0
		for _, ch := range chunks {
			if at != ch.slot {
				if c.typ == Numeric {
					copy(c.num[at:], c.num[ch.slot:ch.slot+ch.rows])
				} else {
					copy(c.str[at:], c.str[ch.slot:ch.slot+ch.rows])
				}
			}
			at += ch.rows
			col.Missing += ch.missing[k]
		}
		if c.typ == Numeric {
			col.Num = c.num[:rows:rows]
		} else {
			clear(c.str[rows:])
			col.Str = c.str[:rows:rows]
		}
		t.Columns[k] = col
	}
	return t, nil
}

// splitChunks cuts data after a '\n' about every size bytes.
func splitChunks(data []byte, size int) []*chunk {
	size = max(size, 1)
	var chunks []*chunk
	for len(data) > 0 {
		n := len(data)
		if n > size {
			if i := bytes.IndexByte(data[size-1:], '\n'); i >= 0 {
				n = size + i
			}
		}
		chunks = append(chunks, &chunk{data: data[:n]})
		data = data[n:]
	}
	return chunks
}

// parallel calls f(0), …, f(n-1) on up to workers goroutines.
func parallel(workers, n int, f func(k int)) {
	workers = min(max(workers, 1), n)
	if workers <= 1 {
		for k := range n {
			f(k)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1) - 1)
				if k >= n {
					return
				}
				f(k)
			}
		})
	}
	wg.Wait()
}

// scanTypes records in c.first the kind of the first non-missing value of
// each column whose type is not fixed. It stops at the first ragged row, after
// its fields, like the sequential reader.
func scanTypes(c *chunk, names []string, cols []*fastCol, byIdx []*fastCol) {
	left := 0
	for _, col := range cols {
		if !col.known {
			left++
		}
	}
	pos := make(map[*fastCol]int, len(cols))
	for k, col := range cols {
		pos[col] = k
	}
	data := c.data
	var line []byte
	var fields [][]byte
	var offs []int
	for len(data) > 0 && left > 0 {
		line, data = nextLine(data)
		if len(line) == 0 {
			continue
		}
		fields, offs = splitFields(fields[:0], offs[:0], line)
		for i, f := range fields {
			if i >= len(names) {
				break
			}
			col := byIdx[i]
			if col == nil || col.known || c.first[pos[col]] != 0 {
				continue
			}
			t := trim(f)
			if isMissing(t) {
				continue
			}
			if looksNumeric(t) {
				c.first[pos[col]] = 1 + uint8(Numeric)
			} else {
				c.first[pos[col]] = 1 + uint8(Categorical)
			}
			left--
		}
		if len(fields) != len(names) {
			return
		}
	}
}

// parseChunk parses the rows of a chunk into the final column slices, and
// stops at the first error.
func parseChunk(path string, c *chunk, ncols int, cols []*fastCol) {
	c.missing = make([]int, len(cols))
	k := make([]int, ncols) // field index -> index in cols, -1 if not kept
	for i := range k {
		k[i] = -1
	}
	ins := make([]interner, len(cols))
	for j, col := range cols {
		k[col.idx] = j
	}
	data := c.data
	lineNo := 0
	r := c.slot
	var line []byte
	for len(data) > 0 {
		line, data = nextLine(data)
		lineNo++
		if len(line) == 0 {
			continue
		}
		i, start := 0, 0
		for {
			end := bytes.IndexByte(line[start:], ',')
			var f []byte
			if end < 0 {
				f = line[start:]
			} else {
				f = line[start : start+end]
			}
			if i >= ncols {
				n := ncols + 1 + bytes.Count(line[start:], []byte{','})
				c.err = &Error{Path: path, Line: lineNo, Col: start + 1, Msg: raggedMsg(n, ncols)}
				return
			}
			if j := k[i]; j >= 0 {
				col := cols[j]
				if col.typ == Numeric {
					v, missing, msg := numValue(f, col.fixed)
					if msg != "" {
						c.err = &Error{Path: path, Line: lineNo, Col: start + 1, Column: col.name, Msg: msg}
						return
					}
					if missing {
						c.missing[j]++
						v = math.NaN()
					}
					col.num[r] = v
				} else if isMissing(trim(f)) {
					c.missing[j]++
				} else {
					col.str[r] = ins[j].str(f)
				}
			}
			i++
			if end < 0 {
				break
			}
			start += end + 1
		}
		if i < ncols {
			c.err = &Error{Path: path, Line: lineNo, Col: len(line) + 1, Msg: raggedMsg(i, ncols)}
			return
		}
		r++
	}
	c.rows = r - c.slot
}
