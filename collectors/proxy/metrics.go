package proxy

import (
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. Every label takes values from a fixed set.
const (
	// MetricRequests counts proxied requests by the status code sent to the
	// client, label code: see codeLabel.
	MetricRequests = "driftwatch_proxy_requests_total"
	// MetricUpstreamDuration observes, for every request the upstream
	// answered, the time from sending the request upstream to the end of the
	// response body.
	MetricUpstreamDuration = "driftwatch_proxy_upstream_duration_seconds"
	// MetricOverhead observes the time the sidecar itself adds to a complete
	// exchange:
	//
	//	(upstream send − handler entry) + (handler end − upstream body end)
	//
	// "upstream send" is when the request is handed to the upstream
	// transport, "upstream body end" is when the upstream response body
	// returned EOF, and "handler end" is after the last write to the client
	// and the tap offer. Writes to the client between the first and last
	// body read overlap with the upstream and count as upstream time; the
	// final flush net/http does after the handler returns is not seen.
	MetricOverhead = "driftwatch_proxy_overhead_seconds"
	// MetricTapDropped counts exchanges the tap did not get in full, label
	// reason: "queue_full" (Offer returned false) or "over_capture_limit" (a
	// body was larger than the capture limit; the exchange is still offered,
	// without that body).
	MetricTapDropped = "driftwatch_tap_dropped_total"
	// MetricUpstreamErrors counts failed exchanges, label kind: "refused"
	// (connection refused, 502), "timeout" (504), "other" (any other upstream
	// failure, including a response body cut off, 502) and "client_gone" (the
	// client went away before the response was sent in full).
	MetricUpstreamErrors = "driftwatch_proxy_upstream_errors_total"
)

// Error kinds, the values of Exchange.Error and of the kind label.
const (
	errNone = iota
	errRefused
	errTimeout
	errOther
	errClientGone
	numErrKinds
)

var errKindNames = [numErrKinds]string{"", "refused", "timeout", "other", "client_gone"}

// statusClientGone is the status recorded (and, uselessly, written) when the
// client went away before the upstream answered, as nginx logs it.
const statusClientGone = 499

// exactCodes are the status codes that get their own value of the code label.
// Any other code is counted under its class ("1xx" … "5xx"), or "other" when
// outside 100–599, so the label has at most len(exactCodes)+6 values.
var exactCodes = []int{
	200, 201, 202, 204, 206,
	301, 302, 304, 307, 308,
	400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, statusClientGone,
	500, 501, 502, 503, 504,
}

// codeLabel returns the code label value for status.
func codeLabel(status int) string {
	for _, c := range exactCodes {
		if c == status {
			return strconv.Itoa(status)
		}
	}
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// Histogram buckets, in seconds.
var (
	upstreamBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	overheadBuckets = []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2}
)

// metrics holds the proxy's collectors with label values resolved once, so
// the request path does no label hashing. The error kinds and drop reasons
// are exported at zero from the start; status codes appear when first seen.
type metrics struct {
	requests       *prometheus.CounterVec
	byStatus       [600]atomic.Pointer[counter] // resolved children of requests; index 0 is "other"
	upstream       prometheus.Histogram
	overhead       prometheus.Histogram
	queueFull      prometheus.Counter
	overLimit      prometheus.Counter
	upstreamErrors [numErrKinds]prometheus.Counter // index errNone unused
}

type counter struct{ prometheus.Counter }

// newMetrics creates the metrics and registers them on reg unless reg is nil.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests,
		Help: "Requests proxied to the model server, by status code sent to the client (exact for common codes, else the class).",
	}, []string{"code"})
	upstream := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    MetricUpstreamDuration,
		Help:    "Time from sending a request to the model server to the end of its response body.",
		Buckets: upstreamBuckets,
	})
	overhead := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    MetricOverhead,
		Help:    "Time the sidecar adds to an exchange: request receipt to upstream send, plus upstream body end to handler end.",
		Buckets: overheadBuckets,
	})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricTapDropped,
		Help: "Exchanges the tap did not get in full, by reason (queue_full, over_capture_limit).",
	}, []string{"reason"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricUpstreamErrors,
		Help: "Exchanges that failed, by kind (refused, timeout, other, client_gone).",
	}, []string{"kind"})

	m := &metrics{
		requests:  requests,
		upstream:  upstream,
		overhead:  overhead,
		queueFull: dropped.WithLabelValues("queue_full"),
		overLimit: dropped.WithLabelValues("over_capture_limit"),
	}
	for k := errRefused; k < numErrKinds; k++ {
		m.upstreamErrors[k] = errs.WithLabelValues(errKindNames[k])
	}
	if reg == nil {
		return m, nil
	}
	var regErrs []error
	for _, c := range []prometheus.Collector{requests, upstream, overhead, dropped, errs} {
		if err := reg.Register(c); err != nil {
			regErrs = append(regErrs, err)
		}
	}
	if err := errors.Join(regErrs...); err != nil {
		return nil, fmt.Errorf("register proxy metrics: %w", err)
	}
	return m, nil
}

// request counts one request answered with status.
func (m *metrics) request(status int) {
	if status < 0 || status >= len(m.byStatus) {
		status = 0
	}
	c := m.byStatus[status].Load()
	if c == nil {
		c = &counter{m.requests.WithLabelValues(codeLabel(status))}
		m.byStatus[status].Store(c)
	}
	c.Inc()
}
