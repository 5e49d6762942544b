package drift

import "math"

// This file holds the survival function of the one-sample two-sided
// Kolmogorov–Smirnov distribution, Pr(D_n > d), which KS uses for its
// asymptotic p-value exactly as scipy.stats.ks_2samp does (kstwo.sf with
// n = round(n1*n2/(n1+n2))). The branch structure follows Simard and
// L'Ecuyer (2011) as implemented in scipy/stats/_ksstats.py (_kolmogn) of
// scipy 1.10.1; the one-sided Smirnov tail follows cephes kolmogorov.c
// (scipy.special.smirnov).

const (
	ksMinLog      = -7.451332191019412076235e2 // cephes MINLOG, log(2**-1075)
	ksMinExpLog   = -708                       // _ksstats._MIN_LOG
	ksScaleExp    = 128                        // _ksstats._E128
	ksSmirnovMaxN = 1000000                    // cephes SMIRNOV_MAX_COMPUTE_N
)

var (
	ksScaleUp   = math.Ldexp(1, ksScaleExp)
	ksScaleDown = math.Ldexp(1, -ksScaleExp)
)

// ksClip01 clips p to [0, 1].
func ksClip01(p float64) float64 {
	if p < 0 {
		return 0
	}
	if p > 1 {
		return 1
	}
	return p
}

// ksTwoSF returns Pr(D_n > d) for the two-sided one-sample
// Kolmogorov–Smirnov statistic D_n of a sample of size n >= 1. It matches
// scipy.stats.kstwo.sf(d, n) including its support handling:
// 1 for d <= 0.5/n and 0 for d >= 1.
func ksTwoSF(d float64, n int) float64 {
	if d <= 0.5/float64(n) {
		return 1
	}
	if d >= 1 {
		return 0
	}
	return ksKolmogornSF(n, d)
}

// ksKolmogornSF follows the algorithm choice of scipy's _kolmogn(n, x, cdf=False).
func ksKolmogornSF(n int, x float64) float64 {
	if x >= 1 {
		return 0
	}
	if x <= 0 {
		return 1
	}
	fn := float64(n)
	t := fn * x
	if t <= 1 { // Ruben–Gambino: 1/2n <= x <= 1/n.
		if t <= 0.5 {
			return 1
		}
		var prob float64
		if n <= 140 {
			prob = 1
			for i := 1; i <= n; i++ {
				prob *= float64(i) * (1 / fn) * (2*t - 1)
			}
		} else {
			prob = math.Exp(ksLogFactorialOverPower(fn) + fn*math.Log(2*t-1))
		}
		return ksClip01(1 - prob)
	}
	if t >= fn-1 { // Ruben–Gambino: 1 - 1/n <= x < 1.
		return ksClip01(2 * math.Pow(1-x, fn))
	}
	if x >= 0.5 { // Exact: the two one-sided tails cannot both be exceeded.
		return ksClip01(2 * ksSmirnovSF(n, x))
	}
	nx2 := t * x
	if n <= 140 {
		switch {
		case nx2 <= 0.754693:
			return ksClip01(1 - ksDurbinCDF(n, x))
		case nx2 <= 4:
			return ksClip01(1 - ksPomeranzCDF(n, x))
		}
		return ksClip01(2 * ksSmirnovSF(n, x))
	}
	if nx2 >= 370 {
		return 0
	}
	if nx2 >= 2.2 {
		return ksClip01(2 * ksSmirnovSF(n, x))
	}
	var cdf float64
	if n <= 100000 && fn*math.Pow(x, 1.5) <= 1.4 {
		cdf = ksDurbinCDF(n, x)
	} else {
		cdf = ksPelzGoodCDF(n, x)
	}
	return ksClip01(1 - cdf)
}

// ksLogFactorialOverPower returns log(n!/n**n) by Stirling's series with
// the n*log(n) term removed up front.
func ksLogFactorialOverPower(n float64) float64 {
	// Stirling coefficients B_{2j}/(2j)/(2j-1) for j = 8, ..., 1.
	coeffs := [...]float64{
		-2.955065359477124183e-2, 6.4102564102564102564e-3,
		-1.9175269175269175269e-3, 8.4175084175084175084e-4,
		-5.952380952380952381e-4, 7.9365079365079365079e-4,
		-2.7777777777777777778e-3, 8.3333333333333333333e-2,
	}
	rn := 1 / n
	y := rn / n
	poly := 0.0
	for _, c := range coeffs {
		poly = poly*y + c
	}
	return math.Log(n)/2 - n + math.Log(2*math.Pi)/2 + rn*poly
}

