// Package attack is a test harness for package adversarial: black-box
// attack loops that query a model through a callback, and Simulate, which
// replays benign and attacking clients through a Detector and tabulates
// what it flagged.
package attack

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/driftwatch/driftwatch/detectors/adversarial"
)

// Predict returns the model's class probabilities for x.
type Predict func(x []float64) []float64

// argmax returns the index of the largest value of p.
func argmax(p []float64) int {
	k := 0
	for i, v := range p {
		if v > p[k] {
			k = i
		}
	}
	return k
}

// lerp returns a + t(b - a).
func lerp(dst, a, b []float64, t float64) []float64 {
	dst = dst[:0]
	for i := range a {
		dst = append(dst, a[i]+t*(b[i]-a[i]))
	}
	return dst
}

func dist(a, b []float64) float64 {
	var s float64
	for i := range a {
		e := a[i] - b[i]
		s += e * e
	}
	return s
}

// boundary binary-searches the segment from in (classified inClass) to out
// (classified otherwise) for steps queries and returns the point nearest
// the boundary on out's side.
func boundary(query Predict, in, out []float64, inClass, steps int) []float64 {
	lo, hi := 0.0, 1.0 // lo on in's side, hi on out's side
	x := make([]float64, 0, len(in))
	for range steps {
		mid := (lo + hi) / 2
		x = lerp(x, in, out, mid)
		if argmax(query(x)) == inClass {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lerp(nil, in, out, hi)
}

// BoundaryWalk runs a hop-skip-jump style decision-based attack for budget
// queries: it looks for an input classified unlike start but as close to
// it as it can find. It binary-searches the segment from start to other (a
// point of another class) for the decision boundary, then repeatedly hops
// from the current boundary point by a random step of scale step (per
// feature, e.g. 1% of its range), binary-searches back to the boundary
// between start and the hop, and keeps the new point when it is nearer to
// start. It returns the best adversarial point found.
func BoundaryWalk(rng *rand.Rand, query Predict, start, other []float64, step []float64, budget int) []float64 {
	n := 0
	q := func(x []float64) []float64 { n++; return query(x) }
	startClass := argmax(q(start))
	const search = 10
	best := boundary(q, start, other, startClass, search)
	hop := make([]float64, len(start))
	for n+1+search <= budget {
		for i := range hop {
			hop[i] = best[i] + step[i]*rng.NormFloat64()
		}
		if argmax(q(hop)) == startClass {
			continue
		}
		if b := boundary(q, start, hop, startClass, search); dist(b, start) < dist(best, start) {
			best = b
		}
	}
	for n < budget { // spend the rest of the budget like the loop would
		q(best)
	}
	return best
}

// Sweep runs an extraction sweep of budget queries: points drawn
// uniformly in the box [lo, hi], whose answers would train a copy of the
// model. It returns the queries and answers.
func Sweep(rng *rand.Rand, query Predict, lo, hi []float64, budget int) (xs, ys [][]float64) {
	for range budget {
		x := make([]float64, len(lo))
		for i := range x {
			x[i] = lo[i] + rng.Float64()*(hi[i]-lo[i])
		}
		xs = append(xs, x)
		ys = append(ys, query(x))
	}
	return xs, ys
}

// Row is one client of a simulation.
type Row struct {
	Kind     string // "benign", "boundary-walk" or "extraction-sweep"
	Client   string // hashed key
	Queries  int    // queries sent
	Flagged  bool
	Detected int      // queries until the first flag, 0 when never flagged
	Signal   string   // the first signal raised
	Score    float64  // its score when raised
	All      []string // every signal raised by the end
}

// Queries is the number of queries each simulated client sends.
const Queries = 200

// Simulate replays nBenign benign clients, each sending Queries rows of
// benign drawn i.i.d., one boundary-walking client (from a benign row to
// one of another class) and one extraction sweep over the bounding box of
// benign, all through det, and returns one Row per client. Clients run one
// after another, a second apart per query; the seed is fixed, so a run is
// reproducible.
func Simulate(benign [][]float64, nBenign int, predict Predict, det *adversarial.Detector) []Row {
	rng := rand.New(rand.NewPCG(1, 2))
	salt := []byte("simulate")
	t := time.Unix(1_700_000_000, 0)
	dim := len(benign[0])
	lo, hi := make([]float64, dim), make([]float64, dim)
	copy(lo, benign[0])
	copy(hi, benign[0])
	for _, x := range benign {
		for i, v := range x {
			lo[i], hi[i] = min(lo[i], v), max(hi[i], v)
		}
	}
	run := func(kind string, i int, attack func(q Predict)) Row {
		r := Row{Kind: kind, Client: adversarial.HashKey(salt, fmt.Sprintf("%s-%d", kind, i))}
		q := func(x []float64) []float64 {
			p := predict(x)
			t = t.Add(time.Second)
			det.Observe(r.Client, x, p, t)
			r.Queries++
			if !r.Flagged {
				if f := det.Flags(r.Client); len(f) > 0 {
					r.Flagged, r.Detected, r.Signal, r.Score = true, r.Queries, f[0].Signal, f[0].Score
				}
			}
			return p
		}
		attack(q)
		for _, f := range det.Flags(r.Client) {
			r.All = append(r.All, f.Signal)
		}
		return r
	}
	var rows []Row
	for i := range nBenign {
		rows = append(rows, run("benign", i, func(q Predict) {
			for range Queries {
				q(benign[rng.IntN(len(benign))])
			}
		}))
	}
	rows = append(rows, run("boundary-walk", 0, func(q Predict) {
		start := benign[rng.IntN(len(benign))]
		c := argmax(predict(start))
		var other []float64
		for other == nil {
			if x := benign[rng.IntN(len(benign))]; argmax(predict(x)) != c {
				other = x
			}
		}
		step := make([]float64, dim)
		for i := range step {
			step[i] = 0.01 * (hi[i] - lo[i])
		}
		BoundaryWalk(rng, q, start, other, step, Queries)
	}))
	rows = append(rows, run("extraction-sweep", 0, func(q Predict) {
		Sweep(rng, q, lo, hi, Queries)
	}))
	return rows
}

// Table renders rows as an aligned text table.
func Table(rows []Row) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tclient\tqueries\tflagged\tqueries until detection\tsignal\tscore\tall signals")
	for _, r := range rows {
		det, sig, score, all := "-", "-", "-", "-"
		if r.Flagged {
			det, sig, score = fmt.Sprint(r.Detected), r.Signal, fmt.Sprintf("%.3g", r.Score)
			all = strings.Join(r.All, ",")
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%t\t%s\t%s\t%s\t%s\n", r.Kind, r.Client[:12], r.Queries, r.Flagged, det, sig, score, all)
	}
	w.Flush()
	return b.String()
}
