// Package sidecar assembles the running sidecar from its components: the
// proxy and its tap queue (collectors/proxy), the decoders
// (collectors/payload), the detectors (drift monitors, outlier and
// data-quality monitors, the client signals and the uncertainty monitor,
// the label tracker), feature squeezing, the alert rules (alerts/rules),
// the admin listener with /metrics, /healthz, /readyz and the /api/v1
// handlers (internal/api). It holds the wiring that both `driftwatch
// sidecar` and `driftwatch demo` run, so that cmd/driftwatch stays flag
// parsing.
//
// Data flows one way: the proxy offers each exchange to a bounded queue
// (a full queue drops and counts; the request never waits); one pipeline
// goroutine drains it, decodes, and hands the records to the detectors of
// the model the request was for; the results go to the rules and to an
// optional sink, and /metrics and /api/v1 read the detectors' state.
package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/driftwatch/driftwatch/alerts/notify"
	"github.com/driftwatch/driftwatch/alerts/notify/receivers"
	"github.com/driftwatch/driftwatch/alerts/outbox"
	"github.com/driftwatch/driftwatch/alerts/route"
	"github.com/driftwatch/driftwatch/collectors/dataset"
	"github.com/driftwatch/driftwatch/collectors/gpu"
	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
	"github.com/driftwatch/driftwatch/internal/store"
	"github.com/driftwatch/driftwatch/synthetics"
)

// Timeouts of the listeners and of shutdown.
const (
	readHeaderTimeout = 30 * time.Second
	idleTimeout       = 120 * time.Second
	// ShutdownTimeout bounds how long Serve waits for requests in flight
	// once its context is done.
	ShutdownTimeout = 10 * time.Second
	// evaluateEvery is how often every detector is asked for results even
	// without traffic, so that windows by duration close on time.
	evaluateEvery = time.Second
	// drainPause is the least time between two batches of the pipeline:
	// exchanges wait at most this long in the queue (which must hold
	// drainPause × the request rate of them: 10,000 at 2 million a second).
	drainPause = 5 * time.Millisecond
)

// Options configure a Sidecar beyond its Runtime. The zero value is usable.
type Options struct {
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Registry receives every metric; nil means a new registry with the Go
	// runtime and process collectors.
	Registry *prometheus.Registry
	// Results, when set, receives the results of the detectors and of the
	// synthetic checks, on the pipeline goroutine; it must not keep dst.
	Results func(dst []obs.Result)
	// Version is reported in the reports' metadata.
	Version string
	// Pprof serves Go's profiles under /debug/pprof/ on the admin listener.
	Pprof bool
	// Output, when set, is where console receivers write instead of the
	// stream their config names.
	Output io.Writer
}

// Sidecar is a configured sidecar, ready to Serve.
type Sidecar struct {
	rt        *config.Runtime
	notifiers map[string]notify.Notifier // closed by Close
	store     *store.Store
	tempDir   string // the store's, when no state_file was configured
	silences  *route.Silences
	log       *slog.Logger
	reg       *prometheus.Registry
	queue     *proxy.Queue
	proxy     *proxy.Proxy
	pipe      *pipeline
	synth     *synthetics.Runner // nil without synthetics
	output    io.Writer          // Options.Output
	gpu       *gpu.Watcher       // nil with gpu source off
	admin     http.Handler
	ready     atomic.Bool
	served    atomic.Bool
}

