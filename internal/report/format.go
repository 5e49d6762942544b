package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// dash stands for a value that does not exist, such as the p-value of a
// distance-only test.
const dash = "—"

// bySeverity returns pointers to the features of r, most severe first:
// drifted features before the others, then by effect size (largest first,
// NaN last), then by name. It does not reorder r.Features.
func bySeverity(r *drift.Report) []*drift.Feature {
	fs := make([]*drift.Feature, len(r.Features))
	for i := range r.Features {
		fs[i] = &r.Features[i]
	}
	slices.SortStableFunc(fs, func(a, b *drift.Feature) int {
		if a.Drift != b.Drift {
			if a.Drift {
				return -1
			}
			return 1
		}
		if c := cmpEffect(a.EffectSize, b.EffectSize); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return fs
}

// cmpEffect orders effect sizes from largest to smallest with NaN last.
func cmpEffect(a, b float64) int {
	switch an, bn := math.IsNaN(a), math.IsNaN(b); {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(b, a)
}

// verdict returns the headline of a report ("Drift detected" or "No drift")
// and the sentence that explains it.
func verdict(r *drift.Report) (head, detail string) {
	head = "No drift"
	if r.Drift {
		head = "Drift detected"
	}
	mv := r.Multivariate
	if r.Settings.Test == "mmd" {
		if mv == nil {
			return head, "the multivariate MMD test could not run"
		}
		return head, "decided by the multivariate MMD test, p-value " + fmtP(mv.PValue)
	}
	detail = fmt.Sprintf("%d of %d features drifted (%s)", r.DriftedFeatures, len(r.Features), fmtShare(r.DriftShare))
	if t := r.Settings.DriftShareThreshold; t > 0 {
		detail += "; dataset drift threshold " + fmtShare(t)
	}
	if mv != nil && mv.Drift {
		detail += "; the multivariate MMD test also finds a joint change (p-value " + fmtP(mv.PValue) + ")"
	}
	return head, detail
}

// driftText is the short verdict on a feature.
func driftText(f *drift.Feature) string {
	switch {
	case f.Drift:
		return "yes"
	case f.Test == "none":
		return dash
	}
	return "no"
}

// notes joins a feature's note with a remark on a change of its missing
// values.
func notes(f *drift.Feature) string {
	var ns []string
	if f.MissingChange != nil {
		ns = append(ns, "missing share changed ("+pEquals(f.MissingChange.PValue)+")")
	}
	if f.Note != "" {
		ns = append(ns, f.Note)
	}
	return strings.Join(ns, "; ")
}

// missingShares returns the shares of missing values in both samples; ok is
// false when a sample has no rows at all.
func missingShares(f *drift.Feature) (ref, cur float64, ok bool) {
	if mc := f.MissingChange; mc != nil {
		return mc.ReferenceShare, mc.CurrentShare, true
	}
	rn, cn := f.ReferenceCount+f.ReferenceMissing, f.CurrentCount+f.CurrentMissing
	if rn == 0 || cn == 0 {
		return 0, 0, false
	}
	return float64(f.ReferenceMissing) / float64(rn), float64(f.CurrentMissing) / float64(cn), true
}

// fmtMissing formats the change of the missing share, "0%→12.5%".
func fmtMissing(f *drift.Feature) string {
	ref, cur, ok := missingShares(f)
	if !ok {
		return dash
	}
	return fmtShare(ref) + "→" + fmtShare(cur)
}

// fmtShare formats a fraction as a compact percentage: 0.375 → "37.5%",
// 0.5 → "50%", 0.0004 → "<0.1%".
func fmtShare(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return fmtNum(x)
	case x == 0:
		return "0%"
	case x > 0 && x < 0.0005:
		return "<0.1%"
	case x < 1 && x > 0.9995:
		return ">99.9%"
	}
	return trimZero(strconv.FormatFloat(x*100, 'f', 1, 64)) + "%"
}

// fmtP formats a p-value: "3.2e-12" below 0.001, three significant digits
// above, and "<1e-300" for an underflow to zero.
func fmtP(p float64) string {
	switch {
	case math.IsNaN(p) || math.IsInf(p, 0):
		return fmtNum(p)
	case p == 0:
		return "<1e-300"
	case p < 1e-3:
		return fmtSci(p)
	}
	return strconv.FormatFloat(p, 'g', 3, 64)
}

// pEquals formats "p=0.012", or "p<1e-300" for an underflow to zero.
func pEquals(p float64) string {
	if p == 0 {
		return "p<1e-300"
	}
	return "p=" + fmtP(p)
}

// fmtStatistic formats a feature's statistic; a dash when nothing was
// tested.
func fmtStatistic(f *drift.Feature) string {
	if f.Test == "none" {
		return dash
	}
	return fmtNum(f.Statistic)
}

// fmtFeatureEffect formats a feature's effect size; a dash when nothing
// was tested.
func fmtFeatureEffect(f *drift.Feature) string {
	if f.Test == "none" {
		return dash
	}
	return fmtEffect(f.EffectSize)
}

// fmtPtr formats an optional p-value; nil is a dash.
func fmtPtr(p *float64) string {
	if p == nil {
		return dash
	}
	return fmtP(*p)
}

// fmtNum formats a statistic compactly: four significant digits, whole
// numbers from 10,000 on, and scientific notation for the very small and the
// very large.
func fmtNum(x float64) string {
	switch a := math.Abs(x); {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "+Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	case x == 0:
		return "0"
	case a < 1e-3 || a >= 1e9:
		return fmtSci(x)
	case a >= 1e4:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// fmtEffect formats an effect size, a probability difference in [0, 1].
func fmtEffect(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return fmtNum(x)
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

// fmtSci formats x with two significant digits in scientific notation
// without padding: 3.2e-12, 1e-05 → "1e-5".
func fmtSci(x float64) string {
	s := strconv.FormatFloat(x, 'e', 1, 64)
	mant, exp, _ := strings.Cut(s, "e")
	mant = trimZero(mant)
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	if sign == "+" {
		sign = ""
	}
	return mant + "e" + sign + exp
}

// trimZero removes a trailing ".0" (or zeros after a decimal point).
func trimZero(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// fmtInt formats a count with thousands separators: 12345 → "12,345".
func fmtInt(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// thresholdText explains what decides drift for a feature.
func thresholdText(f *drift.Feature, s drift.Settings) string {
	switch {
	case f.Test == "none":
		return "not tested"
	case f.PValue == nil:
		return "drift when statistic ≥ " + fmtNum(f.Threshold)
	}
	t := "drift when adjusted p < " + fmtNum(f.Threshold)
	if s.MinEffect > 0 {
		t += " and effect ≥ " + fmtNum(s.MinEffect)
	}
	return t
}

// settingsText is the one-line summary of a report's settings.
func settingsText(s drift.Settings) string {
	parts := []string{
		"test " + orDash(s.Test),
		"alpha " + fmtNum(s.Alpha),
		"correction " + orDash(s.Correction),
		"min effect " + fmtNum(s.MinEffect),
	}
	if s.Permutations > 0 {
		parts = append(parts, "permutations "+fmtInt(s.Permutations), "seed "+strconv.FormatUint(s.Seed, 10))
	}
	return strings.Join(parts, ", ")
}

// multivariateText is the one-line summary of the multivariate test.
func multivariateText(mv *drift.Multivariate) string {
	v := "no drift"
	if mv.Drift {
		v = "drift"
	}
	cols := "numeric columns"
	if mv.Standardized {
		cols = "standardised numeric columns"
	}
	s := fmt.Sprintf("%s on %d %s (%s vs %s rows): statistic %s, p-value %s, sigma %s, %s permutations: %s",
		orDash(mv.Test), len(mv.Columns), cols, fmtInt(mv.ReferenceRowsUsed), fmtInt(mv.CurrentRowsUsed),
		fmtNum(mv.Statistic), fmtP(mv.PValue), fmtNum(mv.Sigma), fmtInt(mv.Permutations), v)
	if mv.Note != "" {
		s += " (" + mv.Note + ")"
	}
	return s
}

// orDash returns s, or a dash when s is empty.
func orDash(s string) string {
	if s == "" {
		return dash
	}
	return s
}

// printable makes s safe to print on a terminal or in a table cell: a string
// with control characters (tabs, newlines, ANSI escapes) or other
// unprintable runes is shown Go-quoted.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
