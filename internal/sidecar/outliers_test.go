package sidecar_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/sidecar"
)

// TestOutliers sends clean rows of the reference's population and a few
// rows with one feature far out through the sidecar: the far rows are
// listed by /api/v1/outliers with that feature first, counted in the
// metrics, and fire the outlier rule.
func TestOutliers(t *testing.T) {
	up := oipUpstream(t)
	ref := referenceCSV(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 1000}
      reference: {file: %s, ignore: [diagnosis]}
    outliers: {method: iforest, fpr: 0.005}
rules:
  - name: outliers
    result: outlier_rate
    op: ">"
    warning: 0.2
`, up.URL, ref))
	// Clean rows of the reference's own population.
	rows := readRows(t, "current-random.csv")
	for i := 0; i < 60; i += 6 {
		postOIP(t, sc.proxy, rows[i:i+6], nil).Body.Close()
	}
	// The rates are per tick of the pipeline (a second): let the clean
	// rows have theirs.
	time.Sleep(1100 * time.Millisecond)
	// Three rows scaled up fourfold: most features beyond the reference's
	// range. (An Isolation Forest cannot see how far beyond the range a
	// value is, only how many features are: one feature alone does not
	// do.)
	for i := range 3 {
		far := map[string]float64{}
		for k, v := range rows[100+i] {
			far[k] = 4 * v
		}
		resp := postOIP(t, sc.proxy, []map[string]float64{far}, map[string]string{"X-Request-Id": fmt.Sprintf("far-%d", i)})
		resp.Body.Close()
	}

	var list api.OutlierList
	deadline := time.Now().Add(waitFor)
	for {
		if err := json.Unmarshal(get(t, sc.admin, "/api/v1/outliers", http.StatusOK), &list); err != nil {
			t.Fatal(err)
		}
		if len(list.Outliers) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	far := 0
	for _, o := range list.Outliers {
		if o.Model != "breast-cancer" || o.Method != "iforest" || !(o.Score > o.Threshold) || len(o.Features) == 0 {
			t.Errorf("outlier %+v: want model breast-cancer, method iforest, score above threshold, features", o)
			continue
		}
		if strings.HasPrefix(o.RequestID, "far-") {
			far++
			if f := o.Features[0]; !(f.Z > 10) {
				t.Errorf("%s: most extreme feature %+v, want z > 10", o.RequestID, f)
			}
		}
	}
	// At fpr 0.005, the 60 clean rows may add one false positive.
	if far != 3 || len(list.Outliers) > 4 {
		t.Fatalf("outliers %+v: want the 3 far rows (and at most one clean row)", list.Outliers)
	}
	if empty := get(t, sc.admin, "/api/v1/outliers?model=iris", http.StatusOK); strings.TrimSpace(string(empty)) != `{"outliers":[]}` {
		t.Errorf("outliers of another model: %s, want none", empty)
	}

	for {
		metrics := string(get(t, sc.admin, "/metrics", http.StatusOK))
		alerts := string(get(t, sc.admin, "/api/v1/alerts", http.StatusOK))
		ok := strings.Contains(metrics, `driftwatch_outliers_total{method="iforest",model="breast-cancer",version=""}`) &&
			strings.Contains(metrics, `driftwatch_data_quality_issues_total{feature="mean fractal dimension",kind="out_of_range",model="breast-cancer",version=""} 3`) &&
			strings.Contains(metrics, `driftwatch_outlier_rate{method="iforest",model="breast-cancer",version=""}`) &&
			strings.Contains(alerts, `"alertname":"outliers"`)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: metrics lack the outlier series or no outlier alert fired; alerts: %s\n%s", waitFor, alerts, metrics)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOutliersConfigErrors: a section that cannot work is refused with an
// error naming it, by the config checks or at start.
func TestOutliersConfigErrors(t *testing.T) {
	ref := referenceCSV(t)
	for _, c := range []struct{ section, want string }{
		{"{method: knn, k: 100000}", "knn needs at least 100002 (complete rows of the reference)"},
		{"{method: lof}", `models[0].outliers`},
		{"{fpr: 1.5}", `fpr 1.5: must be in (0, 1)`},
	} {
		yaml := fmt.Sprintf("upstream: http://127.0.0.1:1\nmodels:\n  - drift: {reference: {file: %s, ignore: [diagnosis]}}\n    outliers: %s\n", ref, c.section)
		var msg string
		cfg, errs := config.Parse(filepath.Join(t.TempDir(), "driftwatch.yaml"), []byte(yaml))
		if len(errs) > 0 {
			msg = errors.Join(errs...).Error()
		} else if rt, err := cfg.Compile(); err != nil {
			t.Fatal(err)
		} else if _, err := sidecar.New(rt, sidecar.Options{}); err != nil {
			msg = err.Error()
		}
		if !strings.Contains(msg, c.want) {
			t.Errorf("outliers: %s: error %q, want one containing %q", c.section, msg, c.want)
		}
	}
}
