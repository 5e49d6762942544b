package outlier

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// LedoitWolf returns the mean of the rows of x, their Ledoit–Wolf shrunk
// covariance (d×d, row-major) and the shrinkage:
//
//	S  = (1/n) Σ_i (x_i − x̄)(x_i − x̄)ᵀ,  μ = tr(S)/d
//	δ² = ‖S − μI‖²_F / d
//	β² = min(δ², (1/(d·n²)) Σ_i ‖(x_i − x̄)(x_i − x̄)ᵀ − S‖²_F)
//	Σ  = (1 − β²/δ²) S + (β²/δ²) μ I
//
// which matches sklearn.covariance.LedoitWolf (assume_centered=False):
// its location_, covariance_ and shrinkage_. The shrinkage is 0 when
// β² is 0 (e.g. a single row). It panics if x is empty or ragged.
func LedoitWolf(x [][]float64) (mean, cov []float64, shrinkage float64) {
	d := checkRef(x)
	n := float64(len(x))
	mean = make([]float64, d)
	for _, r := range x {
		for j, v := range r {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	// S = XcᵀXc/n and B = Σ_jk (Xc²ᵀXc²)_jk, as sklearn's
	// ledoit_wolf_shrinkage computes them, by two rank-k updates.
	xc := make([]float64, len(x)*d)
	x2 := make([]float64, len(x)*d)
	var trace float64
	for i, r := range x {
		for j, v := range r {
			c := v - mean[j]
			xc[i*d+j] = c
			x2[i*d+j] = c * c
			trace += c * c
		}
	}
	trace /= n
	syrk := func(a []float64) []float64 {
		c := blas64.Symmetric{N: d, Stride: d, Data: make([]float64, d*d), Uplo: blas.Upper}
		blas64.Syrk(blas.Trans, 1, blas64.General{Rows: len(x), Cols: d, Stride: d, Data: a}, 0, c)
		for j := range d { // mirror the upper triangle
			for k := j + 1; k < d; k++ {
				c.Data[k*d+j] = c.Data[j*d+k]
			}
		}
		return c.Data
	}
	cov = syrk(xc)
	var beta float64
	for _, v := range syrk(x2) {
		beta += v
	}
	var delta float64
	for _, v := range cov {
		delta += v * v
	}
	delta /= n * n
	fd := float64(d)
	mu := trace / fd
	beta = 1 / (fd * n) * (beta/n - delta)
	delta = (delta - 2*mu*trace + fd*mu*mu) / fd
	beta = min(beta, delta)
	if beta != 0 {
		shrinkage = beta / delta
	}
	for i := range cov {
		cov[i] = (1 - shrinkage) * cov[i] / n
	}
	for j := range d {
		cov[j*d+j] += shrinkage * mu
	}
	return mean, cov, shrinkage
}

// Mahalanobis scores a row by its squared Mahalanobis distance from the
// reference under the Ledoit–Wolf shrunk covariance of the standardised
// reference:
//
//	z_j = (x_j − mean_j) / sd_j
//	score(x) = zᵀ Σ_LW⁻¹ z
//
// with mean and sd (population, ddof=0) of the reference and Σ_LW =
// LedoitWolf of the standardised reference rows. This equals
// sklearn.covariance.LedoitWolf().fit(Z).mahalanobis(z) with Z the
// reference standardised by numpy's mean and std. Standardising first
// makes the shrinkage target μI meaningful when features have different
// units (it leaves the unshrunk distance unchanged). A feature constant in
// the reference gets sd 1. Collinear or constant features leave S
// singular, but the shrunk Σ_LW has μ·β²/δ² > 0 on its diagonal whenever
// the data are not all constant, so scores stay finite; if the Cholesky
// factorisation still fails, a ridge of 1e-10·μ is added.
type Mahalanobis struct {
	Mean, SD  []float64
	Shrinkage float64
	l         []float64 // lower Cholesky factor of Σ_LW, d×d row-major
}

// FitMahalanobis fits a Mahalanobis scorer on the reference rows. It
// panics if ref is empty or ragged.
func FitMahalanobis(ref [][]float64) *Mahalanobis {
	d := checkRef(ref)
	n := float64(len(ref))
	m := &Mahalanobis{Mean: make([]float64, d), SD: make([]float64, d)}
	for _, r := range ref {
		for j, v := range r {
			m.Mean[j] += v
		}
	}
	for j := range d {
		m.Mean[j] /= n
	}
	for _, r := range ref {
		for j, v := range r {
			m.SD[j] += (v - m.Mean[j]) * (v - m.Mean[j])
		}
	}
	for j := range d {
		m.SD[j] = math.Sqrt(m.SD[j] / n)
		if m.SD[j] == 0 || math.IsNaN(m.SD[j]) {
			m.SD[j] = 1
		}
	}
	z := make([][]float64, len(ref))
	buf := make([]float64, len(ref)*d)
	for i, r := range ref {
		z[i] = buf[i*d : (i+1)*d]
		for j, v := range r {
			z[i][j] = (v - m.Mean[j]) / m.SD[j]
		}
	}
	_, cov, s := LedoitWolf(z)
	m.Shrinkage = s
	sym := mat.NewSymDense(d, cov)
	var chol mat.Cholesky
	if !chol.Factorize(sym) {
		var tr float64
		for j := range d {
			tr += cov[j*d+j]
		}
		ridge := 1e-10 * max(tr/float64(d), 1)
		for j := range d {
			sym.SetSym(j, j, sym.At(j, j)+ridge)
		}
		if !chol.Factorize(sym) {
			panic("outlier: covariance not positive definite after ridge")
		}
	}
	var l mat.TriDense
	chol.LTo(&l)
	m.l = make([]float64, d*d)
	for i := range d {
		for j := 0; j <= i; j++ {
			m.l[i*d+j] = l.At(i, j)
		}
	}
	return m
}

// Score implements Scorer.
func (m *Mahalanobis) Score(x []float64) float64 {
	d := len(m.Mean)
	if len(x) != d {
		panic(errRowLen)
	}
	var buf [64]float64
	z := buf[:0]
	if d > len(buf) {
		z = make([]float64, 0, d)
	}
	for j, v := range x {
		z = append(z, (v-m.Mean[j])/m.SD[j])
	}
	// zᵀΣ⁻¹z = ‖y‖² with Ly = z, Σ = LLᵀ (forward substitution).
	var sum float64
	for i := range d {
		row := m.l[i*d : i*d+i]
		v := z[i]
		for j, a := range row {
			v -= a * z[j]
		}
		v /= m.l[i*d+i]
		z[i] = v
		sum += v * v
	}
	if math.IsNaN(sum) {
		return math.Inf(1) // Inf − Inf from a row so far out that it overflowed
	}
	return sum
}
