// Command gpx_driftwatch is the backend of driftwatch's Grafana data source
// plugin (dashboards/plugin). Grafana starts it; build it next to
// plugin.json:
//
//	go build -o dist/gpx_driftwatch_linux_amd64 ./dashboards/plugin/cmd/gpx_driftwatch
//	cp dashboards/plugin/plugin.json dist/
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/driftwatch/driftwatch/dashboards/plugin"
)

func main() {
	if err := datasource.Manage(plugin.ID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("driftwatch data source", "error", err.Error())
		os.Exit(1)
	}
}
