package sidecar

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// ResultSqueezeL1 is the result of feature squeezing, one per model
// version and tick with squeezed records: Value is the largest L1
// distance between a record's class probabilities and those of its
// squeezed copy (0 to 2), Samples the records compared; the evidence
// names the client (salted hash) and request of the largest.
const ResultSqueezeL1 = "feature_squeezing_l1"

// squeezeQueue bounds the squeezed requests waiting or in flight; a
// sampled request finding it full is skipped (counted as busy).
const squeezeQueue = 4

// maxSqueezeBody bounds a squeezed request decompressed, and its answer.
const maxSqueezeBody = 64 << 20

// squeezeJob is one sampled request: what the pipeline knew of it, then
// what the worker got for its squeezed copy.
type squeezeJob struct {
	w                 *watched
	path              string
	header            http.Header
	body              []byte      // the request as the client sent it
	probs             [][]float64 // the original answer's, by row
	model, version    string
	client, requestID string

	squeezed, resp []byte
	status         int
	err            error
}

// squeezer is a model entry's feature squeezing: the sampling and, since
// the last tick, the largest distance per model version.
type squeezer struct {
	cfg   config.SqueezeConfig
	rng   *rand.Rand
	ticks map[[2]string]*squeezeTick
}

type squeezeTick struct {
	n                 int
	max               float64
	client, requestID string
}

func newSqueezer(cfg *config.SqueezeConfig) *squeezer {
	return &squeezer{cfg: *cfg, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), ticks: map[[2]string]*squeezeTick{}}
}

// sampleSqueeze decides whether to squeeze the exchange whose records are recs,
// and if so hands a job to the worker. It runs on the pipeline goroutine,
// before the exchange is released: what the job needs is copied.
func (p *pipeline) sampleSqueeze(w *watched, path string, header http.Header, req []byte, recs []obs.Record, client string) {
	sq := w.squeeze
	if sq == nil || len(recs) == 0 || recs[0].Synthetic || req == nil || sq.rng.Float64() >= sq.cfg.Sample {
		return
	}
	probs := make([][]float64, len(recs))
	for i := range recs {
		if probs[i] = recs[i].Probabilities(nil); probs[i] == nil {
			p.squeezes.WithLabelValues("no_probabilities").Inc()
			return
		}
	}
	job := &squeezeJob{
		w: w, path: path, header: header.Clone(), probs: probs,
		model: recs[0].Model, version: recs[0].Version, client: client, requestID: recs[0].RequestID,
		body: bytes.Clone(req),
	}
	// The copy goes with the client's headers (authentication, model
	// headers), minus those of the connection and the body, which is
	// re-encoded; it is a request of its own.
	for _, k := range []string{"Connection", "Keep-Alive", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer",
		"Transfer-Encoding", "Upgrade", "Content-Length", obs.HeaderRequestID} {
		job.header.Del(k)
	}
	job.header.Set(obs.HeaderSynthetic, "1")
	select {
	case p.squeezeOut <- job:
	default:
		p.squeezes.WithLabelValues("busy").Inc()
	}
}

// squeezeWorker sends the squeezed copies to the model, one at a time,
// directly (not through the proxy), and hands the answers back to the
// pipeline goroutine, which owns the decoders.
func (p *pipeline) squeezeWorker(ctx context.Context, upstream string) {
	client := &http.Client{}
	for {
		var job *squeezeJob
		select {
		case <-ctx.Done():
			return
		case job = <-p.squeezeOut:
		}
		cfg := job.w.squeeze.cfg
		if job.header.Get("Content-Encoding") == "gzip" {
			job.body, job.err = gunzip(job.body)
			job.header.Del("Content-Encoding")
		}
		if job.err == nil {
			job.squeezed, job.err = squeezeJSON(job.body, cfg.Digits)
		}
		if job.err == nil {
			job.status, job.resp, job.err = post(ctx, client, strings.TrimSuffix(upstream, "/")+job.path, job.header, job.squeezed, cfg.Timeout)
		}
		select {
		case <-ctx.Done():
			return
		case p.squeezeIn <- job:
		}
	}
}

// gunzip returns the decompressed body, up to maxSqueezeBody bytes.
func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxSqueezeBody+1))
	if err == nil && len(out) > maxSqueezeBody {
		err = fmt.Errorf("feature squeezing: the request is over %d bytes decompressed", maxSqueezeBody)
	}
	return out, err
}

func post(ctx context.Context, client *http.Client, url string, header http.Header, body []byte, timeout time.Duration) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxSqueezeBody))
	return resp.StatusCode, b, err
}

