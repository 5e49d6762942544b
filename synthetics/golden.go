package synthetics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
)

// DefaultTolerance is a golden check's tolerance when none is given.
const DefaultTolerance = 0.01

// maxGoldenRows bounds a golden set: it is sent as one batch.
const maxGoldenRows = 10000

// goldenRow is one line of a golden file:
//
//	{"inputs": [0.1, 2.3, ...], "class": 1, "probabilities": [0.08, 0.92]}
//	{"inputs": {"mean radius": 17.99, ...}, "class": 0}
//
// inputs are numbers, as a list or by feature name; class (the index of
// the expected class) and probabilities are each optional, but at least
// one is given.
type goldenRow struct {
	Inputs        json.RawMessage `json:"inputs"`
	Class         *int            `json:"class"`
	Probabilities []float64       `json:"probabilities"`
}

type goldenSet struct {
	cfg   Golden
	rows  []goldenRow
	lists [][]float64          // inputs as lists, or
	named map[string][]float64 // inputs by feature name, one value per row
	names []string             // feature names in the first row's order
}

// loadGolden reads a golden file (JSON Lines).
func loadGolden(path string, cfg *Golden) (*goldenSet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	g := &goldenSet{cfg: *cfg}
	if g.cfg.Tolerance == 0 {
		g.cfg.Tolerance = DefaultTolerance
	}
	if g.cfg.TopK == 0 {
		g.cfg.TopK = 1
	}
	if g.cfg.MinAgreement == 0 {
		g.cfg.MinAgreement = 1
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if len(g.rows) == maxGoldenRows {
			return nil, fmt.Errorf("%s:%d: more than %d rows: a golden set is sent as one batch", path, line, maxGoldenRows)
		}
		if err := g.add(b); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", path, line+1, err)
	}
	if len(g.rows) == 0 {
		return nil, fmt.Errorf("%s: no rows: want one JSON object per line", path)
	}
	return g, nil
}

func (g *goldenSet) add(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r goldenRow
	if err := dec.Decode(&r); err != nil {
		return fmt.Errorf("want {\"inputs\": …, \"class\": …, \"probabilities\": …}: %w", err)
	}
	if r.Class == nil && r.Probabilities == nil {
		return fmt.Errorf("give class or probabilities (or both): what the model must answer")
	}
	if r.Class != nil && *r.Class < 0 {
		return fmt.Errorf("class %d is negative: want the index of the class", *r.Class)
	}
	var list []float64
	var named map[string]float64
	switch {
	case json.Unmarshal(r.Inputs, &list) == nil && len(list) > 0:
		if g.named != nil {
			return fmt.Errorf("inputs is a list, but earlier rows name their features")
		}
		if len(g.lists) > 0 && len(list) != len(g.lists[0]) {
			return fmt.Errorf("%d inputs, but the first row has %d", len(list), len(g.lists[0]))
		}
		g.lists = append(g.lists, list)
	case json.Unmarshal(r.Inputs, &named) == nil && len(named) > 0:
		if len(g.lists) > 0 {
			return fmt.Errorf("inputs names its features, but earlier rows are lists")
		}
		if g.named == nil {
			g.named = map[string][]float64{}
			g.names = orderedKeys(r.Inputs)
		}
		if len(named) != len(g.names) {
			return fmt.Errorf("%d features, but the first row has %d", len(named), len(g.names))
		}
		for _, n := range g.names {
			v, ok := named[n]
			if !ok {
				return fmt.Errorf("feature %q of the first row is missing", n)
			}
			g.named[n] = append(g.named[n], v)
		}
	default:
		return fmt.Errorf("inputs: want a non-empty list of numbers or an object of numbers by feature name")
	}
	g.rows = append(g.rows, r)
	return nil
}

// orderedKeys returns the keys of a JSON object in the order written.
func orderedKeys(obj json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(obj))
	var keys []string
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return keys
		}
	}
	return keys
}

