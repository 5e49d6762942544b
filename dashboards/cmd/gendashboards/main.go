// Command gendashboards writes driftwatch's Grafana dashboards as JSON
// files into a folder, by default dashboards/json of the repository:
//
//	go run ./dashboards/cmd/gendashboards      # from the repository root
//	go generate ./dashboards                   # the same
//
// The files are deterministic: the same code always writes the same bytes.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/driftwatch/driftwatch/dashboards"
)

func main() {
	dir := flag.String("out", filepath.Join("dashboards", "json"), "folder to write the dashboards to (it must exist)")
	flag.Parse()
	if err := write(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendashboards:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	boards, err := dashboards.All()
	if err != nil {
		return err
	}
	for _, b := range boards {
		data, err := dashboards.Encode(b.Dashboard)
		if err != nil {
			return fmt.Errorf("%s: %w", b.File, err)
		}
		if err := os.WriteFile(filepath.Join(dir, b.File), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
