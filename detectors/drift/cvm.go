package drift

import (
	"math"
	"math/bits"
)

const (
	cvmTooFew   = "drift: CramerVonMises needs at least two values in each sample"
	cvmUnsorted = "drift: CramerVonMises sample not sorted ascending"
	cvmNaN      = "drift: CramerVonMises sample contains NaN"
)

// cvmExactMax is the largest sample size for which CramerVonMises computes
// the exact p-value (scipy's method='auto' rule: exact when both sizes are at
// most 20).
const cvmExactMax = 20

// CramerVonMises returns the two-sample Cramér–von Mises statistic T of x and
// y and its p-value. It matches scipy.stats.cramervonmises_2samp(x, y)
// (method='auto', scipy 1.10).
//
// With n = len(x), m = len(y), N = n+m and r_i, s_j the ranks of x_i and y_j
// in the pooled sample (midranks for ties, as rankdata(method='average')),
//
//	U = n Σ_i (r_i - i)² + m Σ_j (s_j - j)²
//	T = U/(n m N) - (4 n m - 1)/(6 N)
//
// (Anderson 1962, eq. 9–10). When both n and m are at most 20 the p-value is
// exact: the share of the C(N, n) rank arrangements whose U is at least the
// observed one, counted with the lattice-path recursion of Xiao, Gordon and
// Yakovlev (2006). Otherwise T is standardised with its exact mean and
// variance,
//
//	E[T] = (1 + 1/N)/6
//	Var[T] = (N+1)(4 n m N - 3(n²+m²) - 2 n m) / (180 n m N²)
//	Tn = 1/6 + (T - E[T]) / √(45 Var[T])
//
// and p = max(0, 1 - F(Tn)), with F the limiting distribution of the
// one-sample statistic (Csörgő and Faraway 1996, eq. 1.2), summed as scipy
// does until a term falls below 1e-7; p = 1 when Tn < 0.003. As in scipy,
// that truncated series is accurate only for Tn up to about 4: beyond it p
// grows again instead of tending to 0 (p ≈ 7e-10 at Tn = 4, 2.6e-8 at
// Tn = 100, 1.1e-5 at Tn = 1e6; two disjoint samples of a million values
// each get p ≈ 4.4e-6). Asymptotic p-values below about 1e-4 are therefore
// not ordered by the statistic and mean only "very small". With ties the
// p-value uses the continuous null distribution and is conservative.
//
// T is formed from exact integer rank sums, so it is correct to rounding at
// any size; scipy's floating-point sums differ from it in about the tenth
// significant digit at a million values per side.
//
// x and y must each be sorted ascending and hold at least two values; NaN is
// not allowed. CramerVonMises panics when either has fewer than two values,
// or when it meets a NaN or a descending pair (both checked in passing). It
// merges the samples in O(n+m) time without allocating. The exact p-value
// (both sizes at most 20) allocates small frequency tables and takes up to
// about 50 ms when the statistic is extreme (19 against 20 values).
func CramerVonMises(x, y []float64) (t, p float64) {
	n, m := len(x), len(y)
	if n < 2 || m < 2 {
		panic(cvmTooFew)
	}
	sx, sy := cvmRankSums(x, y)
	// 4U = n·Sx + m·Sy and 24·n·m·N·T = 6·4U - 4k(4k-1), k = n·m, are
	// integers: form them exactly so that T does not lose digits to the
	// cancellation (at a million values per side U/(kN) is about 3e5 while T
	// is about 0.1).
	k64 := uint64(n) * uint64(m)
	u4 := sx.mul(uint64(n)).plus(sy.mul(uint64(m)))
	pos := u4.mul(6)
	neg := cvmUint128{lo: 4 * k64}.mul(4*k64 - 1)
	nf, mf := float64(n), float64(m)
	k := nf * mf
	bigN := nf + mf
	if !pos.less(neg) {
		t = pos.minus(neg).float() / (24 * k * bigN)
	} else {
		t = -neg.minus(pos).float() / (24 * k * bigN)
	}

	if n <= cvmExactMax && m <= cvmExactMax {
		// 4U < 2^63 here (at most 4·20·20·40² per sample).
		return t, cvmExactP(int64(u4.lo), n, m)
	}

	et := (1 + 1/bigN) / 6
	vt := (bigN + 1) * (4*k*bigN - 3*(nf*nf+mf*mf) - 2*k)
	vt /= 45 * bigN * bigN * 4 * k
	tn := 1.0/6 + (t-et)/math.Sqrt(45*vt)
	if tn < 0.003 {
		return t, 1
	}
	return t, math.Max(0, 1-cvmCDFInf(tn))
}