// New builds a sidecar: it reads the reference files, makes the proxy and
// registers the metrics. It fails on what would keep the sidecar from
// working (an unreadable reference file), with an error that says which.
func New(rt *config.Runtime, opt Options) (*Sidecar, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Registry == nil {
		opt.Registry = prometheus.NewRegistry()
		opt.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if rt.Proxy.Upstream == "" {
		return nil, errors.New("no upstream: give the model server's URL as upstream in the config or with --upstream (a file of synthetics alone serves driftwatch synth run)")
	}
	s := &Sidecar{rt: rt, log: opt.Logger, reg: opt.Registry, output: opt.Output}
	if err := s.openState(); err != nil {
		return nil, err
	}
	pipe, err := newPipeline(rt, opt)
	if err != nil {
		s.Close()
		return nil, err
	}
	if pipe.alerts != nil {
		pipe.alerts.silences = s.silences
		if err := s.notifications(pipe.alerts); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.pipe = pipe
	if err := s.synthetics(); err != nil {
		s.Close()
		return nil, err
	}
	if s.gpu, err = gpu.New(&rt.GPU, s.log); err != nil {
		s.Close()
		return nil, err
	}
	if s.gpu != nil {
		pipe.gpu = s.gpu
		if err := s.reg.Register(s.gpu); err != nil {
			s.Close()
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	s.queue = proxy.NewQueue(rt.QueueSize)
	s.proxy, err = proxy.New(rt.Proxy, s.queue, proxy.WithRegisterer(s.reg), proxy.WithLogger(s.log))
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.reg.Register(pipe.collector(s.queue)); err != nil {
		s.Close()
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	s.admin = s.newAdmin(opt)
	return s, nil
}

// openState opens the store of silences: the configured state file, else a
// temporary one that Close removes.
func (s *Sidecar) openState() error {
	path := s.rt.StateFile
	if path == "" {
		dir, err := os.MkdirTemp("", "driftwatch-state-")
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		s.tempDir, path = dir, filepath.Join(dir, "state.db")
		s.log.Info("no state_file configured: silences and undelivered notifications are kept in a temporary file and lost at exit", "path", path)
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		s.Close()
		return fmt.Errorf("state: %w (set state_file to another path, or stop the process that holds it)", err)
	}
	s.store = st
	if s.silences, err = route.OpenSilences(st); err != nil {
		s.Close()
		return err
	}
	if n, err := s.silences.Prune(time.Now(), keepExpiredSilences); err != nil {
		s.log.Warn("prune expired silences", "error", err)
	} else if n > 0 {
		s.log.Info("pruned expired silences", "count", n)
	}
	return nil
}

// notifications sets up the routing of a's alerts to the receivers, when
// a route is configured: the dispatcher, the outbox in the state file and
// the deliverer that Serve runs.
func (s *Sidecar) notifications(a *alerting) error {
	if s.rt.Route == nil {
		if len(s.rt.Receivers) > 0 {
			s.log.Warn("receivers are configured but no route: no notification is sent")
		}
		return nil
	}
	opts := []notify.Option{notify.WithHTTPClient(&http.Client{})}
	if s.output != nil {
		opts = append(opts, notify.WithOutput(s.output))
	}
	ns, err := receivers.Build(s.rt.Receivers, s.log, opts...)
	if err != nil {
		return err
	}
	ob, err := outbox.Open(s.store, outbox.Options{})
	if err != nil {
		return err
	}
	if n, err := ob.Prune(time.Now()); err != nil {
		s.log.Warn("prune the outbox", "error", err)
	} else if n > 0 {
		s.log.Info("pruned delivered notifications", "count", n)
	}
	a.dispatch = route.NewDispatcher(s.rt.Route, s.rt.Inhibitor)
	a.outbox = ob
	a.deliverer = &notify.Deliverer{Outbox: ob, Notifiers: ns, Fallbacks: receivers.Fallbacks(s.rt.Receivers), Log: s.log}
	s.notifiers = ns
	return nil
}

// synthetics sets up the synthetic checks, when the config has some: their
// results go to the pipeline (for the rules) and to /metrics.
func (s *Sidecar) synthetics() error {
	if len(s.rt.Synthetics) == 0 {
		return nil
	}
	var probers []*synthetics.Prober
	for _, c := range s.rt.Synthetics {
		p, err := synthetics.NewProber(c, s.rt.SyntheticsDir)
		if err != nil {
			return err
		}
		probers = append(probers, p)
	}
	s.synth = synthetics.NewRunner(probers, s.log, s.pipe.synthetic)
	if err := s.reg.Register(s.synth); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	return nil
}

// Close releases the state file (and removes it when it was temporary).
// Call it after Serve returned.
func (s *Sidecar) Close() error {
	err := receivers.Close(s.notifiers)
	s.notifiers = nil
	if s.gpu != nil {
		if e := s.gpu.Close(); err == nil {
			err = e
		}
		s.gpu = nil
	}
	if s.store != nil {
		if e := s.store.Close(); err == nil {
			err = e
		}
		s.store = nil
	}
	if s.tempDir != "" {
		if e := os.RemoveAll(s.tempDir); err == nil {
			err = e
		}
		s.tempDir = ""
	}
	return err
}

// loadReference reads a reference file into drift columns, leaving out
// those named in ignore; prediction columns are those named
// drift.PredictionPrefix+name.
func loadReference(path string, ignore []string) ([]drift.Column, error) {
	t, err := dataset.ReadFile(path, dataset.Options{})
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	if t.Rows == 0 {
		return nil, fmt.Errorf("reference %s: no rows", path)
	}
	for _, name := range ignore {
		if t.Column(name) == nil {
			return nil, fmt.Errorf("reference %s: no column %q to ignore", path, name)
		}
	}
	var cols []drift.Column
	for _, c := range t.Columns {
		if !slices.Contains(ignore, c.Name) {
			cols = append(cols, drift.Column{Name: c.Name, Categorical: c.Type == dataset.Categorical, Num: c.Num, Str: c.Str})
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("reference %s: every column is ignored", path)
	}
	return cols, nil
}

// Handler returns the proxy: the handler of the listen address.
func (s *Sidecar) Handler() http.Handler { return s.proxy }

// Admin returns the handler of the admin address: /metrics, /healthz,
// /readyz and /api/v1/.
func (s *Sidecar) Admin() http.Handler { return s.admin }

func (s *Sidecar) newAdmin(opt Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		Registry:          s.reg,
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		EnableOpenMetrics: true,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			plain(w, http.StatusServiceUnavailable, "not ready: starting or shutting down")
			return
		}
		plain(w, http.StatusOK, "ok")
	})
	if opt.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	h := &api.Handler{Drift: s.pipe, Hints: map[string]string{
		"/api/v1/feedback":    "add a feedback section to the configuration (feedback: {} for the defaults)",
		"/api/v1/performance": "add a feedback section to the configuration (feedback: {} for the defaults)",
		"/api/v1/alerts":      "add rules to the configuration",
		"/api/v1/suspects":    "add an adversarial section to a model entry of the configuration",
		"/api/v1/outliers":    "add an outliers section to a model entry of the configuration (outliers: {} for the defaults)",
	}}
	if s.pipe.watchesOutliers() {
		h.Outliers = s.pipe
	}
	if s.pipe.watchesClients() {
		h.Suspects = s.pipe
	}
	if s.pipe.feed != nil {
		h.Feedback = feedbackAPI{s.pipe.feed}
	}
	if s.pipe.alerts != nil {
		h.Alerts = s.pipe.alerts
	}
	h.Silences = silenceAPI{s.silences}
	mux.Handle("/api/v1/", h)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "driftwatch sidecar "+opt.Version+"\n\n"+
			"/metrics              Prometheus metrics\n"+
			"/healthz              liveness\n"+
			"/readyz               readiness\n"+
			"/api/v1/drift         drift state of every model version (?model=M&version=V&format=html for a report)\n"+
			"/api/v1/feedback      POST ground-truth labels by request id\n"+
			"/api/v1/performance   labelled performance per model version\n"+
			"/api/v1/alerts        pending, firing and recently resolved alerts\n"+
			"/api/v1/suspects      clients suspected of adversarial use (salted hashes)\n"+
			"/api/v1/outliers      recent outlier records and the features that made them extreme (?model=M)\n"+
			"/api/v1/silences      GET, POST a silence; DELETE /api/v1/silences/{id} expires one")
	})
	return mux
}

