package drift

import "math"

// fisherNegativeCount is the panic message of FisherExact for a negative cell,
// which is a programmer error: cells are counts.
const fisherNegativeCount = "drift: negative count in Fisher table"

// fisherRelTol is scipy's relative tolerance on "as extreme": a table counts
// towards the two-sided p-value when its probability is at most
// (1 + fisherRelTol) times that of the observed table.
const fisherRelTol = 1e-14

// fisherNoise bounds, in units of the float64 epsilon times the size of the
// log-probability, the rounding error of fisherHyper.logPMF. It widens
// fisherRelTol so that tables of exactly equal probability (which scipy's
// Boost-computed probabilities resolve as ties) are ties here too.
const fisherNoise = 64

// FisherExact returns the sample odds ratio and the two-sided p-value of
// Fisher's exact test of the 2×2 table
//
//	[[a, b],    row ref: a in category 1, b in category 2
//	 [c, d]]    row cur: c in category 1, d in category 2
//
// Conditional on the margins, a follows the hypergeometric distribution
//
//	P(X = x) = C(a+b, x)·C(c+d, a+c−x) / C(a+b+c+d, a+c)
//
// and the p-value is the total probability of the tables no more likely than
// the observed one:
//
//	oddsRatio = a·d / (b·c)
//	p         = Σ_{x : P(X=x) ≤ (1+1e-14)·P(X=a)} P(X = x)
//
// The relative tolerance 1e-14 is scipy's; our own rounding error (a few ulps
// of the log-probability, see fisherNoise) is added to it so that tables of
// exactly equal probability count as equally extreme. Probabilities are
// computed in log space with Loader's saddle-point expansion (stirlerr and
// bd0), accurate to about 1e-13 relative for any counts, so the test stays
// exact for large tables (a+b+c+d in the millions) and p-values down to the
// float64 underflow limit (about 1e-308; smaller ones are returned as 0). The
// sum over tables stops once the remaining tail is below 1e-17 of it, so the
// cost grows with the square root of the counts, not with the counts.
//
// Special cases: if a row or a column of the table is all zero, oddsRatio is
// NaN and p is 1 (nothing can be tested). If b·c is 0 (and no margin is
// zero), oddsRatio is +Inf; it is 0 when a·d is 0 and b·c is not. The p-value
// is symmetric in ref and cur and in the two categories; the odds ratio
// becomes its reciprocal when either is swapped.
//
// FisherExact panics if a cell is negative. It does not allocate.
//
// It matches scipy.stats.fisher_exact([[a, b], [c, d]]) with
// alternative='two-sided' (statistic, pvalue).
func FisherExact(a, b, c, d int) (oddsRatio, p float64) {
	if a < 0 || b < 0 || c < 0 || d < 0 {
		panic(fisherNegativeCount)
	}
	if a+b == 0 || c+d == 0 || a+c == 0 || b+d == 0 {
		return math.NaN(), 1
	}
	if b > 0 && c > 0 {
		oddsRatio = float64(a) * float64(d) / (float64(b) * float64(c))
	} else {
		oddsRatio = math.Inf(1)
	}

	h := newFisherHyper(a+b, c+d, a+c)
	lo, hi := h.support()
	// scipy's mode, computed the same way (in floating point, truncated).
	mode := int(float64(h.n+1) * float64(h.r+1) / float64(h.r+h.b+2))
	mode = min(max(mode, lo), hi)

	lx := h.logPMF(a)
	lmode := h.logPMF(mode)
	tol := math.Log1p(fisherRelTol) + fisherNoise*0x1p-52*(1+math.Abs(lx))
	if lmode-lx <= tol {
		return oddsRatio, 1
	}
	thr := lx + tol

	// s accumulates Σ P(X=y)/P(X=a) over the tables as extreme as a.
	var s float64
	if a < mode {
		// Near side: every y ≤ a is less likely than a.
		s = h.tailSum(a, -1, lo, lx)
		// Far side: the smallest y > mode that is no more likely than a.
		if y, ok := h.firstBelow(mode, hi, thr, +1); ok {
			s += h.tailSum(y, +1, hi, lx)
		}
	} else {
		s = h.tailSum(a, +1, hi, lx)
		if y, ok := h.firstBelow(mode, lo, thr, -1); ok {
			s += h.tailSum(y, -1, lo, lx)
		}
	}
	p = math.Exp(lx) * s
	return oddsRatio, min(p, 1)
}

// fisherHyper is the hypergeometric distribution of the top-left cell of a
// 2×2 table with row totals r and b and first-column total n.
type fisherHyper struct {
	r, b, n int
	p, q    float64 // n/(r+b) and 1 − that, the binomial proxy of Loader's method
	lden    float64 // log of the binomial normaliser of the column total
}

func newFisherHyper(r, b, n int) fisherHyper {
	tot := float64(r + b)
	h := fisherHyper{r: r, b: b, n: n, p: float64(n) / tot, q: float64(r+b-n) / tot}
	h.lden = fisherLogBinom(n, r+b, h.p, h.q)
	return h
}

// support returns the smallest and largest possible top-left cell.
func (h fisherHyper) support() (lo, hi int) {
	return max(0, h.n-h.b), min(h.n, h.r)
}

