package payload

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// fuzzDecode decodes req and resp with cfg, as plain and as gzip bodies, and
// checks the invariants that hold for any bytes: no panic, errors are
// *Error with a known reason, and records are well formed.
func fuzzDecode(t *testing.T, cfg Config, path string, req, resp []byte) {
	dec, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, gz := range []bool{false, true} {
		in := &Input{Path: path, Req: req, Resp: resp, Status: 200, ReqHeader: http.Header{}, RespHeader: http.Header{}}
		if gz {
			if len(req) > 4096 {
				continue
			}
			in.Req = gzipped(t, req)
			in.ReqHeader.Set("Content-Encoding", "gzip")
		}
		recs, err := dec.Decode(in, nil)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T %v is not an *Error", err, err)
			}
			if !strings.Contains(strings.Join(reasons, " "), e.Reason) || e.Reason == "" {
				t.Fatalf("unknown reason %q", e.Reason)
			}
			if strings.ContainsAny(e.Error(), "\n\r") && !bytes.ContainsAny(req, "\n\r") && !bytes.ContainsAny(resp, "\n\r") {
				t.Fatalf("error %q spans lines", e.Error())
			}
			if e.Body == "request" && len(recs) != 0 {
				t.Fatalf("%d records with a request error", len(recs))
			}
		}
		nf := -1
		for _, r := range recs {
			if nf < 0 {
				nf = len(r.Features)
			}
			if len(r.Features) != nf {
				t.Fatalf("records of one batch have %d and %d features", nf, len(r.Features))
			}
			checkValues(t, r.Features)
			checkValues(t, r.Prediction)
		}
	}
}

func checkValues(t *testing.T, vs []obs.Value) {
	for _, v := range vs {
		if v.Name == "" {
			// Names may be empty only when the payload names a column "".
			continue
		}
		if v.Kind > obs.Category || v.Kind == obs.Number && v.Num != v.Num {
			t.Fatalf("bad value %+v", v)
		}
	}
}

// seeds adds the golden bodies of protocol dir to f.
func seeds(f *testing.F, dir string) {
	f.Helper()
	reqs, _ := filepath.Glob(filepath.Join("testdata", dir, "*.req.json"))
	for _, rf := range reqs {
		req, err := os.ReadFile(rf)
		if err != nil {
			f.Fatal(err)
		}
		resp, _ := os.ReadFile(strings.TrimSuffix(rf, ".req.json") + ".resp.json")
		f.Add(req, resp)
	}
}

func FuzzOIPV2(f *testing.F) {
	seeds(f, "oip-v2")
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{Protocol: "oip-v2"}, "/v2/models/m/versions/1/infer", req, resp)
	})
}

func FuzzTFServing(f *testing.F) {
	seeds(f, "tf-serving")
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{Protocol: "tf-serving", FeatureNames: []string{"a", "b"}}, "/v1/models/m:predict", req, resp)
	})
}

func FuzzSeldon(f *testing.F) {
	seeds(f, "seldon-v1")
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{Protocol: "seldon-v1"}, "/seldon/ns/m/api/v1.0/predictions", req, resp)
	})
}

func FuzzMLflow(f *testing.F) {
	seeds(f, "mlflow")
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{Protocol: "mlflow"}, "/invocations", req, resp)
	})
}

func FuzzJSON(f *testing.F) {
	seeds(f, "json")
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{Protocol: "json", FeaturesPath: "$.items[*].features", PredictionsPath: "y[0]"}, "/", req, resp)
		fuzzDecode(t, Config{Protocol: "json"}, "/", req, resp)
	})
}

func FuzzAuto(f *testing.F) {
	for _, dir := range []string{"oip-v2", "tf-serving", "seldon-v1", "mlflow", "json"} {
		seeds(f, dir)
	}
	f.Fuzz(func(t *testing.T, req, resp []byte) {
		fuzzDecode(t, Config{}, "/predict", req, resp)
	})
}
