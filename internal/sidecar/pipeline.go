package sidecar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/driftwatch/driftwatch/collectors/gpu"
	"github.com/driftwatch/driftwatch/collectors/payload"
	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors"
	"github.com/driftwatch/driftwatch/detectors/adversarial"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/detectors/outlier"
	"github.com/driftwatch/driftwatch/detectors/performance"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/synthetics"
)

// DefaultModelName names the model of records whose traffic names none (no
// /models/ in the URL, no header, no payload.model in the config).
const DefaultModelName = "default"

// maxModelVersions bounds the model versions watched per model entry of the
// config, and the model/version label pairs of the metrics: traffic decides
// these names, so they must not grow without bound.
const maxModelVersions = detectors.DefaultMaxModels

// pipeline is the consumer of the tap queue. run, handle and evaluate
// happen on one goroutine; the API and the metrics collector read the
// detectors from others through their concurrency-safe accessors.
type pipeline struct {
	log     *slog.Logger
	rt      *config.Runtime
	models  []*watched
	feed    *performance.Tracker // nil when feedback is off
	alerts  *alerting            // nil without rules
	global  *detectors.Runner    // detectors of every model: the feedback tracker
	sink    func([]obs.Result)
	version string
	// synth carries the synthetic checks' results from their goroutines;
	// a full channel drops (counted).
	synth        chan obs.Result
	synthDropped prometheus.Counter
	gpu          *gpu.Watcher // nil without a GPU collector; its results go to the rules on each tick

	// Reused by handle and evaluate.
	in   payload.Input
	recs []obs.Record
	res  []obs.Result

	labels   *labelLimiter
	verdicts map[detectors.ModelKey]bool // last dataset verdict logged
	panicLog time.Time

	requests, records, decodeErrors, skipped, panics, excluded *prometheus.CounterVec
	outlierRate                                                *prometheus.GaugeVec
	// Feature squeezing: sampled jobs to the worker and back; nil when
	// no model entry squeezes.
	squeezeOut, squeezeIn chan *squeezeJob
	squeezes              *prometheus.CounterVec
	squeezeL1             *prometheus.HistogramVec
	unmatched             prometheus.Counter
}

// watched is one model entry of the config and its detectors.
type watched struct {
	cfg    *config.Model
	name   string // "models[i]", in logs and metrics
	ref    string // what the reference is, for reports
	runner *detectors.Runner
	drift  *detectors.PerModel[*drift.Monitor]
	// clients is nil unless the entry has an adversarial section.
	clients *clients
	// outliers is nil unless the entry has an outliers section. Its
	// results are rates, asked for once per tick by perTick.
	outliers *detectors.PerModel[*outlier.Monitor]
	perTick  *detectors.Runner
	// squeeze is nil unless the entry has a feature_squeezing section.
	squeeze *squeezer
}

