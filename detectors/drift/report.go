package drift

import (
	"cmp"
	"slices"
)

// Report is the outcome of Compare: one verdict per feature and one for the
// dataset. Its JSON encoding is driftwatch's stable output contract
// (`driftwatch detect --format json`, and `/api/v1/drift` in the sidecar):
// fields may be added, never renamed or removed.
type Report struct {
	ReferenceRows   int           `json:"reference_rows"`
	CurrentRows     int           `json:"current_rows"`
	Drift           bool          `json:"drift"`
	DriftShare      float64       `json:"drift_share"`
	DriftedFeatures int           `json:"drifted_features"`
	Settings        Settings      `json:"settings"`
	Features        []Feature     `json:"features"`
	Multivariate    *Multivariate `json:"multivariate,omitempty"`
	Warnings        []string      `json:"warnings,omitempty"`
}

// Settings records the options a Report was made with, so that a report can
// be read (and reproduced) without the command line that made it.
type Settings struct {
	Test                string  `json:"test"`
	Alpha               float64 `json:"alpha"`
	Correction          string  `json:"correction"`
	MinEffect           float64 `json:"min_effect"`
	DriftShareThreshold float64 `json:"drift_share_threshold"`
	Permutations        int     `json:"permutations"`
	Seed                uint64  `json:"seed"`
	KSMethod            string  `json:"ks_method"`
}

// Feature is the verdict on one column.
type Feature struct {
	Name string `json:"name"`
	Type string `json:"type"` // "numeric" or "categorical"
	Test string `json:"test"` // the test that decided, e.g. "ks", "chi2", "psi"; "none" when nothing could be tested
	// Statistic is the test's statistic (for wasserstein: W1 divided by the
	// reference standard deviation).
	Statistic float64 `json:"statistic"`
	// PValue is nil for distance-only tests (psi, js, hellinger, wasserstein)
	// and when nothing could be tested.
	PValue *float64 `json:"p_value"`
	// AdjustedPValue is PValue after the multiple-testing correction.
	AdjustedPValue *float64 `json:"adjusted_p_value"`
	// Threshold is what decides drift: alpha for tests with a p-value (drift
	// when the adjusted p-value is below it), the distance for distance tests
	// (drift when the statistic reaches it).
	Threshold float64 `json:"threshold"`
	// EffectSize is the largest difference in probability that any event
	// shows between the two samples: the KS distance for numeric columns, the
	// total variation distance for categorical ones. Tests with a p-value
	// call drift only when it reaches Settings.MinEffect.
	EffectSize    float64 `json:"effect_size"`
	EffectMeasure string  `json:"effect_measure"` // "ks_distance" or "total_variation"
	Drift         bool    `json:"drift"`

	ReferenceCount   int `json:"reference_count"` // non-missing values used
	CurrentCount     int `json:"current_count"`
	ReferenceMissing int `json:"reference_missing"`
	CurrentMissing   int `json:"current_missing"`
	// MissingChange is set when the share of missing values differs
	// significantly between the samples.
	MissingChange *MissingChange `json:"missing_change,omitempty"`
	Note          string         `json:"note,omitempty"`

	// Summary holds what a picture of the two distributions needs: the
	// JSON report's "histogram".
	Summary *Summary `json:"histogram,omitempty"`
}

// MissingChange reports a significant change in the share of missing values.
type MissingChange struct {
	ReferenceShare float64 `json:"reference_share"`
	CurrentShare   float64 `json:"current_share"`
	PValue         float64 `json:"p_value"`
}

// Multivariate is the verdict of the MMD test on all numeric columns together.
type Multivariate struct {
	Test              string   `json:"test"` // "mmd"
	Statistic         float64  `json:"statistic"`
	PValue            float64  `json:"p_value"`
	Drift             bool     `json:"drift"`
	Sigma             float64  `json:"sigma"`
	Permutations      int      `json:"permutations"`
	Columns           []string `json:"columns"`
	Standardized      bool     `json:"standardized"` // columns scaled by the reference's mean and sd first
	ReferenceRowsUsed int      `json:"reference_rows_used"`
	CurrentRowsUsed   int      `json:"current_rows_used"`
	Note              string   `json:"note,omitempty"`
}

// Summary describes the two distributions of a feature on common bins, for
// plots. For numeric features Edges has len(Reference)+1 entries; for
// categorical features Labels names each bar.
type Summary struct {
	Edges     []float64 `json:"edges,omitempty"`
	Labels    []string  `json:"labels,omitempty"`
	Reference []float64 `json:"reference"` // share of the reference's values in each bin
	Current   []float64 `json:"current"`   // share of the current values in each bin
}

// TopDrifted returns the n drifted features of largest effect size, the
// largest first (in feature order among equals). They point into r.
func (r *Report) TopDrifted(n int) []*Feature {
	var drifted []*Feature
	for i := range r.Features {
		if r.Features[i].Drift {
			drifted = append(drifted, &r.Features[i])
		}
	}
	slices.SortStableFunc(drifted, func(a, b *Feature) int { return cmp.Compare(b.EffectSize, a.EffectSize) })
	return drifted[:min(n, len(drifted))]
}
