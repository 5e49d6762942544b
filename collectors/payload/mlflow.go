package payload

// mlflow decodes the MLflow scoring server (POST /invocations):
//
//	{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}
//	{"dataframe_records": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}
//	{"instances": …} or {"inputs": …}   a list of rows or an object of columns (see anyTable)
//	{"columns": […], "data": [[…]]} or [{…}, …]   the pandas orients of MLflow 1
//
// Responses are {"predictions": …} (MLflow 2) or a bare list (MLflow 1), read
// by anyTable: a list gives one prediction per instance, an object of lists
// one named prediction per key.
type mlflow struct{}

func (mlflow) request(st *state) *Error {
	s := &st.req
	d := &s.d
	root := d.root
	if root.kind == jArr {
		return st.rowTable(s, root, node{})
	}
	if root.kind != jObj {
		return errf(ReasonType, "want an object or a list, got %s", root.kind)
	}
	if v, ok := d.field(root, "dataframe_split"); ok {
		return st.split(s, v)
	}
	if v, ok := d.field(root, "dataframe_records"); ok {
		return st.rowTable(s, v, node{})
	}
	if v, ok := d.field(root, "instances"); ok {
		return st.anyTable(s, v)
	}
	if v, ok := d.field(root, "inputs"); ok {
		return st.anyTable(s, v)
	}
	if _, ok := d.field(root, "data"); ok {
		return st.split(s, root)
	}
	return errf(ReasonMissingField, "no dataframe_split, dataframe_records, instances or inputs")
}

// split reads a pandas split-oriented frame: data rows named by columns.
func (st *state) split(s *side, v node) *Error {
	if v.kind != jObj {
		return errf(ReasonType, "dataframe_split is %s, want an object", v.kind)
	}
	data, ok := s.d.field(v, "data")
	if !ok {
		return errf(ReasonMissingField, "dataframe_split has no data")
	}
	columns, _ := s.d.field(v, "columns")
	return st.rowTable(s, data, columns)
}

func (mlflow) response(st *state) *Error {
	d := &st.resp.d
	if v, ok := d.field(d.root, "predictions"); ok {
		return st.anyTable(&st.resp, v)
	}
	return st.anyTable(&st.resp, d.root)
}