// ksDurbinCDF returns Pr(D_n <= d) by Durbin's matrix algorithm in the form
// of Marsaglia, Tsang and Wang (2003): with nd = k - h, 0 <= h < 1, it is
// n!/n**n times the (k,k) entry of H**n for a (2k-1)-square matrix H. The
// cost is O(k**3 log n); callers use it only where k is small.
func ksDurbinCDF(n int, d float64) float64 {
	if d >= 1 {
		return 1
	}
	fn := float64(n)
	nd := fn * d
	if nd <= 0.5 {
		return 0
	}
	k := int(math.Ceil(nd))
	h := float64(k) - nd
	m := 2*k - 1

	// v[j] = (1 - h**(j+1)) / (j+1)!, w[j] = 1/j!.
	v := make([]float64, m)
	w := make([]float64, m)
	fac := 1.0
	for j := 1; j <= m; j++ {
		w[j-1] = fac
		fac /= float64(j)
		v[j-1] = (1 - math.Pow(h, float64(j))) * fac
	}
	tt := math.Pow(math.Max(2*h-1, 0), float64(m)) - 2*math.Pow(h, float64(m))
	v[m-1] = (1 + tt) * fac

	H := make([]float64, m*m)
	for i := 1; i < m; i++ {
		for r := i - 1; r < m; r++ {
			H[r*m+i] = w[r-i+1]
		}
	}
	for r := 0; r < m; r++ {
		H[r*m] = v[r]
	}
	for c := 0; c < m; c++ {
		H[(m-1)*m+c] = v[m-1-c]
	}

	// Only row k-1 of H**n is needed, so the accumulated power is kept as
	// that row vector; H itself is squared with its own binary exponent.
	row := make([]float64, m)
	row[k-1] = 1
	tmpRow := make([]float64, m)
	sq := make([]float64, m*m)
	expnt, hExpnt := 0, 0
	for nn := n; nn > 0; nn /= 2 {
		if nn%2 == 1 {
			ksVecMat(tmpRow, row, H, m)
			row, tmpRow = tmpRow, row
			expnt += hExpnt
		}
		if nn/2 == 0 {
			break
		}
		ksMatSquare(sq, H, m)
		H, sq = sq, H
		hExpnt *= 2
		if math.Abs(H[(k-1)*m+k-1]) > ksScaleUp {
			for i := range H {
				H[i] /= ksScaleUp
			}
			hExpnt += ksScaleExp
		}
	}
	p := row[k-1]

	// Multiply by n!/n**n.
	for i := 1; i <= n; i++ {
		p = float64(i) * p / fn
		if math.Abs(p) < ksScaleDown {
			p *= ksScaleUp
			expnt -= ksScaleExp
		}
	}
	if expnt != 0 {
		p = math.Ldexp(p, expnt)
	}
	return ksClip01(p)
}

// ksVecMat sets dst = r * A for a row vector r and an m-square matrix A.
func ksVecMat(dst, r, A []float64, m int) {
	clear(dst)
	for i, ri := range r {
		if ri == 0 {
			continue
		}
		rowA := A[i*m : (i+1)*m]
		for j, a := range rowA {
			dst[j] += ri * a
		}
	}
}

// ksMatSquare sets dst = A * A for an m-square matrix A.
func ksMatSquare(dst, A []float64, m int) {
	clear(dst)
	for i := 0; i < m; i++ {
		di := dst[i*m : (i+1)*m]
		for l := 0; l < m; l++ {
			a := A[i*m+l]
			if a == 0 {
				continue
			}
			al := A[l*m : (l+1)*m]
			for j, b := range al {
				di[j] += a * b
			}
		}
	}
}

// ksPomeranzRange returns the range of non-zero entries in row i of the
// Pomeranz recursion.
func ksPomeranzRange(i, n, ll, ceilf, roundf int) (int, int) {
	var j1, j2 int
	if i == 0 {
		j1, j2 = -ll-ceilf-1, ll+ceilf-1
	} else {
		half, odd := (i+1)/2, (i+1)%2
		if odd == 0 { // i is odd
			if half == n+1 {
				j1, j2 = n-ll-ceilf-1, n+ll+ceilf-1
			} else {
				j1, j2 = half-1-ll-roundf-1, half+ll-1+ceilf-1
			}
		} else {
			j1, j2 = half-1-ll-1, half+ll+roundf-1
		}
	}
	return max(j1+2, 0), min(j2, n)
}

