package outbox

import (
	"encoding/binary"
	"time"
)

// The outbox keeps everything in buckets of the store, and every method
// changes all the buckets it touches in one transaction, so the indexes
// always agree with the entries. "id" is the entry's ID as 8 big-endian
// bytes, so byte order is numeric order; "\x00" separates variable-length
// parts (receivers and dedup keys may not contain it).
//
//	outbox/meta      "version" → "1"
//	outbox/entries   id → Entry as JSON; its sequence numbers the IDs
//	outbox/pending   receiver \x00 id → ""          pending entries, FIFO per receiver (Due)
//	outbox/dedup     receiver \x00 dedupKey → id    pending entries (idempotent Enqueue)
//	outbox/sent      receiver \x00 group → id       the group's last delivered entry (RepeatAfter)
//	outbox/bykey     dedupKey \x00 receiver \x00 id → ""   every entry (Status by dedup-key prefix)
//	outbox/finished  finishedAt(unix ns, 8 bytes) id → ""  delivered and failed entries (Prune)
//	outbox/counts    receiver \x00 state → count (8 bytes)  (Stats, Receivers, MaxPending)
var (
	bucketMeta     = []byte("outbox/meta")
	bucketEntries  = []byte("outbox/entries")
	bucketPending  = []byte("outbox/pending")
	bucketDedup    = []byte("outbox/dedup")
	bucketSent     = []byte("outbox/sent")
	bucketByKey    = []byte("outbox/bykey")
	bucketFinished = []byte("outbox/finished")
	bucketCounts   = []byte("outbox/counts")

	keyVersion    = []byte("version")
	layoutVersion = []byte("1")
)

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func join(parts ...string) []byte {
	var b []byte
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func pendingKey(receiver string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(join(receiver, ""), id)
}

func dedupKey(receiver, key string) []byte { return join(receiver, key) }

func byKeyKey(key, receiver string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(join(key, receiver, ""), id)
}

func finishedKey(t time.Time, id uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, unixNano(t)), id)
}

func countKey(receiver, state string) []byte { return join(receiver, state) }

// unixNano orders times as unsigned keys; times before 1970 count as 1970.
func unixNano(t time.Time) uint64 {
	if n := t.UnixNano(); n > 0 {
		return uint64(n)
	}
	return 0
}

// lastID returns the ID at the end of an index key.
func lastID(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }
