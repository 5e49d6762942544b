package outlier

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// Scorer scores one row of numeric features in the reference's column
// order; a larger score means a more unusual row. Scorers of this package
// are safe for concurrent use.
type Scorer interface {
	Score(x []float64) float64
}

// ScorerFunc makes a Scorer of a function.
type ScorerFunc func(x []float64) float64

// Score implements Scorer.
func (f ScorerFunc) Score(x []float64) float64 { return f(x) }

// batchScorer is implemented by scorers with a faster way to score many
// rows than one Score call each; out has len(x) elements.
type batchScorer interface {
	scoreBatch(out []float64, x [][]float64)
}

// scoreChunk scores the rows x into out.
func scoreChunk(s Scorer, out []float64, x [][]float64) {
	if b, ok := s.(batchScorer); ok {
		b.scoreBatch(out, x)
		return
	}
	for i, r := range x {
		out[i] = s.Score(r)
	}
}

// ScoreRows appends the score of every row of x to dst and returns the
// extended slice. Rows are scored in parallel over GOMAXPROCS goroutines,
// so s must be safe for concurrent use; the result does not depend on the
// number of goroutines.
func ScoreRows(dst []float64, s Scorer, x [][]float64) []float64 {
	start := len(dst)
	dst = slices.Grow(dst, len(x))[:start+len(x)]
	out := dst[start:]
	workers := min(runtime.GOMAXPROCS(0), max(1, len(x)/256))
	if workers <= 1 {
		scoreChunk(s, out, x)
		return dst
	}
	var wg sync.WaitGroup
	chunk := (len(x) + workers - 1) / workers
	for lo := 0; lo < len(x); lo += chunk {
		hi := min(lo+chunk, len(x))
		wg.Go(func() { scoreChunk(s, out[lo:hi], x[lo:hi]) })
	}
	wg.Wait()
	return dst
}

// Threshold returns the (1 − fpr) quantile of scores, with numpy's default
// linear interpolation between order statistics:
//
//	h = (n − 1)(1 − fpr),  q = s_(⌊h⌋) + (h − ⌊h⌋)(s_(⌊h⌋+1) − s_(⌊h⌋))
//
// (np.quantile(scores, 1 - fpr)). A row whose score is above it is an
// outlier, so about fpr of rows like the ones scored are flagged. scores
// is sorted in place. It panics if scores is empty or fpr is not in (0, 1).
func Threshold(scores []float64, fpr float64) float64 {
	if !(fpr > 0 && fpr < 1) {
		panic(errBadFPR)
	}
	if len(scores) == 0 {
		panic(errNoRows)
	}
	slices.Sort(scores)
	h := float64(len(scores)-1) * (1 - fpr)
	lo := int(math.Floor(h))
	if lo >= len(scores)-1 {
		return scores[len(scores)-1]
	}
	a, b := scores[lo], scores[lo+1]
	if a == b { // also keeps ±Inf from becoming NaN
		return a
	}
	return a + (h-float64(lo))*(b-a)
}
