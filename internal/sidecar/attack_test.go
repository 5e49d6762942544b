package sidecar_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/detectors/adversarial"
	"github.com/driftwatch/driftwatch/detectors/adversarial/attack"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/testenv"
)

// Sizes of the attack harness.
const (
	harnessBenign  = 40  // benign clients
	harnessQueries = 200 // queries per benign client, distinct rows
	harnessBudget  = 200 // queries per attacking client
	harnessSalt    = "attack harness"
)

// harnessClient is one client of the harness: its key, what it is, and
// when it sent each query.
type harnessClient struct {
	key, kind string
	mu        sync.Mutex
	sent      []time.Time
}

// TestAttackHarness is the adversarial evaluation of the README: the
// real scikit-learn model server (gunicorn) behind the sidecar, benign
// clients replaying real rows of the data it was trained on, and clients
// running black-box attacks against it through the sidecar (a
// boundary-walking search for the nearest misclassified input, and an
// extraction sweep of the input space), all at once over HTTP. It prints
// the detection table (go test -v -run TestAttackHarness) and requires
// every attacker to be flagged before harnessBudget queries and no benign
// client to be.
func TestAttackHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("the harness sends about 8,400 requests to a real model server")
	}
	model := testenv.ModelServer(t)
	ref := referenceCSV(t)
	sc := startSidecar(t, fmt.Sprintf(`
upstream: %s
listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  - drift:
      window: {size: 1000}
      reference: {file: %s, ignore: [diagnosis]}
    adversarial: {client_header: X-Api-Key, salt: %q}
`, model, ref, harnessSalt))
	features, benign, _ := readMatrix(t, "current-random.csv")
	_, refRows, refClass := readMatrix(t, "reference.csv")

	var (
		clients []*harnessClient
		wg      sync.WaitGroup
		limit   = make(chan struct{}, 4) // clients sending at once
	)
	run := func(key, kind string, fn func(predict attack.Predict)) {
		c := &harnessClient{key: key, kind: kind}
		clients = append(clients, c)
		wg.Go(func() {
			limit <- struct{}{}
			defer func() { <-limit }()
			fn(func(x []float64) []float64 {
				c.mu.Lock()
				c.sent = append(c.sent, time.Now())
				c.mu.Unlock()
				return predictVia(t, sc.proxy, key, features, x)
			})
		})
	}
	for i := range harnessBenign {
		rng := rand.New(rand.NewPCG(uint64(i), 11))
		run(fmt.Sprintf("benign-%02d", i), "benign", func(predict attack.Predict) {
			for _, j := range rng.Perm(len(benign))[:harnessQueries] {
				predict(benign[j])
			}
		})
	}
	lo, hi, span := bounds(refRows)
	run("walker", "boundary-walk", func(predict attack.Predict) {
		step := make([]float64, len(span))
		for j := range step {
			step[j] = 0.01 * span[j]
		}
		from := refRows[slices.Index(refClass, "benign")]
		to := refRows[slices.Index(refClass, "malignant")]
		attack.BoundaryWalk(rand.New(rand.NewPCG(1, 2)), predict, from, to, step, harnessBudget)
	})
	run("sweeper", "extraction-sweep", func(predict attack.Predict) {
		attack.Sweep(rand.New(rand.NewPCG(3, 4)), predict, lo, hi, harnessBudget)
	})
	wg.Wait()

	// The suspects once the pipeline has seen every record.
	total := 0
	for _, c := range clients {
		total += len(c.sent)
	}
	var list api.SuspectList
	deadline := time.Now().Add(waitFor)
	for {
		m := string(get(t, sc.admin, "/metrics", http.StatusOK))
		if bytes.Contains([]byte(m), []byte(fmt.Sprintf(`driftwatch_records_total{model="breast-cancer",synthetic="false",version="1"} %d`, total))) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sidecar did not see the %d records in %v", total, waitFor)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := json.Unmarshal(get(t, sc.admin, "/api/v1/suspects", http.StatusOK), &list); err != nil {
		t.Fatal(err)
	}

	var rows []attack.Row
	for _, c := range clients {
		hash := adversarial.HashKey([]byte(harnessSalt), c.key)
		row := attack.Row{Kind: c.kind, Client: hash[:12], Queries: len(c.sent)}
		for _, s := range list.Suspects {
			if s.Client != hash {
				continue
			}
			row.All = append(row.All, s.Signal)
			// Queries until detection: those sent up to the one that
			// raised the signal (its record is timed when it arrived).
			n, _ := slices.BinarySearchFunc(c.sent, s.Since, func(a, b time.Time) int { return a.Compare(b) })
			if !row.Flagged || n+1 < row.Detected {
				row.Flagged, row.Detected, row.Signal, row.Score = true, min(n+1, len(c.sent)), s.Signal, s.Score
			}
		}
		rows = append(rows, row)
	}
	table := attack.Table(rows)
	if testing.Verbose() {
		fmt.Printf("attack harness: %d benign clients of %d queries, attackers of %d, through the sidecar to the real model server\n%s",
			harnessBenign, harnessQueries, harnessBudget, table)
	}
	for _, r := range rows {
		switch {
		case r.Kind == "benign" && r.Flagged:
			t.Errorf("benign client %s flagged (%s, score %.4g)", r.Client, r.Signal, r.Score)
		case r.Kind != "benign" && (!r.Flagged || r.Detected >= harnessBudget):
			t.Errorf("%s client %s not flagged before %d queries", r.Kind, r.Client, harnessBudget)
		}
	}
	if t.Failed() {
		t.Logf("detection table:\n%s", table)
	}
}

