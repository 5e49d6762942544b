package demo

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net/http"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// table is a CSV of numeric features and a class column.
type table struct {
	features []string
	x        [][]float64
	y        []int // 1 for positive, 0 otherwise
}

// readTable reads a CSV whose column label holds the class; positive
// names the class that counts as 1.
func readTable(fsys fs.FS, path, label, positive string) (*table, error) {
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 2 {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	t := &table{}
	li := -1
	for i, h := range recs[0] {
		if h == label {
			li = i
			continue
		}
		t.features = append(t.features, h)
	}
	if li < 0 {
		return nil, fmt.Errorf("%s: no column %q", path, label)
	}
	for n, r := range recs[1:] {
		row := make([]float64, 0, len(t.features))
		for i, v := range r {
			if i == li {
				continue
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", path, n+2, err)
			}
			row = append(row, f)
		}
		t.x = append(t.x, row)
		y := 0
		if r[li] == positive {
			y = 1
		}
		t.y = append(t.y, y)
	}
	return t, nil
}

// model is a logistic regression on standardised features:
//
//	p(1 | x) = 1 / (1 + exp(−(b + Σ w_j (x_j − μ_j)/σ_j)))
//
// fitted by gradient descent on the mean log-loss with a small L2 penalty.
type model struct {
	features []string
	mean, sd []float64
	w        []float64
	b        float64
}

func train(t *table) *model {
	d := len(t.features)
	m := &model{features: t.features, mean: make([]float64, d), sd: make([]float64, d), w: make([]float64, d)}
	n := float64(len(t.x))
	col := make([]float64, len(t.x))
	for j := range d {
		for i, r := range t.x {
			col[i] = r[j]
		}
		m.mean[j], m.sd[j] = stat.PopMeanStdDev(col, nil)
		if m.sd[j] == 0 {
			m.sd[j] = 1
		}
	}
	const rate, l2 = 0.5, 1e-3
	grad := make([]float64, d)
	for range 500 {
		clear(grad)
		gb := 0.0
		for i, r := range t.x {
			e := m.prob(r) - float64(t.y[i])
			for j := range d {
				grad[j] += e * (r[j] - m.mean[j]) / m.sd[j] / n
			}
			gb += e / n
		}
		for j := range d {
			m.w[j] -= rate * (grad[j] + l2*m.w[j])
		}
		m.b -= rate * gb
	}
	return m
}

func (m *model) prob(x []float64) float64 {
	z := m.b
	for j, v := range x {
		z += m.w[j] * (v - m.mean[j]) / m.sd[j]
	}
	return 1 / (1 + math.Exp(-z))
}

// ServeHTTP answers OIP v2 inference requests for the model: one FP32/FP64
// tensor of shape [n, features], or one tensor of shape [n] per feature by
// name. The answer has "probabilities" [n, 2] and "label" [n].
func (m *model) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/v2/health/ready", "/v2/health/live":
		io.WriteString(w, "{}")
		return
	case "/v2/models/" + modelName + "/infer":
	default:
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"no such model"}`)
		return
	}
	rows, err := m.decode(r.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	probs := make([][]float64, len(rows))
	labels := make([]int, len(rows))
	for i, x := range rows {
		p := m.prob(x)
		probs[i] = []float64{1 - p, p}
		if p >= 0.5 {
			labels[i] = 1
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"model_name": modelName, "model_version": "1", "outputs": []map[string]any{
		{"name": "probabilities", "datatype": "FP64", "shape": []int{len(rows), 2}, "data": probs},
		{"name": "label", "datatype": "INT64", "shape": []int{len(rows)}, "data": labels},
	}})
}

func (m *model) decode(body io.Reader) ([][]float64, error) {
	var req struct {
		Inputs []struct {
			Name  string    `json:"name"`
			Shape []int     `json:"shape"`
			Data  []float64 `json:"data"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(io.LimitReader(body, 16<<20)).Decode(&req); err != nil {
		return nil, fmt.Errorf("not an OIP v2 request: %v", err)
	}
	d := len(m.features)
	if len(req.Inputs) == 1 && len(req.Inputs[0].Shape) == 2 && req.Inputs[0].Shape[1] == d {
		in := req.Inputs[0]
		if len(in.Data) != in.Shape[0]*d {
			return nil, fmt.Errorf("data has %d values for shape %v", len(in.Data), in.Shape)
		}
		rows := make([][]float64, in.Shape[0])
		for i := range rows {
			rows[i] = in.Data[i*d : (i+1)*d]
		}
		return rows, nil
	}
	col := make(map[string][]float64, len(req.Inputs))
	n := -1
	for _, in := range req.Inputs {
		col[in.Name] = in.Data
		if n >= 0 && len(in.Data) != n {
			return nil, fmt.Errorf("tensors of different lengths")
		}
		n = len(in.Data)
	}
	rows := make([][]float64, max(n, 0))
	for i := range rows {
		rows[i] = make([]float64, d)
		for j, f := range m.features {
			v, ok := col[f]
			if !ok {
				return nil, fmt.Errorf("no input %q", f)
			}
			rows[i][j] = v[i]
		}
	}
	return rows, nil
}
