// Command sidecarbench measures what `driftwatch sidecar` costs a model
// server's clients: on loopback, against an in-process upstream that answers
// at once, it sends 32-feature OIP v2 requests directly and through a
// sidecar process it starts, and reports the latency the sidecar adds at a
// fixed rate, the maximum throughput with and without it, and the sidecar's
// CPU time per 1,000 requests and resident memory. bench/sidecar.sh builds
// and runs it; run it with --help for the phases and flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	driftwatch   string
	directOnly   bool
	baseline     bool
	rate         float64
	duration     time.Duration
	rounds       int
	warmup       time.Duration
	workers      int
	concurrency  int
	maxDuration  time.Duration
	wrk          string
	window       int
	features     int
	bodies       int
	seed         uint64
	readyTimeout time.Duration
	metricsOut   string
}

const help = `sidecarbench measures the cost of driftwatch sidecar on loopback.

Usage:
  sidecarbench --driftwatch PATH [flags]
  sidecarbench --direct-only [flags]     (load generator and upstream only)
  sidecarbench bare-proxy UPSTREAM LISTEN   (the baseline; started by the bench)

It starts a fast upstream in this process (POST /v2/models/{name}/infer
reads the body and answers a fixed OIP v2 response), the sidecar as a
separate process, 'driftwatch sidecar --config FILE', configured with
OIP v2 decoding, tumbling drift windows of --window records and a reference
of the first --window records, and (with --baseline) a bare
httputil.ReverseProxy as another process, to tell what any Go reverse proxy
costs on this machine from what driftwatch adds to it. It waits for the
sidecar's GET /readyz, then measures three paths to the upstream: direct,
via sidecar and bare proxy:

  1. warm-up: --warmup at --rate per path;
  2. fixed rate: --rounds rounds of --duration per path at --rate, the
     paths taking turns (round r starts with path r mod the number of
     paths) so machine noise hits all alike. Open loop on a fixed schedule:
     latency runs from each request's due time, so a stall delays no later
     request and is not hidden (no coordinated omission); the time from the
     actual send is reported too. Each proxy's CPU time (utime + stime from
     /proc/PID/stat) is read around this stage and its own phases;
  3. maximum throughput: a closed loop of --concurrency connections for
     --max-duration per path, and the same with wrk if --wrk is given;
  4. the sidecar's /metrics (tap drops, records, windows, heap, proxy
     overhead histogram; its tap queue length and RSS are also sampled
     during its closed-loop phase), each proxy's VmRSS and VmHWM from
     /proc/PID/status, then SIGTERM (SIGKILL after 10 s).

Added latency is a proxy's latency minus the direct one, per quantile:
"pooled" takes the quantiles over all rounds together, "median of rounds"
the median of the per-round differences. The headline numbers, and the
targets, are pooled and from the due time. Every request is checked
(status 200 and the upstream's exact body). Missed targets are reported,
not treated as failures; the exit status is 1 only when the bench itself
cannot run.

Flags:
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == "bare-proxy" {
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "usage: sidecarbench bare-proxy UPSTREAM LISTEN")
			os.Exit(2)
		}
		if err := serveBareProxy(os.Args[2], os.Args[3]); err != nil {
			fmt.Fprintf(os.Stderr, "sidecarbench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	var o options
	fs := flag.NewFlagSet("sidecarbench", flag.ContinueOnError)
	fs.StringVar(&o.driftwatch, "driftwatch", "", "path of the driftwatch binary to run as the sidecar")
	fs.BoolVar(&o.directOnly, "direct-only", false, "run without proxies: the direct path only (to test the generator)")
	fs.BoolVar(&o.baseline, "baseline", true, "also measure a bare httputil.ReverseProxy")
	fs.Float64Var(&o.rate, "rate", 1000, "fixed request `rate` of the latency stage, requests per second")
	fs.DurationVar(&o.duration, "duration", 8*time.Second, "length of one fixed-rate phase (one path, one round)")
	fs.IntVar(&o.rounds, "rounds", 3, "fixed-rate rounds; each runs one phase per path")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "fixed-rate warm-up per path before measuring")
	fs.IntVar(&o.workers, "workers", 64, "most requests in flight in the fixed-rate stage (later ones queue, and count the wait)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "connections of the maximum-throughput stage")
	fs.DurationVar(&o.maxDuration, "max-duration", 4*time.Second, "length of the maximum-throughput stage per path (0 skips it)")
	fs.StringVar(&o.wrk, "wrk", "", "path of wrk, to cross-check maximum throughput with it (empty skips)")
	fs.IntVar(&o.window, "window", 10000, "records per drift window, and in the reference")
	fs.IntVar(&o.features, "features", 32, "features per request")
	fs.IntVar(&o.bodies, "bodies", 1000, "distinct request bodies, sent in turn")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the request values")
	fs.StringVar(&o.metricsOut, "metrics-out", "", "write the sidecar's /metrics at the end to `FILE`")
	fs.IntVar(&proxyProcs, "proxy-procs", 0, "GOMAXPROCS of the sidecar and the bare proxy (0: Go's default, the CPUs it may use); 1 is what a pod with a CPU limit of one core or less gets")
	fs.DurationVar(&o.readyTimeout, "ready-timeout", 15*time.Second, "how long to wait for the sidecar's /readyz")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), help)
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	switch err := fs.Parse(os.Args[1:]); {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(os.Stdout)
		fs.Usage()
		os.Exit(0)
	case err != nil:
		fmt.Fprintf(os.Stderr, "sidecarbench: %v (see --help)\n", err)
		os.Exit(2)
	}
	if err := o.validate(fs); err != nil {
		fmt.Fprintf(os.Stderr, "sidecarbench: %v (see --help)\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, &o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "sidecarbench: %v\n", err)
		os.Exit(1)
	}
}

// validate checks the flags.
func (o *options) validate(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.driftwatch == "" && !o.directOnly:
		return errors.New("give --driftwatch PATH, or --direct-only")
	case o.driftwatch != "" && o.directOnly:
		return errors.New("--driftwatch and --direct-only are mutually exclusive")
	case o.rate <= 0 || o.duration <= 0 || o.rounds < 1:
		return errors.New("--rate, --duration and --rounds must be positive")
	case o.rate*o.duration.Seconds() < 1:
		return errors.New("--rate × --duration is less than one request")
	case o.warmup < 0 || o.maxDuration < 0:
		return errors.New("--warmup and --max-duration must not be negative")
	case o.workers < 1 || o.concurrency < 1:
		return errors.New("--workers and --concurrency must be at least 1")
	case o.window < 1 || o.features < 1 || o.bodies < 1:
		return errors.New("--window, --features and --bodies must be at least 1")
	}
	return nil
}

// progress prints a line about the stage that starts.
func progress(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
}
