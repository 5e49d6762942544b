package adversarial

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// ResultUncertaintyShift is the Result of an Uncertainty monitor, one per
// complete window: labels model and version; Value is 1 (Severity
// Warning) when KSOneSided of the window's top-2 margins against the
// reference's has a p-value below Alpha, else 0 (OK); Samples is the
// window's size. A shift means the model's answers moved toward its
// decision boundaries, as when many clients probe it at once, each too
// little to be flagged alone. Evidence: D⁺ and its p-value, the mean
// margins, the shares of margins below Margin and the mean entropies of
// the window and of the reference.
const ResultUncertaintyShift = "uncertainty_shift"

// Defaults of UncertaintyConfig.
const (
	DefaultUncertaintyReference = 500
	DefaultUncertaintyWindow    = 200
	DefaultUncertaintyAlpha     = 0.01
)

// UncertaintyConfig configures an Uncertainty monitor. Zero fields take
// the defaults.
type UncertaintyConfig struct {
	Model, Version string
	// Reference is how many predictions, the first ones seen, make the
	// reference; Window how many make each window compared with it.
	Reference, Window int
	Alpha             float64 // significance of the one-sided KS test
	Margin            float64 // margins below it count as low; default DefaultMargin
}

// Uncertainty watches how confident one model version's answers are: the
// distribution of the top-2 margins of its class probabilities (and their
// entropy) in each window of predictions against the first predictions
// seen. Records without class probabilities (obs.Record.Probabilities) and
// synthetic ones are left out. It is a detectors.Detector: Observe and
// Results are called from one goroutine.
type Uncertainty struct {
	cfg UncertaintyConfig

	ref, refEntropy []float64 // sorted margins once complete
	win, winEntropy []float64
	probs           []float64
	done            *obs.Result // a window compared, for the next Results
}

// NewUncertainty returns an Uncertainty monitor of cfg.
func NewUncertainty(cfg UncertaintyConfig) (*Uncertainty, error) {
	if cfg.Reference == 0 {
		cfg.Reference = DefaultUncertaintyReference
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultUncertaintyWindow
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = DefaultUncertaintyAlpha
	}
	if cfg.Margin == 0 {
		cfg.Margin = DefaultMargin
	}
	switch {
	case cfg.Reference < 2 || cfg.Window < 2:
		return nil, fmt.Errorf("uncertainty: reference %d and window %d must be at least 2", cfg.Reference, cfg.Window)
	case !(cfg.Alpha > 0 && cfg.Alpha < 1):
		return nil, fmt.Errorf("uncertainty: alpha %g must be in (0, 1)", cfg.Alpha)
	case !(cfg.Margin > 0 && cfg.Margin < 1):
		return nil, fmt.Errorf("uncertainty: margin %g must be in (0, 1)", cfg.Margin)
	}
	return &Uncertainty{cfg: cfg}, nil
}

