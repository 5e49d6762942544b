package payload_test

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/driftwatch/driftwatch/collectors/payload"
)

// A batch of two Open Inference Protocol v2 instances: one record each, with
// the model and version from the URL and the features named by input.
func Example() {
	dec, err := payload.New(payload.Config{}) // protocol "auto"
	if err != nil {
		panic(err)
	}
	in := &payload.Input{
		Path:      "/v2/models/iris/versions/3/infer",
		ReqHeader: http.Header{"X-Request-Id": {"req-7"}},
		Req: []byte(`{"inputs": [
			{"name": "sepal_length", "shape": [2, 1], "datatype": "FP32", "data": [5.1, 6.7]},
			{"name": "color", "shape": [2], "datatype": "BYTES", "data": ["red", "blue"]}]}`),
		Resp: []byte(`{"model_name": "iris", "outputs": [
			{"name": "proba", "shape": [2, 2], "datatype": "FP32", "data": [[0.9, 0.1], [0.2, 0.8]]}]}`),
		Status: 200,
	}
	recs, err := dec.Decode(in, nil)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Print(r.Model, " v", r.Version, " ", r.RequestID, ":")
		for _, v := range r.Features {
			fmt.Printf(" %s=%v", v.Name, map[bool]any{true: v.Num, false: v.Str}[v.Str == ""])
		}
		fmt.Print(" →")
		for _, v := range r.Prediction {
			fmt.Printf(" %s=%g", v.Name, v.Num)
		}
		fmt.Println()
	}
	// Output:
	// iris v3 req-7: sepal_length=5.1 color=red → proba[0]=0.9 proba[1]=0.1
	// iris v3 req-7: sepal_length=6.7 color=blue → proba[0]=0.2 proba[1]=0.8
}

// A malformed body is an *Error whose Protocol, Body and Reason can label a
// counter.
func ExampleError() {
	dec, _ := payload.New(payload.Config{Protocol: "tf-serving"})
	_, err := dec.Decode(&payload.Input{Req: []byte(`{"instances": [[1, 2], [3]]}`)}, nil)
	var e *payload.Error
	if errors.As(err, &e) {
		fmt.Println(e.Protocol, e.Body, e.Reason)
		fmt.Println(e)
	}
	// Output:
	// tf-serving request shape
	// payload: tf-serving request: shape: instance 1 has 1 values, instance 0 has 2
}