// logPMF returns log P(X = x) for x in the support, as the ratio of three
// binomial probabilities with the same success probability p = n/(r+b):
//
//	P(X=x) = Bin(x; r, p)·Bin(n−x; b, p) / Bin(n; r+b, p)
//
// (the powers of p and q cancel), each computed by fisherLogBinom.
func (h fisherHyper) logPMF(x int) float64 {
	return fisherLogBinom(x, h.r, h.p, h.q) + fisherLogBinom(h.n-x, h.b, h.p, h.q) - h.lden
}

// firstBelow returns the y closest to mode, moving in direction dir (±1) up to
// end inclusive, whose log-probability is at most thr, by bisection over the
// monotone side of the distribution. ok is false when even end is above thr.
func (h fisherHyper) firstBelow(mode, end int, thr float64, dir int) (y int, ok bool) {
	if h.logPMF(end) > thr {
		return 0, false
	}
	// Invariant: logPMF(in) > thr (or in == mode), logPMF(out) ≤ thr.
	in, out := mode, end
	for (out-in)*dir > 1 {
		mid := in + (out-in)/2
		if h.logPMF(mid) <= thr {
			out = mid
		} else {
			in = mid
		}
	}
	return out, true
}

// tailSum returns Σ exp(logPMF(y) − ref) for y from start to end inclusive in
// direction dir (±1), a side of the distribution on which the terms decrease.
// Log-concavity bounds the remaining tail by a geometric series, so the sum
// stops once that bound is below 1e-17 of the total.
func (h fisherHyper) tailSum(start, dir, end int, ref float64) float64 {
	var s, prev float64
	for y := start; (end-y)*dir >= 0; y += dir {
		t := math.Exp(h.logPMF(y) - ref)
		s += t
		if prev > 0 {
			rho := t / prev
			if rho < 1 && t*rho/(1-rho) < 1e-17*s {
				break
			}
		}
		if t == 0 {
			break
		}
		prev = t
	}
	return s
}

// fisherLogBinom returns log Bin(x; n, p) = log(C(n,x)·p^x·q^(n−x)) for
// 0 ≤ x ≤ n, q = 1−p, by Loader's saddle-point expansion: with the Stirling
// remainder δ(k) = log k! − log(√(2πk)·(k/e)^k) and the deviance
// bd0(x, m) = x·log(x/m) + m − x,
//
//	log Bin = δ(n) − δ(x) − δ(n−x) − bd0(x, np) − bd0(n−x, nq)
//	          − ½·log(2π·x·(n−x)/n)
//
// which keeps full relative accuracy where differences of log-factorials
// would cancel. (C. Loader, "Fast and Accurate Computation of Binomial
// Probabilities", 2000.)
func fisherLogBinom(x, n int, p, q float64) float64 {
	fn := float64(n)
	switch {
	case n == 0:
		return 0
	case x == 0:
		if p < 0.1 {
			return -fisherBD0(fn, fn*q) - fn*p
		}
		return fn * math.Log(q)
	case x == n:
		if q < 0.1 {
			return -fisherBD0(fn, fn*p) - fn*q
		}
		return fn * math.Log(p)
	}
	fx := float64(x)
	lc := fisherStirlErr(n) - fisherStirlErr(x) - fisherStirlErr(n-x) -
		fisherBD0(fx, fn*p) - fisherBD0(fn-fx, fn*q)
	lf := math.Log(2*math.Pi) + math.Log(fx) + math.Log1p(-fx/fn)
	return lc - 0.5*lf
}

// fisherStirlTable holds δ(k) for k = 0..15, computed with mpmath at 40
// digits (δ(0) is unused).
var fisherStirlTable = [16]float64{
	0,
	0.08106146679532725822,
	0.041340695955409294094,
	0.027677925684998339149,
	0.020790672103765093112,
	0.016644691189821192163,
	0.013876128823070747999,
	0.011896709945891770095,
	0.010411265261972096497,
	0.0092554621827127329177,
	0.0083305634333628712565,
	0.007573675487951840795,
	0.0069428401072095298657,
	0.0064089941880042070684,
	0.0059513701127588477356,
	0.005554733551962801371,
}

// fisherStirlErr returns the Stirling remainder δ(k) = log k! −
// log(√(2πk)·(k/e)^k): from the table for k ≤ 15, otherwise from its
// asymptotic series 1/(12k) − 1/(360k³) + 1/(1260k⁵) − 1/(1680k⁷) +
// 1/(1188k⁹), whose truncation error is below 1e-16 there.
func fisherStirlErr(k int) float64 {
	if k < len(fisherStirlTable) {
		return fisherStirlTable[k]
	}
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	x := float64(k)
	x2 := x * x
	return (s0 - (s1-(s2-(s3-s4/x2)/x2)/x2)/x2) / x
}

// fisherBD0 returns the deviance term x·log(x/m) + m − x ≥ 0 without the
// cancellation of the direct formula when x is close to m: there, with
// v = (x−m)/(x+m), it equals (x−m)·v + 2x·Σ_{j≥1} v^(2j+1)/(2j+1).
func fisherBD0(x, m float64) float64 {
	if math.Abs(x-m) >= 0.1*(x+m) {
		return x*math.Log(x/m) + m - x
	}
	v := (x - m) / (x + m)
	s := (x - m) * v
	ej := 2 * x * v
	v2 := v * v
	for j := 3.0; ; j += 2 {
		ej *= v2
		s1 := s + ej/j
		if s1 == s {
			return s1
		}
		s = s1
	}
}
