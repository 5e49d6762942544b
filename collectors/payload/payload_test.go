package payload

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// goldenCase is one exchange read from testdata/<protocol>/<file>.req.json
// (and .resp.json when present) and checked against <name>.golden.json.
type goldenCase struct {
	name       string
	file       string // base name of the bodies; name when empty
	path       string // URL path; the protocol's usual one when empty
	cfg        Config
	reqHeader  http.Header
	respHeader http.Header
	gzipReq    bool
	gzipResp   bool
	corruptGz  bool   // corrupt the gzip request body
	reqSuffix  string // binary tail after the JSON, announced by Inference-Header-Content-Length
	status     int    // 200 when zero
	reason     string // the expected Error.Reason; "" for no error
	body       string // the expected Error.Body
}

var defaultPaths = map[string]string{
	"oip-v2":     "/v2/models/iris/versions/3/infer",
	"tf-serving": "/v1/models/iris:predict",
	"seldon-v1":  "/api/v1.0/predictions",
	"mlflow":     "/invocations",
	"json":       "/predict",
}

var goldenCases = map[string][]goldenCase{
	"oip-v2": {
		{name: "single"},
		{name: "batch"},
		{name: "named_inputs", path: "/v2/models/iris/infer"},
		{name: "bytes", path: "/v2/models/churn/infer"},
		{name: "gzip", gzipReq: true, gzipResp: true},
		{name: "headers", file: "single", cfg: Config{ModelHeader: "X-Model-Name"}, reqHeader: http.Header{
			"X-Request-Id": {"abc-123"}, "X-Driftwatch-Synthetic": {"1"}, "X-Model-Name": {"iris-canary"}}},
		{name: "response_request_id", file: "single", respHeader: http.Header{"X-Request-Id": {"from-proxy"}}},
		{name: "feature_names", file: "batch", cfg: Config{FeatureNames: []string{"sepal_length", "sepal_width"}}},
		{name: "config_override", file: "single", cfg: Config{Model: "m", Version: "v9"}},
		{name: "upstream_error", status: 503},
		{name: "triton_binary_tail", file: "single", reqSuffix: "\x00\x01\x02\x03binary"},
		{name: "bad_json", reason: ReasonJSON, body: "request"},
		{name: "bad_shape", reason: ReasonShape, body: "request"},
		{name: "bad_dim", reason: ReasonShape, body: "request"},
		{name: "batch_differs", reason: ReasonShape, body: "request"},
		{name: "missing_inputs", reason: ReasonMissingField, body: "request"},
		{name: "inputs_type", reason: ReasonType, body: "request"},
		{name: "binary", reason: ReasonUnsupported, body: "request"},
		{name: "mismatch", reason: ReasonMismatch, body: "response"},
		{name: "bad_response", reason: ReasonJSON, body: "response"},
		{name: "bad_gzip", gzipReq: true, corruptGz: true, reason: ReasonGzip, body: "request"},
		{name: "empty", reason: ReasonEmpty, body: "request"},
		{name: "too_large", file: "batch", gzipReq: true, cfg: Config{MaxBodyBytes: 50}, reason: ReasonTooLarge, body: "request"},
		{name: "encoding", file: "single", reqHeader: http.Header{"Content-Encoding": {"br"}}, reason: ReasonEncoding, body: "request"},
	},
	"tf-serving": {
		{name: "single", path: "/v1/models/iris/versions/2:predict"},
		{name: "batch", path: "/v1/models/iris/labels/stable:predict"},
		{name: "named_instances"},
		{name: "columnar"},
		{name: "columnar_single"},
		{name: "scalars"},
		{name: "classify", path: "/v1/models/iris:classify"},
		{name: "feature_names", file: "batch", cfg: Config{FeatureNames: []string{"a", "b", "c", "d"}}},
		{name: "bad_width", reason: ReasonShape, body: "request"},
		{name: "bad_type", reason: ReasonType, body: "request"},
		{name: "no_instances", reason: ReasonMissingField, body: "request"},
		{name: "mixed_rows", reason: ReasonType, body: "request"},
		{name: "mismatch", reason: ReasonMismatch, body: "response"},
	},
	"seldon-v1": {
		{name: "ndarray", path: "/seldon/prod/iris/api/v1.0/predictions"},
		{name: "unnamed"},
		{name: "tensor"},
		{name: "jsondata"},
		{name: "strdata"},
		{name: "tftensor", reason: ReasonUnsupported, body: "request"},
		{name: "no_data", reason: ReasonMissingField, body: "request"},
		{name: "data_type", reason: ReasonType, body: "request"},
		{name: "tensor_shape", reason: ReasonShape, body: "request"},
	},
	"mlflow": {
		{name: "split"},
		{name: "records"},
		{name: "instances"},
		{name: "inputs"},
		{name: "int_columns"},
		{name: "bad_split", reason: ReasonMissingField, body: "request"},
		{name: "bad_row", reason: ReasonShape, body: "request"},
		{name: "bad_root", reason: ReasonType, body: "request"},
		{name: "unknown", reason: ReasonMissingField, body: "request"},
	},
	"json": {
		{name: "paths", cfg: Config{FeaturesPath: "$.payload.rows", PredictionsPath: "result.scores"}},
		{name: "wildcard", cfg: Config{FeaturesPath: "$.items[*].features", PredictionsPath: "items[*].p"}},
		{name: "whole"},
		{name: "index", cfg: Config{FeaturesPath: "$['batches'][1]", PredictionsPath: "$.y"}},
		{name: "missing_path", cfg: Config{FeaturesPath: "$.payload.rows"}, reason: ReasonMissingField, body: "request"},
	},
}