// squeezed decodes the answer to a squeezed copy and scores it; on the
// pipeline goroutine.
func (p *pipeline) squeezed(job *squeezeJob) {
	if job.err != nil || job.status < 200 || job.status > 299 {
		p.squeezes.WithLabelValues("error").Inc()
		return
	}
	in := payload.Input{Path: job.path, ReqHeader: job.header, Req: job.squeezed, Resp: job.resp, Status: job.status, Time: time.Now()}
	recs, err := p.decode(job.w, &in)
	if err != nil || len(recs) != len(job.probs) {
		p.squeezes.WithLabelValues("error").Inc()
		return
	}
	sq := job.w.squeeze
	key := [2]string{job.model, job.version}
	t := sq.ticks[key]
	if t == nil {
		if len(sq.ticks) >= maxModelVersions {
			return
		}
		t = &squeezeTick{}
		sq.ticks[key] = t
	}
	model, version := p.labels.get(job.model, job.version)
	var x []float64
	for i := range recs {
		if x = recs[i].Probabilities(x[:0]); len(x) != len(job.probs[i]) {
			p.squeezes.WithLabelValues("error").Inc()
			return
		}
		d := l1(x, job.probs[i])
		p.squeezeL1.WithLabelValues(model, version).Observe(d)
		t.n++
		if d >= t.max {
			t.max, t.client, t.requestID = d, job.client, job.requestID
		}
	}
	clear(recs)
	p.recs = recs[:0]
	p.squeezes.WithLabelValues("compared").Inc()
}

// squeezeResults appends one ResultSqueezeL1 per model version squeezed
// since the last call.
func (sq *squeezer) results(now time.Time, dst []obs.Result) []obs.Result {
	for k, t := range sq.ticks {
		ev := []obs.Field{{Key: "request_id", Value: t.requestID}}
		if t.client != "" {
			ev = append(ev, obs.Field{Key: "client", Value: t.client})
		}
		dst = append(dst, obs.Result{
			Name: ResultSqueezeL1, Labels: obs.Labels{"model": k[0], "version": k[1]},
			Time: now, Value: t.max, Samples: t.n, Severity: obs.Info, Evidence: ev,
		})
	}
	clear(sq.ticks)
	return dst
}

// squeezeJSON returns body with every fractional number of its arrays
// (except under a "shape" key) rounded to digits significant digits; see
// squeezeNumber. Integers are left as they are: they are shapes, counts
// and class ids as often as features.
func squeezeJSON(body []byte, digits int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("feature squeezing: the request is not JSON: %w", err)
	}
	return json.Marshal(squeezeValue(v, digits, false, false))
}

func squeezeValue(v any, digits int, inArray, isShape bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = squeezeValue(e, digits, false, k == "shape")
		}
	case []any:
		for i, e := range x {
			x[i] = squeezeValue(e, digits, true, isShape)
		}
	case json.Number:
		if !inArray || isShape || !strings.ContainsAny(string(x), ".eE") {
			return x
		}
		f, err := x.Float64()
		if err != nil {
			return x
		}
		return json.Number(strconv.FormatFloat(squeezeNumber(f, digits), 'g', -1, 64))
	}
	return v
}

// squeezeNumber rounds x to digits significant digits:
//
//	s(x) = round(x · 10^k) / 10^k,  k = digits − 1 − ⌊log10 |x|⌋
func squeezeNumber(x float64, digits int) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	k := float64(digits - 1 - int(math.Floor(math.Log10(math.Abs(x)))))
	return math.Round(x*math.Pow(10, k)) / math.Pow(10, k)
}

// l1 is Σ |a_i − b_i|.
func l1(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s
}

func squeezeMetrics(reg prometheus.Registerer) (*prometheus.CounterVec, *prometheus.HistogramVec) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricSqueezes,
		Help: "Sampled requests of feature squeezing, by result: compared, busy (the queue was full: skipped), error (the squeezed request failed or its answer could not be read), no_probabilities (the answer has no class probabilities).",
	}, []string{"result"})
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    MetricSqueezeL1,
		Help:    "L1 distance between the class probabilities of a record and of its squeezed copy (0 to 2); adversarial inputs move far more than natural ones.",
		Buckets: []float64{0.001, 0.01, 0.05, 0.1, 0.2, 0.5, 1, 2},
	}, []string{"model", "version"})
	reg.MustRegister(c, h)
	for _, r := range []string{"compared", "busy", "error", "no_probabilities"} {
		c.WithLabelValues(r)
	}
	return c, h
}
