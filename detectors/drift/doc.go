// Package drift holds the two-sample tests, distances and corrections that
// decide whether a feature's current distribution differs from its reference.
//
// Every statistic is a pure function over []float64 (numeric samples, sorted
// ascending where documented) or over aligned category counts. The functions
// never sort, copy or allocate behind the caller's back unless their doc comment
// says so; callers that run several tests on one column sort it once. Each doc
// comment states the formula, the special cases and the reference
// implementation (scipy or numpy) whose numbers the tests reproduce.
package drift