// input builds the exchange of case c of protocol proto.
func (c goldenCase) input(t *testing.T, proto string) *Input {
	t.Helper()
	file := c.file
	if file == "" {
		file = c.name
	}
	dir := filepath.Join("testdata", proto)
	req, err := os.ReadFile(filepath.Join(dir, file+".req.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := os.ReadFile(filepath.Join(dir, file+".resp.json"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	in := &Input{
		Path:       cmpOr(c.path, defaultPaths[proto]),
		ReqHeader:  http.Header{},
		RespHeader: http.Header{},
		Req:        req,
		Resp:       resp,
		Status:     cmpOr(c.status, 200),
		Time:       time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Latency:    7 * time.Millisecond,
	}
	for k, v := range c.reqHeader {
		in.ReqHeader[k] = v
	}
	for k, v := range c.respHeader {
		in.RespHeader[k] = v
	}
	if c.reqSuffix != "" {
		in.ReqHeader.Set(HeaderInferenceLength, strconv.Itoa(len(in.Req)))
		in.Req = append(in.Req, c.reqSuffix...)
	}
	if c.gzipReq {
		in.Req = gzipped(t, in.Req)
		in.ReqHeader.Set("Content-Encoding", "gzip")
		if c.corruptGz {
			in.Req[len(in.Req)/2] ^= 0xff
			in.Req = in.Req[:len(in.Req)-3]
		}
	}
	if c.gzipResp {
		in.Resp = gzipped(t, in.Resp)
		in.RespHeader.Set("Content-Encoding", "gzip")
	}
	return in
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// goldenRecord is how a Record appears in a golden file: values as name=value,
// with categories quoted and missing values as name=<missing>.
type goldenRecord struct {
	Model      string   `json:"model"`
	Version    string   `json:"version"`
	RequestID  string   `json:"request_id,omitempty"`
	Status     int      `json:"status"`
	Synthetic  bool     `json:"synthetic,omitempty"`
	Features   []string `json:"features"`
	Prediction []string `json:"prediction"`
}

type goldenError struct {
	Protocol string `json:"protocol"`
	Body     string `json:"body"`
	Reason   string `json:"reason"`
	Message  string `json:"message"`
}

type golden struct {
	Records []goldenRecord `json:"records"`
	Error   *goldenError   `json:"error,omitempty"`
}

func renderValues(vs []obs.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		switch v.Kind {
		case obs.Number:
			out[i] = v.Name + "=" + strconv.FormatFloat(v.Num, 'g', -1, 64)
		case obs.Category:
			out[i] = v.Name + "=" + strconv.Quote(v.Str)
		default:
			out[i] = v.Name + "=<missing>"
		}
	}
	return out
}

func render(t *testing.T, recs []obs.Record, in *Input, err error) []byte {
	t.Helper()
	g := golden{Records: []goldenRecord{}}
	for _, r := range recs {
		if !r.Time.Equal(in.Time) || r.Latency != in.Latency {
			t.Errorf("record time/latency %v/%v, want %v/%v", r.Time, r.Latency, in.Time, in.Latency)
		}
		g.Records = append(g.Records, goldenRecord{
			Model: r.Model, Version: r.Version, RequestID: r.RequestID, Status: r.Status,
			Synthetic: r.Synthetic, Features: renderValues(r.Features), Prediction: renderValues(r.Prediction),
		})
	}
	if e, ok := errors.AsType[*Error](err); ok {
		g.Error = &goldenError{Protocol: e.Protocol, Body: e.Body, Reason: e.Reason, Message: e.Error()}
	}
	b, merr := json.MarshalIndent(g, "", "  ")
	if merr != nil {
		t.Fatal(merr)
	}
	return append(b, '\n')
}

func sortedProtocols() []string {
	var ps []string
	for p := range goldenCases {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

func TestGolden(t *testing.T) {
	for _, proto := range sortedProtocols() {
		for _, c := range goldenCases[proto] {
			t.Run(proto+"/"+c.name, func(t *testing.T) {
				cfg := c.cfg
				cfg.Protocol = proto
				dec, err := New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				in := c.input(t, proto)
				recs, err := dec.Decode(in, nil)
				checkErr(t, err, proto, c.reason, c.body)
				checkGolden(t, filepath.Join("testdata", proto, c.name+".golden.json"), render(t, recs, in, err))
			})
		}
	}
}

func checkErr(t *testing.T, err error, proto, reason, body string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("Decode: %v", err)
		}
		return
	}
	e, ok := errors.AsType[*Error](err)
	if !ok {
		t.Fatalf("Decode error %v, want an *Error with reason %s", err, reason)
	}
	if e.Protocol != proto || e.Reason != reason || e.Body != body {
		t.Fatalf("Decode error %s/%s/%s (%v), want %s/%s/%s", e.Protocol, e.Body, e.Reason, e, proto, body, reason)
	}
	if msg := e.Error(); strings.ContainsAny(msg, "\n\r") || msg != strings.ToLower(msg[:1])+msg[1:] {
		t.Errorf("error %q is not one lowercase line", msg)
	}
	if !slices.Contains(Reasons(), e.Reason) {
		t.Errorf("reason %q is not in Reasons()", e.Reason)
	}
}

func checkGolden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update and review the diff):\ngot:\n%s", file, got)
	}
}

