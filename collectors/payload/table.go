package payload

// This file turns JSON values into tensors: the layouts that the protocols
// share (a list of rows, an object of columns, a shaped tensor).

var kindNames = [...]string{jNull: "null", jFalse: "a boolean", jTrue: "a boolean", jNum: "a number",
	jStr: "a string", jArr: "a list", jObj: "an object"}

func (k jkind) String() string { return kindNames[k] }

// setRows records the batch size of s, or reports that it differs from the
// one already recorded.
func (s *side) setRows(rows int) *Error {
	if s.rows < 0 {
		s.rows = rows
		return nil
	}
	if s.rows != rows {
		return errf(ReasonShape, "batch sizes differ: %d and %d", s.rows, rows)
	}
	return nil
}

// add records a tensor whose leaves are already in s.leaves.
func (s *side) add(name string, rows, width, stride, off int) *Error {
	if err := s.setRows(rows); err != nil {
		return err
	}
	if rows > 0 && off+(rows-1)*stride+width > len(s.leaves) {
		return errf(ReasonShape, "tensor %dx%d exceeds its %d values", rows, width, len(s.leaves)-off)
	}
	s.tensors = append(s.tensors, tensor{name: name, width: width, stride: stride, off: off})
	return nil
}

// name returns a column name given as a string or a number (pandas
// columns may be integers), interned; "" for anything else.
func (st *state) name(d *doc, n node) string {
	if n.kind == jStr || n.kind == jNum {
		return st.dec.strs.intern(d.bytes(n))
	}
	return ""
}

// count returns the number of leaves of n: 1 for a scalar or an object, the
// sum over its elements for a list.
func count(d *doc, n node) int {
	if n.kind != jArr {
		return 1
	}
	c := 0
	for _, k := range d.kids(n) {
		c += count(d, k)
	}
	return c
}

// flatten appends the leaves of n to s.leaves, depth first (row-major for a
// nested list), and returns how many.
func (s *side) flatten(n node) int {
	if n.kind != jArr {
		s.leaves = append(s.leaves, n)
		return 1
	}
	c := 0
	for _, k := range s.d.kids(n) {
		c += s.flatten(k)
	}
	return c
}

// nulls appends n null leaves, for absent cells. Absent cells cost no input
// bytes, so their number is bounded to keep a body of empty rows from
// expanding into a huge batch.
func (s *side) nulls(n int) *Error {
	if len(s.leaves)+n > 2*len(s.d.src)+4096 {
		return errf(ReasonShape, "too many absent values")
	}
	for range n {
		s.leaves = append(s.leaves, node{})
	}
	return nil
}

// rowTable reads list as a batch of instances, one per element:
//   - objects: one column per key of the first object, named by the key;
//   - lists, when names has as many elements: one column per position,
//     named by names;
//   - otherwise each instance is flattened into one unnamed tensor; when
//     names (a list or the zero node) has one name per value, each value is
//     a column named by it.
//
// A column whose cell is a list is flattened into name[j]. A null instance or
// cell is Missing throughout.
func (st *state) rowTable(s *side, list, names node) *Error {
	if list.kind != jArr {
		return errf(ReasonType, "want a list of instances, got %s", list.kind)
	}
	rows := s.d.kids(list)
	if len(rows) == 0 {
		return s.setRows(0)
	}
	lead := rows[0]
	for _, r := range rows {
		if r.kind != jNull {
			lead = r
			break
		}
	}
	switch {
	case lead.kind == jObj:
		return st.columns(s, rows, lead, true)
	case lead.kind == jArr && names.kind == jArr && names.b == lead.b && names.b > 0:
		return st.columns(s, rows, names, false)
	}
	off, width := len(s.leaves), -1
	for i, r := range rows {
		n := s.flatten(r)
		if width < 0 {
			width = n
		} else if n != width {
			return errf(ReasonShape, "instance %d has %d values, instance 0 has %d", i, n, width)
		}
	}
	if names.kind == jArr && int(names.b) == width {
		for j, n := range s.d.kids(names) {
			if err := s.add(st.name(&s.d, n), len(rows), 1, width, off+j); err != nil {
				return err
			}
		}
		return nil
	}
	return s.add("", len(rows), width, width, off)
}

