package drift

import (
	"math"
	"slices"
)

// sortRadixMin is the length below which sortFloats uses slices.Sort.
const sortRadixMin = 512

// sortFloats sorts x ascending. x must not contain NaN. buf is scratch
// space; it is grown to len(x) when shorter and returned for reuse.
//
// Long slices are sorted by a least-significant-digit radix sort on 11-bit
// digits of the order-preserving integer image of each float64 (the sign
// bit flipped for positives, every bit flipped for negatives), skipping
// digits that all keys share. At a million values this is several times
// faster than a comparison sort, and sorting dominates detect's run time.
// −0 sorts before +0; they compare equal, so every test sees the same
// order as after slices.Sort.
func sortFloats(x, buf []float64) []float64 {
	n := len(x)
	if n < sortRadixMin {
		slices.Sort(x)
		return buf
	}
	if cap(buf) < n {
		buf = make([]float64, n)
	}
	buf = buf[:n]
	const (
		bits   = 11
		radix  = 1 << bits
		passes = (64 + bits - 1) / bits
	)
	var count [passes][radix]int
	for _, v := range x {
		k := sortKey(v)
		for p := range passes {
			count[p][(k>>(p*bits))&(radix-1)]++
		}
	}
	src, dst := x, buf
	for p := range passes {
		c := &count[p]
		if c[(sortKey(x[0])>>(p*bits))&(radix-1)] == n {
			continue // every key has the same digit here
		}
		sum := 0
		for i := range c {
			c[i], sum = sum, sum+c[i]
		}
		shift := uint(p * bits)
		for _, v := range src {
			d := (sortKey(v) >> shift) & (radix - 1)
			dst[c[d]] = v
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &x[0] {
		copy(x, src)
	}
	return buf
}

// sortKey maps v to a uint64 whose unsigned order is v's numeric order.
func sortKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}