// cvmUint128 is an unsigned 128-bit integer. Sums of n values below 2^64
// and products by an int fit for any n that fits in memory.
type cvmUint128 struct{ hi, lo uint64 }

func (a *cvmUint128) add(v uint64) {
	var c uint64
	a.lo, c = bits.Add64(a.lo, v, 0)
	a.hi += c
}

func (a cvmUint128) plus(b cvmUint128) cvmUint128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	return cvmUint128{a.hi + b.hi + c, lo}
}

// minus returns a - b for b <= a.
func (a cvmUint128) minus(b cvmUint128) cvmUint128 {
	lo, c := bits.Sub64(a.lo, b.lo, 0)
	return cvmUint128{a.hi - b.hi - c, lo}
}

func (a cvmUint128) mul(v uint64) cvmUint128 {
	hi, lo := bits.Mul64(a.lo, v)
	return cvmUint128{hi + a.hi*v, lo}
}

func (a cvmUint128) less(b cvmUint128) bool {
	return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo)
}

func (a cvmUint128) float() float64 {
	return float64(a.hi)*0x1p64 + float64(a.lo)
}

// cvmRankSums merges the sorted samples and returns Sx = Σ (2(r_i - i))² and
// Sy = Σ (2(s_j - j))², with midranks r_i, s_j in the pooled sample. The
// doubled differences are integers, so the sums are exact.
func cvmRankSums(x, y []float64) (sx, sy cvmUint128) {
	n, m := len(x), len(y)
	i, j := 0, 0
	for i < n || j < m {
		var v float64
		if j == m || (i < n && x[i] <= y[j]) {
			v = x[i]
		} else {
			v = y[j]
		}
		if v != v {
			panic(cvmNaN)
		}
		i0, j0 := i, j
		for i < n && x[i] == v {
			i++
		}
		for j < m && y[j] == v {
			j++
		}
		if (i < n && x[i] < v) || (j < m && y[j] < v) {
			panic(cvmUnsorted)
		}
		// Twice the midrank of the tie group: 2·below + size + 1.
		twoR := 2*(i0+j0) + (i - i0) + (j - j0) + 1
		for q := i0; q < i; q++ {
			d := uint64(cvmAbs(twoR - 2*(q+1)))
			sx.add(d * d)
		}
		for q := j0; q < j; q++ {
			d := uint64(cvmAbs(twoR - 2*(q+1)))
			sy.add(d * d)
		}
	}
	return sx, sy
}

func cvmAbs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// cvmCell is the frequency table of one lattice point: how many paths reach
// it with each partial sum, sorted by val. Sums at or above the threshold are
// merged into a single entry whose val is the threshold, since sums only grow
// along a path.
type cvmCell []cvmFreq

type cvmFreq struct {
	val int64
	cnt uint64
}

// cvmExactP returns the exact p-value P(U' ≥ U) of the two-sample statistic
// for sample sizes m and n, given u4 = 4U (Xiao, Gordon and Yakovlev 2006,
// Algorithm 1, as in scipy's _pval_cvm_2samp_exact).
func cvmExactP(u4 int64, m, n int) float64 {
	l := m / gcd(m, n) * n
	a, b := int64(l/m), int64(l/n)
	mn := int64(m) * int64(n)
	// U (eq. 9 of Anderson 1962) mapped to the path sum ζ = Σ (a v - b u)²
	// over the lattice points of a path, rounded down as scipy does.
	ll := int64(l)
	zeta := floorDiv(ll*ll*int64(m+n)*(6*u4-4*mn*(4*mn-1)), 24*mn*mn)

	// prev[v] holds the paths reaching (u-1, v); cur[v] those reaching (u, v).
	prev := make([]cvmCell, m+1)
	cur := make([]cvmCell, m+1)
	prev[0] = cvmCell{{0, 1}}
	for u := 0; u <= n; u++ {
		for v := 0; v <= m; v++ {
			var left cvmCell
			if v > 0 {
				left = cur[v-1]
			}
			d := a*int64(v) - b*int64(u)
			cur[v] = cvmMergeShift(cur[v][:0], left, prev[v], d*d, zeta)
		}
		prev, cur = cur, prev
	}
	var hit uint64
	for _, f := range prev[m] {
		if f.val >= zeta {
			hit += f.cnt
		}
	}
	return float64(hit) / float64(cvmBinom(m+n, m))
}

