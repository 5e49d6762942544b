package proxy

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"
)

// idGen generates request ids: a random per-process prefix and a counter,
// e.g. "3f9c0a1be2d47c55-1a". Ids are unique per process and unpredictable
// across processes; generating one costs an atomic add and one allocation.
type idGen struct {
	prefix [17]byte // 16 hex digits and '-'
	n      atomic.Uint64
}

func newIDGen() *idGen {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	g := &idGen{}
	hex.Encode(g.prefix[:16], b[:])
	g.prefix[16] = '-'
	return g
}

func (g *idGen) next() string {
	var buf [17 + 16]byte
	b := append(buf[:0], g.prefix[:]...)
	b = strconv.AppendUint(b, g.n.Add(1), 16)
	return string(b)
}