// predictVia asks the model for x's class probabilities through the
// sidecar, as client key. It runs on the clients' goroutines: a failure is
// reported with t.Errorf and answered with an undecided prediction.
func predictVia(t *testing.T, proxy, key string, features []string, x []float64) []float64 {
	row := make(map[string]float64, len(features))
	for j, f := range features {
		row[f] = x[j]
	}
	undecided := []float64{0.5, 0.5}
	req, err := http.NewRequest(http.MethodPost, "http://"+proxy+"/v2/models/breast-cancer/infer",
		bytes.NewReader(oipBody([]map[string]float64{row})))
	if err != nil {
		t.Error(err)
		return undecided
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return undecided
	}
	defer resp.Body.Close()
	var out struct {
		Outputs []struct {
			Name string    `json:"name"`
			Data []float64 `json:"data"`
		} `json:"outputs"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&out) != nil {
		t.Errorf("model answered %s", resp.Status)
		return undecided
	}
	for _, o := range out.Outputs {
		if o.Name == "probabilities" && len(o.Data) == 2 {
			return o.Data
		}
	}
	t.Errorf("no probabilities in the answer: %+v", out)
	return undecided
}

// readMatrix reads a breast-cancer CSV: the feature names, the rows and
// each row's diagnosis.
func readMatrix(t *testing.T, name string) (features []string, rows [][]float64, class []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "breast-cancer", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	label := slices.Index(recs[0], "diagnosis")
	for j, h := range recs[0] {
		if j != label {
			features = append(features, h)
		}
	}
	for _, r := range recs[1:] {
		row := make([]float64, 0, len(features))
		for j, v := range r {
			if j == label {
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			row = append(row, x)
		}
		rows, class = append(rows, row), append(class, r[label])
	}
	return features, rows, class
}

// bounds returns the per-feature minimum, maximum and range of rows.
func bounds(rows [][]float64) (lo, hi, span []float64) {
	lo, hi = slices.Clone(rows[0]), slices.Clone(rows[0])
	for _, r := range rows {
		for j, v := range r {
			lo[j], hi[j] = min(lo[j], v), max(hi[j], v)
		}
	}
	span = make([]float64, len(lo))
	for j := range span {
		span[j] = hi[j] - lo[j]
	}
	return lo, hi, span
}
