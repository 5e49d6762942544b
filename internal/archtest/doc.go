// Package archtest holds only a test: it checks that imports between
// driftwatch's packages follow the data flow described in DESIGN.md, so the
// rule holds even where no linter runs.
package archtest
