package outbox

import (
	"strconv"
	"testing"
)

var benchPayload = make([]byte, 2048) // about a Slack Block Kit message

// BenchmarkEnqueueAck measures one notification's trip through the
// outbox: Enqueue then Ack, two transactions and so two fsyncs.
func BenchmarkEnqueueAck(b *testing.B) {
	o, _, _ := newOutbox(b, Options{MaxPending: 1 << 30})
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	i := 0
	for b.Loop() {
		id, err := o.Enqueue("slack", "k"+strconv.Itoa(i), benchPayload, t0)
		if err != nil {
			b.Fatal(err)
		}
		if err := o.Ack(id, t0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEnqueue measures Enqueue alone: one transaction (fsync) each.
func BenchmarkEnqueue(b *testing.B) {
	o, _, _ := newOutbox(b, Options{MaxPending: 1 << 30})
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	i := 0
	for b.Loop() {
		if _, err := o.Enqueue("slack", "k"+strconv.Itoa(i), benchPayload, t0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkEnqueueBatch100 enqueues 100 notifications per EnqueueBatch,
// one transaction; ns/op is per notification.
func BenchmarkEnqueueBatch100(b *testing.B) {
	const batch = 100
	o, _, _ := newOutbox(b, Options{MaxPending: 1 << 30})
	items := make([]Item, batch)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			for j := range items {
				items[j] = Item{Receiver: "slack", DedupKey: "k" + strconv.Itoa(n+j), Payload: benchPayload}
			}
			if _, err := o.EnqueueBatch(items, t0); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
}
