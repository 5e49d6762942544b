package drift

import (
	"fmt"
	"runtime"
	"sync"
)

// Column is one column of a dataset handed to Compare. A numeric column has
// Num set (NaN marks a missing value); a categorical one has Str set (""
// marks a missing value).
type Column struct {
	Name        string
	Categorical bool
	Num         []float64
	Str         []string
}

// Compare tests every column of cur against the same column of ref and
// returns the per-feature verdicts and the dataset verdict. ref and cur must
// have the same length and hold the same columns in the same order, with the
// same Categorical flag.
//
// A feature tested with a p-value drifts when its adjusted p-value is below
// Alpha and its effect size reaches MinEffect; a feature tested with a
// distance drifts when the distance reaches the test's threshold. The
// dataset drifts when at least one feature drifted and the share of drifted
// features reaches DriftShare, or when the multivariate test rejects at Alpha.
func Compare(ref, cur []Column, o Options) (*Report, error) {
	opt, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(ref) != len(cur) {
		return nil, fmt.Errorf("drift: %d reference columns but %d current columns", len(ref), len(cur))
	}
	for i := range ref {
		if ref[i].Name != cur[i].Name || ref[i].Categorical != cur[i].Categorical {
			return nil, fmt.Errorf("drift: column %d is %q in the reference but %q in the current data (or differs in type)", i, ref[i].Name, cur[i].Name)
		}
	}
	rep := &Report{
		ReferenceRows: columnRows(ref),
		CurrentRows:   columnRows(cur),
		Settings: Settings{
			Test: opt.Test, Alpha: opt.Alpha, Correction: opt.Correction,
			MinEffect: opt.MinEffect, DriftShareThreshold: opt.DriftShare,
			Permutations: opt.Permutations, Seed: opt.Seed,
		},
		Features: make([]Feature, 0, len(ref)),
	}
	if opt.Test != "mmd" {
		rep.Features = compareFeatures(ref, cur, &opt)
		correct(rep.Features, &opt)
	}
	if mv, err := multivariate(ref, cur, &opt); err != nil {
		return nil, err
	} else if mv != nil {
		rep.Multivariate = mv
	}
	tested := 0
	for _, f := range rep.Features {
		if f.Test != "none" {
			tested++
		}
		if f.Drift {
			rep.DriftedFeatures++
		}
	}
	if tested > 0 {
		rep.DriftShare = float64(rep.DriftedFeatures) / float64(tested)
	}
	rep.Drift = rep.DriftedFeatures > 0 && rep.DriftShare >= opt.DriftShare ||
		rep.Multivariate != nil && rep.Multivariate.Drift
	return rep, nil
}

func columnRows(cols []Column) int {
	if len(cols) == 0 {
		return 0
	}
	return max(len(cols[0].Num), len(cols[0].Str))
}

// compareFeatures runs the per-feature tests on GOMAXPROCS goroutines.
func compareFeatures(ref, cur []Column, opt *Options) []Feature {
	out := make([]Feature, len(ref))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range min(runtime.GOMAXPROCS(0), max(len(ref), 1)) {
		wg.Go(func() {
			for i := range next {
				out[i] = compareColumn(&ref[i], &cur[i], opt)
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, len(ref))
					mu.Unlock()
				}
			}
		})
	}
	for i := range ref {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