// ksPomeranzCDF returns Pr(D_n <= d) by the Pomeranz (1974) recursion: each
// of 2n+1 rows is the convolution of the previous one with a truncated
// Poisson-like sequence, and the answer is n! times the last entry.
func ksPomeranzCDF(n int, d float64) float64 {
	fn := float64(n)
	t := fn * d
	ll := int(math.Floor(t))
	f := t - float64(ll)
	g := math.Min(f, 1-f)
	ceilf, roundf := 0, 0
	if f > 0 {
		ceilf = 1
	}
	if f > 0.5 {
		roundf = 1
	}
	npwrs := 2 * (ll + 1)
	// (g/n)**m/m!, (2g/n)**m/m! and ((1-2g)/n)**m/m!.
	gp := make([]float64, npwrs)
	g2p := make([]float64, npwrs)
	g12p := make([]float64, npwrs)
	gp[0], g2p[0], g12p[0] = 1, 1, 1
	a, b, c := g/fn, 2*g/fn, (1-2*g)/fn
	for m := 1; m < npwrs; m++ {
		gp[m] = gp[m-1] * a / float64(m)
		g2p[m] = g2p[m-1] * b / float64(m)
		g12p[m] = g12p[m-1] * c / float64(m)
	}

	v0 := make([]float64, npwrs)
	v1 := make([]float64, npwrs)
	v1[0] = 1
	v0s, v1s := 0, 0
	expnt := 0
	j1, j2 := ksPomeranzRange(0, n, ll, ceilf, roundf)
	for i := 1; i < 2*n+2; i++ {
		k1 := j1
		v0, v1 = v1, v0
		v0s, v1s = v1s, v0s
		clear(v1)
		j1, j2 = ksPomeranzRange(i, n, ll, ceilf, roundf)
		var pw []float64
		switch {
		case i == 1 || i == 2*n+1:
			pw = gp
		case i%2 == 1:
			pw = g2p
		default:
			pw = g12p
		}
		ln2 := j2 - k1 + 1
		if ln2 <= 0 {
			continue
		}
		// Entries conv[j1-k1 : j2-k1+1] of the full convolution of
		// src = v0[k1-v0s:][:ln2] with pw[:ln2], both cut at the row length
		// as numpy slicing does.
		src := v0[k1-v0s : min(k1-v0s+ln2, npwrs)]
		pw = pw[:min(ln2, npwrs)]
		vmax := 0.0
		for o := 0; o <= j2-j1 && o < npwrs; o++ {
			idx := j1 - k1 + o
			s := 0.0
			for q := max(0, idx-len(pw)+1); q <= min(idx, len(src)-1); q++ {
				s += src[q] * pw[idx-q]
			}
			v1[o] = s
			vmax = math.Max(vmax, s)
		}
		if vmax > 0 && vmax < ksScaleDown {
			for o := range v1 {
				v1[o] *= ksScaleUp
			}
			expnt -= ksScaleExp
		}
		v1s = v0s + j1 - k1
	}
	ans := v1[n-v1s]
	for m := 1; m <= n; m++ {
		if math.Abs(ans) > ksScaleUp {
			ans *= ksScaleDown
			expnt += ksScaleExp
		}
		ans *= float64(m)
	}
	if expnt != 0 {
		ans = math.Ldexp(ans, expnt)
	}
	return ksClip01(ans)
}

