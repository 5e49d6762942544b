package adversarial

import "math"

const (
	swShortPanic = "adversarial: Shapiro–Wilk needs at least 3 values"

	// Royston's (1995) polynomial coefficients (AS R94), lowest order first.
	swC1_0, swC1_1, swC1_2, swC1_3, swC1_4, swC1_5 = 0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056
	swC2_0, swC2_1, swC2_2, swC2_3, swC2_4, swC2_5 = 0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633
)

var (
	swG  = [...]float64{-2.273, 0.459}
	swC3 = [...]float64{0.544, -0.39978, 0.025054, -6.714e-4}
	swC4 = [...]float64{1.3822, -0.77857, 0.062767, -0.0020322}
	swC5 = [...]float64{-1.5861, -0.31082, -0.083751, 0.0038915}
	swC6 = [...]float64{-0.4803, -0.082676, 0.0030302}
)

// ShapiroWilk returns the Shapiro–Wilk statistic W and its p-value for the
// sample x, which must be sorted ascending and contain no NaN. W is the
// squared correlation between the order statistics and Royston's (1995)
// approximation a of the expected normal order-statistic weights:
//
//	m_i = Φ⁻¹((i - 3/8) / (n + 1/4)),            i = 1..n,
//	u   = 1/√n,  Σm² = Σ_i m_i²,
//	a_n = m_n/√Σm² + 0.221157u - 0.147981u² - 2.07119u³ + 4.434685u⁴ - 2.706056u⁵,
//	a_{n-1} = m_{n-1}/√Σm² + 0.042981u - 0.293762u² - 1.752461u³ + 5.682633u⁴ - 3.582633u⁵  (n > 5),
//	a_i = m_i / ε,  ε = √((Σm² - 2m_n² - 2m_{n-1}²) / (1 - 2a_n² - 2a_{n-1}²))  (other i),
//	a_{n+1-i} = -a_i,
//	W = (Σ_i a_i x_(i))² / Σ_i (x_i - x̄)².
//
// 1 - W is computed directly so that W near 1 keeps its precision. The
// p-value Pr(W' <= W) under normality is:
//
//   - n = 3: exact, (6/π)(asin √W - asin √(3/4)), at least 0;
//   - 4 <= n <= 11: with γ = -2.273 + 0.459n, y = -log(γ - log(1-W)) is
//     taken as normal with mean 0.544 - 0.39978n + 0.025054n² - 6.714e-4n³
//     and standard deviation exp(1.3822 - 0.77857n + 0.062767n² -
//     0.0020322n³); when log(1-W) >= γ the p-value is 1e-99;
//   - n >= 12: y = log(1-W) is taken as normal with, for l = log n, mean
//     -1.5861 - 0.31082l - 0.083751l² + 0.0038915l³ and standard deviation
//     exp(-0.4803 - 0.082676l + 0.0030302l²);
//
// and the p-value is the upper tail of that normal at y. A sample with zero
// range gives W = 1, p = 1 (scipy warns and returns the same). The
// approximation is meant for 3 <= n <= 5000.
//
// ShapiroWilk matches scipy.stats.shapiro (scipy 1.10.1, Royston's AS R94
// in swilk.c) up to scipy's float32 arithmetic: W to about 1e-6 and the
// p-value to about 1e-3 relative. It uses the exact Φ⁻¹ where AS R94 uses
// AS 111. It panics (programmer error) if len(x) < 3; it does not
// allocate, and it evaluates Φ⁻¹ n times.
func ShapiroWilk(x []float64) (w, p float64) {
	n := len(x)
	if n < 3 {
		panic(swShortPanic)
	}
	rng := x[n-1] - x[0]
	if !(rng > 0) {
		return 1, 1
	}
	half := n / 2
	an := float64(n)

	// Expected normal order statistics of the lower half, as positive
	// values: m(i) = -Φ⁻¹((i+1-3/8)/(n+1/4)) for i = 0..half-1.
	m := func(i int) float64 {
		return math.Sqrt2 * math.Erfcinv(2*((float64(i+1)-0.375)/(an+0.25)))
	}
	// a(i) is the weight of x[n-1-i] - x[i].
	var a func(i int) float64
	if n == 3 {
		a = func(int) float64 { return math.Sqrt(0.5) }
	} else {
		var summ2 float64
		for i := range half {
			mi := m(i)
			summ2 += mi * mi
		}
		summ2 *= 2
		ssumm2 := math.Sqrt(summ2)
		u := 1 / math.Sqrt(an)
		m0, m1 := m(0), m(1)
		a0 := m0/ssumm2 + poly5(u, swC1_0, swC1_1, swC1_2, swC1_3, swC1_4, swC1_5)
		var a1, fac float64
		first := 1 // first index computed as m(i)/fac
		if n > 5 {
			a1 = m1/ssumm2 + poly5(u, swC2_0, swC2_1, swC2_2, swC2_3, swC2_4, swC2_5)
			fac = math.Sqrt((summ2 - 2*m0*m0 - 2*m1*m1) / (1 - 2*a0*a0 - 2*a1*a1))
			first = 2
		} else {
			fac = math.Sqrt((summ2 - 2*m0*m0) / (1 - 2*a0*a0))
		}
		a = func(i int) float64 {
			switch {
			case i == 0:
				return a0
			case i < first:
				return a1
			}
			return m(i) / fac
		}
	}

	// Work on (x - x̄)/range for conditioning.
	var mean float64
	for _, v := range x {
		mean += v / rng
	}
	mean /= an
	var ssx float64
	for _, v := range x {
		d := v/rng - mean
		ssx += d * d
	}
	var ssa, sax float64
	for i := range half {
		ai := a(i)
		ssa += 2 * ai * ai
		sax += ai * (x[n-1-i] - x[i]) / rng
	}
	s := math.Sqrt(ssa * ssx)
	w1 := (s - sax) * (s + sax) / (ssa * ssx) // 1 - W
	w = 1 - w1

	switch {
	case n == 3:
		p = 6 / math.Pi * (math.Asin(math.Sqrt(w)) - math.Asin(math.Sqrt(0.75)))
		return w, min(max(p, 0), 1)
	case w1 <= 0:
		return 1, 1
	}
	y := math.Log(w1)
	var mu, sigma float64
	if n <= 11 {
		gamma := poly(swG[:], an)
		if y >= gamma {
			return w, 1e-99
		}
		y = -math.Log(gamma - y)
		mu = poly(swC3[:], an)
		sigma = math.Exp(poly(swC4[:], an))
	} else {
		l := math.Log(an)
		mu = poly(swC5[:], l)
		sigma = math.Exp(poly(swC6[:], l))
	}
	p = 0.5 * math.Erfc((y-mu)/(sigma*math.Sqrt2))
	return w, p
}

// poly returns c[0] + c[1]x + c[2]x² + ... by Horner's rule.
func poly(c []float64, x float64) float64 {
	var r float64
	for i := len(c) - 1; i >= 0; i-- {
		r = r*x + c[i]
	}
	return r
}

// poly5 is poly with six coefficients, without a slice.
func poly5(x, c0, c1, c2, c3, c4, c5 float64) float64 {
	return c0 + x*(c1+x*(c2+x*(c3+x*(c4+x*c5))))
}