// Observe adds a record's prediction to the reference, then to the window.
func (u *Uncertainty) Observe(r obs.Record) {
	if r.Synthetic {
		return
	}
	if u.probs = r.Probabilities(u.probs[:0]); u.probs == nil {
		return
	}
	m, h := Margin(u.probs), Entropy(u.probs)
	if len(u.ref) < u.cfg.Reference {
		u.ref, u.refEntropy = append(u.ref, m), append(u.refEntropy, h)
		if len(u.ref) == u.cfg.Reference {
			slices.Sort(u.ref)
		}
		return
	}
	u.win, u.winEntropy = append(u.win, m), append(u.winEntropy, h)
	if len(u.win) < u.cfg.Window {
		return
	}
	slices.Sort(u.win)
	d, p := KSOneSided(u.win, u.ref)
	sev, shifted := obs.OK, 0.0
	if p < u.cfg.Alpha {
		sev, shifted = obs.Warning, 1
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
	u.done = &obs.Result{
		Name:   ResultUncertaintyShift,
		Labels: obs.Labels{"model": u.cfg.Model, "version": u.cfg.Version},
		Time:   r.Time, Value: shifted, Severity: sev, Samples: len(u.win),
		Evidence: []obs.Field{
			{Key: "statistic", Value: f(d)},
			{Key: "p_value", Value: f(p)},
			{Key: "mean_margin", Value: f(mean(u.win))},
			{Key: "reference_mean_margin", Value: f(mean(u.ref))},
			{Key: "low_margin_share", Value: f(below(u.win, u.cfg.Margin))},
			{Key: "reference_low_margin_share", Value: f(below(u.ref, u.cfg.Margin))},
			{Key: "mean_entropy", Value: f(mean(u.winEntropy))},
			{Key: "reference_mean_entropy", Value: f(mean(u.refEntropy))},
		},
	}
	u.win, u.winEntropy = u.win[:0], u.winEntropy[:0]
}

// Results implements detectors.Detector: the last window's result, once.
func (u *Uncertainty) Results(now time.Time, dst []obs.Result) []obs.Result {
	if u.done == nil {
		return dst
	}
	dst = append(dst, *u.done)
	u.done = nil
	return dst
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// below returns the share of the sorted x below v.
func below(sorted []float64, v float64) float64 {
	i, _ := slices.BinarySearch(sorted, v)
	return float64(i) / float64(len(sorted))
}

// Entropy returns the Shannon entropy, in nats, of the class probabilities
// p normalised to sum 1:
//
//	S = Σ_i p_i,  H = −Σ_i (p_i/S) log(p_i/S),  with 0·log 0 = 0.
//
// It is 0 for a certain prediction and log(len(p)) for a uniform one; NaN
// when p has a negative or NaN value or no positive sum. It matches
// scipy.stats.entropy(p).
func Entropy(p []float64) float64 {
	var s float64
	for _, v := range p {
		if !(v >= 0) {
			return math.NaN()
		}
		s += v
	}
	if !(s > 0) || math.IsInf(s, 1) {
		return math.NaN()
	}
	var h float64
	for _, v := range p {
		if v > 0 {
			q := v / s
			h -= q * math.Log(q)
		}
	}
	return max(h, 0)
}

// KSOneSided returns the one-sided two-sample Kolmogorov–Smirnov statistic
// D⁺ and its asymptotic p-value for the alternative that x tends to be
// smaller than y (F_x lies above F_y somewhere):
//
//	D⁺ = max_v (F_x(v) − F_y(v)) over the pooled values v  (≥ 0),
//	m = max(n₁, n₂),  n = min(n₁, n₂),  z = D⁺ √(mn/(m+n)),
//	p = exp(−2z² − 2z(m + 2n) / (3√(mn(m+n)))),  clipped to [0, 1]
//
// (Smirnov's limit with Hodges' 1958 correction), as
// scipy.stats.ks_2samp(x, y, alternative='greater', method='asymp'). With
// x the window's top-2 margins and y the reference's, a small p says the
// window's answers sit closer to a decision boundary. x and y must be
// sorted ascending, non-empty and without NaN.
func KSOneSided(x, y []float64) (d, p float64) {
	n1, n2 := len(x), len(y)
	var i, j int
	for i < n1 || j < n2 {
		// The next pooled value; move past every copy of it in both.
		v := y[min(j, n2-1)]
		if j == n2 || i < n1 && x[i] <= y[j] {
			v = x[i]
		}
		for i < n1 && x[i] <= v {
			i++
		}
		for j < n2 && y[j] <= v {
			j++
		}
		d = max(d, float64(i)/float64(n1)-float64(j)/float64(n2))
	}
	m, n := float64(max(n1, n2)), float64(min(n1, n2))
	z := d * math.Sqrt(m*n/(m+n))
	p = math.Exp(-2*z*z - 2*z*(m+2*n)/math.Sqrt(m*n*(m+n))/3)
	return d, min(max(p, 0), 1)
}
