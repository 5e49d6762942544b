package drift

import "math"

const (
	adTooFewSamples  = "drift: AndersonDarling needs at least two samples"
	adEmptySample    = "drift: AndersonDarling sample without values"
	adTooFewValues   = "drift: AndersonDarling needs at least four values in total"
	adTooFewDistinct = "drift: AndersonDarling needs at least two distinct values"
	adUnsorted       = "drift: AndersonDarling sample not sorted ascending"
	adNaN            = "drift: AndersonDarling sample contains NaN"
)

// Significance levels of the critical values, and the interpolation
// coefficients of Scholz and Stephens (1987), Table 2, as used by scipy.
var (
	adSig = [7]float64{0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001}
	adB0  = [7]float64{0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085}
	adB1  = [7]float64{-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615}
	adB2  = [7]float64{-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154}
)

// AndersonDarling returns the normalized k-sample Anderson–Darling statistic
// of samples (midrank version, for continuous and discrete data) and its
// approximate significance level. It matches scipy.stats.anderson_ksamp(
// samples, midrank=True) (scipy 1.10): a2 is its statistic and p its
// significance_level (pvalue).
//
// With k samples of sizes n_i, N = Σ n_i, z_1 < … < z_L the distinct pooled
// values, l_j the number of pooled values equal to z_j, B_j the number below
// z_j plus l_j/2, and M_ij the number of values of sample i below z_j plus half
// of those equal to it, Scholz and Stephens (1987) eq. 7 gives
//
//	A²akN = (N-1)/N Σ_i 1/n_i Σ_j (l_j/N) (N M_ij - B_j n_i)² / (B_j (N - B_j) - N l_j/4)
//	a2    = (A²akN - (k-1)) / σ_N
//
// with σ_N² the exact variance of A²akN under the null (their eq. 4, built
// from Σ 1/n_i and harmonic sums of N). a2 is near 0 under the null and grows
// with the difference between the samples.
//
// The p-value is only informative inside [0.001, 0.25]. It interpolates the
// critical values c_s = b0_s + b1_s/√(k-1) + b2_s/(k-1) tabulated for the
// significance levels s = 0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001: log s is
// fitted by a least-squares quadratic in c_s and p = exp(fit(a2)). When a2 is
// below the smallest critical value p is capped at 0.25, and when it is above
// the largest p is floored at 0.001; scipy warns in both cases ("p-value
// capped" / "p-value floored"), since the true p-value lies beyond the bound.
// Between the critical values the fitted curve can stray slightly past the
// bounds (about 0.00099 to 0.254), as in scipy. Compare with p >= 0.25 and
// p <= 0.001, not equality.
//
// Each sample must be sorted ascending and NaN-free. AndersonDarling panics
// (programmer error) with fewer than two samples, an empty sample, fewer than
// four values in total (scipy fails for N = 2 and returns NaN for N = 3),
// fewer than two distinct values, or when it meets a NaN or a descending pair.
// It merges the samples in O(N·k) time and allocates only when k > 16.
func AndersonDarling(samples ...[]float64) (a2, p float64) {
	k := len(samples)
	if k < 2 {
		panic(adTooFewSamples)
	}
	// Per sample: the index of its next value, and how many of its values
	// equal the current pooled value.
	var posBuf, tieBuf [16]int
	pos, tie := posBuf[:], tieBuf[:]
	if k > len(posBuf) {
		pos, tie = make([]int, k), make([]int, k)
	}
	pos, tie = pos[:k], tie[:k]

	total := 0
	var invN float64 // H = Σ 1/n_i
	for _, s := range samples {
		if len(s) == 0 {
			panic(adEmptySample)
		}
		total += len(s)
		invN += 1 / float64(len(s))
	}
	if total < 4 {
		panic(adTooFewValues)
	}
	n := float64(total)

	// One pass over the distinct pooled values, in ascending order.
	var sum float64
	below, distinct := 0, 0
	for below < total {
		z := math.Inf(1)
		found := false
		for i, s := range samples {
			if pos[i] < len(s) {
				v := s[pos[i]]
				if v != v {
					panic(adNaN)
				}
				if !found || v < z {
					z, found = v, true
				}
			}
		}
		l := 0
		for i, s := range samples {
			j := pos[i]
			for j < len(s) && s[j] == z {
				j++
			}
			if j < len(s) && s[j] < z {
				panic(adUnsorted)
			}
			tie[i] = j - pos[i]
			l += tie[i]
		}
		lf := float64(l)
		bf := float64(below) + lf/2
		// B(N-B) - N l/4, rewritten exactly as below·above + (below+above)·l/4.
		above := total - below - l
		den := float64(below)*float64(above) + float64(below+above)*lf/4
		var inner float64
		for i, s := range samples {
			ni := float64(len(s))
			d := n*(float64(pos[i])+float64(tie[i])/2) - bf*ni
			inner += d * d / ni
			pos[i] += tie[i]
		}
		if den > 0 { // den = 0 only when all values are equal: panics below
			sum += lf / n * inner / den
		}
		below += l
		distinct++
	}
	if distinct < 2 {
		panic(adTooFewDistinct)
	}
	a2kn := sum * (n - 1) / n

	m := float64(k - 1)
	a2 = (a2kn - m) / math.Sqrt(adVariance(total, float64(k), invN))
	return a2, adPValue(a2, m)
}