// TestAutoMatchesGolden decodes every good golden exchange of the fixed
// protocols with "auto", which must give the same records.
func TestAutoMatchesGolden(t *testing.T) {
	dec, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, proto := range sortedProtocols() {
		if proto == "json" {
			continue
		}
		for _, c := range goldenCases[proto] {
			if c.reason != "" || c.cfg.Model != "" || c.cfg.ModelHeader != "" || c.cfg.FeatureNames != nil {
				continue
			}
			t.Run(proto+"/"+c.name, func(t *testing.T) {
				in := c.input(t, proto)
				recs, err := dec.Decode(in, nil)
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(filepath.Join("testdata", proto, c.name+".golden.json"))
				if err != nil {
					t.Fatal(err)
				}
				if got := render(t, recs, in, nil); !bytes.Equal(got, want) {
					t.Errorf("auto differs from %s:\n%s", proto, got)
				}
			})
		}
	}
}

func TestAutoDetect(t *testing.T) {
	for _, c := range []struct {
		name, path, body, want string
	}{
		{"oip path", "/v2/models/iris/versions/1/infer", `{"instances":[[1]]}`, "oip-v2"},
		{"oip path behind gateway", "/seldon/ns/iris/v2/models/iris/infer", `{}`, "oip-v2"},
		{"tf path", "/v1/models/iris:predict", `{"inputs":[{"shape":[1]}]}`, "tf-serving"},
		{"tf classify", "/v1/models/iris/versions/3:classify", `{}`, "tf-serving"},
		{"seldon path", "/seldon/ns/iris/api/v1.0/predictions", `{}`, "seldon-v1"},
		{"seldon old path", "/api/v0.1/predictions", `{}`, "seldon-v1"},
		{"mlflow path", "/invocations", `{"instances":[1]}`, "mlflow"},
		{"oip body datatype", "/predict", `{"inputs":[{"name":"x","datatype":"FP32"}]}`, "oip-v2"},
		{"oip body shape", "", `{"inputs":[{"shape":[1],"data":[1]}]}`, "oip-v2"},
		{"mlflow split", "", `{"dataframe_split":{}}`, "mlflow"},
		{"mlflow records", "", `{"dataframe_records":[]}`, "mlflow"},
		{"seldon ndarray", "", `{"data":{"ndarray":[]}}`, "seldon-v1"},
		{"seldon strData", "", `{"strData":"x"}`, "seldon-v1"},
		{"generic data key", "", `{"data":[1,2]}`, "json"},
		{"tf instances", "", `{"instances":[]}`, "tf-serving"},
		{"tf columnar inputs", "", `{"inputs":{"a":[1]}}`, "tf-serving"},
		{"tf list inputs", "", `{"inputs":[[1,2]]}`, "tf-serving"},
		{"tf examples", "", `{"examples":[]}`, "tf-serving"},
		{"generic object", "", `{"age":1}`, "json"},
		{"generic list", "", `[1,2]`, "json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := detectPath(c.path)
			if got == "" {
				var d doc
				if err := d.parse([]byte(c.body)); err != nil {
					t.Fatal(err)
				}
				got = detectBody(&d)
			}
			if got != c.want {
				t.Errorf("detected %s, want %s", got, c.want)
			}
		})
	}
	// An unreadable body is counted under the protocol of its URL, or auto.
	dec, _ := New(Config{})
	for path, want := range map[string]string{"/invocations": "mlflow", "/x": "auto"} {
		_, err := dec.Decode(&Input{Path: path, Req: []byte("{")}, nil)
		if e, ok := errors.AsType[*Error](err); !ok || e.Protocol != want || e.Reason != ReasonJSON {
			t.Errorf("path %s: error %v, want protocol %s reason json", path, err, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string // "" for valid
	}{
		{"zero", Config{}, ""},
		{"every protocol", Config{Protocol: "seldon-v1"}, ""},
		{"json paths", Config{Protocol: "json", FeaturesPath: "$.a[*].b", PredictionsPath: "c['d.e'][2]"}, ""},
		{"unknown", Config{Protocol: "grpc"}, `unknown protocol "grpc" (want one of auto, json, mlflow, oip-v2, seldon-v1, tf-serving)`},
		{"negative size", Config{MaxBodyBytes: -1}, "max_body_bytes is -1, must not be negative"},
		{"paths need json", Config{Protocol: "oip-v2", FeaturesPath: "a"}, "features_path and predictions_path apply only to protocol json, not oip-v2"},
		{"empty name", Config{FeatureNames: []string{"a", ""}}, "feature_names[1] is empty"},
		{"repeated name", Config{FeatureNames: []string{"a", "b", "a"}}, `feature_names[2] repeats feature_names[0] "a"`},
		{"bad index", Config{Protocol: "json", FeaturesPath: "a[x]"}, `features_path: "a[x]": index "x" is not a non-negative integer`},
		{"two wildcards", Config{Protocol: "json", PredictionsPath: "a[*].b[*]"}, `predictions_path: "a[*].b[*]": more than one [*]`},
		{"empty key", Config{Protocol: "json", FeaturesPath: "a..b"}, `features_path: "a..b": empty key`},
		{"unterminated", Config{Protocol: "json", FeaturesPath: "a['b"}, `features_path: "a['b": unterminated quoted key`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("Validate() = %q, want %q", got, c.want)
			}
			if _, nerr := New(c.cfg); (nerr == nil) != (err == nil) {
				t.Errorf("New and Validate disagree: %v, %v", nerr, err)
			}
		})
	}
}

