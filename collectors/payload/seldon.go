package payload

import "strings"

// seldonV1 decodes Seldon Core v1 messages, in requests and responses alike:
//
//	POST /api/v1.0/predictions, or /seldon/{namespace}/{name}/api/v1.0/predictions
//	{"data": {"names": ["a", "b"], "ndarray": [[1, 2], [3, 4]]}}
//	{"data": {"names": ["a", "b"], "tensor": {"shape": [2, 2], "values": [1, 2, 3, 4]}}}
//	{"jsonData": …}                    read like generic JSON (see anyTable)
//	{"strData": "…"} or {"binData": …} one instance with no values
//
// names, when it has one name per column, names the columns; otherwise
// columns are unnamed. meta.puid is the request id when no header gives
// one. tftensor is not read. The model is the deployment name in a
// /seldon/{namespace}/{name}/ path.
type seldonV1 struct{}

func (seldonV1) request(st *state) *Error {
	st.model = seldonPath(st.in.Path)
	return st.seldon(&st.req)
}

func (seldonV1) response(st *state) *Error { return st.seldon(&st.resp) }

func seldonPath(p string) string {
	rest, ok := strings.CutPrefix(p, "/seldon/")
	if !ok {
		return ""
	}
	i := strings.Index(rest, "/api/")
	if i < 0 {
		return ""
	}
	rest = rest[:i]
	return rest[strings.LastIndexByte(rest, '/')+1:]
}

func (st *state) seldon(s *side) *Error {
	d := &s.d
	if d.root.kind != jObj {
		return errf(ReasonType, "want an object, got %s", d.root.kind)
	}
	if meta, ok := d.field(d.root, "meta"); ok {
		if puid, ok := d.field(meta, "puid"); ok {
			st.setID(d, puid)
		}
	}
	if data, ok := d.field(d.root, "data"); ok {
		if data.kind != jObj {
			return errf(ReasonType, "data is %s, want an object", data.kind)
		}
		names, _ := d.field(data, "names")
		if v, ok := d.field(data, "ndarray"); ok {
			return st.rowTable(s, v, names)
		}
		if v, ok := d.field(data, "tensor"); ok {
			return st.seldonTensor(s, v, names)
		}
		if _, ok := d.field(data, "tftensor"); ok {
			return errf(ReasonUnsupported, "data.tftensor is not read")
		}
		return errf(ReasonMissingField, "data has no ndarray or tensor")
	}
	if v, ok := d.field(d.root, "jsonData"); ok {
		return st.anyTable(s, v)
	}
	if _, ok := d.field(d.root, "strData"); ok {
		return s.setRows(1)
	}
	if _, ok := d.field(d.root, "binData"); ok {
		return s.setRows(1)
	}
	return errf(ReasonMissingField, "no data, jsonData, strData or binData")
}

func (st *state) seldonTensor(s *side, t, names node) *Error {
	d := &s.d
	if t.kind != jObj {
		return errf(ReasonType, "data.tensor is %s, want an object", t.kind)
	}
	shape, ok := d.field(t, "shape")
	if !ok {
		return errf(ReasonMissingField, "data.tensor has no shape")
	}
	values, ok := d.field(t, "values")
	if !ok {
		return errf(ReasonMissingField, "data.tensor has no values")
	}
	if values.kind != jArr {
		return errf(ReasonType, "data.tensor.values is %s, want a list", values.kind)
	}
	rows, width, err := shapeOf(d, shape)
	if err != nil {
		return err
	}
	off := len(s.leaves)
	if n := s.flatten(values); n != rows*width {
		return errf(ReasonShape, "data.tensor: shape wants %d values, values has %d", rows*width, n)
	}
	if names.kind == jArr && int(names.b) == width {
		for j, n := range d.kids(names) {
			if err := s.add(st.name(d, n), rows, 1, width, off+j); err != nil {
				return err
			}
		}
		return nil
	}
	return s.add("", rows, width, width, off)
}
