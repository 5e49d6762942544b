package drift

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Column is one column of a dataset handed to Compare. A numeric column has
// Num set (NaN marks a missing value, infinities are not allowed); a
// categorical one has Str set ("" marks a missing value).
type Column struct {
	Name        string
	Categorical bool
	Num         []float64
	Str         []string
}

func (c *Column) len() int {
	if c.Categorical {
		return len(c.Str)
	}
	return len(c.Num)
}

// Compare tests every column of cur against the same column of ref and
// returns the per-feature verdicts and the dataset verdict. ref and cur must
// hold the same columns in the same order, with the same Categorical flag;
// all columns of one side must have the same length.
//
// A feature tested with a p-value drifts when its adjusted p-value is below
// Alpha and its effect size reaches MinEffect; a feature tested with a
// distance drifts when the distance reaches the test's threshold; either
// drifts when its share of missing values changed significantly by at least
// MinEffect. The dataset drifts when at least one feature drifted and the
// share of drifted features reaches DriftShare. The multivariate MMD test
// has no effect size on that scale, so in auto mode it is reported beside
// the verdict and does not decide it; with Test "mmd" it is the verdict.
func Compare(ref, cur []Column, opt Options) (*Report, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if err := checkColumns(ref, cur); err != nil {
		return nil, err
	}
	rep := &Report{
		ReferenceRows: rows(ref),
		CurrentRows:   rows(cur),
		Settings: Settings{
			Test: opt.Test, Alpha: opt.Alpha, Correction: opt.Correction,
			MinEffect: opt.MinEffect, DriftShareThreshold: opt.DriftShare,
			Permutations: opt.Permutations, Seed: opt.Seed, KSMethod: cmp.Or(opt.KSMethod, "auto"),
		},
		Features: []Feature{},
	}
	if opt.Test != "mmd" {
		rep.Features = compareFeatures(ref, cur, &opt)
		correct(rep.Features, &opt)
	}
	mv, warning, err := multivariate(ref, cur, &opt)
	if err != nil {
		return nil, err
	}
	rep.Multivariate = mv
	if warning != "" {
		rep.Warnings = append(rep.Warnings, warning)
	}
	if mv == nil {
		rep.Settings.Permutations = 0
	}
	for _, f := range rep.Features {
		if f.Drift {
			rep.DriftedFeatures++
		}
	}
	if len(rep.Features) > 0 {
		rep.DriftShare = float64(rep.DriftedFeatures) / float64(len(rep.Features))
	}
	rep.Drift = rep.DriftedFeatures > 0 && rep.DriftShare >= opt.DriftShare
	if opt.Test == "mmd" {
		rep.Drift = mv != nil && mv.Drift
	}
	return rep, nil
}

// checkColumns returns an error unless ref and cur pair up column by column
// and every column holds finite values of its type, in equal numbers per
// side.
func checkColumns(ref, cur []Column) error {
	if len(ref) != len(cur) {
		return fmt.Errorf("drift: %d reference columns but %d current columns", len(ref), len(cur))
	}
	var errs []error
	for i := range ref {
		if ref[i].Name != cur[i].Name || ref[i].Categorical != cur[i].Categorical {
			errs = append(errs, fmt.Errorf("drift: column %d is %q in the reference but %q in the current data, or differs in type", i, ref[i].Name, cur[i].Name))
		}
	}
	for _, side := range []struct {
		name string
		cols []Column
	}{{"reference", ref}, {"current", cur}} {
		for i := range side.cols {
			c := &side.cols[i]
			if c.Categorical && c.Num != nil || !c.Categorical && c.Str != nil {
				errs = append(errs, fmt.Errorf("drift: %s column %q holds values of the other type", side.name, c.Name))
			}
			if n, want := c.len(), side.cols[0].len(); n != want {
				errs = append(errs, fmt.Errorf("drift: %s column %q has %d values, column %q has %d", side.name, c.Name, n, side.cols[0].Name, want))
			}
			for _, v := range c.Num {
				if math.IsInf(v, 0) {
					errs = append(errs, fmt.Errorf("drift: %s column %q holds an infinite value", side.name, c.Name))
					break
				}
			}
		}
	}
	return errors.Join(errs...)
}

// rows returns the number of rows of a side (checked to be equal across
// columns).
func rows(cols []Column) int {
	if len(cols) == 0 {
		return 0
	}
	return cols[0].len()
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
				opt.yield()
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress("features", done, len(ref))
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
