package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/synthetics"
)

// exitCheckFailed is synth run's status when a check failed.
const exitCheckFailed = 1

func runSynth(args []string, stdout, stderr io.Writer) int {
	usage := func(w io.Writer) {
		fmt.Fprint(w, `Usage:
  driftwatch synth run --config FILE [--once] [--junit FILE] [--check NAME ...]

Runs the synthetic checks of a configuration file's synthetics section:
HTTP requests with assertions on the answer, and golden sets of model inputs
whose predictions must match. Every request carries X-Driftwatch-Synthetic: 1.

With --once, every check runs once (with its retries), a table of the
results is printed, and the exit status says whether all passed: a
post-deploy gate for CI/CD. Without it, the checks run on their schedules
until interrupted, one line per run.

Flags:
  --config FILE   the configuration file (required)
  --once          run every check once and exit
  --junit FILE    with --once, also write the results as JUnit XML to FILE
  --check NAME    run only this check (repeat for several)

Exit status: 0 every check passed, 1 a check failed, 2 usage or
configuration error.
`)
	}
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "run":
	default:
		fmt.Fprintf(stderr, "driftwatch synth: unknown subcommand %q: want run (see --help)\n", args[0])
		return exitUsage
	}
	fset := flag.NewFlagSet("synth run", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	file := fset.String("config", "", "")
	once := fset.Bool("once", false, "")
	junit := fset.String("junit", "", "")
	var only stringsFlag
	fset.Var(&only, "check", "")
	if err := fset.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "driftwatch synth run: %v (see --help)\n", err)
		return exitUsage
	}
	switch {
	case fset.NArg() > 0:
		fmt.Fprintf(stderr, "driftwatch synth run: unexpected argument %q (see --help)\n", fset.Arg(0))
		return exitUsage
	case *file == "":
		fmt.Fprintln(stderr, "driftwatch synth run: --config FILE is required (see --help)")
		return exitUsage
	case *junit != "" && !*once:
		fmt.Fprintln(stderr, "driftwatch synth run: --junit needs --once")
		return exitUsage
	}
	cfg, errs := config.Load(*file)
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
		}
		return exitUsage
	}
	rt, err := cfg.Compile()
	if err != nil {
		fmt.Fprintf(stderr, "driftwatch synth run: %v\n", err)
		return exitUsage
	}
	var probers []*synthetics.Prober
	for _, c := range rt.Synthetics {
		if len(only) > 0 && !slices.Contains(only, c.Name) {
			continue
		}
		p, err := synthetics.NewProber(c, rt.SyntheticsDir)
		if err != nil {
			fmt.Fprintf(stderr, "driftwatch synth run: %v\n", err)
			return exitUsage
		}
		probers = append(probers, p)
	}
	for _, name := range only {
		if !slices.Contains(checkNames(rt.Synthetics), name) {
			fmt.Fprintf(stderr, "driftwatch synth run: no check %q in %s\n", name, *file)
			return exitUsage
		}
	}
	if len(probers) == 0 {
		fmt.Fprintf(stderr, "driftwatch synth run: %s has no synthetics section: nothing to run\n", *file)
		return exitUsage
	}
	ctx, stop := signalContext()
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn + 4})) // the table says it all
	if !*once {
		r := synthetics.NewRunner(probers, log, func(res synthetics.Result) {
			verdict := "PASS"
			if !res.Success {
				verdict = "FAIL " + res.Reason
			}
			fmt.Fprintf(stdout, "%s %s %v %s\n", res.Start.UTC().Format(time.RFC3339), res.Check, res.Phases.Total.Round(time.Millisecond), verdict)
		})
		r.Run(ctx)
		return exitOK
	}
	start := time.Now()
	results := synthetics.NewRunner(probers, log, nil).RunOnce(ctx)
	took := time.Since(start)
	if err := synthetics.WriteTable(stdout, results); err != nil {
		fmt.Fprintf(stderr, "driftwatch synth run: %v\n", err)
		return exitUsage
	}
	if *junit != "" {
		f, err := os.Create(*junit)
		if err == nil {
			err = synthetics.WriteJUnit(f, results, start, took)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "driftwatch synth run: write --junit %s: %v\n", *junit, err)
			return exitUsage
		}
	}
	failed := 0
	for _, r := range results {
		if !r.Success {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d of %d checks failed\n", failed, len(results))
		return exitCheckFailed
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(results))
	return exitOK
}

func checkNames(cs []synthetics.Check) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}
