package payload

import (
	"math"
	"strings"
)

// oipV2 decodes the Open Inference Protocol v2 over REST (KServe v2,
// Triton, MLServer, Seldon Core v2):
//
//	POST /v2/models/{name}[/versions/{version}]/infer
//	{"id": "…", "inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP32", "data": [[1, 2, 3], [4, 5, 6]]}]}
//	{"model_name": "…", "model_version": "…", "id": "…", "outputs": [{"name": "y", "shape": [2], "datatype": "INT64", "data": [0, 1]}]}
//
// The first dimension of every shape is the batch; the other dimensions are
// flattened row-major into the instance's columns. Data may be flat or
// nested, and must hold as many values as the shape says. An input of one
// column is a feature named by the input; a wider one gives the features
// name[0], name[1], …. Outputs name predictions the same way. Binary tensors
// (Triton's binary data extension) are not read.
type oipV2 struct{}

func (oipV2) request(st *state) *Error {
	st.model, st.version = oipPath(st.in.Path)
	d := &st.req.d
	if d.root.kind != jObj {
		return errf(ReasonType, "want an object, got %s", d.root.kind)
	}
	if id, ok := d.field(d.root, "id"); ok {
		st.setID(d, id)
	}
	inputs, ok := d.field(d.root, "inputs")
	if !ok {
		return errf(ReasonMissingField, "no inputs")
	}
	return st.oipTensors(&st.req, inputs, "inputs")
}

func (oipV2) response(st *state) *Error {
	d := &st.resp.d
	if d.root.kind != jObj {
		return errf(ReasonType, "want an object, got %s", d.root.kind)
	}
	if st.model == "" {
		n, _ := d.field(d.root, "model_name")
		st.model = st.str(d, n)
	}
	if st.version == "" {
		n, _ := d.field(d.root, "model_version")
		st.version = st.str(d, n)
	}
	if id, ok := d.field(d.root, "id"); ok {
		st.setID(d, id)
	}
	outputs, ok := d.field(d.root, "outputs")
	if !ok {
		return errf(ReasonMissingField, "no outputs")
	}
	return st.oipTensors(&st.resp, outputs, "outputs")
}

// oipPath returns the model and version named by an OIP v2 path; the path
// may have a prefix (a gateway's /seldon/{ns}/{name}).
func oipPath(p string) (model, version string) {
	const marker = "/v2/models/"
	i := strings.Index(p, marker)
	if i < 0 {
		return "", ""
	}
	rest := p[i+len(marker):]
	if m, v, ok := strings.Cut(rest, "/versions/"); ok {
		v, _, _ = strings.Cut(v, "/")
		return m, v
	}
	m, _, _ := strings.Cut(rest, "/")
	return m, ""
}

func (st *state) oipTensors(s *side, list node, what string) *Error {
	d := &s.d
	if list.kind != jArr {
		return errf(ReasonType, "%s is %s, want a list", what, list.kind)
	}
	for i, t := range d.kids(list) {
		if t.kind != jObj {
			return errf(ReasonType, "%s[%d] is %s, want an object", what, i, t.kind)
		}
		nameNode, _ := d.field(t, "name")
		shape, ok := d.field(t, "shape")
		if !ok {
			return errf(ReasonMissingField, "%s[%d] has no shape", what, i)
		}
		data, ok := d.field(t, "data")
		if !ok {
			params, _ := d.field(t, "parameters")
			if _, bin := d.field(params, "binary_data_size"); bin {
				return errf(ReasonUnsupported, "%s[%d] is binary data", what, i)
			}
			return errf(ReasonMissingField, "%s[%d] has no data", what, i)
		}
		rows, width, err := shapeOf(d, shape)
		if err != nil {
			err.Err = prefixErr(what, i, err.Err)
			return err
		}
		off := len(s.leaves)
		if n := s.flatten(data); n != rows*width {
			return errf(ReasonShape, "%s[%d]: shape wants %d values, data has %d", what, i, rows*width, n)
		}
		if err := s.add(st.name(d, nameNode), rows, width, width, off); err != nil {
			return err
		}
	}
	return nil
}

// shapeOf reads a shape [batch, d1, d2, …] as batch rows of d1·d2·… columns;
// [batch] is one column and [] one value.
func shapeOf(d *doc, shape node) (rows, width int, err *Error) {
	if shape.kind != jArr {
		return 0, 0, errf(ReasonType, "shape is %s, want a list", shape.kind)
	}
	rows, width = 1, 1
	for i, dim := range d.kids(shape) {
		if dim.kind != jNum {
			return 0, 0, errf(ReasonType, "shape[%d] is %s, want a number", i, dim.kind)
		}
		f := d.float(dim)
		if !(f >= 0 && f <= math.MaxInt32 && f == math.Trunc(f)) {
			return 0, 0, errf(ReasonShape, "shape[%d] is %s, want a size", i, snippet(d.bytes(dim)))
		}
		if i == 0 {
			rows = int(f)
			continue
		}
		if width *= int(f); width > math.MaxInt32 {
			return 0, 0, errf(ReasonShape, "shape has more than %d columns", math.MaxInt32)
		}
	}
	return rows, width, nil
}