// ksPelzGoodCDF returns the Pelz–Good (1976) approximation of Pr(D_n <= x):
// the Li-Chien/Korolyuk expansion K0(z) + K1(z)/sqrt(n) + K2(z)/n +
// K3(z)/n**1.5 with z = x*sqrt(n), each term rewritten through Jacobi theta
// identities into series that converge fast for small z. The result is not
// clipped.
func ksPelzGoodCDF(n int, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const (
		pi2 = math.Pi * math.Pi
		pi4 = pi2 * pi2
		pi6 = pi4 * pi2
	)
	sqrt2pi := math.Sqrt(2 * math.Pi)
	fn := float64(n)
	z := math.Sqrt(fn) * x
	z2, z3, z4, z6 := z*z, z*z*z, math.Pow(z, 4), math.Pow(z, 6)

	qlog := -pi2 / 8 / z2
	if qlog < ksMinExpLog {
		return 0
	}
	q := math.Exp(qlog)

	k1a, k1b := -z2, pi2/4
	k2a := 6*z6 + 2*z4
	k2b := (2*z4 - 5*z2) * pi2 / 4
	k2c := pi4 * (1 - 2*z2) / 16
	k3d := pi6 * (5 - 30*z2) / 64
	k3c := pi4 * (-60*z2 + 212*z4) / 16
	k3b := pi2 * (135*z4 - 96*z6) / 4
	k3a := -30*z6 - 90*math.Pow(z, 8)

	// Horner scheme for sum c_k q**((2k-1)**2), a sum over odd integers.
	var K [4]float64
	maxk := int(math.Ceil(16 * z / math.Pi))
	for k := maxk; k > 0; k-- {
		m := float64(2*k - 1)
		m2 := m * m
		m4 := m2 * m2
		m6 := m4 * m2
		qp := math.Pow(q, float64(8*k))
		K[0] = K[0]*qp + 1
		K[1] = K[1]*qp + k1a + k1b*m2
		K[2] = K[2]*qp + k2a + k2b*m2 + k2c*m4
		K[3] = K[3]*qp + k3a + k3b*m2 + k3c*m4 + k3d*m6
	}
	den := [4]float64{z, 6 * z4, 72 * math.Pow(z, 7), 6480 * math.Pow(z, 10)}
	for i := range K {
		K[i] = K[i] * q * sqrt2pi / den[i]
	}

	// The remaining sums over all integers k, computed directly.
	q = math.Exp(-pi2 / 2 / z2)
	sqrt3z := math.Sqrt(3) * z
	var k2extra, k3extra float64
	for k := maxk; k > 0; k-- {
		fk := float64(k)
		k2 := fk * fk
		qk := math.Pow(q, k2)
		kpi := math.Pi * fk
		k2extra += k2 * qk
		k3extra += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk
	}
	K[2] += k2extra * pi2 * sqrt2pi / (-36 * z3)
	K[3] += k3extra * pi2 * sqrt2pi / (216 * z6)

	sum := 0.0
	for i := range K {
		sum += K[i] / math.Pow(fn, float64(i)/2)
	}
	return sum
}

// ksSmirnovSF returns the one-sided Smirnov tail Pr(D_n^+ >= x), matching
// scipy.special.smirnov(n, x) (cephes kolmogorov.c). For 1/n < x < 1 - 1/n
// it is the Birnbaum–Tingey sum
//
//	x * sum_{j=0}^{ceil(n(1-x))-1} C(n,j) (1-x-j/n)**(n-j) (x+j/n)**(j-1),
//
// evaluated term by term in logarithms, and for n > 1e6 the approximation
// exp(-(6nx+1)**2/(18n)). cephes switches to the alternating upper sum when
// x <= 0.5/sqrt(n) and at most three terms remain; ksKolmogornSF never calls
// it there (it needs x >= 0.5 or n*x*x >= 2.2), so that sum is not
// implemented.
func ksSmirnovSF(n int, x float64) float64 {
	switch {
	case !(x >= 0 && x <= 1):
		return math.NaN()
	case n == 1:
		return 1 - x
	case x == 0:
		return 1
	case x == 1:
		return 0
	}
	fn := float64(n)
	// n*x = nxHi + nxLo exactly; nxfl = floor(n*x), alpha its fractional part.
	nxHi := fn * x
	nxLo := math.FMA(fn, x, -nxHi)
	nxfl := math.Floor(nxHi)
	alpha := (nxHi - nxfl) + nxLo
	if alpha < 0 {
		nxfl--
		alpha++
	}
	if alpha >= 1 {
		nxfl++
		alpha = 0
	}
	nfl := int(nxfl)

	if nfl == 0 || (nfl == 1 && alpha == 0) { // x <= 1/n
		return 1 - x*math.Pow(1+x, fn-1)
	}
	if -2*fn*x*x < ksMinLog {
		return 0
	}
	if nfl >= n-1 { // x >= 1 - 1/n
		return math.Exp(fn * math.Log1p(-x))
	}
	if n > ksSmirnovMaxN {
		logp := -math.Pow(6*fn*x+1, 2) / 18 / fn
		if logp < -math.Ln2 {
			return math.Exp(logp)
		}
		return 1 + math.Expm1(logp)
	}
	// Terms j = 0..last all have 1 - x - j/n > 0.
	last := n - nfl - 1
	return ksClip01(x * ksSmirnovSum(n, x, nxHi, nxLo, last))
}