func TestProtocols(t *testing.T) {
	want := []string{"auto", "json", "mlflow", "oip-v2", "seldon-v1", "tf-serving"}
	if got := Protocols(); !slices.Equal(got, want) {
		t.Errorf("Protocols() = %v, want %v", got, want)
	}
}

func TestDecoderFunc(t *testing.T) {
	var d Decoder = DecoderFunc(func(in *Input, dst []obs.Record) ([]obs.Record, error) {
		return append(dst, obs.Record{Model: in.Path}), nil
	})
	recs, err := d.Decode(&Input{Path: "m"}, nil)
	if err != nil || len(recs) != 1 || recs[0].Model != "m" {
		t.Errorf("Decode = %v, %v", recs, err)
	}
}

// TestGzipBomb checks that a small gzip body that expands past the limit is
// refused without decompressing it whole.
func TestGzipBomb(t *testing.T) {
	big := bytes.Repeat([]byte(" "), 8<<20)
	bomb := gzipped(t, append(append([]byte(`{"instances":[`), big...), "[1]]}"...))
	dec, _ := New(Config{MaxBodyBytes: 1 << 20})
	in := &Input{Path: "/v1/models/m:predict", Req: bomb, ReqHeader: http.Header{"Content-Encoding": {"gzip"}}}
	_, err := dec.Decode(in, nil)
	checkErr(t, err, "tf-serving", ReasonTooLarge, "request")
	dec, _ = New(Config{})
	recs, err := dec.Decode(in, nil)
	if err != nil || len(recs) != 1 {
		t.Fatalf("with the default limit: %d records, %v", len(recs), err)
	}
}