func newPipeline(rt *config.Runtime, opt Options) (*pipeline, error) {
	p := &pipeline{
		log:      opt.Logger,
		rt:       rt,
		sink:     opt.Results,
		version:  opt.Version,
		labels:   newLabelLimiter(maxModelVersions),
		verdicts: map[detectors.ModelKey]bool{},
		global:   detectors.NewRunner(opt.Logger),
		synth:    make(chan obs.Result, 64),
	}
	for i, m := range rt.Models {
		w := &watched{
			cfg: m, name: fmt.Sprintf("models[%d]", i),
			runner: detectors.NewRunner(opt.Logger), perTick: detectors.NewRunner(opt.Logger),
		}
		tmpl := m.Drift
		tmpl.Options.Yield = yieldToTraffic
		w.ref = fmt.Sprintf("the first %d records", tmpl.ReferenceFirst)
		if m.ReferenceFile != "" {
			ref, err := loadReference(m.ReferenceFile, m.ReferenceIgnore)
			if err != nil {
				return nil, fmt.Errorf("%s.drift: %w", w.name, err)
			}
			tmpl.Reference, tmpl.ReferenceFirst = ref, 0
			if m.Adversarial != nil {
				if w.clients, err = newClients(m.Adversarial, ref); err != nil {
					return nil, fmt.Errorf("%s.adversarial: %w", w.name, err)
				}
				w.runner.Add(w.name+".uncertainty", detectors.NewPerModel(maxModelVersions, func(model, version string) (*adversarial.Uncertainty, error) {
					return adversarial.NewUncertainty(adversarial.UncertaintyConfig{Model: model, Version: version})
				}))
			}
			if m.Outliers != nil {
				if w.outliers, err = newOutliers(m.Outliers, ref); err != nil {
					return nil, fmt.Errorf("%s.outliers: %w", w.name, err)
				}
				w.perTick.Add(w.name+".outliers", w.outliers)
			}
			tmpl.ReferenceName = filepath.Base(m.ReferenceFile)
			w.ref = m.ReferenceFile
		}
		if m.FeatureSqueezing != nil {
			w.squeeze = newSqueezer(m.FeatureSqueezing)
			if p.squeezeOut == nil {
				p.squeezeOut, p.squeezeIn = make(chan *squeezeJob, squeezeQueue), make(chan *squeezeJob, squeezeQueue)
			}
		}
		w.drift = detectors.NewPerModel(maxModelVersions, func(model, version string) (*drift.Monitor, error) {
			c := tmpl
			c.Model, c.Version = model, version
			return drift.NewMonitor(c)
		})
		w.runner.Add(w.name+".drift", w.drift)
		p.models = append(p.models, w)
	}
	if rt.Feedback != nil {
		feed, err := performance.New(*rt.Feedback)
		if err != nil {
			return nil, fmt.Errorf("feedback: %w", err)
		}
		p.feed = feed
		p.global.Add("feedback", feed)
	}
	if len(rt.Rules) > 0 {
		a, err := newAlerting(rt.Rules, opt.Logger)
		if err != nil {
			return nil, err
		}
		p.alerts = a
	}
	p.registerMetrics(opt.Registry)
	return p, nil
}

// run drains q until ctx is done, and asks the detectors for results every
// evaluateEvery. After each wake-up it takes what else is queued and then
// pauses for drainPause: under load the goroutine wakes once per batch
// rather than once per exchange (each wake-up of an idle goroutine costs
// the kernel a thread switch), and when idle it costs nothing.
func (p *pipeline) run(ctx context.Context, q *proxy.Queue) {
	tick := time.NewTicker(evaluateEvery)
	defer tick.Stop()
	pause := time.NewTimer(0)
	<-pause.C
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-q.C():
			p.handle(e)
		case now := <-tick.C:
			for _, w := range p.models {
				p.evaluate(w, now, true)
			}
			if p.alerts != nil {
				var res []obs.Result
				if p.gpu != nil {
					res = p.gpu.Results(now, nil)
				}
				res = p.clientResults(now, res)
				p.alerts.tick(now, res)
			}
			continue
		case now := <-p.alertsDue():
			p.alerts.flush(now)
			continue
		case job := <-p.squeezeIn:
			p.squeezed(job)
			continue
		case r := <-p.synth:
			res := []obs.Result{r}
			if p.sink != nil {
				p.sink(res)
			}
			if p.alerts != nil {
				p.alerts.evaluate(r.Time, res)
			}
			continue
		}
		for n := q.Len(); n > 0; n-- {
			p.handle(<-q.C())
		}
		pause.Reset(drainPause)
		select {
		case <-ctx.Done():
			return
		case <-pause.C:
		}
	}
}

// synthetic hands a synthetic check's result to the pipeline goroutine,
// for the rules. It never blocks: a full channel drops the result.
func (p *pipeline) synthetic(r synthetics.Result) {
	select {
	case p.synth <- r.ObsResult():
	default:
		p.synthDropped.Inc()
	}
}

// alertsDue fires when a notification group is due.
func (p *pipeline) alertsDue() <-chan time.Time {
	if p.alerts == nil {
		return nil
	}
	return p.alerts.dueC()
}

