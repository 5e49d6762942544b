package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/sidecar"
)

// exitFailed is the status of a sidecar that could not start or failed.
const exitFailed = 1

// signalContext is the context the sidecar runs in: done on SIGINT or
// SIGTERM. Tests replace it.
var signalContext = func() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func runSidecar(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("sidecar", flag.ContinueOnError)
	var (
		file     string
		o        config.Overrides
		logFmt   string
		logLevel slog.Level
		pprof    bool
	)
	fs.StringVar(&file, "config", "", "the YAML configuration `FILE` (see 'driftwatch check-config')")
	fs.StringVar(&o.Upstream, "upstream", "", "the model server's `URL`, e.g. http://127.0.0.1:8081 (overrides upstream)")
	fs.StringVar(&o.Listen, "listen", "", "the proxy's `host:port` (overrides listen; default "+config.DefaultListen+")")
	fs.StringVar(&o.AdminListen, "admin-listen", "", "`host:port` of /metrics, /healthz, /readyz and /api/v1 (overrides admin_listen; default "+config.DefaultAdminListen+")")
	fs.StringVar(&logFmt, "log-format", "auto", "`format` of the logs on stderr: text, json, or auto (text on a terminal, else JSON)")
	fs.BoolVar(&pprof, "pprof", false, "serve Go's CPU and memory profiles under /debug/pprof/ on the admin address")
	fs.TextVar(&logLevel, "log-level", slog.LevelInfo, "least `level` logged: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: driftwatch sidecar --config FILE [flags]
       driftwatch sidecar --upstream URL [flags]

Runs the sidecar: a reverse proxy in front of a model server that passes
every request through unchanged and, off the request path, decodes the
predictions (Open Inference Protocol v2, TF Serving / KServe v1, Seldon v1,
MLflow, JSON by paths) and watches them for drift against a reference. It
never slows or breaks the traffic: the copy goes to a bounded queue that
drops (and counts) when full.

The admin address serves:
  /metrics              Prometheus metrics (documented in the README)
  /healthz, /readyz     liveness and readiness
  /api/v1/drift         drift state per model version; ?model=M&version=V
                        gives the last report (&format=html for plots)
  /api/v1/feedback      POST {"labels": [{"request_id": ..., "label": ...}]}
                        joins ground truth with predictions by X-Request-Id
  /api/v1/performance   accuracy, precision, recall or MAE, RMSE per window

Without --config, the defaults watch every request: protocol detected per
request, the first 1000 records as the reference, windows of 1000.
Stop it with SIGINT or SIGTERM: it stops accepting and drains requests in
flight (up to 10 s).

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), `
Exit status: 0 after a requested stop, 1 when it could not start or serve,
2 for bad flags or a bad configuration (every problem is printed).
`)
	}
	if code, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return code
	}
	if file == "" && o.Upstream == "" {
		fmt.Fprintln(stderr, "driftwatch sidecar: give --config FILE, or at least --upstream URL (see --help)")
		return exitUsage
	}
	logger, err := newLogger(stderr, logFmt, logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch sidecar: %v\n", err)
		return exitUsage
	}
	cfg, errs := config.LoadWith(file, o)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		fmt.Fprintf(stderr, "driftwatch sidecar: %d problem(s) in the configuration; nothing started\n", len(errs))
		return exitUsage
	}
	rt, err := cfg.Compile()
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch sidecar: %v\n", err)
		return exitUsage
	}
	sc, err := sidecar.New(rt, sidecar.Options{Logger: logger, Version: version(), Pprof: pprof})
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch sidecar: %v\n", err)
		return exitFailed
	}
	defer func() {
		if err := sc.Close(); err != nil {
			logger.Error("close the state file", "error", err)
		}
	}()
	proxyLn, err := net.Listen("tcp", rt.Listen)
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch sidecar: proxy listener: %v (change listen or --listen)\n", err)
		return exitFailed
	}
	adminLn, err := net.Listen("tcp", rt.AdminListen)
	if err != nil {
		proxyLn.Close()
		fmt.Fprintf(stderr, "driftwatch sidecar: admin listener: %v (change admin_listen or --admin-listen)\n", err)
		return exitFailed
	}
	ctx, stop := signalContext()
	defer stop()
	if err := sc.Serve(ctx, proxyLn, adminLn); err != nil {
		fmt.Fprintf(stderr, "driftwatch sidecar: %v\n", err)
		return exitFailed
	}
	logger.Info("sidecar stopped")
	return exitOK
}

// newLogger returns a logger writing to w in format (text, json or auto:
// text when w is a terminal).
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text, json or auto", format)
}
