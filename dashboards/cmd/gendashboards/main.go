// Command gendashboards writes driftwatch's Grafana dashboards to a
// folder (default dashboards/json), from the repository root:
//
//	go run ./dashboards/cmd/gendashboards
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/driftwatch/driftwatch/dashboards"
)

func main() {
	dir := flag.String("out", filepath.Join("dashboards", "json"), "folder to write the dashboards to")
	flag.Parse()
	for name, d := range dashboards.All() {
		b, err := d.JSON()
		if err == nil {
			err = os.WriteFile(filepath.Join(*dir, name), b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gendashboards:", err)
			os.Exit(1)
		}
	}
}
