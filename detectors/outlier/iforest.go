package outlier

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// EulerGamma is the Euler–Mascheroni constant.
const EulerGamma = 0.5772156649015329

// AveragePathLength returns c(n), the average path length of an
// unsuccessful search in a binary search tree of n points, which
// normalises isolation depths:
//
//	c(n) = 2H(n−1) − 2(n−1)/n,  H(i) ≈ ln(i) + γ
//
// with c(n) = 0 for n ≤ 1 and c(2) = 1. It matches scikit-learn's
// sklearn.ensemble._iforest._average_path_length.
func AveragePathLength(n int) float64 {
	switch {
	case n <= 1:
		return 0
	case n == 2:
		return 1
	}
	f := float64(n)
	return 2*(math.Log(f-1)+EulerGamma) - 2*(f-1)/f
}

// IForestConfig sets up an Isolation Forest; zero fields take
// scikit-learn's defaults.
type IForestConfig struct {
	Trees      int    // number of trees; 0 means 100
	MaxSamples int    // rows per tree, capped at the reference's; 0 means 256
	Seed       uint64 // the forest is a function of the reference and Seed
}

// IForest is an Isolation Forest (Liu, Ting & Zhou, ICDM 2008) with
// scikit-learn's defaults: each of 100 trees is grown on ψ = min(256, n)
// reference rows drawn without replacement, splitting on a uniformly
// chosen non-constant feature at a threshold uniform between the node's
// minimum and maximum, to a depth of at most ⌈log₂ψ⌉. The score is
//
//	s(x) = 2^(−E[h(x)] / c(ψ)),  h(x) = depth of x's leaf + c(leaf size)
//
// in (0, 1]: near 1 for outliers, about 0.5 and below for normal rows.
// It is the negation of sklearn.ensemble.IsolationForest.score_samples
// (max_features=1.0, bootstrap=False); the trees differ from
// scikit-learn's, which draws from NumPy's generator, but follow the same
// law. Fitting is deterministic given the Seed and independent of
// GOMAXPROCS: tree t draws from PCG(Seed, t).
type IForest struct {
	trees [][]inode
	cpsi  float64 // c(ψ)
}

// inode is a node of an isolation tree, 16 bytes: a leaf when feat < 0,
// with val its depth + c(size); else x[feat] <= val goes to the node at
// left, and the rest to left+1.
type inode struct {
	feat int32
	left int32
	val  float64
}

// FitIForest grows an Isolation Forest on the reference rows. It panics if
// ref is empty or ragged.
func FitIForest(ref [][]float64, cfg IForestConfig) *IForest {
	d := checkRef(ref)
	trees := cfg.Trees
	if trees <= 0 {
		trees = 100
	}
	psi := cfg.MaxSamples
	if psi <= 0 {
		psi = 256
	}
	psi = min(psi, len(ref))
	f := &IForest{trees: make([][]inode, trees), cpsi: AveragePathLength(psi)}
	maxDepth := int(math.Ceil(math.Log2(float64(max(psi, 2)))))
	workers := min(runtime.GOMAXPROCS(0), trees)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			g := grower{ref: ref, d: d, maxDepth: maxDepth, feats: make([]int, d)}
			for t := w; t < trees; t += workers {
				g.rng = rand.New(rand.NewPCG(cfg.Seed, uint64(t)))
				g.nodes = make([]inode, 1, 2*psi)
				idx := sample(g.rng, len(ref), psi)
				g.grow(idx, 0, 0)
				f.trees[t] = g.nodes
			}
		})
	}
	wg.Wait()
	return f
}

// sample returns k distinct integers in [0, n), by a Fisher–Yates shuffle
// that records its swaps in a map when n is much larger than k.
func sample(rng *rand.Rand, n, k int) []int {
	out := make([]int, k)
	if n <= 4*k {
		p := make([]int, n)
		for i := range p {
			p[i] = i
		}
		for i := range k {
			j := i + rng.IntN(n-i)
			p[i], p[j] = p[j], p[i]
		}
		copy(out, p[:k])
		return out
	}
	swapped := make(map[int]int, k)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := range k {
		j := i + rng.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	return out
}

type grower struct {
	ref      [][]float64
	d        int
	maxDepth int
	rng      *rand.Rand
	nodes    []inode
	feats    []int
}

// grow fills node at, and the subtree under it, with the rows idx at depth.
func (g *grower) grow(idx []int, depth int, at int32) {
	leaf := inode{feat: -1, val: float64(depth) + AveragePathLength(len(idx))}
	if depth >= g.maxDepth || len(idx) <= 1 {
		g.nodes[at] = leaf
		return
	}
	// Draw features without replacement until one is not constant here.
	for j := range g.feats {
		g.feats[j] = j
	}
	for left := g.d; left > 0; left-- {
		k := g.rng.IntN(left)
		f := g.feats[k]
		g.feats[k] = g.feats[left-1]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, i := range idx {
			v := g.ref[i][f]
			lo, hi = min(lo, v), max(hi, v)
		}
		if !(hi > lo) {
			continue
		}
		thr := lo + g.rng.Float64()*(hi-lo)
		if thr >= hi {
			thr = lo
		}
		// Partition idx: x <= thr first.
		p := 0
		for q, i := range idx {
			if g.ref[i][f] <= thr {
				idx[p], idx[q] = idx[q], idx[p]
				p++
			}
		}
		l := int32(len(g.nodes))
		g.nodes = append(g.nodes, inode{}, inode{})
		g.nodes[at] = inode{feat: int32(f), left: l, val: thr}
		g.grow(idx[:p], depth+1, l)
		g.grow(idx[p:], depth+1, l+1)
		return
	}
	g.nodes[at] = leaf
}

// leafPath returns the path length of x in tree t.
func leafPath(t []inode, x []float64) float64 {
	n := t[0]
	for n.feat >= 0 {
		next := n.left
		if !(x[n.feat] <= n.val) {
			next++
		}
		n = t[next]
	}
	return n.val
}

// PathLength returns E[h(x)], the mean over the trees of x's path length.
func (f *IForest) PathLength(x []float64) float64 {
	var sum float64
	for _, t := range f.trees {
		sum += leafPath(t, x)
	}
	return sum / float64(len(f.trees))
}

// Score implements Scorer: 2^(−E[h(x)]/c(ψ)).
func (f *IForest) Score(x []float64) float64 {
	if f.cpsi == 0 {
		return 0.5 // one reference row: nothing to isolate against
	}
	return math.Exp2(-f.PathLength(x) / f.cpsi)
}

// scoreBatch implements batchScorer: it walks tree by tree over blocks
// of rows, so that one tree stays in cache, and gives the same sums in the
// same order as Score.
func (f *IForest) scoreBatch(out []float64, x [][]float64) {
	const block = 256
	for lo := 0; lo < len(x); lo += block {
		rows, acc := x[lo:min(lo+block, len(x))], out[lo:min(lo+block, len(x))]
		clear(acc)
		for _, t := range f.trees {
			for i, r := range rows {
				acc[i] += leafPath(t, r)
			}
		}
		for i := range acc {
			if f.cpsi == 0 {
				acc[i] = 0.5
				continue
			}
			acc[i] = math.Exp2(-(acc[i] / float64(len(f.trees))) / f.cpsi)
		}
	}
}
