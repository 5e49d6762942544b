// Package adversarial flags clients that probe a model: stateful query
// detection (Chen, Carlini & Wagner 2019), extraction detection (PRADA,
// Juuti et al. 2019, plus a feature-space spread check) and boundary
// probing (share of low top-2 margins). Clients are known only by a salted
// HMAC of their key, and the memory per client is bounded.
package adversarial

import (
	"container/list"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// Signals reported in Suspect.Signal and in the "signal" label.
const (
	SignalStateful   = "stateful"
	SignalExtraction = "extraction"
	SignalBoundary   = "boundary"
)

var signals = [...]string{SignalStateful, SignalExtraction, SignalBoundary}

// Result names.
const (
	// ResultSuspects counts the tracked clients flagged by one signal
	// (label "signal").
	ResultSuspects = "adversarial_suspects"
	// ResultClients is the number of clients tracked.
	ResultClients = "adversarial_clients"
)

// hashHexLen is the length of a hashed key: 128 bits in hex.
const hashHexLen = 32

// HashKey returns the client key under which a caller's key is stored and
// shown: the first 128 bits, in hex, of HMAC-SHA256(salt, key). The salt is
// a secret of the deployment; without it a hash cannot be tested against
// guessed keys.
func HashKey(salt []byte, key string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(key))
	var sum [sha256.Size]byte
	return hex.EncodeToString(m.Sum(sum[:0]))[:hashHexLen]
}

// Config configures a Detector. Zero fields take the defaults below.
type Config struct {
	// Mean and Std of each feature in the reference data; queries are
	// standardised as (x - Mean) / Std (Std 0 counts as 1). Required.
	Mean, Std []float64

	MaxClients int           // clients tracked; the least recently seen is evicted (default 10000)
	Idle       time.Duration // a client not seen for this long is evicted (default 1h)
	Ring       int           // recent queries kept per client (default 100)

	// Stateful detection: mean distance to the K nearest of the client's
	// recent queries; an alarm after Consecutive queries in a row below
	// KNNThreshold (0 disables; set it with Calibrate).
	K            int     // default 10
	Consecutive  int     // default 3
	KNNThreshold float64 // default 0 (off)

	// Extraction: with at least MinDistances minimum distances (new query
	// to the client's previous ones), an alarm when their Shapiro–Wilk W
	// is below Delta (PRADA), or when their median is above
	// SpreadThreshold (0 disables; set it with Calibrate).
	MinDistances    int     // default 20
	Delta           float64 // default 0.90, PRADA's δ
	SpreadThreshold float64 // default 0 (off)

	// Boundary probing: with at least MinQueries predictions, an alarm
	// when more than BoundaryShare of the recent ones have a top-2
	// probability margin below Margin.
	Margin        float64 // default 0.1
	BoundaryShare float64 // default 0.5
	MinQueries    int     // default 20
}

// Defaults of a Config.
const (
	DefaultMaxClients    = 10000
	DefaultIdle          = time.Hour
	DefaultRing          = 100
	DefaultK             = 10
	DefaultConsecutive   = 3
	DefaultMinDistances  = 20
	DefaultDelta         = 0.90
	DefaultMargin        = 0.1
	DefaultBoundaryShare = 0.5
	DefaultMinQueries    = 20
)

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxClients, DefaultMaxClients)
	def(&c.Ring, DefaultRing)
	def(&c.K, DefaultK)
	def(&c.Consecutive, DefaultConsecutive)
	def(&c.MinDistances, DefaultMinDistances)
	def(&c.MinQueries, DefaultMinQueries)
	if c.Idle == 0 {
		c.Idle = DefaultIdle
	}
	if c.Delta == 0 {
		c.Delta = DefaultDelta
	}
	if c.Margin == 0 {
		c.Margin = DefaultMargin
	}
	if c.BoundaryShare == 0 {
		c.BoundaryShare = DefaultBoundaryShare
	}
	return c
}

// Validate checks c after defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if len(c.Mean) == 0 || len(c.Mean) != len(c.Std) {
		errs = append(errs, fmt.Errorf("mean and std must be non-empty and of one length (got %d and %d)", len(c.Mean), len(c.Std)))
	}
	if c.MaxClients < 0 || c.Ring < 2 || c.K < 1 || c.K >= c.Ring || c.Consecutive < 1 {
		errs = append(errs, errors.New("need max_clients >= 0, ring >= 2, 1 <= k < ring, consecutive >= 1"))
	}
	if c.MinDistances < 3 || c.MinDistances > c.Ring || c.MinQueries < 1 || c.MinQueries > c.Ring {
		errs = append(errs, errors.New("need 3 <= min_distances <= ring and 1 <= min_queries <= ring"))
	}
	if c.Delta <= 0 || c.Delta > 1 || c.BoundaryShare <= 0 || c.BoundaryShare > 1 || c.Margin <= 0 || c.Margin > 1 {
		errs = append(errs, errors.New("delta, boundary_share and margin must be in (0, 1]"))
	}
	return errors.Join(errs...)
}