// TestAppendsAndIsolates checks that Decode appends to dst, and that records
// do not share value slices: appending to one record's features must not
// change its predictions or another record.
func TestAppendsAndIsolates(t *testing.T) {
	c := goldenCase{name: "batch"}
	in := c.input(t, "oip-v2")
	dec, _ := New(Config{})
	dst := []obs.Record{{Model: "earlier"}}
	dst, err := dec.Decode(in, dst)
	if err != nil || len(dst) != 3 || dst[0].Model != "earlier" {
		t.Fatalf("Decode = %d records, %v", len(dst), err)
	}
	before := fmt.Sprint(dst[2].Prediction)
	dst[1].Features = append(dst[1].Features, obs.Value{Name: "extra"})
	if after := fmt.Sprint(dst[2].Prediction); after != before || dst[1].Prediction[0].Name != "predict" {
		t.Errorf("records share storage: %s became %s", before, after)
	}
}

// TestConcurrent decodes from several goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	dec, _ := New(Config{})
	var ins []*Input
	for _, proto := range sortedProtocols() {
		for _, c := range goldenCases[proto] {
			if c.cfg.Protocol == "" && c.reason == "" && proto != "json" {
				ins = append(ins, c.input(t, proto))
			}
		}
	}
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			var dst []obs.Record
			for range 20 {
				for _, in := range ins {
					dst, _ = dec.Decode(in, dst[:0])
				}
			}
		}()
	}
	for range 4 {
		<-done
	}
}

// TestKeyedOrder checks that instances whose keys come in another order than
// the first instance's, or are absent, or are unknown, land in the right
// columns, for narrow objects (linear search) and wide ones (index).
func TestKeyedOrder(t *testing.T) {
	for _, width := range []int{3, 40} {
		t.Run(strconv.Itoa(width), func(t *testing.T) {
			var first, second []string
			for j := range width {
				first = append(first, fmt.Sprintf(`"k%d":%d`, j, j))
				if j != 1 {
					second = append(second, fmt.Sprintf(`"k%d":%d`, j, 100+j))
				}
			}
			slices.Reverse(second)
			second = append(second, `"unknown":7`)
			req := `{"instances":[{` + strings.Join(first, ",") + `},{` + strings.Join(second, ",") + `}]}`
			dec, _ := New(Config{Protocol: "tf-serving"})
			recs, err := dec.Decode(&Input{Req: []byte(req)}, nil)
			if err != nil || len(recs) != 2 {
				t.Fatalf("Decode = %d records, %v", len(recs), err)
			}
			for j, v := range recs[1].Features {
				want := obs.Value{Name: "k" + strconv.Itoa(j), Kind: obs.Number, Num: float64(100 + j)}
				if j == 1 {
					want = obs.Value{Name: "k1"}
				}
				if v != want || recs[0].Features[j].Num != float64(j) {
					t.Errorf("feature %d = %+v / %+v, want %+v", j, recs[0].Features[j], v, want)
				}
			}
		})
	}
}
