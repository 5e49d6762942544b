// Package synthetics runs end-to-end checks of a model service: an HTTP
// request with assertions on its answer (status, latency, headers, values
// of the JSON body selected by RFC 9535 JSONPath, certificate expiry), or
// a golden set of model inputs whose predictions must match the expected
// classes or probabilities within a tolerance, over OIP v2 or TF Serving.
//
// A Prober runs one check: an attempt, then retries while attempts fail,
// each timed by phase (DNS, connect, TLS, first byte, total) and marked
// X-Driftwatch-Synthetic: 1 so that the sidecar leaves them out of its
// statistics. A failed run carries its reason: which assertion, what was
// expected, what was seen. A Runner runs checks on their schedules with
// jitter, applies each check's min_failure_duration, exports the
// driftwatch_probe_* metrics and hands results on (ObsResult turns one
// into a result for the alert rules). WriteTable and WriteJUnit report a
// one-off run, for post-deploy gates in CI/CD.
package synthetics