// request builds the one request that carries the whole set.
func (g *goldenSet) request() ([]byte, error) {
	n := len(g.rows)
	switch g.cfg.Protocol {
	case ProtocolOIPv2:
		type tensor struct {
			Name     string `json:"name"`
			Shape    []int  `json:"shape"`
			Datatype string `json:"datatype"`
			Data     any    `json:"data"`
		}
		var in []tensor
		if g.lists != nil {
			in = []tensor{{Name: "input-0", Shape: []int{n, len(g.lists[0])}, Datatype: "FP64", Data: g.lists}}
		} else {
			for _, name := range g.names {
				in = append(in, tensor{Name: name, Shape: []int{n}, Datatype: "FP64", Data: g.named[name]})
			}
		}
		return json.Marshal(map[string]any{"inputs": in})
	case ProtocolTFServing:
		if g.lists != nil {
			return json.Marshal(map[string]any{"instances": g.lists})
		}
		inst := make([]map[string]float64, n)
		for i := range inst {
			inst[i] = make(map[string]float64, len(g.names))
			for _, name := range g.names {
				inst[i][name] = g.named[name][i]
			}
		}
		return json.Marshal(map[string]any{"instances": inst})
	}
	return nil, fmt.Errorf("protocol %q", g.cfg.Protocol)
}

// prediction is the model's answer for one row: its class probabilities,
// its class, or both.
type prediction struct {
	probs []float64
	class int // -1: not given; argmax of probs then
}

// compare checks the model's answer against the set. It returns the share
// of rows that agree and, when too few do, the failures: the first a
// summary, then the first disagreeing rows.
func (g *goldenSet) compare(body []byte) (agreement float64, failures []string) {
	preds, err := g.parse(body)
	if err != nil {
		return 0, []string{"golden: " + err.Error()}
	}
	if len(preds) != len(g.rows) {
		return 0, []string{fmt.Sprintf("golden: %d predictions for %d rows", len(preds), len(g.rows))}
	}
	var bad []string
	agree := 0
	for i, r := range g.rows {
		if msg := g.rowDisagrees(r, preds[i]); msg != "" {
			bad = append(bad, fmt.Sprintf("row %d: %s", i+1, msg))
			continue
		}
		agree++
	}
	agreement = float64(agree) / float64(len(g.rows))
	if agreement >= g.cfg.MinAgreement {
		return agreement, nil
	}
	head := fmt.Sprintf("golden: %d of %d rows agree (%.1f%%), want at least %.1f%%; %s",
		agree, len(g.rows), 100*agreement, 100*g.cfg.MinAgreement, strings.Join(bad[:min(3, len(bad))], "; "))
	if len(bad) > 3 {
		head += fmt.Sprintf("; and %d more", len(bad)-3)
	}
	return agreement, append([]string{head}, bad...)
}

// rowDisagrees says how the prediction misses the row; "" when it agrees.
func (g *goldenSet) rowDisagrees(r goldenRow, p prediction) string {
	if r.Class != nil {
		want := *r.Class
		switch {
		case len(p.probs) > 0 && g.cfg.TopK > 1:
			if !slices.Contains(topK(p.probs, g.cfg.TopK), want) {
				return fmt.Sprintf("class %d is not among the top %d %v", want, g.cfg.TopK, topK(p.probs, g.cfg.TopK))
			}
		case p.class != want:
			return fmt.Sprintf("class %d, want %d", p.class, want)
		}
	}
	if r.Probabilities != nil {
		if len(p.probs) != len(r.Probabilities) {
			return fmt.Sprintf("%d probabilities, want %d", len(p.probs), len(r.Probabilities))
		}
		for k, want := range r.Probabilities {
			if d := math.Abs(p.probs[k] - want); !(d <= g.cfg.Tolerance) {
				return fmt.Sprintf("p[%d] %.4g, want %.4g ± %g", k, p.probs[k], want, g.cfg.Tolerance)
			}
		}
	}
	return ""
}

