package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/driftwatch/driftwatch/detectors/drift"
)

// writeJSON writes r as encoding/json does, indented by two spaces and
// followed by a newline. JSON has no NaN or Inf, so a report holding one is
// refused with an error that names each offending field.
func writeJSON(buf *bytes.Buffer, r *drift.Report, _ Meta) error {
	if err := checkFinite(r); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	buf.Write(b)
	buf.WriteByte('\n')
	return nil
}

// checkFinite returns an error for every NaN or infinite number in the JSON
// fields of r.
func checkFinite(r *drift.Report) error {
	var errs []error
	check := func(where, field string, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s: %s is %s, which JSON cannot encode", where, field, fmtNum(v)))
		}
	}
	check("report", "drift_share", r.DriftShare)
	s := r.Settings
	check("settings", "alpha", s.Alpha)
	check("settings", "min_effect", s.MinEffect)
	check("settings", "drift_share_threshold", s.DriftShareThreshold)
	for i := range r.Features {
		f := &r.Features[i]
		where := fmt.Sprintf("feature %q", f.Name)
		check(where, "statistic", f.Statistic)
		if f.PValue != nil {
			check(where, "p_value", *f.PValue)
		}
		if f.AdjustedPValue != nil {
			check(where, "adjusted_p_value", *f.AdjustedPValue)
		}
		check(where, "threshold", f.Threshold)
		check(where, "effect_size", f.EffectSize)
		if h := f.Summary; h != nil {
			for _, vs := range [][]float64{h.Edges, h.Reference, h.Current} {
				for _, v := range vs {
					check(where, "histogram", v)
				}
			}
		}
		if mc := f.MissingChange; mc != nil {
			check(where, "missing_change.reference_share", mc.ReferenceShare)
			check(where, "missing_change.current_share", mc.CurrentShare)
			check(where, "missing_change.p_value", mc.PValue)
		}
	}
	if mv := r.Multivariate; mv != nil {
		check("multivariate", "statistic", mv.Statistic)
		check("multivariate", "p_value", mv.PValue)
		check("multivariate", "sigma", mv.Sigma)
	}
	return errors.Join(errs...)
}
