// Package plugin is driftwatch's Grafana backend data source: it reads a
// driftwatch sidecar's /api/v1 and answers Grafana's queries with data
// frames. Query types (the query's queryType, with model, version and
// feature in its JSON):
//
//   - drift: the model version's latest drift report as a table, one row
//     per feature (test, statistic, p-values, effect size, verdict, counts);
//   - histogram: one feature's reference and current distributions on the
//     report's common bins (a bar chart);
//   - alerts: the alerts, firing first, with their delivery;
//   - suspects: clients suspected of adversarial use (salted hashes only);
//   - outliers: the recent outlier records, newest first (of one model when
//     the query names it), with their most extreme features.
//
// CheckHealth says whether the sidecar's admin API answers, and if not,
// what to do. The data source's URL is the sidecar's admin listener, e.g.
// http://model-pod:9464.
package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/driftwatch/driftwatch/internal/api"
)

// ID is the plugin's id, as in plugin.json.
const ID = "driftwatch-datasource"

// Query types.
const (
	QueryDrift     = "drift"
	QueryHistogram = "histogram"
	QueryAlerts    = "alerts"
	QuerySuspects  = "suspects"
	QueryOutliers  = "outliers"
)

// maxAnswer bounds what the plugin reads from the sidecar.
const maxAnswer = 32 << 20

// Datasource is one configured driftwatch data source.
type Datasource struct {
	base   *url.URL
	client *http.Client
}

// NewDatasource is the instance factory Grafana calls for each configured
// data source: settings.URL is the sidecar's admin URL.
func NewDatasource(_ context.Context, settings backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	u, err := url.Parse(strings.TrimRight(settings.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("driftwatch data source: URL %q: want the sidecar's admin URL, e.g. http://127.0.0.1:9464", settings.URL)
	}
	return &Datasource{base: u, client: &http.Client{Timeout: 15 * time.Second}}, nil
}

// Dispose implements instancemgmt.InstanceDisposer.
func (d *Datasource) Dispose() { d.client.CloseIdleConnections() }

// query is a query's JSON.
type query struct {
	Model   string `json:"model"`
	Version string `json:"version"`
	Feature string `json:"feature"`
}

// QueryData implements backend.QueryDataHandler: one response per query,
// an error response (saying what to change) for one that fails.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	for _, q := range req.Queries {
		var qm query
		if len(q.JSON) > 0 {
			if err := json.Unmarshal(q.JSON, &qm); err != nil {
				resp.Responses[q.RefID] = backend.ErrDataResponse(backend.StatusBadRequest, "query JSON: "+err.Error())
				continue
			}
		}
		frames, err := d.frames(ctx, q.QueryType, qm)
		if err != nil {
			resp.Responses[q.RefID] = errResponse(err)
			continue
		}
		for _, f := range frames {
			f.RefID = q.RefID
		}
		resp.Responses[q.RefID] = backend.DataResponse{Frames: frames}
	}
	return resp, nil
}

func (d *Datasource) frames(ctx context.Context, queryType string, q query) (data.Frames, error) {
	switch queryType {
	case QueryDrift, QueryHistogram:
		if q.Model == "" {
			return nil, badRequest("give the model (and its version, if it has several)")
		}
		rep, err := d.report(ctx, q)
		if err != nil {
			return nil, err
		}
		if queryType == QueryDrift {
			return data.Frames{driftFrame(q, rep)}, nil
		}
		return histogramFrame(q, rep)
	case QueryAlerts:
		var list api.AlertList
		if err := d.get(ctx, "/api/v1/alerts", nil, &list); err != nil {
			return nil, err
		}
		return data.Frames{alertsFrame(list.Alerts)}, nil
	case QuerySuspects:
		var list api.SuspectList
		if err := d.get(ctx, "/api/v1/suspects", nil, &list); err != nil {
			return nil, err
		}
		return data.Frames{suspectsFrame(list.Suspects)}, nil
	case QueryOutliers:
		var list api.OutlierList
		var params url.Values
		if q.Model != "" {
			params = url.Values{"model": {q.Model}}
		}
		if err := d.get(ctx, "/api/v1/outliers", params, &list); err != nil {
			return nil, err
		}
		return data.Frames{outliersFrame(list.Outliers)}, nil
	}
	return nil, badRequest(fmt.Sprintf("unknown query type %q: want %s, %s, %s, %s or %s",
		queryType, QueryDrift, QueryHistogram, QueryAlerts, QuerySuspects, QueryOutliers))
}

