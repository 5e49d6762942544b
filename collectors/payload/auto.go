package payload

import "strings"

// auto detects the protocol of each exchange, first from the URL path:
//
//  1. …/v2/models/{name}…/infer                      oip-v2
//  2. …/v1/models/{name}…:predict, :classify, :regress tf-serving
//  3. …/api/v1.0/predictions or …/api/v0.1/predictions seldon-v1
//  4. …/invocations                                  mlflow
//
// then, when the path says nothing, from the top-level keys of the request
// body, in this order:
//
//  5. "inputs", a list whose first element is an object with "datatype" or "shape": oip-v2
//  6. "dataframe_split" or "dataframe_records": mlflow
//  7. "data", an object with "ndarray", "tensor", "tftensor" or "names"; or "jsonData", "strData", "binData": seldon-v1
//  8. "instances", "inputs" or "examples": tf-serving
//  9. anything else: json, the whole request as features and the whole response as predictions.
//
// Errors name the protocol detected, or "auto" when the request body could
// not be read.
type auto struct {
	codecs map[string]codec
}

func newAuto(*Config) (codec, error) {
	g, _ := newGeneric(&Config{})
	return &auto{codecs: map[string]codec{
		"oip-v2":     oipV2{},
		"tf-serving": tfServing{},
		"seldon-v1":  seldonV1{},
		"mlflow":     mlflow{},
		"json":       g,
	}}, nil
}

// detectPath returns the protocol a URL path implies, or "".
func detectPath(p string) string {
	switch {
	case strings.Contains(p, "/v2/models/") && strings.HasSuffix(p, "/infer"):
		return "oip-v2"
	case strings.Contains(p, "/v1/models/") && (strings.HasSuffix(p, ":predict") ||
		strings.HasSuffix(p, ":classify") || strings.HasSuffix(p, ":regress")):
		return "tf-serving"
	case strings.HasSuffix(p, "/api/v1.0/predictions") || strings.HasSuffix(p, "/api/v0.1/predictions"):
		return "seldon-v1"
	case strings.HasSuffix(p, "/invocations"):
		return "mlflow"
	}
	return ""
}

// detectBody returns the protocol the keys of a request body imply.
func detectBody(d *doc) string {
	root := d.root
	if root.kind != jObj {
		return "json"
	}
	has := func(key string) bool { _, ok := d.field(root, key); return ok }
	if in, ok := d.field(root, "inputs"); ok && in.kind == jArr && in.b > 0 {
		first := d.kids(in)[0]
		if _, ok := d.field(first, "datatype"); ok {
			return "oip-v2"
		}
		if _, ok := d.field(first, "shape"); ok {
			return "oip-v2"
		}
	}
	if has("dataframe_split") || has("dataframe_records") {
		return "mlflow"
	}
	if data, ok := d.field(root, "data"); ok {
		for _, k := range [...]string{"ndarray", "tensor", "tftensor", "names"} {
			if _, ok := d.field(data, k); ok {
				return "seldon-v1"
			}
		}
	}
	if has("jsonData") || has("strData") || has("binData") {
		return "seldon-v1"
	}
	if has("instances") || has("inputs") || has("examples") {
		return "tf-serving"
	}
	return "json"
}

// preselect applies the path rules before the body is read, so that an
// unreadable body is counted under the protocol its URL names.
func (a *auto) preselect(st *state) {
	if name := detectPath(st.in.Path); name != "" {
		st.proto, st.codec = name, a.codecs[name]
	}
}

func (a *auto) request(st *state) *Error {
	name := detectBody(&st.req.d)
	st.proto, st.codec = name, a.codecs[name]
	return st.codec.request(st)
}

// response is never called: request replaces the codec.
func (a *auto) response(*state) *Error { return nil }
