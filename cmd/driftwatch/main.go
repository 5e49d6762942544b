// Command driftwatch watches ML services for drift, outliers, adversarial
// clients, GPU trouble and failing end-to-end predictions, and compares
// datasets offline. This package only parses flags and wires components.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
)

// Exit codes shared by every subcommand.
const (
	exitOK    = 0
	exitDrift = 1 // drift found and --fail-on-drift given
	exitUsage = 2 // bad flags or bad input
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands []command

func init() {
	commands = []command{
		{"demo", "see everything work in one minute, on embedded data", runDemo},
		{"sidecar", "proxy a model server and watch its predictions for drift", runSidecar},
		{"detect", "compare a current dataset with a reference and report drift", runDetect},
		{"check-config", "check a configuration file and print every problem", runCheckConfig},
		{"synth", "run the synthetic end-to-end checks of a configuration", runSynth},
		{"silence", "add, list and expire the silences of a running sidecar", runSilence},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", runHelp},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	case "-version", "--version":
		return runVersion(nil, stdout, stderr)
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "driftwatch: unknown command %q; run 'driftwatch help' for the list\n", args[0])
		return exitUsage
	}
	return commands[i].run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, `driftwatch finds drift, outliers and trouble in ML services and datasets.

Usage:
  driftwatch <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'driftwatch help <command>' or 'driftwatch <command> --help' for a command's flags.
`)
}

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return exitOK
	}
	if len(args) > 1 {
		fmt.Fprintln(stderr, "driftwatch help: give at most one command name")
		return exitUsage
	}
	switch args[0] {
	case "help", "version":
		usage(stdout)
		return exitOK
	}
	return run([]string{args[0], "--help"}, stdout, stderr)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "driftwatch version: takes no arguments")
		return exitUsage
	}
	fmt.Fprintf(stdout, "driftwatch %s\n", version())
	return exitOK
}

// version is set with -ldflags "-X main.buildVersion=v1.2.3"; otherwise it
// comes from the module's build information.
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// parseFlags parses args with fs, printing help to stdout on -h and a
// one-line error to stderr otherwise. It returns the exit code to use when
// ok is false.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK, false
	case err != nil:
		fmt.Fprintf(stderr, "driftwatch %s: %v (see --help)\n", fs.Name(), err)
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "driftwatch %s: unexpected argument %q (see --help)\n", fs.Name(), fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}