// cvmMergeShift appends to dst the merge of the sorted tables p and q with
// add added to every val, values at or above limit collapsed into one entry.
func cvmMergeShift(dst, p, q cvmCell, add, limit int64) cvmCell {
	push := func(f cvmFreq) {
		f.val += add
		if f.val >= limit {
			f.val = limit
		}
		if k := len(dst); k > 0 && dst[k-1].val == f.val {
			dst[k-1].cnt += f.cnt
			return
		}
		dst = append(dst, f)
	}
	i, j := 0, 0
	for i < len(p) && j < len(q) {
		switch {
		case p[i].val < q[j].val:
			push(p[i])
			i++
		case p[i].val > q[j].val:
			push(q[j])
			j++
		default:
			push(cvmFreq{p[i].val, p[i].cnt + q[j].cnt})
			i++
			j++
		}
	}
	for ; i < len(p); i++ {
		push(p[i])
	}
	for ; j < len(q); j++ {
		push(q[j])
	}
	return dst
}

// cvmBinom returns C(n, k) for small n (exact in uint64 for n ≤ 62).
func cvmBinom(n, k int) uint64 {
	r := uint64(1)
	for i := 1; i <= k; i++ {
		r = r * uint64(n-k+i) / uint64(i)
	}
	return r
}

// cvmCDFInf returns the limiting distribution function of the one-sample
// Cramér–von Mises statistic (Csörgő and Faraway 1996, eq. 1.2),
//
//	F(x) = Σ_k Γ(k+½)/(Γ(k+1) π^{3/2} √x) √(4k+1) e^{-q_k} K_{1/4}(q_k),  q_k = (4k+1)²/(16x)
//
// adding terms until (and including) the first whose size is below 1e-7, as
// scipy's _cdf_cvm_inf does.
func cvmCDFInf(x float64) float64 {
	c := math.Pow(math.Pi, 1.5) * math.Sqrt(x)
	var tot float64
	for k := 0; ; k++ {
		kf := float64(k)
		lg1, _ := math.Lgamma(kf + 0.5)
		lg2, _ := math.Lgamma(kf + 1)
		y := 4*kf + 1
		q := y * y / (16 * x)
		z := math.Exp(lg1-lg2) / c * math.Sqrt(y) * cvmExpK14(q)
		tot += z
		if math.Abs(z) < 1e-7 {
			return tot
		}
	}
}

// cvmExpK14 returns e^{-q} K_{1/4}(q) for q > 0, K the modified Bessel
// function of the second kind, from
//
//	e^{-q} K_ν(q) = ∫_0^∞ exp(-q(1 + cosh t)) cosh(ν t) dt
//
// by the trapezoidal rule, which converges geometrically for this analytic,
// even, fast-decaying integrand. The step resolves the peak at t = 0 (width
// about 1/√q) and the range stops where q cosh t exceeds q + 40, leaving a
// relative error near machine precision.
func cvmExpK14(q float64) float64 {
	h := 0.1
	if w := 0.5 / math.Sqrt(q); w < h {
		h = w
	}
	end := math.Acosh(1 + 40/q)
	sum := 0.5 * math.Exp(-2*q)
	for i := 1; ; i++ {
		t := float64(i) * h
		sum += math.Exp(-q*(1+math.Cosh(t))) * math.Cosh(t/4)
		if t > end {
			break
		}
	}
	return sum * h
}