// adVariance returns the null variance of A²akN, Scholz and Stephens (1987)
// eq. 4, for N pooled values in k samples with H = Σ 1/n_i.
func adVariance(total int, k, invN float64) float64 {
	n := float64(total)
	// h = Σ_{i=1}^{N-1} 1/i and g = Σ_{i=1}^{N-2} Σ_{j=i+1}^{N-1} 1/((N-i) j),
	// accumulated like scipy: tail = Σ_{j=N-1-r}^{N-1} 1/j, g += tail/(r+2).
	var tail, g float64
	for r := 0; r < total-2; r++ {
		tail += 1 / float64(total-1-r)
		g += tail / float64(r+2)
	}
	h := tail + 1

	a := (4*g-6)*(k-1) + (10-6*g)*invN
	b := (2*g-4)*k*k + 8*h*k + (2*g-14*h-4)*invN - 8*h + 4*g - 6
	c := (6*h+2*g-2)*k*k + (4*h-4*g+6)*k + (2*h-6)*invN + 4*h
	d := (2*h+6)*k*k - 4*h*k
	return (a*n*n*n + b*n*n + c*n + d) / ((n - 1) * (n - 2) * (n - 3))
}

// adPValue interpolates the significance level of a2 for k-1 = m degrees of
// freedom as scipy.stats.anderson_ksamp does, capped to 0.25 and floored to
// 0.001 outside the critical values.
func adPValue(a2, m float64) float64 {
	var crit [7]float64
	for i := range crit {
		crit[i] = adB0[i] + adB1[i]/math.Sqrt(m) + adB2[i]/m
	}
	lo, hi := crit[0], crit[0]
	for _, c := range crit[1:] {
		lo, hi = math.Min(lo, c), math.Max(hi, c)
	}
	switch {
	case a2 < lo:
		return 0.25
	case a2 > hi:
		return 0.001
	}
	c0, c1, c2 := adQuadFit(&crit)
	dx := a2 - adMean(&crit)
	return math.Exp(c0 + dx*(c1+dx*c2))
}

func adMean(x *[7]float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// adQuadFit fits log adSig ≈ c0 + c1 (x-x̄) + c2 (x-x̄)² by least squares,
// solving the centred 3×3 normal equations (the numpy.polyfit(x, log(sig), 2)
// polynomial, written around the mean of x for conditioning).
func adQuadFit(x *[7]float64) (c0, c1, c2 float64) {
	mean := adMean(x)
	// Moments Σ d^p for p = 0..4 and Σ d^p·y for p = 0..2.
	var s [5]float64
	var t [3]float64
	for i, v := range x {
		d := v - mean
		y := math.Log(adSig[i])
		pw := 1.0
		for p := 0; p < 5; p++ {
			s[p] += pw
			if p < 3 {
				t[p] += pw * y
			}
			pw *= d
		}
	}
	// Solve [[s0 s1 s2] [s1 s2 s3] [s2 s3 s4]] c = t by Cramer's rule.
	det3 := func(a, b, c, d, e, f, g, h, i float64) float64 {
		return a*(e*i-f*h) - b*(d*i-f*g) + c*(d*h-e*g)
	}
	det := det3(s[0], s[1], s[2], s[1], s[2], s[3], s[2], s[3], s[4])
	c0 = det3(t[0], s[1], s[2], t[1], s[2], s[3], t[2], s[3], s[4]) / det
	c1 = det3(s[0], t[0], s[2], s[1], t[1], s[3], s[2], t[2], s[4]) / det
	c2 = det3(s[0], s[1], t[0], s[1], s[2], t[1], s[2], s[3], t[2]) / det
	return c0, c1, c2
}