func plain(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, msg)
}

// Serve runs the sidecar on two listeners, the proxy's and the admin's,
// until ctx is done or a listener fails; then it stops accepting, waits up
// to ShutdownTimeout for requests in flight and stops the pipeline. It
// returns nil after a shutdown asked for by ctx. Serve may be called once.
func (s *Sidecar) Serve(ctx context.Context, proxyLn, adminLn net.Listener) error {
	if s.served.Swap(true) {
		return errors.New("sidecar: Serve called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	pipeCtx, stopPipe := context.WithCancel(context.Background())
	wg.Go(func() { s.pipe.run(pipeCtx, s.queue) })
	if a := s.pipe.alerts; a != nil && a.deliverer != nil {
		wg.Go(func() { a.deliverer.Run(pipeCtx) })
	}
	if s.synth != nil {
		wg.Go(func() { s.synth.Run(pipeCtx) })
	}
	if s.gpu != nil {
		wg.Go(func() { s.gpu.Run(pipeCtx) })
	}
	if s.pipe.squeezeOut != nil {
		wg.Go(func() { s.pipe.squeezeWorker(pipeCtx, s.rt.Proxy.Upstream) })
	}

	servers := []*http.Server{
		{Handler: s.proxy, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
		{Handler: s.admin, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout,
			ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
	}
	errc := make(chan error, len(servers))
	for i, ln := range []net.Listener{proxyLn, adminLn} {
		srv := servers[i]
		go func() {
			err := srv.Serve(ln)
			if errors.Is(err, http.ErrServerClosed) {
				err = nil
			}
			errc <- err
		}()
	}
	s.ready.Store(true)
	s.log.Info("sidecar serving", "listen", proxyLn.Addr().String(), "admin", adminLn.Addr().String(),
		"upstream", s.rt.Proxy.Upstream, "models", len(s.rt.Models))

	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		if err != nil {
			err = fmt.Errorf("sidecar: serve: %w", err)
		}
	}
	s.ready.Store(false)
	sctx, scancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer scancel()
	for _, srv := range servers {
		if e := srv.Shutdown(sctx); e != nil && err == nil {
			err = fmt.Errorf("sidecar: shutdown: %w", e)
		}
	}
	stopPipe()
	wg.Wait()
	return err
}
