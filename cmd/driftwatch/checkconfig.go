package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/driftwatch/driftwatch/internal/config"
)

// exitInvalid is check-config's status for a configuration with errors.
const exitInvalid = 1

func runCheckConfig(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("check-config", flag.ContinueOnError)
	fset.Usage = func() {
		fmt.Fprint(fset.Output(), `Usage: driftwatch check-config FILE

Checks a driftwatch configuration file and prints every problem, one per
line, as file:line:col: path: message; prints "FILE: ok" when there is none.

Exit status: 0 valid, 1 invalid configuration, 2 usage error or unreadable file.
`)
	}
	fset.SetOutput(io.Discard)
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fset.SetOutput(stdout)
			fset.Usage()
			return exitOK
		}
		fmt.Fprintf(stderr, "driftwatch check-config: %v (see --help)\n", err)
		return exitUsage
	}
	if fset.NArg() != 1 {
		fmt.Fprintln(stderr, "driftwatch check-config: want one FILE (see --help)")
		return exitUsage
	}
	file := fset.Arg(0)
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(stderr, "driftwatch check-config: read %s: %v\n", file, err)
		return exitUsage
	}
	if _, errs := config.Parse(file, data); len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintln(stdout, e)
		}
		return exitInvalid
	}
	fmt.Fprintf(stdout, "%s: ok\n", file)
	return exitOK
}