// handle decodes one exchange and hands its records to the detectors of
// its model.
func (p *pipeline) handle(e *proxy.Exchange) {
	defer e.Release()
	w := p.match(e.Path)
	if w == nil {
		p.unmatched.Inc()
		return
	}
	code := codeLabel(e.Status)
	// A request whose response alone was over the capture limit is still
	// decoded: its features are good for input drift.
	var reason string
	switch {
	case e.Error != "":
		reason = "upstream_error"
	case e.Status < 200 || e.Status > 299:
		reason = "status"
	case e.Req == nil && e.Truncated:
		reason = "over_capture_limit"
	case e.Req == nil:
		reason = "no_body" // a GET such as a health check
	}
	if reason != "" {
		model, version := p.labels.get(pathModel(w, e.Path), "")
		p.requests.WithLabelValues(model, version, code).Inc()
		p.skipped.WithLabelValues(reason).Inc()
		return
	}
	p.in = payload.Input{
		Path: e.Path, ReqHeader: e.ReqHeader, RespHeader: e.RespHeader,
		Req: e.Req, Resp: e.Resp, Status: e.Status, Time: e.Start, Latency: e.Latency,
	}
	recs, err := p.decode(w, &p.in)
	p.in = payload.Input{}
	if pe := (*payload.Error)(nil); errors.As(err, &pe) {
		p.decodeErrors.WithLabelValues(pe.Protocol, pe.Body, pe.Reason).Inc()
	}
	if len(recs) == 0 {
		model, version := p.labels.get(pathModel(w, e.Path), "")
		p.requests.WithLabelValues(model, version, code).Inc()
		return
	}
	for i := range recs {
		if recs[i].Model == "" {
			recs[i].Model = DefaultModelName
		}
	}
	model, version := p.labels.get(recs[0].Model, recs[0].Version)
	p.requests.WithLabelValues(model, version, code).Inc()
	p.records.WithLabelValues(model, version, strconv.FormatBool(recs[0].Synthetic)).Add(float64(len(recs)))
	var client string
	for i, r := range recs {
		// A suspected client's records are kept out of the drift and
		// uncertainty windows (w.runner): an attacker's queries should
		// neither fake a shift nor hide one.
		suspect := false
		if w.clients != nil && !r.Synthetic {
			if client == "" {
				client = w.clients.client(e)
			}
			suspect = p.observeClient(w, client, &recs[i])
		}
		if suspect {
			p.excluded.WithLabelValues(model, version).Inc()
		} else {
			w.runner.Observe(r)
		}
		w.perTick.Observe(r)
		p.global.Observe(r)
	}
	if w.squeeze != nil {
		p.sampleSqueeze(w, e.Path, e.ReqHeader, e.Req, recs, client)
	}
	clear(recs) // drop references to the values for the garbage collector
	p.recs = recs[:0]
	p.evaluate(w, time.Now(), false)
}

// observeClient gives a record to w's client signals and says whether its
// client is suspected, recovering a panic like decode does (the record is
// then not a suspect's).
func (p *pipeline) observeClient(w *watched, client string, r *obs.Record) (suspect bool) {
	defer func() {
		if v := recover(); v != nil {
			p.panics.WithLabelValues("adversarial").Inc()
			if now := time.Now(); now.Sub(p.panicLog) >= time.Minute {
				p.panicLog = now
				p.log.Error("client signals panicked; record skipped by them, traffic unaffected",
					"model_entry", w.name, "panic", clip(fmt.Sprint(v), 512), "stack", clip(string(debug.Stack()), 4096))
			}
			suspect = false
		}
	}()
	w.clients.observe(client, r)
	return len(w.clients.det.Flags(client)) > 0
}