// report is the part of the JSON drift report (README: "The JSON report")
// the frames use.
type report struct {
	ReferenceRows int  `json:"reference_rows"`
	CurrentRows   int  `json:"current_rows"`
	Drift         bool `json:"drift"`
	Features      []struct {
		Name           string   `json:"name"`
		Type           string   `json:"type"`
		Test           string   `json:"test"`
		Statistic      float64  `json:"statistic"`
		PValue         *float64 `json:"p_value"`
		AdjustedPValue *float64 `json:"adjusted_p_value"`
		EffectSize     float64  `json:"effect_size"`
		Drift          bool     `json:"drift"`
		ReferenceCount int      `json:"reference_count"`
		CurrentCount   int      `json:"current_count"`
		Histogram      *struct {
			Edges     []float64 `json:"edges"`
			Labels    []string  `json:"labels"`
			Reference []float64 `json:"reference"`
			Current   []float64 `json:"current"`
		} `json:"histogram"`
	} `json:"features"`
}

func (d *Datasource) report(ctx context.Context, q query) (*report, error) {
	v := url.Values{"model": {q.Model}, "format": {"json"}}
	if q.Version != "" {
		v.Set("version", q.Version)
	}
	var r report
	if err := d.get(ctx, "/api/v1/drift", v, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func driftFrame(q query, r *report) *data.Frame {
	n := len(r.Features)
	name, typ, test := make([]string, n), make([]string, n), make([]string, n)
	stat, effect := make([]float64, n), make([]float64, n)
	p, adj := make([]*float64, n), make([]*float64, n)
	drift := make([]bool, n)
	refN, curN := make([]int64, n), make([]int64, n)
	for i, f := range r.Features {
		name[i], typ[i], test[i] = f.Name, f.Type, f.Test
		stat[i], effect[i], p[i], adj[i], drift[i] = f.Statistic, f.EffectSize, f.PValue, f.AdjustedPValue, f.Drift
		refN[i], curN[i] = int64(f.ReferenceCount), int64(f.CurrentCount)
	}
	f := data.NewFrame("drift "+q.Model,
		data.NewField("feature", nil, name), data.NewField("type", nil, typ), data.NewField("test", nil, test),
		data.NewField("statistic", nil, stat), data.NewField("p_value", nil, p), data.NewField("adjusted_p_value", nil, adj),
		data.NewField("effect_size", nil, effect), data.NewField("drift", nil, drift),
		data.NewField("reference_count", nil, refN), data.NewField("current_count", nil, curN))
	f.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTable,
		Custom: map[string]any{"drift": r.Drift, "reference_rows": r.ReferenceRows, "current_rows": r.CurrentRows}}
	return f
}

func histogramFrame(q query, r *report) (data.Frames, error) {
	if q.Feature == "" {
		return nil, badRequest("give the feature whose histogram to show")
	}
	for _, f := range r.Features {
		if f.Name != q.Feature {
			continue
		}
		h := f.Histogram
		if h == nil {
			return nil, notFound(fmt.Sprintf("feature %q has no histogram in the report (not tested: %s)", f.Name, f.Test))
		}
		bins := make([]string, len(h.Reference))
		for i := range bins {
			switch {
			case len(h.Labels) == len(bins):
				bins[i] = h.Labels[i]
			case len(h.Edges) == len(bins)+1:
				bins[i] = fmt.Sprintf("[%.4g, %.4g)", h.Edges[i], h.Edges[i+1])
			default:
				bins[i] = fmt.Sprint(i)
			}
		}
		fr := data.NewFrame(q.Feature,
			data.NewField("bin", nil, bins),
			data.NewField("reference", nil, h.Reference),
			data.NewField("current", nil, h.Current))
		fr.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeGraph}
		return data.Frames{fr}, nil
	}
	return nil, notFound(fmt.Sprintf("no feature %q in the report of %s", q.Feature, q.Model))
}