// MemoryPerClient returns the bytes a Detector with c keeps per tracked
// client: the ring of standardised queries (8·Ring·dim), the ring of
// minimum distances (8·Ring), the ring of low-margin flags (Ring), and
// about 300 bytes of bookkeeping (map entry, list element, key string).
// With the defaults and 30 features that is 100·(240+9)+300 ≈ 25 KB, so
// 10000 clients take about 250 MB; lower Ring or MaxClients to bound it.
func (c Config) MemoryPerClient() int {
	c = c.withDefaults()
	return c.Ring*(8*len(c.Mean)+9) + 300
}

// Suspect is a client flagged by one signal.
type Suspect struct {
	Client string    // the hashed key
	Signal string    // "stateful", "extraction" or "boundary"
	Score  float64   // the signal's value when it was raised (kNN distance, W or median distance, low-margin share)
	Since  time.Time // when it was raised
}

// client is the bounded state of one client.
type client struct {
	key  string
	seen time.Time
	n    int       // queries seen
	xs   []float64 // Ring × dim standardised queries, ring by n
	dn   int       // minimum distances seen
	ds   []float64 // Ring minimum distances, ring by dn
	low  []bool    // Ring low-margin flags, ring by np
	np   int       // predictions seen
	run  int       // consecutive queries below KNNThreshold
	// Scores of the last query, NaN when not computed (for Calibrate).
	knn, w, med float64
	flag        [len(signals)]Suspect
}

// Detector keeps per-client state and raises Suspects. Observe and Results
// are meant for one goroutine; Suspects and Len may be called from any.
type Detector struct {
	cfg Config
	dim int

	mu      sync.Mutex
	clients map[string]*list.Element // of *client
	lru     list.List                // front: most recently seen
	dropped int                      // queries of the wrong dimension

	z, dist, sorted []float64 // scratch
}

// New returns a Detector for cfg, or the errors of cfg.Validate.
func New(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("adversarial config: %w", err)
	}
	cfg = cfg.withDefaults()
	dim := len(cfg.Mean)
	return &Detector{
		cfg:     cfg,
		dim:     dim,
		clients: make(map[string]*list.Element),
		z:       make([]float64, dim),
		dist:    make([]float64, 0, cfg.Ring),
		sorted:  make([]float64, 0, cfg.Ring),
	}, nil
}

// Observe adds one query x of the client clientHash (from HashKey) with the
// model's class probabilities probs (nil when unknown) at time t. A query of
// the wrong length is dropped and counted.
func (d *Detector) Observe(clientHash string, x, probs []float64, t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(x) != d.dim {
		d.dropped++
		return
	}
	d.evictIdle(t)
	c := d.client(clientHash, t)
	for i, v := range x {
		s := d.cfg.Std[i]
		if s == 0 {
			s = 1
		}
		d.z[i] = (v - d.cfg.Mean[i]) / s
	}
	d.observe(c, d.z, probs, t)
}

// observe updates c with the standardised query z.
func (d *Detector) observe(c *client, z, probs []float64, t time.Time) {
	cfg := &d.cfg
	c.knn, c.w, c.med = math.NaN(), math.NaN(), math.NaN()
	prev := min(c.n, cfg.Ring)
	d.dist = d.dist[:0]
	for j := range prev {
		d.dist = append(d.dist, euclid(z, c.xs[j*d.dim:(j+1)*d.dim]))
	}
	copy(c.xs[(c.n%cfg.Ring)*d.dim:], z)
	c.n++

	if prev > 0 {
		c.ds[c.dn%cfg.Ring] = slices.Min(d.dist)
		c.dn++
	}
	if prev >= cfg.K {
		slices.Sort(d.dist)
		var s float64
		for _, v := range d.dist[:cfg.K] {
			s += v
		}
		s /= float64(cfg.K)
		c.knn = s
		if cfg.KNNThreshold > 0 && s < cfg.KNNThreshold {
			c.run++
			if c.run >= cfg.Consecutive {
				c.raise(0, s, t)
			}
		} else {
			c.run = 0
		}
	}
	if c.dn >= cfg.MinDistances {
		w, med := d.distanceStats(c)
		c.w, c.med = w, med
		if w < cfg.Delta {
			c.raise(1, w, t)
		} else if cfg.SpreadThreshold > 0 && med > cfg.SpreadThreshold {
			c.raise(1, med, t)
		}
	}
	if len(probs) >= 2 {
		c.low[c.np%cfg.Ring] = Margin(probs) < cfg.Margin
		c.np++
		if m := min(c.np, cfg.Ring); m >= cfg.MinQueries {
			var k int
			for _, b := range c.low[:m] {
				if b {
					k++
				}
			}
			if share := float64(k) / float64(m); share > cfg.BoundaryShare {
				c.raise(2, share, t)
			}
		}
	}
}