// decode runs the model's decoder, recovering a panic: it is counted and
// logged (at most once a minute), and the exchange is dropped.
func (p *pipeline) decode(w *watched, in *payload.Input) (recs []obs.Record, err error) {
	defer func() {
		if v := recover(); v != nil {
			p.panics.WithLabelValues("decode").Inc()
			if now := time.Now(); now.Sub(p.panicLog) >= time.Minute {
				p.panicLog = now
				p.log.Error("decoder panicked; exchange dropped, traffic unaffected",
					"model_entry", w.name, "path", clip(in.Path, 256),
					"panic", clip(fmt.Sprint(v), 512), "stack", clip(string(debug.Stack()), 4096))
			}
			recs, err = p.recs[:0], nil
		}
	}()
	return w.cfg.Decoder.Decode(in, p.recs[:0])
}

func (p *pipeline) match(path string) *watched {
	for _, w := range p.models {
		if w.cfg.Match.Match(path) {
			return w
		}
	}
	return nil
}

// evaluate asks w's detectors and the global ones for results at
// now and publishes them; on a tick, the per-tick ones too.
func (p *pipeline) evaluate(w *watched, now time.Time, tick bool) {
	p.res = w.runner.Results(now, p.res[:0])
	p.res = p.global.Results(now, p.res)
	if tick {
		p.res = w.perTick.Results(now, p.res)
		if w.squeeze != nil {
			p.res = w.squeeze.results(now, p.res)
		}
	}
	if len(p.res) == 0 {
		return
	}
	p.logVerdicts(p.res)
	p.recordOutlierRates(p.res)
	if p.alerts != nil {
		p.alerts.evaluate(now, p.res)
	}
	if p.sink != nil {
		p.sink(p.res)
	}
	clear(p.res)
}

// logVerdicts logs each change of a model version's dataset verdict, and
// the first verdict.
func (p *pipeline) logVerdicts(res []obs.Result) {
	for i := range res {
		r := &res[i]
		if r.Name != drift.ResultDataset {
			continue
		}
		key := detectors.ModelKey{Model: r.Labels["model"], Version: r.Labels["version"]}
		drifted := r.Value == 1
		if last, ok := p.verdicts[key]; ok && last == drifted {
			continue
		}
		if len(p.verdicts) < maxModelVersions*len(p.models) {
			p.verdicts[key] = drifted
		}
		attrs := []any{"model", key.Model, "version", key.Version}
		for _, f := range r.Evidence {
			attrs = append(attrs, f.Key, f.Value)
		}
		if drifted {
			p.log.Warn("drift detected", attrs...)
		} else {
			p.log.Info("no drift", attrs...)
		}
	}
}

// yieldToTraffic lets the request goroutines run while a window is being
// compared: a sleep parks the pipeline goroutine, so the scheduler polls the
// network for ready connections even when it has a single P. (A
// runtime.Gosched would put the pipeline back in the run queue ahead of the
// network poll, and so would a sleep short enough to have expired by the
// time the scheduler looks at its timers.) About 40 yields per window cost
// it 4 ms.
func yieldToTraffic() { time.Sleep(100 * time.Microsecond) }

// pathModel names the model of an exchange that was not decoded: the
// configured name, else the one in the URL, else DefaultModelName.
func pathModel(w *watched, path string) string {
	if m := w.cfg.Payload.Model; m != "" {
		return m
	}
	if m := config.ModelInPath(path); m != "" {
		return m
	}
	return DefaultModelName
}

// codeLabel is the status code as a label: the number for 100 to 599,
// else "other".
func codeLabel(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// labelLimiter bounds the model/version label pairs of the metrics: the
// first max pairs seen keep their names, later ones are counted under
// "other". It is used from the pipeline goroutine only.
type labelLimiter struct {
	max  int
	seen map[detectors.ModelKey]struct{}
}

func newLabelLimiter(max int) *labelLimiter {
	return &labelLimiter{max: max, seen: map[detectors.ModelKey]struct{}{}}
}

func (l *labelLimiter) get(model, version string) (string, string) {
	k := detectors.ModelKey{Model: model, Version: version}
	if _, ok := l.seen[k]; ok {
		return model, version
	}
	if len(l.seen) >= l.max {
		return "other", "other"
	}
	k = detectors.ModelKey{Model: strings.Clone(model), Version: strings.Clone(version)}
	l.seen[k] = struct{}{}
	return k.Model, k.Version
}
