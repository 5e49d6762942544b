package performance

import (
	"strconv"
	"testing"
	"time"

	"github.com/driftwatch/driftwatch/internal/obs"
)

// benchRecords returns n single-instance records of distinct request ids,
// a millisecond apart.
func benchRecords(n int) []obs.Record {
	out := make([]obs.Record, n)
	pred := []obs.Value{cat("x")}
	for i := range out {
		out[i] = obs.Record{
			Time: t0.Add(time.Duration(i) * time.Millisecond), Model: "m", Version: "1",
			RequestID: "req-" + strconv.Itoa(i), Prediction: pred,
		}
	}
	return out
}

// BenchmarkObserve stores predictions into a full store, so that each one
// evicts the oldest: the steady state of a sidecar whose labels never come.
func BenchmarkObserve(b *testing.B) {
	const n = 1 << 18 // more than DefaultMaxPending, so ids are never reused while held
	recs := benchRecords(n)
	tr, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range DefaultMaxPending {
		tr.Observe(recs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := recs[(DefaultMaxPending+i)%n]
		r.Time = t0.Add(time.Duration(DefaultMaxPending+i) * time.Millisecond)
		tr.Observe(r)
	}
}

// BenchmarkLabel joins labels to stored predictions, windows of 1000
// closing on the way.
func BenchmarkLabel(b *testing.B) {
	const n = 1 << 16
	recs := benchRecords(n)
	labels := make([]Label, n)
	for i := range labels {
		labels[i] = Label{RequestID: recs[i].RequestID, Value: cat([]string{"x", "y"}[i%2])}
	}
	var tr *Tracker
	now := t0.Add(time.Minute)
	b.ReportAllocs()
	for i := range b.N {
		if i%n == 0 {
			b.StopTimer()
			tr, _ = New(Config{})
			for _, r := range recs {
				tr.Observe(r)
			}
			b.StartTimer()
		}
		if err := tr.Label(labels[i%n], now); err != nil {
			b.Fatal(err)
		}
	}
}