func alertsFrame(alerts []api.Alert) *data.Frame {
	n := len(alerts)
	state, sev, rule, labels, summary, delivery := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	active := make([]time.Time, n)
	value := make([]float64, n)
	for i, a := range alerts {
		state[i], sev[i], rule[i], summary[i], active[i], value[i] = a.State, a.Severity, a.Rule, a.Annotations["summary"], a.ActiveAt, a.Value
		var ls []string
		for k, v := range a.Labels {
			ls = append(ls, k+"="+v)
		}
		slices.Sort(ls)
		labels[i] = strings.Join(ls, ", ")
		var ds []string
		for _, d := range a.Notifications {
			ds = append(ds, d.Receiver+": "+d.State)
		}
		delivery[i] = strings.Join(ds, ", ")
	}
	return data.NewFrame("alerts",
		data.NewField("state", nil, state), data.NewField("severity", nil, sev), data.NewField("rule", nil, rule),
		data.NewField("labels", nil, labels), data.NewField("summary", nil, summary), data.NewField("active_at", nil, active),
		data.NewField("value", nil, value), data.NewField("notifications", nil, delivery))
}

func suspectsFrame(ss []api.Suspect) *data.Frame {
	n := len(ss)
	client, signal := make([]string, n), make([]string, n)
	score := make([]float64, n)
	since := make([]time.Time, n)
	for i, s := range ss {
		client[i], signal[i], score[i], since[i] = s.Client, s.Signal, s.Score, s.Since
	}
	return data.NewFrame("suspects",
		data.NewField("client", nil, client), data.NewField("signal", nil, signal),
		data.NewField("score", nil, score), data.NewField("since", nil, since))
}

func outliersFrame(os []api.Outlier) *data.Frame {
	n := len(os)
	at := make([]time.Time, n)
	model, version, method, id, top := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	score, threshold := make([]float64, n), make([]float64, n)
	for i, o := range os {
		at[i], model[i], version[i], method[i], id[i] = o.Time, o.Model, o.Version, o.Method, o.RequestID
		score[i], threshold[i] = o.Score, o.Threshold
		fs := make([]string, len(o.Features))
		for j, f := range o.Features {
			fs[j] = fmt.Sprintf("%s = %.4g (z %.1f)", f.Name, f.Value, f.Z)
		}
		top[i] = strings.Join(fs, ", ")
	}
	return data.NewFrame("outliers",
		data.NewField("time", nil, at), data.NewField("model", nil, model), data.NewField("version", nil, version),
		data.NewField("method", nil, method), data.NewField("score", nil, score), data.NewField("threshold", nil, threshold),
		data.NewField("request_id", nil, id), data.NewField("features", nil, top))
}

// CheckHealth implements backend.CheckHealthHandler: it asks the sidecar
// for /healthz and the list of drift monitors, and says what is wrong
// when either fails.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	var list api.DriftList
	if err := d.get(ctx, "/api/v1/drift", nil, &list); err != nil {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: err.Error()}, nil
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk,
		Message: fmt.Sprintf("driftwatch at %s answers: %d model versions watched", d.base, len(list.Models))}, nil
}

// httpError is a failed request to the sidecar, with a message for the
// Grafana user.
type httpError struct {
	status backend.Status
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{backend.StatusBadRequest, msg} }
func notFound(msg string) error   { return &httpError{backend.StatusNotFound, msg} }

func errResponse(err error) backend.DataResponse {
	var he *httpError
	if errors.As(err, &he) {
		return backend.ErrDataResponse(he.status, he.msg)
	}
	return backend.ErrDataResponse(backend.StatusInternal, err.Error())
}

// get reads a JSON answer of the sidecar's API into v.
func (d *Datasource) get(ctx context.Context, path string, params url.Values, v any) error {
	u := *d.base
	u.Path += path
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := d.client.Do(req)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return &httpError{backend.StatusBadGateway, fmt.Sprintf("cannot reach driftwatch at %s: %v; is the sidecar's admin_listen reachable from Grafana (not 127.0.0.1 in another pod)?", d.base, opErr.Err)}
		}
		return &httpError{backend.StatusBadGateway, fmt.Sprintf("driftwatch at %s: %v", d.base, err)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return &httpError{backend.StatusBadGateway, fmt.Sprintf("driftwatch at %s: read %s: %v", d.base, path, err)}
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(b))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		} else if resp.StatusCode == http.StatusNotFound && !strings.HasPrefix(path, "/api/v1/drift") {
			msg = path + " not found: is this driftwatch older than the query needs, or not driftwatch's admin URL?"
		}
		return &httpError{backend.Status(resp.StatusCode), fmt.Sprintf("driftwatch at %s: %s: %s", d.base, path, msg)}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &httpError{backend.StatusBadGateway, fmt.Sprintf("%s%s did not answer driftwatch's JSON (%v): is the URL the sidecar's admin listener?", d.base, path, err)}
	}
	return nil
}
