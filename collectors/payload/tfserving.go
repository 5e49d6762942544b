package payload

import "strings"

// tfServing decodes the TensorFlow Serving REST API, which KServe v1 also
// speaks:
//
//	POST /v1/models/{name}[/versions/{version}|/labels/{label}]:predict
//	{"instances": [[1, 2], [3, 4]]}          row format: lists, scalars, or objects by input name
//	{"inputs": {"a": [1, 3], "b": [2, 4]}}   columnar format: an object of lists, or a list
//	{"predictions": [0, 1]}                  per instance: a scalar, a list, or an object by output name
//	{"outputs": …}                           columnar, like inputs
//
// :classify and :regress requests ({"examples": [{…}]}) read like
// instances, and their "results" like predictions. A label in the URL is
// the version. See rowTable and colTable for the layouts.
type tfServing struct{}

func (tfServing) request(st *state) *Error {
	st.model, st.version = tfPath(st.in.Path)
	d := &st.req.d
	if d.root.kind != jObj {
		return errf(ReasonType, "want an object, got %s", d.root.kind)
	}
	if v, ok := d.field(d.root, "instances"); ok {
		return st.rowTable(&st.req, v, node{})
	}
	if v, ok := d.field(d.root, "inputs"); ok {
		return st.anyTable(&st.req, v)
	}
	if v, ok := d.field(d.root, "examples"); ok {
		return st.rowTable(&st.req, v, node{})
	}
	return errf(ReasonMissingField, "no instances, inputs or examples")
}

func (tfServing) response(st *state) *Error {
	d := &st.resp.d
	if d.root.kind != jObj {
		return errf(ReasonType, "want an object, got %s", d.root.kind)
	}
	if v, ok := d.field(d.root, "predictions"); ok {
		return st.rowTable(&st.resp, v, node{})
	}
	if v, ok := d.field(d.root, "outputs"); ok {
		return st.anyTable(&st.resp, v)
	}
	if v, ok := d.field(d.root, "results"); ok {
		return st.rowTable(&st.resp, v, node{})
	}
	return errf(ReasonMissingField, "no predictions, outputs or results")
}

// tfPath returns the model and version (or label) named by a TF Serving
// path.
func tfPath(p string) (model, version string) {
	const marker = "/v1/models/"
	i := strings.Index(p, marker)
	if i < 0 {
		return "", ""
	}
	rest := p[i+len(marker):]
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		rest = rest[:j]
	}
	for _, sep := range [...]string{"/versions/", "/labels/"} {
		if m, v, ok := strings.Cut(rest, sep); ok {
			return m, v
		}
	}
	m, _, _ := strings.Cut(rest, "/")
	return m, ""
}
