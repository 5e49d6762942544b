// Package driftwatch holds the real datasets that the demo
// (driftwatch demo) runs on, embedded in the binary so that it needs no
// files. The code is in cmd/, collectors/, detectors/, alerts/,
// synthetics/ and internal/ (see DESIGN.md).
package driftwatch

import "embed"

// Testdata holds testdata/breast-cancer: a reference, the same population
// (current-random.csv) and a covariate-shifted sample (current-shift.csv)
// of the Wisconsin breast-cancer data; testdata/README.md gives their
// provenance.
//
//go:embed testdata/breast-cancer/*.csv
var Testdata embed.FS
