package payload

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// oip32 returns an OIP v2 exchange of batch instances of 32 FP32 features
// and a 3-class probability output, as a Triton or MLServer client sends it.
func oip32(batch int) *Input {
	var req, resp strings.Builder
	req.WriteString(`{"id":"42","inputs":[{"name":"input-0","shape":[`)
	fmt.Fprintf(&req, "%d,32],\"datatype\":\"FP32\",\"data\":[", batch)
	for i := range batch * 32 {
		if i > 0 {
			req.WriteByte(',')
		}
		fmt.Fprintf(&req, "%.4g", float64(i%97)*0.731+float64(i%7))
	}
	req.WriteString("]}]}")
	fmt.Fprintf(&resp, `{"model_name":"rerank","model_version":"42","id":"42","outputs":[{"name":"proba","shape":[%d,3],"datatype":"FP32","data":[`, batch)
	for i := range batch * 3 {
		if i > 0 {
			resp.WriteByte(',')
		}
		fmt.Fprintf(&resp, "0.%d", 1+i%9)
	}
	resp.WriteString("]}]}")
	return &Input{
		Path:       "/v2/models/rerank/versions/42/infer",
		ReqHeader:  http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"abc"}},
		RespHeader: http.Header{"Content-Type": {"application/json"}},
		Req:        []byte(req.String()),
		Resp:       []byte(resp.String()),
		Status:     200,
	}
}

func benchDecode(b *testing.B, cfg Config, in *Input) {
	dec, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var dst []obs.Record
	b.SetBytes(int64(len(in.Req) + len(in.Resp)))
	b.ReportAllocs()
	for b.Loop() {
		dst, err = dec.Decode(in, dst[:0])
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOIP32 decodes one 32-feature OIP v2 request and its
// response.
func BenchmarkDecodeOIP32(b *testing.B) {
	for _, batch := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchDecode(b, Config{Protocol: "oip-v2"}, oip32(batch)) })
	}
	b.Run("batch=1/auto", func(b *testing.B) { benchDecode(b, Config{}, oip32(1)) })
	b.Run("batch=1/gzip", func(b *testing.B) {
		in := oip32(1)
		in.Req = gzipped(b, in.Req)
		in.Resp = gzipped(b, in.Resp)
		in.ReqHeader = http.Header{"Content-Encoding": {"gzip"}}
		in.RespHeader = http.Header{"Content-Encoding": {"gzip"}}
		benchDecode(b, Config{Protocol: "oip-v2"}, in)
	})
}

// BenchmarkDecodeTFServing decodes 8 instances of 32 named features.
func BenchmarkDecodeTFServing(b *testing.B) {
	var req strings.Builder
	req.WriteString(`{"instances":[`)
	for r := range 8 {
		if r > 0 {
			req.WriteByte(',')
		}
		req.WriteByte('{')
		for j := range 32 {
			if j > 0 {
				req.WriteByte(',')
			}
			fmt.Fprintf(&req, `"feature_%d":%d.5`, j, r*j)
		}
		req.WriteByte('}')
	}
	req.WriteString("]}")
	in := &Input{Path: "/v1/models/m:predict", Req: []byte(req.String()),
		Resp: []byte(`{"predictions":[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8]}`)}
	benchDecode(b, Config{Protocol: "tf-serving"}, in)
}

// BenchmarkEncodingJSONAny is the baseline that justifies json.go: the
// same 32-feature OIP v2 exchange decoded by encoding/json into interface
// values (numbers as json.Number), before any conversion to records.
func BenchmarkEncodingJSONAny(b *testing.B) {
	in := oip32(1)
	b.SetBytes(int64(len(in.Req) + len(in.Resp)))
	b.ReportAllocs()
	for b.Loop() {
		var req, resp any
		dec := json.NewDecoder(strings.NewReader(string(in.Req)))
		dec.UseNumber()
		if err := dec.Decode(&req); err != nil {
			b.Fatal(err)
		}
		dec = json.NewDecoder(strings.NewReader(string(in.Resp)))
		dec.UseNumber()
		if err := dec.Decode(&resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodingJSONStruct is the typed variant of the baseline: the OIP
// v2 bodies into structs with []float64 data (which only fits numeric,
// flat tensors).
func BenchmarkEncodingJSONStruct(b *testing.B) {
	type tensor struct {
		Name     string    `json:"name"`
		Shape    []int     `json:"shape"`
		Datatype string    `json:"datatype"`
		Data     []float64 `json:"data"`
	}
	type body struct {
		ID      string   `json:"id"`
		Model   string   `json:"model_name"`
		Inputs  []tensor `json:"inputs"`
		Outputs []tensor `json:"outputs"`
	}
	in := oip32(1)
	b.SetBytes(int64(len(in.Req) + len(in.Resp)))
	b.ReportAllocs()
	for b.Loop() {
		var req, resp body
		if err := json.Unmarshal(in.Req, &req); err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(in.Resp, &resp); err != nil {
			b.Fatal(err)
		}
	}
}
