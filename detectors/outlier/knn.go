package outlier

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// KNN scores a row by its Euclidean distance to the k-th nearest reference
// row, after scaling every feature by the reference's robust z scale:
//
//	u_j = (x_j − median_j) / s_j   (s_j as in RobustZ; 1 when it is 0)
//	score(x) = ‖u − u_(k)‖₂, u_(k) the k-th nearest scaled reference row
//
// which equals sklearn.neighbors.NearestNeighbors(n_neighbors=k)
// .fit(U).kneighbors(u)[0][:, -1] on the same scaled data. The search is
// exact and brute force: a score costs O(n·d) time for n reference rows of
// d features (and no allocation beyond k floats), so keep the reference
// to thousands of rows, or subsample it, for per-request scoring.
// ScoreRows scores many rows at once with a blocked matrix multiply (see
// scoreBatch), still O(n·d) per row but several times faster.
type KNN struct {
	K     int
	d     int
	med   []float64
	scale []float64
	ref   []float64 // n×d scaled rows
	// refNorm holds the squared norms of the scaled rows, for scoreBatch.
	refNorm []float64
}

// FitKNN fits a KNN scorer on the reference rows. It panics if ref is
// empty or ragged, or k is not in [1, len(ref)).
func FitKNN(ref [][]float64, k int) *KNN {
	d := checkRef(ref)
	if k < 1 || k >= len(ref) {
		panic(errBadK)
	}
	z := FitRobustZ(ref)
	m := &KNN{K: k, d: d, med: z.Median, scale: z.Scale, ref: make([]float64, 0, len(ref)*d)}
	for j, s := range m.scale {
		if s == 0 || math.IsInf(s, 0) || math.IsNaN(s) {
			m.scale[j] = 1
		}
	}
	m.refNorm = make([]float64, len(ref))
	for i, r := range ref {
		for j, v := range r {
			u := (v - m.med[j]) / m.scale[j]
			m.ref = append(m.ref, u)
			m.refNorm[i] += u * u
		}
	}
	return m
}

// Score implements Scorer.
func (m *KNN) Score(x []float64) float64 { return m.score(x, -1) }

// score returns the distance from x to its k-th nearest reference row,
// leaving out row skip (for leave-one-out calibration).
func (m *KNN) score(x []float64, skip int) float64 {
	if len(x) != m.d {
		panic(errRowLen)
	}
	var ubuf [64]float64
	u := ubuf[:0]
	if m.d > len(ubuf) {
		u = make([]float64, 0, m.d)
	}
	for j, v := range x {
		u = append(u, (v-m.med[j])/m.scale[j])
	}
	var kbuf [16]float64
	best := kbuf[:0] // the k smallest squared distances, ascending
	if m.K > len(kbuf) {
		best = make([]float64, 0, m.K)
	}
	n := len(m.ref) / m.d
	for i := range n {
		if i == skip {
			continue
		}
		r := m.ref[i*m.d : (i+1)*m.d]
		var s float64
		worst := math.Inf(1)
		if len(best) == m.K {
			worst = best[m.K-1]
		}
		for j, a := range r {
			t := u[j] - a
			s += t * t
		}
		if !(s < worst) { // NaN (from overflowed scaling) is as far as +Inf
			continue
		}
		if len(best) < m.K {
			best = append(best, s)
		} else {
			best[m.K-1] = s
		}
		for p := len(best) - 1; p > 0 && best[p] < best[p-1]; p-- {
			best[p], best[p-1] = best[p-1], best[p]
		}
	}
	if len(best) < m.K {
		return math.Inf(1) // fewer than k rows at a finite distance
	}
	return math.Sqrt(best[m.K-1])
}

// scoreBatch implements batchScorer with the expansion
// ‖u − r‖² = ‖u‖² + ‖r‖² − 2u·r over blocks of rows, the products done by
// a matrix multiply (as sklearn's brute-force search does); the results
// agree with Score to rounding, which near distance 0 is about 1e-8·‖u‖.
func (m *KNN) scoreBatch(out []float64, x [][]float64) {
	const qb, rb = 64, 1024
	d, n := m.d, len(m.ref)/m.d
	if m.refNorm == nil {
		// Fitted by FitKNN: refNorm is set there. Zero values of KNN
		// are not usable.
		panic("outlier: KNN not fitted")
	}
	q := make([]float64, qb*d)
	qn := make([]float64, qb)
	g := make([]float64, qb*rb)
	best := make([]float64, qb*m.K)
	nb := make([]int, qb)
	for lo := 0; lo < len(x); lo += qb {
		rows := x[lo:min(lo+qb, len(x))]
		b := len(rows)
		for i, r := range rows {
			if len(r) != d {
				panic(errRowLen)
			}
			var s float64
			for j, v := range r {
				u := (v - m.med[j]) / m.scale[j]
				q[i*d+j] = u
				s += u * u
			}
			qn[i] = s
			nb[i] = 0
		}
		for r0 := 0; r0 < n; r0 += rb {
			rn := min(rb, n-r0)
			blas64.Gemm(blas.NoTrans, blas.Trans, 1,
				blas64.General{Rows: b, Cols: d, Stride: d, Data: q[:b*d]},
				blas64.General{Rows: rn, Cols: d, Stride: d, Data: m.ref[r0*d : (r0+rn)*d]},
				0, blas64.General{Rows: b, Cols: rn, Stride: rb, Data: g})
			for i := range b {
				top := best[i*m.K : (i+1)*m.K]
				row := g[i*rb : i*rb+rn]
				for c, dot := range row {
					s := max(qn[i]+m.refNorm[r0+c]-2*dot, 0)
					k := nb[i]
					if k == m.K && s >= top[k-1] {
						continue
					}
					if k < m.K {
						nb[i]++
						k++
					}
					p := k - 1
					for ; p > 0 && top[p-1] > s; p-- {
						top[p] = top[p-1]
					}
					top[p] = s
				}
			}
		}
		for i := range b {
			out[lo+i] = math.Sqrt(best[i*m.K+m.K-1])
		}
	}
}
