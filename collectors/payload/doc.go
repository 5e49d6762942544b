// Package payload decodes the prediction traffic of model servers: it turns
// one HTTP exchange (request and response bodies, URL path, headers) into one
// obs.Record per instance of the request's batch, with the model name and
// version, the features by name, the prediction values, the request id and
// the synthetic flag.
//
// # Protocols
//
// Config.Protocol chooses the wire format (Protocols lists them):
//
//   - "oip-v2": the Open Inference Protocol v2 over REST (KServe v2, Triton,
//     MLServer, Seldon Core v2); /v2/models/{name}[/versions/{v}]/infer.
//   - "tf-serving": TensorFlow Serving's REST API, also KServe v1;
//     /v1/models/{name}[/versions/{v}|/labels/{l}]:predict, instances or
//     inputs in, predictions or outputs back.
//   - "seldon-v1": Seldon Core v1 messages, data.ndarray or data.tensor with
//     optional names, jsonData, strData; /api/v1.0/predictions.
//   - "mlflow": the MLflow scoring server's /invocations: dataframe_split,
//     dataframe_records, instances, inputs; {"predictions": …} or a bare list.
//   - "json": any JSON, with Config.FeaturesPath and Config.PredictionsPath
//     selecting the instances and the predictions.
//   - "auto" (the default) detects the protocol of each exchange, first from
//     the URL path: …/v2/models/…/infer is oip-v2; …/v1/models/…:predict,
//     :classify or :regress is tf-serving; …/api/v1.0/predictions or
//     …/api/v0.1/predictions is seldon-v1; …/invocations is mlflow. When the
//     path says nothing, from the request body's top-level keys, in this
//     order: "inputs" holding a list whose first element is an object with
//     "datatype" or "shape" is oip-v2; "dataframe_split" or
//     "dataframe_records" is mlflow; "data" holding an object with
//     "ndarray", "tensor", "tftensor" or "names", or "jsonData", "strData" or
//     "binData", is seldon-v1; "instances", "inputs" or "examples" is
//     tf-serving; anything else is json with whole-body paths.
//
// # Model, version, request id, synthetic
//
// The model and version are, in order of precedence: Config.Model and
// Config.Version; the headers Config.ModelHeader and Config.VersionHeader
// (request, then response); the URL path; the response body (OIP
// model_name and model_version). The request id is the X-Request-Id header
// (request, then response), else the body's (OIP id, Seldon meta.puid). A
// record is Synthetic when the request carries X-Driftwatch-Synthetic: 1
// (or true). Input.Status, Time and Latency are copied to every record.
//
// # Layouts and feature names
//
// Every protocol reduces to three layouts. A shaped tensor (OIP inputs,
// Seldon data.tensor) has its batch as the first dimension and the other
// dimensions flattened row-major. A list of instances (TF instances, Seldon
// ndarray, MLflow records and split data) has one instance per element: an
// object gives one column per key of the first instance (later instances are
// matched by key, absent keys are Missing, keys only later instances have are
// ignored); a list is flattened. An object of columns (TF and MLflow inputs,
// generic JSON) is a batch when every value is a list of the same length,
// and a single instance otherwise.
//
// Features are named, from the payload when it names them: the input name
// for a one-column OIP input, the key of an object, a Seldon name, a
// dataframe column (numbers such as pandas' 0, 1 become "0", "1"). A column
// with several values per instance gives name[0], name[1], … in row-major
// order (an OIP input "input-0" of shape [n, 4] gives input-0[0] …
// input-0[3]). Columns with no name at all (rows of plain lists) are f0, f1,
// …, numbered by position in the record. Config.FeatureNames renames, by
// position in the record, every feature that is not named by the payload
// itself: the name[j] and f<i> columns.
//
// # Predictions
//
// Record.Prediction holds, per instance, the values of every output, named
// like features: a scalar output is one value named by the output (OIP
// output name, the key of a TF prediction object), a vector output (class
// probabilities) is name[0], name[1], …; unnamed predictions (a list of
// scalars or of vectors) are "prediction", or prediction[0],
// prediction[1], …. A response whose status is not 2xx (0 counts as 2xx) or
// whose body is empty is not decoded: its records have no prediction.
//
// # Values
//
// JSON numbers are obs.Number, except NaN and ±Infinity (which Python emits)
// which are obs.Missing as no statistic can use them; strings are
// obs.Category; true and false are Number 1 and 0; null, objects (such as TF's
// {"b64": …}) and absent cells are Missing. Seldon strData and binData carry
// no tabular values: they give one instance with no features.
//
// # Errors
//
// Malformed bodies are *Error values with a Protocol, a Body ("request" or
// "response") and a Reason from Reasons, all from small fixed sets so that
// they can label a counter, and a one-line message that quotes at most a few
// bytes of the payload. A bad request yields no records; a bad response
// (or one whose batch size differs from the request's: reason mismatch)
// yields the request's records without predictions, along with the error.
//
// Bodies with Content-Encoding gzip are decompressed, up to
// Config.MaxBodyBytes (64 MiB by default): a small body that inflates past it
// is refused, not read. Triton's Inference-Header-Content-Length limits the
// JSON to the body's first bytes; binary tensors are not read.
//
// # Cost
//
// Decode parses with a small JSON parser of its own into a pooled arena
// (encoding/json allocates per value; see BenchmarkEncodingJSONAny), interns
// short strings, and allocates one slice of values per batch: a 32-feature
// OIP v2 exchange takes about 2 µs and 2 allocations.
package payload
