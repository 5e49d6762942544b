package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/driftwatch/driftwatch/internal/demo"
)

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	duration := fs.Duration("duration", time.Minute, "")
	forever := fs.Bool("forever", false, "")
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage: driftwatch demo [--duration 1m] [--forever]

Shows driftwatch working, in one process, with nothing to install: a model
server trained at start on real data (breast-cancer, embedded), the sidecar in
front of it with its drift monitor, alert rules, routes and synthetic checks,
alerts delivered to this console and to a local webhook, and clients that
replay real traffic, then traffic from a shifted population. It prints what
happens and the URLs of the metrics and APIs, and ends with a summary.

Flags:
  --duration D   how long to run (default 1m); the phases scale with it
  --forever      run until interrupted (Ctrl-C)
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "driftwatch demo: %v (see --help)\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 || *duration < 10*time.Second {
		fmt.Fprintln(stderr, "driftwatch demo: want no arguments and a --duration of at least 10s (see --help)")
		return exitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	if _, err := demo.Run(ctx, demo.Options{Duration: *duration, Forever: *forever, Out: stdout, Log: log, Version: version()}); err != nil {
		fmt.Fprintf(stderr, "driftwatch demo: %v\n", err)
		return exitFailed
	}
	return exitOK
}