// distanceStats returns the Shapiro–Wilk W and the median of c's recent
// minimum distances.
func (d *Detector) distanceStats(c *client) (w, median float64) {
	m := min(c.dn, d.cfg.Ring)
	d.sorted = append(d.sorted[:0], c.ds[:m]...)
	slices.Sort(d.sorted)
	w, _ = ShapiroWilk(d.sorted)
	if m%2 == 1 {
		median = d.sorted[m/2]
	} else {
		median = (d.sorted[m/2-1] + d.sorted[m/2]) / 2
	}
	return w, median
}

// raise flags c with signal i unless it already is.
func (c *client) raise(i int, score float64, t time.Time) {
	if c.flag[i].Signal == "" {
		c.flag[i] = Suspect{Client: c.key, Signal: signals[i], Score: score, Since: t}
	}
}

// client returns the state of key, creating it (and evicting the least
// recently seen client if full) when new.
func (d *Detector) client(key string, t time.Time) *client {
	if e, ok := d.clients[key]; ok {
		d.lru.MoveToFront(e)
		c := e.Value.(*client)
		c.seen = t
		return c
	}
	for d.lru.Len() >= d.cfg.MaxClients {
		d.remove(d.lru.Back())
	}
	c := &client{
		key:  key,
		seen: t,
		xs:   make([]float64, d.cfg.Ring*d.dim),
		ds:   make([]float64, d.cfg.Ring),
		low:  make([]bool, d.cfg.Ring),
	}
	d.clients[key] = d.lru.PushFront(c)
	return c
}

// evictIdle removes the clients not seen since t - Idle.
func (d *Detector) evictIdle(t time.Time) {
	for e := d.lru.Back(); e != nil && t.Sub(e.Value.(*client).seen) > d.cfg.Idle; e = d.lru.Back() {
		d.remove(e)
	}
}

func (d *Detector) remove(e *list.Element) {
	delete(d.clients, e.Value.(*client).key)
	d.lru.Remove(e)
}

// Suspects returns the flags of the tracked clients, most recently seen
// client first. It is safe to call from any goroutine.
func (d *Detector) Suspects() []Suspect {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Suspect
	for e := d.lru.Front(); e != nil; e = e.Next() {
		for _, s := range e.Value.(*client).flag {
			if s.Signal != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Flags returns the flags of one client, nil when it has none or is not
// tracked. It is safe to call from any goroutine.
func (d *Detector) Flags(clientHash string) []Suspect {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.clients[clientHash]
	if !ok {
		return nil
	}
	var out []Suspect
	for _, s := range e.Value.(*client).flag {
		if s.Signal != "" {
			out = append(out, s)
		}
	}
	return out
}

// Len returns the number of tracked clients and of dropped queries.
func (d *Detector) Len() (clients, dropped int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lru.Len(), d.dropped
}

// Results appends, at now, one ResultSuspects per signal (label "signal",
// value the number of flagged clients; Warning when not zero) and one
// ResultClients. Labels never hold client keys.
func (d *Detector) Results(now time.Time, dst []obs.Result) []obs.Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.evictIdle(now)
	var counts [len(signals)]int
	for e := d.lru.Front(); e != nil; e = e.Next() {
		for i, s := range e.Value.(*client).flag {
			if s.Signal != "" {
				counts[i]++
			}
		}
	}
	n := d.lru.Len()
	for i, s := range signals {
		sev := obs.OK
		if counts[i] > 0 {
			sev = obs.Warning
		}
		dst = append(dst, obs.Result{
			Name: ResultSuspects, Labels: obs.Labels{"signal": s}, Time: now,
			Value: float64(counts[i]), Severity: sev, Samples: n,
		})
	}
	return append(dst, obs.Result{
		Name: ResultClients, Labels: obs.Labels{}, Time: now, Value: float64(n), Samples: n,
		Evidence: []obs.Field{{Key: "dropped", Value: fmt.Sprint(d.dropped)}},
	})
}

// Margin returns the top-2 margin of the class probabilities p: the
// largest minus the second largest. It needs len(p) >= 2.
func Margin(p []float64) float64 {
	a, b := math.Inf(-1), math.Inf(-1)
	for _, v := range p {
		if v > a {
			a, b = v, a
		} else if v > b {
			b = v
		}
	}
	return a - b
}

func euclid(a, b []float64) float64 {
	var s float64
	for i, v := range a {
		e := v - b[i]
		s += e * e
	}
	return math.Sqrt(s)
}
