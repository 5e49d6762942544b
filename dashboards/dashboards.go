// Package dashboards generates driftwatch's Grafana dashboards as code,
// with the Grafana Foundation SDK's typed builders: a model overview, a
// drift drill-down and a GPU board. They are committed as JSON under
// dashboards/json, which deploy/grafana provisions; regenerate them with
//
//	go generate ./dashboards
//
// (the same as `go run ./dashboards/cmd/gendashboards` from the repository
// root). A test fails when the committed JSON differs from what the code
// makes. Every metric name the dashboards query is in metrics.go.
package dashboards

//go:generate go run ./cmd/gendashboards -out json

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// DatasourceUID is the uid of the Prometheus data source the dashboards'
// datasource variable selects by default; deploy/grafana/datasources
// provisions a data source with this uid.
const DatasourceUID = "driftwatch-prometheus"

// Board is one generated dashboard and the file it is committed as.
type Board struct {
	File      string // name under dashboards/json, e.g. "overview.json"
	Dashboard dashboard.Dashboard
}

// All builds every dashboard, in a fixed order.
func All() ([]Board, error) {
	var out []Board
	for _, f := range []struct {
		file  string
		build func() (dashboard.Dashboard, error)
	}{
		{"overview.json", Overview},
		{"drift.json", Drift},
		{"gpu.json", GPU},
	} {
		d, err := f.build()
		if err != nil {
			return nil, fmt.Errorf("dashboards: %s: %w", f.file, err)
		}
		out = append(out, Board{File: f.file, Dashboard: d})
	}
	return out, nil
}

// Encode returns d as the committed file holds it: JSON with sorted keys,
// indented by two spaces, without HTML escaping (PromQL's <, > and & stay
// readable), and with a final newline. The same dashboard always encodes
// to the same bytes.
func Encode(d dashboard.Dashboard) ([]byte, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	// Decoding into generic values and encoding again sorts every object's
	// keys, whatever the SDK's field order, and undoes the escaping that
	// the SDK's own MarshalJSON methods apply.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode dashboard: %w", err)
	}
	return b.Bytes(), nil
}
