package sidecar

import (
	"cmp"
	"crypto/rand"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/driftwatch/driftwatch/collectors/proxy"
	"github.com/driftwatch/driftwatch/detectors/adversarial"
	"github.com/driftwatch/driftwatch/detectors/drift"
	"github.com/driftwatch/driftwatch/internal/api"
	"github.com/driftwatch/driftwatch/internal/config"
	"github.com/driftwatch/driftwatch/internal/obs"
)

// The thresholds are calibrated on calibrationClients pseudo-clients,
// each sending distinct reference rows in a random order (fixed seed), as
// many as a client's ring holds: a client's statistics get lower as its
// history grows, so the longest history is the one to calibrate on.
const (
	calibrationClients = 50
	calibrationQ       = 0.01
	minCalibrationRows = 50
)

// clients watches the clients of one model entry for adversarial use
// (detectors/adversarial). Only salted hashes of their keys are kept.
type clients struct {
	det    *adversarial.Detector
	header string
	salt   []byte
	names  []string       // the numeric reference columns, in order
	index  map[string]int // name → position in names
	mean   []float64      // for a feature a record lacks
	x      []float64      // reused query vector
	probs  []float64      // reused class probabilities
}

// newClients standardises on the reference's numeric columns and
// calibrates the thresholds on its rows, split into pseudo-clients.
func newClients(cfg *config.AdversarialConfig, ref []drift.Column) (*clients, error) {
	c := &clients{header: http.CanonicalHeaderKey(cfg.ClientHeader), index: map[string]int{}}
	names, rows := referenceRows(ref)
	if len(names) == 0 {
		return nil, fmt.Errorf("adversarial: the reference has no numeric feature")
	}
	c.names = names
	for j, name := range names {
		c.index[name] = j
	}
	if len(rows) < minCalibrationRows {
		return nil, fmt.Errorf("adversarial: the reference has %d complete rows, want at least %d to calibrate", len(rows), minCalibrationRows)
	}
	ac := adversarial.Config{Mean: make([]float64, len(names)), Std: make([]float64, len(names))}
	col := make([]float64, len(rows))
	for j := range names {
		for i, r := range rows {
			col[i] = r[j]
		}
		ac.Mean[j], ac.Std[j] = stat.PopMeanStdDev(col, nil)
	}
	benign := make([][][]float64, calibrationClients)
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range benign {
		for _, j := range rng.Perm(len(rows))[:min(len(rows), adversarial.DefaultRing)] {
			benign[i] = append(benign[i], rows[j])
		}
	}
	ac, err := adversarial.Calibrate(ac, benign, calibrationQ)
	if err != nil {
		return nil, fmt.Errorf("adversarial: %w", err)
	}
	if c.det, err = adversarial.New(ac); err != nil {
		return nil, err
	}
	c.mean = ac.Mean
	c.x = make([]float64, len(names))
	if s := cfg.Salt.Reveal(); s != "" {
		secret, err := obs.LoadSecret(s)
		if err != nil {
			return nil, fmt.Errorf("adversarial: salt: %w", err)
		}
		c.salt = []byte(secret.Reveal())
	} else {
		c.salt = make([]byte, 32)
		rand.Read(c.salt)
	}
	return c, nil
}

func isPrediction(name string) bool { return strings.HasPrefix(name, drift.PredictionPrefix) }

// watchesClients reports whether a model entry has an adversarial section.
func (p *pipeline) watchesClients() bool {
	return slices.ContainsFunc(p.models, func(w *watched) bool { return w.clients != nil })
}

// client returns the salted hash of the exchange's client key.
func (c *clients) client(e *proxy.Exchange) string {
	key := e.RemoteAddr
	if c.header != "" {
		if v := e.ReqHeader.Get(c.header); v != "" {
			key = v
		}
	}
	return adversarial.HashKey(c.salt, key)
}

// observe gives the detector one record's features (a missing one takes
// the reference mean) and the model's class probabilities, when its answer
// has them (see obs.Record.Probabilities).
func (c *clients) observe(client string, r *obs.Record) {
	copy(c.x, c.mean)
	for _, f := range r.Features {
		if j, ok := c.index[f.Name]; ok && f.Kind == obs.Number && !math.IsNaN(f.Num) && !math.IsInf(f.Num, 0) {
			c.x[j] = f.Num
		}
	}
	c.probs = r.Probabilities(c.probs[:0])
	c.det.Observe(client, c.x, c.probs, r.Time)
}

// Suspects implements api.Suspects for every model entry's clients.
func (p *pipeline) Suspects() []api.Suspect {
	var out []api.Suspect
	for _, w := range p.models {
		if w.clients == nil {
			continue
		}
		for _, s := range w.clients.det.Suspects() {
			out = append(out, api.Suspect{Client: s.Client, Signal: s.Signal, Score: s.Score, Since: s.Since.UTC()})
		}
	}
	slices.SortFunc(out, func(a, b api.Suspect) int { return a.Since.Compare(b.Since) })
	return out
}

// clientResults appends the adversarial results of every model entry.
// A model entry that names its model (payload.model or match.model) has
// that name as their model label, for the rules' summaries; the signals
// are per entry, not per model version.
func (p *pipeline) clientResults(now time.Time, dst []obs.Result) []obs.Result {
	for _, w := range p.models {
		if w.clients == nil {
			continue
		}
		start := len(dst)
		dst = w.clients.det.Results(now, dst)
		if model := cmp.Or(w.cfg.Payload.Model, w.cfg.Match.Model); model != "" {
			for i := range dst[start:] {
				r := &dst[start+i]
				if r.Labels == nil {
					r.Labels = obs.Labels{}
				}
				r.Labels["model"] = model
			}
		}
	}
	return dst
}