// ksSmirnovLogTerm returns log A_j = log C(n,j) + (n-j) log(1-x-j/n) +
// (j-1) log(x+j/n), given logC = log C(n,j) and n*x = nxHi + nxLo.
func ksSmirnovLogTerm(n, j int, x, nxHi, nxLo, logC float64) float64 {
	fn := float64(n)
	q := ((float64(j) + nxHi) + nxLo) / fn   // x + j/n
	p := ((float64(n-j) - nxHi) - nxLo) / fn // 1 - x - j/n
	var logp float64
	if q < 0.5 {
		logp = math.Log1p(-q)
	} else {
		logp = math.Log(p)
	}
	lt := logC + float64(n-j)*logp
	if j != 1 {
		lt += float64(j-1) * math.Log(q)
	}
	return lt
}

// ksLogBinom returns log C(n, j).
func ksLogBinom(n, j int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(j + 1))
	c, _ := math.Lgamma(float64(n - j + 1))
	return a - b - c
}

// ksSmirnovSum returns sum_{j=0}^{last} A_j. Sums of fewer than 4096 terms
// are taken term by term. For longer ones the terms are samples of a smooth
// unimodal function of j that is negligible at both ends, so the sum equals
// the trapezoid rule H*sum_k A(j0 + kH) on any coarser lattice up to an
// error that falls like exp(-c/H**2). The lattice step H is halved from
// about 1/128 of the significant range until two successive estimates agree
// to 1e-9, falling back to the full sum (H = 1) if they never do. (Each term
// carries a relative error of about 1e-10 from Lgamma at n near 1e6, so a
// tighter agreement is not attainable.) This keeps the cost at a few
// hundred terms where cephes sums up to n.
func ksSmirnovSum(n int, x, nxHi, nxLo float64, last int) float64 {
	const fullSum = 4096
	if last < fullSum {
		var s, logC float64
		for j := 0; j <= last; j++ {
			s += math.Exp(ksSmirnovLogTerm(n, j, x, nxHi, nxLo, logC))
			logC += math.Log(float64(n-j) / float64(j+1))
		}
		return s
	}
	logTerm := func(j int) float64 {
		return ksSmirnovLogTerm(n, j, x, nxHi, nxLo, ksLogBinom(n, j))
	}
	// Locate the peak on a grid of about 256 points.
	step := max(last/256, 1)
	peak, peakLog := 0, math.Inf(-1)
	for j := 0; j <= last; j += step {
		if lt := logTerm(j); lt > peakLog {
			peak, peakLog = j, lt
		}
	}
	// lattice returns sum A(peak + k*h)/A(peak) over k != 0 (odd k only
	// when odd is set), walking out from the peak until the terms are
	// negligible.
	const tiny = 1e-20
	lattice := func(h int, odd bool) float64 {
		s := 0.0
		first := h
		stride := h
		if odd {
			stride = 2 * h
		}
		for j := peak + first; j <= last; j += stride {
			t := math.Exp(logTerm(j) - peakLog)
			s += t
			if t < tiny*s {
				break
			}
		}
		for j := peak - first; j >= 0; j -= stride {
			t := math.Exp(logTerm(j) - peakLog)
			s += t
			if t < tiny*s {
				break
			}
		}
		return s
	}
	// Significant range: where A_j > tiny * A(peak), measured on the grid.
	lo, hi := peak, peak
	for lo-step >= 0 && logTerm(lo-step)-peakLog > math.Log(tiny) {
		lo -= step
	}
	for hi+step <= last && logTerm(hi+step)-peakLog > math.Log(tiny) {
		hi += step
	}
	h := 1
	for h*128 <= hi-lo+2*step {
		h *= 2
	}
	raw := 1 + lattice(h, false) // sum over the lattice of step h
	est := float64(h) * raw
	for h > 1 {
		h /= 2
		raw += lattice(h, true)
		next := float64(h) * raw
		if math.Abs(next-est) <= 1e-9*next {
			return next * math.Exp(peakLog)
		}
		est = next
	}
	return est * math.Exp(peakLog)
}