// columns reads rows as cells by column: by the keys of the object lead
// when keyed, else by position with the names in the list lead. Each row
// reserves its leaves (null) and each cell is then written in place, so that
// keys may come in any order at a cost linear in the body.
func (st *state) columns(s *side, rows []node, lead node, keyed bool) *Error {
	d := &s.d
	nc := int(lead.b)
	keys := d.kids(lead)
	step, want := 1, jArr
	if keyed {
		step, want = 2, jObj
	}
	var index map[string]int // key → column, built for wide objects out of order
	col := func(p int, key []byte) int {
		if p < nc && string(d.bytes(keys[2*p])) == string(key) {
			return p
		}
		if nc <= 16 {
			for c := range nc {
				if string(d.bytes(keys[2*c])) == string(key) {
					return c
				}
			}
			return -1
		}
		if index == nil {
			index = make(map[string]int, nc)
			for c := nc - 1; c >= 0; c-- {
				index[string(d.bytes(keys[2*c]))] = c
			}
		}
		if c, ok := index[string(key)]; ok {
			return c
		}
		return -1
	}
	// widths: the leaf count of each column's first non-null cell, else 1.
	ws := s.widths[:0]
	for range nc {
		ws = append(ws, -1)
	}
	left := nc
	for _, row := range rows {
		if left == 0 {
			break
		}
		if row.kind != want {
			continue
		}
		kv := d.kids(row)
		for p := 0; p*step < len(kv); p++ {
			c, v := p, kv[p]
			if keyed {
				c, v = col(p, d.bytes(kv[2*p])), kv[2*p+1]
			}
			if c >= 0 && c < nc && ws[c] < 0 && v.kind != jNull {
				ws[c] = count(d, v)
				left--
			}
		}
	}
	total := 0
	for c := range ws {
		ws[c] = max(ws[c], 1)
		total += ws[c]
	}
	offs, o := s.offs[:0], 0
	for _, w := range ws {
		offs = append(offs, o)
		o += w
	}
	s.widths, s.offs = ws, offs
	off := len(s.leaves)
	for i, row := range rows {
		base := len(s.leaves)
		if err := s.nulls(total); err != nil {
			return err
		}
		if row.kind == jNull {
			continue
		}
		if row.kind != want {
			return errf(ReasonType, "instance %d is %s, instance 0 %s", i, row.kind, want)
		}
		if !keyed && int(row.b) != nc {
			return errf(ReasonShape, "instance %d has %d values, want %d", i, row.b, nc)
		}
		kv := d.kids(row)
		for p := 0; p*step < len(kv); p++ {
			c, v := p, kv[p]
			if keyed {
				c, v = col(p, d.bytes(kv[2*p])), kv[2*p+1]
			}
			if c < 0 {
				continue
			}
			pos := base + offs[c]
			if v.kind == jNull {
				clear(s.leaves[pos : pos+ws[c]])
				continue
			}
			if n := s.fillAt(pos, pos+ws[c], v); n != ws[c] {
				return errf(ReasonShape, "instance %d column %d has %d values, want %d", i, c, n, ws[c])
			}
		}
	}
	for c := range nc {
		if err := s.add(st.name(d, keys[c*step]), len(rows), ws[c], total, off+offs[c]); err != nil {
			return err
		}
	}
	return nil
}

// fillAt writes the leaves of v into s.leaves[pos:end], depth first, and
// returns how many v has (which may exceed end-pos; the excess is not written).
func (s *side) fillAt(pos, end int, v node) int {
	if v.kind != jArr {
		if pos < end {
			s.leaves[pos] = v
		}
		return 1
	}
	n := 0
	for _, k := range s.d.kids(v) {
		n += s.fillAt(pos+n, end, k)
	}
	return n
}

// colTable reads an object of columns. When every value is a list of the
// same length L, it is a batch of L instances and each key a column (its
// elements flattened into name[j] when they are lists); otherwise it is a
// single instance whose keys are columns.
func (st *state) colTable(s *side, obj node) *Error {
	d := &s.d
	kv := d.kids(obj)
	l, columnar := -1, len(kv) > 0
	for k := 1; k < len(kv); k += 2 {
		v := kv[k]
		if v.kind != jArr || l >= 0 && int(v.b) != l {
			columnar = false
			break
		}
		l = int(v.b)
	}
	if !columnar {
		if err := s.setRows(1); err != nil {
			return err
		}
		for k := 0; k < len(kv); k += 2 {
			off := len(s.leaves)
			n := s.flatten(kv[k+1])
			if err := s.add(st.name(d, kv[k]), 1, n, n, off); err != nil {
				return err
			}
		}
		return nil
	}
	if err := s.setRows(l); err != nil {
		return err
	}
	for k := 0; k < len(kv); k += 2 {
		off, width := len(s.leaves), -1
		for i, e := range d.kids(kv[k+1]) {
			n := s.flatten(e)
			if width < 0 {
				width = n
			} else if n != width {
				return errf(ReasonShape, "column %d: instance %d has %d values, instance 0 has %d", k/2, i, n, width)
			}
		}
		if width < 0 {
			width = 0
		}
		if err := s.add(st.name(d, kv[k]), l, width, width, off); err != nil {
			return err
		}
	}
	return nil
}

// anyTable reads a list as rows (rowTable), an object as columns
// (colTable), and a scalar as one instance of one unnamed value.
func (st *state) anyTable(s *side, n node) *Error {
	switch n.kind {
	case jArr:
		return st.rowTable(s, n, node{})
	case jObj:
		return st.colTable(s, n)
	}
	off := len(s.leaves)
	s.flatten(n)
	return s.add("", 1, 1, 1, off)
}