// topK returns the indexes of the k largest probabilities, largest first.
func topK(p []float64, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case p[a] > p[b]:
			return -1
		case p[a] < p[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}

func argmax(p []float64) int {
	if len(p) == 0 {
		return -1
	}
	return topK(p, 1)[0]
}

// parse reads the predictions out of an answer of the set's protocol.
func (g *goldenSet) parse(body []byte) ([]prediction, error) {
	switch g.cfg.Protocol {
	case ProtocolOIPv2:
		return g.parseOIP(body)
	default:
		return parseTFServing(body)
	}
}

func (g *goldenSet) parseOIP(body []byte) ([]prediction, error) {
	var ans struct {
		Outputs []struct {
			Name     string          `json:"name"`
			Shape    []int           `json:"shape"`
			Datatype string          `json:"datatype"`
			Data     json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Outputs) == 0 {
		return nil, fmt.Errorf("answer is not an OIP v2 inference response with outputs: %s", snippet(body))
	}
	n := len(g.rows)
	var probs [][]float64
	var classes []int
	for _, o := range ans.Outputs {
		vals, err := flatNumbers(o.Data)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", o.Name, err)
		}
		isProbs := len(o.Shape) == 2 && o.Shape[0] == n && o.Shape[1] > 1 && len(vals) == n*o.Shape[1]
		isClass := (strings.HasPrefix(o.Datatype, "INT") || strings.HasPrefix(o.Datatype, "UINT")) && len(vals) == n
		switch {
		case g.cfg.Output != "":
			if o.Name == g.cfg.Output && isProbs {
				probs = rows(vals, n)
			}
		case probs == nil && isProbs:
			probs = rows(vals, n)
		case classes == nil && isClass:
			for _, v := range vals {
				classes = append(classes, int(v))
			}
		}
	}
	switch {
	case g.cfg.Output != "" && probs == nil:
		return nil, fmt.Errorf("no output %q of shape [%d, classes] in the answer: %s", g.cfg.Output, n, snippet(body))
	case probs == nil && classes == nil:
		return nil, fmt.Errorf("no output of shape [%d, classes] nor an integer class per row in the answer: %s", n, snippet(body))
	}
	out := make([]prediction, n)
	for i := range out {
		out[i].class = -1
		if probs != nil {
			out[i].probs = probs[i]
			out[i].class = argmax(probs[i])
		}
		if classes != nil {
			out[i].class = classes[i]
		}
	}
	return out, nil
}

// rows splits vals into n rows.
func rows(vals []float64, n int) [][]float64 {
	k := len(vals) / n
	out := make([][]float64, n)
	for i := range out {
		out[i] = vals[i*k : (i+1)*k]
	}
	return out
}

func parseTFServing(body []byte) ([]prediction, error) {
	var ans struct {
		Predictions []json.RawMessage `json:"predictions"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || ans.Predictions == nil {
		return nil, fmt.Errorf("answer is not a TF Serving predict response with predictions: %s", snippet(body))
	}
	out := make([]prediction, len(ans.Predictions))
	for i, raw := range ans.Predictions {
		var probs []float64
		var class float64
		switch {
		case json.Unmarshal(raw, &probs) == nil:
			out[i] = prediction{probs: probs, class: argmax(probs)}
		case json.Unmarshal(raw, &class) == nil:
			out[i] = prediction{class: int(class)}
		default:
			return nil, fmt.Errorf("prediction %d is %s: want a list of probabilities or a class", i+1, snippet(raw))
		}
	}
	return out, nil
}

// flatNumbers reads OIP v2 tensor data, flat or nested, as numbers.
func flatNumbers(data json.RawMessage) ([]float64, error) {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var out []float64
	var walk func(any) error
	walk = func(x any) error {
		switch t := x.(type) {
		case float64:
			out = append(out, t)
		case []any:
			for _, e := range t {
				if err := walk(e); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("data holds %s, want numbers", show(x))
		}
		return nil
	}
	return out, walk(v)
}
