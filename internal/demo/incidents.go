package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/driftwatch/driftwatch/detectors/adversarial/attack"
	"github.com/driftwatch/driftwatch/internal/api"
)

const (
	// attackerKey is the X-Client-Id of the adversarial client; the
	// sidecar only ever shows its salted hash.
	attackerKey = "mallory"
	// attackEvery paces the attack's queries; attackBudget bounds them.
	attackEvery  = 50 * time.Millisecond
	attackBudget = 200
	// clientSalt keys the hashes of the client ids.
	clientSalt = "driftwatch demo"
	// brokenRows are the records of the client with a unit bug.
	brokenRows = 5
	// unitBug scales the broken client's values.
	unitBug = 4
)

// injectOutliers sends, from one client, a batch of rows whose values are
// in the wrong unit (all scaled by unitBug): each is an outlier against
// the reference.
func (d *demo) injectOutliers(ctx context.Context, t *table) {
	rows := make([][]float64, brokenRows)
	for i := range rows {
		rows[i] = make([]float64, len(t.features))
		for j, v := range t.x[i] {
			rows[i][j] = unitBug * v
		}
	}
	if _, err := d.predict(ctx, "etl-job", t.features, rows); err == nil {
		d.requests.Add(1)
	}
}

// probe runs a boundary-walking attack through the sidecar until ctx is
// done or its budget of queries is spent: from a benign patient's row it
// looks for the nearest input the model calls malignant, as an attacker
// would to learn how little to change to flip a diagnosis.
func (d *demo) probe(ctx context.Context, t *table, budget int) {
	b, m := slices.Index(t.y, 0), slices.Index(t.y, 1)
	span, step := make([]float64, len(t.features)), make([]float64, len(t.features))
	for j := range step {
		lo, hi := t.x[0][j], t.x[0][j]
		for _, r := range t.x {
			lo, hi = min(lo, r[j]), max(hi, r[j])
		}
		span[j], step[j] = hi-lo, 0.01*(hi-lo)
	}
	sent := 0
	last := []float64{1, 0}
	query := func(x []float64) []float64 {
		select {
		case <-ctx.Done():
			return last // the walk spends the rest of its budget at once
		case <-time.After(attackEvery):
		}
		p, err := d.predict(ctx, attackerKey, t.features, [][]float64{x})
		if err != nil || len(p) != 1 {
			return last
		}
		sent++
		d.requests.Add(1)
		last = p[0]
		return last
	}
	rng := rand.New(rand.NewPCG(3, 7))
	adv := attack.BoundaryWalk(rng, query, t.x[b], t.x[m], step, budget)
	var far float64
	for j := range adv {
		far = max(far, math.Abs(adv[j]-t.x[b][j])/span[j])
	}
	d.say("adversarial client: stopped after %d queries; its best input flips the diagnosis with no feature moved more than %.1f%% of its range", sent, 100*far)
}

// predict sends rows to the model through the sidecar as client and
// returns the class probabilities.
func (d *demo) predict(ctx context.Context, client string, features []string, rows [][]float64) ([][]float64, error) {
	body, _ := json.Marshal(oipRequest(features, rows))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+d.proxy+"/v2/models/"+modelName+"/infer", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Client-Id", client)
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("%s", resp.Status)
	}
	var out struct {
		Outputs []struct {
			Name string          `json:"name"`
			Data json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	var p [][]float64
	for _, o := range out.Outputs {
		if o.Name == "probabilities" {
			return p, json.Unmarshal(o.Data, &p)
		}
	}
	return nil, fmt.Errorf("no probabilities in the answer")
}

// watchIncidents narrates the new outliers and suspects the sidecar
// lists; seen remembers what was told.
func (d *demo) watchIncidents(ctx context.Context, seen map[string]bool) {
	var outliers api.OutlierList
	if getJSON(ctx, d.admin+"/api/v1/outliers", &outliers) == nil {
		var top *api.Outlier // the new one of highest score
		n := 0
		for i, o := range outliers.Outliers {
			key := o.RequestID + o.Time.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			if n++; top == nil || o.Score > top.Score {
				top = &outliers.Outliers[i]
			}
		}
		if top != nil {
			d.sum.Outliers += n
			var fs []string
			for _, f := range top.Features {
				fs = append(fs, fmt.Sprintf("%s = %.4g (z %.0f)", f.Name, f.Value, f.Z))
			}
			more := ""
			if n > 1 {
				more = fmt.Sprintf(" (and %d more)", n-1)
			}
			d.say("outlier: request %s scored %.3f, above %.3f%s; most extreme: %s",
				top.RequestID, top.Score, top.Threshold, more, strings.Join(fs, ", "))
		}
	}
	var suspects api.SuspectList
	if getJSON(ctx, d.admin+"/api/v1/suspects", &suspects) == nil {
		for _, s := range suspects.Suspects {
			if seen[s.Client+s.Signal] {
				continue
			}
			seen[s.Client+s.Signal] = true
			who := "a client"
			if s.Client == d.attacker {
				who = "the adversarial client; its records are kept out of the drift windows from now on"
				d.sum.AttackerFlagged = true
			} else {
				d.sum.OthersFlagged++
			}
			d.say("SUSPECT %s… (%s): %s signal, score %.3g", s.Client[:12], who, s.Signal, s.Score)
		}
	}
}
